"""Is an env value a key a provider issued (Stripe, GitHub, Slack...)? Then no random value can replace it.

The formats are detect-secrets' provider plugins, the same list ``check`` uses (``secret_value_detectors``
in data/policy_facts.yaml), plus the spec's own known token formats (webhook URLs, Google keys). A
password in a URL is not a provider's key: it is left to the URL wiring.
"""

from __future__ import annotations

import re
from functools import cache

from moorage.data import load_data
from moorage.secret_formats import detectors
from moorage.spec.models import embedded_credentials

# Detectors that find something other than a provider-issued key.
_NOT_ISSUED = {"BasicAuthDetector"}
# A bearer token, a JWT or Basic-auth credentials were handed out by whoever the service calls: not ours to draw.
_ISSUED_FORMATS = {"a known token format", "a key in a URL's user part", "a bearer token", "a JSON Web Token",
                   "a Basic-auth user:password"}


@cache
def _candidates() -> re.Pattern[str]:
    """One regex that matches wherever any wanted detector's denylist does (data/issued_key_patterns.yaml)."""
    letters = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s", re.VERBOSE: "x"}
    parts = []
    for patterns in load_data("issued_key_patterns").values():
        for p in patterns:
            flags = "".join(letter for flag, letter in letters.items() if p["flags"] & flag)
            # a newline ends a verbose pattern's trailing comment before the group closes
            parts.append(f"(?{flags}:{p['pattern']}\n)" if "x" in flags else f"(?{flags}:{p['pattern']})"
                         if flags else f"(?:{p['pattern']})")
    return re.compile("|".join(parts))


def issued_key(text: str) -> str | None:
    """What provider-issued key ``text`` holds ("a Stripe key"), or None."""
    if not text:
        return None
    if _candidates().search(text):  # the detectors find only matches of these patterns
        for plugin, kind in detectors():
            if type(plugin).__name__ in _NOT_ISSUED:
                continue
            if any(plugin.analyze_string(text)):
                return kind
    found = next((what for what, _ in embedded_credentials(text) if what in _ISSUED_FORMATS), None)
    return found
