"""The one answer to "which detect-secrets detectors recognise a credential by its form?".

Read by policy (MOO-SEC-007 and friends, on any template) and by compose import (a provider-issued key under a
neutral name): both use the detectors named in data/policy_facts.yaml (``secret_value_detectors``). detect-secrets
loads all its plugins (and requests) on import, ~0.5 s, so it is imported only when a detector is asked for.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from moorage.data import load_data


@cache
def detectors() -> tuple[tuple[Any, str], ...]:
    """(detector instance, what it finds, e.g. "a Stripe key") for every detector policy_facts.yaml names."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    wanted = dict(load_data("policy_facts")["secret_value_detectors"])
    plugins: list[Any] = list(get_mapping_from_secret_type_to_class().values())
    classes: dict[str, Any] = {c.__name__: c for c in plugins}
    missing = sorted(set(wanted) - set(classes))
    if missing:
        raise RuntimeError(f"detect-secrets has no plugin {', '.join(missing)}: update policy_facts.yaml")
    return tuple((classes[name](), str(kind)) for name, kind in sorted(wanted.items()))
