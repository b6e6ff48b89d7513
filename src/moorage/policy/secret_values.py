"""Credentials recognised by their value: well-known key formats, URLs and connection strings with
passwords, and high-entropy values next to secret-like names.

Formats come from detect-secrets (Yelp's maintained detector library: one plugin per provider, each
with the provider's documented prefixes and lengths), chosen over our own patterns so new formats
arrive with upgrades. Its keyword and generic entropy plugins are not used: in templates every
``Name``/``Value`` pair is structured, so names are judged by ``secret_name_pattern`` and entropy here.
Reports never carry a value: :func:`mask` keeps a short prefix only.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from moorage.policy.checks import facts
from moorage.secret_formats import detectors, known_tokens
from moorage.url_passwords import url_passwords

_REFERENCE = ("${", "{{resolve:")


@dataclass(frozen=True)
class Credential:
    """A credential found in a value: what kind, and the secret part (never print it: :func:`mask`)."""

    kind: str
    secret: str

    @property
    def masked(self) -> str:
        """The secret with all but a short prefix hidden."""
        return mask(self.secret)


def mask(secret: str) -> str:
    """At most the first quarter (and at most 4 characters) of ``secret``, then ``****``."""
    return secret[:min(4, len(secret) // 4)] + "****"


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p), kind) for p, kind in facts()["secret_value_patterns"].items())


def _real(secret: str) -> bool:
    """False for references resolved at deploy time (``${Var}``, ``{{resolve:...}}``), a Step Functions
    ``States.Format`` placeholder (``{}``, filled at run time) and empty parts."""
    return bool(secret.strip()) and secret.strip() != "{}" and not any(r in secret for r in _REFERENCE)


def credentials_in(value: str) -> list[Credential]:
    """Credentials recognisable by their form anywhere in ``value`` (each secret reported once)."""
    found: dict[str, Credential] = {}
    for password in url_passwords(value):  # the spec's answer: detect-secrets stops at `!$&*+...`
        if _real(password):
            found.setdefault(password, Credential("a URL with a password", password))
    for pattern, kind in _patterns():
        for match in pattern.finditer(value):
            if _real(match[1]):
                found.setdefault(match[1], Credential(kind, match[1]))
    for plugin, kind in detectors():
        for secret in plugin.analyze_string(value):
            text = secret if isinstance(secret, str) else next((s for s in secret if s), "")
            if _real(text) and not any(text in f or f in text for f in found):
                found.setdefault(text, Credential(kind, text))
    for kind, token in known_tokens(value):  # the spec's own formats, so `check` and `plan` agree
        if _real(token) and not any(token in f or f in token for f in found):
            found.setdefault(token, Credential(kind, token))
    return list(found.values())


def entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


@cache
def secret_name() -> re.Pattern[str]:
    """Names of variables and parameters that hold credentials."""
    return re.compile(str(facts()["secret_name_pattern"]), re.IGNORECASE)


def secret_like_name(name: str) -> bool:
    """True for ``DB_PASSWORD``, ``dbPassword``, ``/app/api-token`` and the like."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).replace("/", "_").replace("-", "_").replace(".", "_")
    return bool(secret_name().search(snake))


def trivial(value: str) -> bool:
    """Numbers, booleans and empty values are settings, not secrets (TOKEN_TTL=3600)."""
    v = value.strip().lower()
    return v in ("", "true", "false", "yes", "no", "none", "null") or bool(re.fullmatch(r"[\d.]+", v))


def named_secret(name: str, value: str) -> Credential | None:
    """A credential by name and entropy: ``name`` looks secret and ``value`` looks random enough."""
    if not secret_like_name(name) or trivial(value) or not _real(value) or value.startswith("arn:"):
        return None
    if entropy(value) < float(facts()["secret_min_entropy"]):
        return None
    return Credential(f"a value for the secret-like name {name}", value)


_ASSIGNMENT = re.compile(r"""^\s*(?:export\s+|set\s+|\$env:)?([A-Za-z_][\w.-]*)\s*[=:]\s*["']?([^"'\s#]+)""")


def assignments(text: str) -> Iterator[tuple[str, str]]:
    """``(name, value)`` of each ``NAME=value`` / ``export NAME=value`` / ``name: value`` line of a script."""
    for line in text.splitlines():
        match = _ASSIGNMENT.match(line)
        if match:
            yield match[1], match[2]
