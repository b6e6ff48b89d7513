"""Physical names: deterministic, within AWS's length limits."""

from __future__ import annotations

import hashlib
import re


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
