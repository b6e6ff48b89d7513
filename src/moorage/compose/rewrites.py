"""The settings an import rewired: every env value that became a reference to a created resource."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from moorage.kinds import CONNECTION_REF_RE

if TYPE_CHECKING:
    from moorage.spec.load import LoadedApp


def rewrites(loaded: LoadedApp) -> list[tuple[str, str, str, str]]:
    """(service, variable, new value, file name:line) for each rewired setting, in service order.

    A compose file cannot hold ``{{ name.attribute }}`` references, so every one in an imported app's
    ``env`` was written by the importer; mapped compose secrets and credentials appear as secret names.
    """
    rows: list[tuple[str, str, str, str]] = []
    for name, svc in (loaded.data.get("services") or {}).items():
        for var, value in (svc.get("env") or {}).items():
            if isinstance(value, str) and CONNECTION_REF_RE.search(value):
                rows.append((name, var, value, _where(loaded, ("services", name, "env", var))))
        secrets = svc.get("secrets") or []
        pairs = secrets.items() if isinstance(secrets, dict) else ((s, s) for s in secrets)
        for var, secret in pairs:
            rows.append((name, var, f"secret {secret}", _where(loaded, ("services", name, "secrets", var))))
    return rows


def _where(loaded: LoadedApp, path: tuple[str, ...]) -> str:
    loc = loaded.source.locate(path)
    return f"{Path(loc.file).name}:{loc.line}" if loc.file and loc.line else "-"
