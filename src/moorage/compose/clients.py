"""Can the clients the import wired actually connect? Checks over one service's mapped environment.

A managed cache speaks TLS only and needs its AUTH token (``data/compose_clients.yaml``): a client wired by
host gets the token and TLS switched on where the variable names are known, else a located warning. A
``localhost:PORT`` URL that pointed at another service's published port is rewritten to that service's
host (the mapper then wires it like any sibling URL); one at the service's own published port is the app's
public address, which only the user knows on AWS: a located warning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from moorage.data import load_data

_LOCAL_URL_RE = re.compile(r"^(?P<head>[a-z][a-z0-9+.\-]*://(?:[^@/\s]*@)?)(?:localhost|127\.0\.0\.1|0\.0\.0\.0|"
                           r"\[::1\]):(?P<port>\d{1,5})(?P<rest>(?:[/?#].*)?)$", re.I | re.S)

Warn = Callable[[str, str, str, str], None]  # (variable, severity, message, hint)


@cache
def _rules() -> dict[str, Any]:
    data: dict[str, Any] = load_data("compose_clients")
    return {"tls_flags": [re.compile(p) for p in data["tls_flags"]],
            "tls_files": [re.compile(p) for p in data["tls_files"]],
            "false": {str(v).lower() for v in data["false_values"]},
            "companions": dict(data["companions"])}


def local_sibling(text: str, own: str, published: Mapping[int, tuple[str, int, str]]) -> tuple[str, str] | None:
    """``(kind, value)`` for a ``scheme://localhost:PORT`` URL: ``("sibling", URL at the sibling's host)``
    when PORT is another service's published port, ``("own", "")`` when it is this service's, else None.

    ``published`` maps a host port to ``(compose service, container port, a host name of it)``."""
    m = _LOCAL_URL_RE.match(text.strip())
    if not m:
        return None
    owner = published.get(int(m.group("port")))
    if owner is None:
        return None
    cname, target, host = owner
    if cname == own:
        return ("own", "")
    return ("sibling", f"{m.group('head')}{host}:{target}{m.group('rest')}")


def cache_clients(cname: str, env: dict[str, Any], caches: list[str], warn: Warn) -> None:
    """Give clients wired to a cache by host its token and TLS (editing ``env``), or warn what is missing.

    ``caches`` are the moorage names of the caches the service uses."""
    rules = _rules()
    texts = {k: v for k, v in env.items() if isinstance(v, str)}
    for prim in caches:
        host_vars = [k for k, v in texts.items() if v.strip() == f"{{{{ {prim}.host }}}}"]
        if not host_vars:
            continue  # wired by URL (rediss://, token included) or not at all
        has_token = any(f"{prim}.token" in v or f"{prim}.password" in v for v in texts.values())
        flags = [k for k in texts if any(p.match(k) for p in rules["tls_flags"])]
        for flag in flags:
            if texts[flag].strip().lower() in rules["false"]:
                env[flag] = "true"
                warn(flag, "info", f"{cname}: {flag} said no TLS; {prim} (ElastiCache) speaks TLS only: set to "
                     "'true'", "")
        for name in [k for k in texts if any(p.match(k) for p in rules["tls_files"])]:
            if texts[name].startswith(("/", "./")):
                del env[name]
                warn(name, "info", f"{cname}: {name} ({texts[name]}) dropped: ElastiCache's certificate is from "
                     "a public CA and it takes no client certificate", "")
        for host_var in host_vars:
            companion = rules["companions"].get(host_var) or {}
            if not has_token and companion.get("token") and companion["token"] not in env:
                env[companion["token"]] = f"{{{{ {prim}.token }}}}"
                has_token = True
                warn(host_var, "info", f"{cname}: {companion['token']} -> {{{{ {prim}.token }}}} ({host_var}'s "
                     f"client needs {prim}'s AUTH token)", "")
            if not flags and companion.get("tls") and companion["tls"] not in env:
                env[companion["tls"]] = str(companion.get("tls_value", "true"))
                flags = [companion["tls"]]
                warn(host_var, "info", f"{cname}: {companion['tls']} set to '{env[companion['tls']]}' "
                     f"({prim} speaks TLS only)", "")
            if not has_token:
                warn(host_var, "warning", f"{cname}: {host_var} points at {prim}, but no variable gives the client "
                     f"{prim}'s AUTH token: it cannot connect (ElastiCache needs the token and TLS)",
                     f"set the client's password variable to '{{{{ {prim}.token }}}}' and turn its TLS option on, "
                     f"or give it '{{{{ {prim}.url }}}}' (rediss://, token included) in x-moorage env")
            elif not flags:
                warn(host_var, "warning", f"{cname}: {host_var} points at {prim}, which speaks TLS only, and no "
                     "variable turns the client's TLS on", f"set the client's TLS option (for example "
                     f"{host_var.removesuffix('HOST')}TLS: 'true'), or give it '{{{{ {prim}.url }}}}' (rediss://)")
