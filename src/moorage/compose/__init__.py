"""Import a docker-compose file as a moorage app.

``import_compose`` reads the file the way docker compose does (``.env``, interpolation, anchors and
merge keys, ``extends``, profiles), maps every service to a moorage service or a managed store
(RDS/Aurora, ElastiCache, S3), rewires settings that point at other services as connection
references, moves credentials to generated secrets, applies ``x-moorage`` overrides and validates
the result. Every compose key is mapped, mapped with a warning, or rejected with a located error
(see :func:`explain_table`).

Variables come from ``.env`` next to the compose file (or ``env_file``) and from ``environ``; the
process environment is **not** read unless passed as ``environ``, so an import is deterministic.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from moorage.compose.document import load_document
from moorage.compose.keys import KeyRule, explain_table, explain_text, rule_for
from moorage.compose.mapping import Importer, plain
from moorage.compose.notes import Notes
from moorage.compose.render import to_moorage_yaml
from moorage.compose.rewrites import rewrites
from moorage.errors import Diagnostic, InputError, Location
from moorage.kinds import compose_kinds, kind
from moorage.spec.load import LoadedApp
from moorage.spec.models import Service
from moorage.spec.validate import validate_app

__all__ = ["KeyRule", "explain_table", "explain_text", "import_compose", "looks_like_compose", "rewrites",
           "to_moorage_yaml"]

_COMPOSE_TOP = {"version", "volumes", "networks", "configs", "include", "models"}
_MOORAGE_TOP = {"region", "residency", "domain", *(kind(k).block for k in compose_kinds()), "environments", "network",
                "logs", "deploy", "alarms", "budget", "tags", "forbid_env"}


def import_compose(path: Path, *, profiles: Sequence[str] = (), env_file: Path | None = None,
                   strict: bool = False, environ: Mapping[str, str] | None = None,
                   skip: Sequence[str] = ()) -> LoadedApp:
    """Import a compose file; raise :class:`InputError` with every located problem.

    ``profiles`` selects profile-gated services (``COMPOSE_PROFILES`` in the variables works too).
    ``env_file`` replaces the ``.env`` next to the file. ``environ`` supplies variables and wins over
    the env file; it defaults to an empty mapping (the process environment is not read). With
    ``strict``, warnings are errors. ``skip`` names services to leave out (like ``x-moorage: {skip: true}``),
    e.g. ones that cannot run on Fargate. Infos and warnings are returned in ``LoadedApp.warnings``.
    """
    path = Path(path)
    try:
        return _import(path, profiles, env_file, strict, dict(environ or {}), skip)
    except InputError:
        raise
    except RecursionError:
        raise InputError([Diagnostic("error", "the compose file nests too deeply to import", Location(str(path), 1, 1),
                                     "check for self-referencing anchors", "compose")]) from None
    except Exception as exc:  # never a traceback on any input
        where = traceback.extract_tb(exc.__traceback__)[-1]
        raise InputError([Diagnostic(
            "error", f"internal error while importing ({type(exc).__name__}: {exc})", Location(str(path), 1, 1),
            f"please report this with the compose file (at {Path(where.filename).name}:{where.lineno})",
            "compose-internal")]) from None


def _import(path: Path, profiles: Sequence[str], env_file: Path | None, strict: bool,
            environ: dict[str, str], skip: Sequence[str]) -> LoadedApp:
    doc, notes = load_document(path, Notes, profiles=profiles, env_file=env_file, environ=environ)
    data, smap = Importer(doc, notes, skip).run()
    data = plain(data)
    errors = notes.errors
    if strict:
        errors = errors + [Diagnostic("error", d.message + " (strict: warnings are errors)", d.location, d.hint,
                                      d.code) for d in notes.items if d.severity == "warning"]
    if errors:
        raise InputError(errors)
    try:
        spec = validate_app(data, smap)
    except InputError as exc:
        raise InputError(exc.diagnostics) from None
    return LoadedApp(spec, data, smap, path, "compose", notes.others)


def looks_like_compose(path: Path, data: Any) -> bool:
    """True when ``path``/``data`` look like a compose file rather than a moorage.yml."""
    if "compose" in Path(path).name.lower():
        return True
    if not isinstance(data, dict):
        return False
    keys = set(map(str, data))
    if keys & _MOORAGE_TOP:
        return False
    if keys & _COMPOSE_TOP or any(k.startswith("x-") for k in keys):
        return True
    services = data.get("services")
    if not isinstance(services, dict):
        return False
    moorage_keys = set(Service.model_fields)
    for svc in services.values():
        if not isinstance(svc, dict):
            continue
        for key in svc:
            if key not in moorage_keys and rule_for("service", str(key)) is not None:
                return True
        if isinstance(svc.get("volumes"), list) and any(isinstance(v, str) for v in svc["volumes"]):
            return True
        if isinstance(svc.get("ports"), list) and any(not isinstance(p, int) for p in svc["ports"]):
            return True  # "8080:80", {target: 80}: moorage's ports are plain numbers
        if isinstance(svc.get("healthcheck"), dict) and "test" in svc["healthcheck"]:
            return True
    return False
