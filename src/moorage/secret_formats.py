"""The one answer to "which detect-secrets detectors recognise a credential by its form?", and to "which token
formats does moorage itself know?" (:func:`known_tokens`, read by the spec, compose import, diff and policy).

Read by policy (MOO-SEC-007 and friends, on any template) and by compose import (a provider-issued key under a
neutral name): both use the detectors named in data/policy_facts.yaml (``secret_value_detectors``). detect-secrets
loads all its plugins (and requests) on import, ~0.5 s, so it is imported only when a detector is asked for.
"""

from __future__ import annotations

import base64
import binascii
import re
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


# Token formats known by their form alone, as the spec, compose import, diff and policy all read them. A
# reference (``$VAR``, ``${VAR}``, ``{{ ... }}``, a quote) in the token's place is not a token.
_NOT_A_REFERENCE = r"(?![$'\"{<])"
_KNOWN_TOKEN = re.compile(
    r"(?P<v>AKIA[0-9A-Z]{16}|sk_live_[0-9A-Za-z]{8,}|ghp_[0-9A-Za-z]{20,}|xox[abpr]-[0-9A-Za-z-]{10,}|"
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----|AIza[0-9A-Za-z_\-]{30,}|hooks\.slack\.com/services/[^\s$]+|"
    r"discord(?:app)?\.com/api/webhooks/[^\s$]+)")
# A JSON Web Token: three base64url parts, the header a JSON object (`{"` is eyJ).
_JWT = re.compile(r"(?<![A-Za-z0-9_-])(?P<v>eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*)")
# An HTTP Authorization value: `Bearer <token>` (a token has digits: "Bearer authentication" is prose) and
# `Basic <base64 of user:password>` (checked by decoding: "Basic authentication" is prose too).
_BEARER = re.compile(rf"\bBearer\s+{_NOT_A_REFERENCE}(?P<v>(?=[A-Za-z._~+/-]*\d)[A-Za-z0-9._~+/-]{{16,}}=*)", re.I)
_BASIC = re.compile(rf"\bBasic\s+{_NOT_A_REFERENCE}(?P<v>[A-Za-z0-9+/]{{8,}}={{0,2}})(?![A-Za-z0-9+/=])", re.I)


def _user_password(encoded: str) -> bool:
    """True when ``encoded`` is base64 of ``user:password`` text."""
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in decoded and decoded.isprintable()


def known_tokens(text: str) -> list[tuple[str, str]]:
    """(what, token) of every credential in ``text`` known by its form: a provider key, a private key, a
    webhook URL, a JSON Web Token, a ``Bearer``/``Basic`` authorization value."""
    out = [("a known token format", m["v"]) for m in _KNOWN_TOKEN.finditer(text)]
    out += [("a JSON Web Token", m["v"]) for m in _JWT.finditer(text)]
    out += [("a bearer token", m["v"]) for m in _BEARER.finditer(text)]
    out += [("a Basic-auth user:password", m["v"]) for m in _BASIC.finditer(text) if _user_password(m["v"])]
    return out
