"""Physical names: deterministic, within AWS's length limits."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from moorage.kinds import kind


def physical_name(*parts: str, limit: int = 63) -> str:
    """``a-b-c`` cut to ``limit`` characters with a short stable hash when it is too long.

    Runs of hyphens become one (RDS, ElastiCache and Lambda refuse ``--`` in identifiers); the hash then
    keeps ``a--b`` and ``a-b`` apart. Names that need neither are returned as they are, so existing
    resources keep their names."""
    name = "-".join(p for p in parts if p)
    squeezed = re.sub(r"-{2,}", "-", name)
    if len(name) <= limit and squeezed == name:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return squeezed[: limit - 7].rstrip("-") + "-" + digest


def logical_id(*parts: str) -> str:
    """CloudFormation logical id from names: ``svc-auth`` + ``Sg`` -> ``SvcAuthSg``."""
    out = ""
    for part in parts:
        for word in part.replace("_", "-").replace(".", "-").split("-"):
            if word:
                out += word[0].upper() + word[1:]
    return out


def item_name(kind_name: str, prefix: str, name: str, item: Any, *parts: str) -> str:
    """The AWS name of a kind's item: ``app-env-jobs`` (``parts`` after it, e.g. ``dlq``), within the kind's
    length limit including the suffix each true setting of ``item`` adds (``.fifo``; data/kinds.yaml
    ``physical_name``)."""
    k = kind(kind_name)
    suffix = "".join(text for setting, text in k.name_suffix.items() if getattr(item, setting, False))
    return physical_name(prefix, name, *parts, limit=k.name_limit - len(suffix)) + suffix
