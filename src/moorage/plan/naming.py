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


def queue_name(prefix: str, name: str, fifo: bool, dead_letter: bool = False) -> str:
    """SQS queue name: ``app-env-jobs`` (``-dlq`` for its dead-letter queue); FIFO queues must end in ``.fifo``
    and a name may hold 80 characters."""
    suffix = ".fifo" if fifo else ""
    return physical_name(prefix, name, "dlq" if dead_letter else "", limit=80 - len(suffix)) + suffix
