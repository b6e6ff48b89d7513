"""Collect the importer's located diagnostics: decisions (info), warnings and errors."""

from __future__ import annotations

from typing import Any

from moorage.errors import Diagnostic, Location, Severity
from moorage.spec.source import KeyPath, SourceMap


class Notes:
    """Diagnostics located through a compose source map (paths are compose key paths)."""

    def __init__(self, smap: SourceMap) -> None:
        self.smap = smap
        self.items: list[Diagnostic] = []
        self._seen: set[tuple[str, str, str]] = set()

    def add(self, severity: Severity, path: KeyPath, message: str, hint: str = "", code: str = "",
            location: Location | None = None) -> None:
        """Record one diagnostic at ``path`` (or at ``location`` when given); duplicates are dropped."""
        loc = location or self.smap.locate(path)
        key = (severity, message, str(loc) + "|" + loc.key)
        if key in self._seen:
            return
        self._seen.add(key)
        self.items.append(Diagnostic(severity, message, loc, hint, code))

    def info(self, path: KeyPath, message: str, hint: str = "", code: str = "compose") -> None:
        """Record a decision."""
        self.add("info", path, message, hint, code)

    def warn(self, path: KeyPath, message: str, hint: str = "", code: str = "compose") -> None:
        """Record something not (fully) carried to AWS."""
        self.add("warning", path, message, hint, code)

    def error(self, path: KeyPath, message: str, hint: str = "", code: str = "compose") -> None:
        """Record something that stops the import."""
        self.add("error", path, message, hint, code)

    @property
    def errors(self) -> list[Diagnostic]:
        """The error diagnostics so far."""
        return [d for d in self.items if d.severity == "error"]

    @property
    def others(self) -> list[Diagnostic]:
        """Warnings and infos, in the order they were recorded."""
        return [d for d in self.items if d.severity != "error"]


def list_at(block: dict[str, Any], key: str, path: KeyPath, notes: Notes) -> list[Any]:
    """``block[key]`` as a list; anything else there is a located error (and an empty list)."""
    value = block.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        notes.error(path + (key,), f"{key} must be a list")
        return []
    return value
