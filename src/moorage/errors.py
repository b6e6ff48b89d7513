"""Located diagnostics shared by every stage.

A diagnostic names the file, line and key it is about, what was expected and a hint, so that the
CLI can print it without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Location:
    """Where a value came from: file, 1-based line and column, and its key path."""

    file: str
    line: int = 0
    column: int = 0
    path: tuple[str | int, ...] = ()

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return where

    @property
    def key(self) -> str:
        """Dotted key path, e.g. ``services.web.port``."""
        return dotted(self.path)


def dotted(path: tuple[str | int, ...]) -> str:
    """Render a key path as ``a.b[0].c``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


@dataclass(frozen=True)
class Diagnostic:
    """One finding about the input: an error that stops the run, or a warning."""

    severity: Severity
    message: str
    location: Location | None = None
    hint: str = ""
    code: str = ""

    def render(self) -> str:
        """One human line (plus a hint line) for terminals and logs."""
        head = f"{self.location}: " if self.location else ""
        key = f"[{self.location.key}] " if self.location and self.location.path else ""
        text = f"{head}{self.severity}: {key}{self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


@dataclass
class InputError(Exception):
    """Bad input: the CLI prints the diagnostics and exits with code 2."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)


def input_error(message: str, location: Location | None = None, hint: str = "", code: str = "") -> InputError:
    """Build an :class:`InputError` holding one error diagnostic."""
    return InputError([Diagnostic("error", message, location, hint, code)])


class OperationalError(Exception):
    """Something outside the input stops a command (a held deploy lock, an unusable emulator): exit 1.

    ``hint`` says what to do about it."""

    def __init__(self, message: str, hint: str) -> None:
        self.hint = hint
        super().__init__(message)
