"""Read dotenv files (``.env`` and ``env_file:``) keeping the line of every variable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from moorage.compose.interpolate import Interp, InterpolationError, interpolate

_LINE_RE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*(?:=\s*(.*))?$", re.S)


@dataclass(frozen=True)
class EnvEntry:
    """One ``KEY=value`` line of a dotenv file."""

    name: str
    value: Interp
    line: int


@dataclass
class EnvFile:
    """A parsed dotenv file: entries in order and the problems met (line, message)."""

    path: Path
    entries: list[EnvEntry]
    problems: list[tuple[int, str]]

    def values(self) -> dict[str, str]:
        """Variable -> value (later lines win)."""
        return {e.name: str(e.value) for e in self.entries}


def parse_env_text(text: str, path: Path, env: Mapping[str, str] | None = None) -> EnvFile:
    """Parse dotenv text; values may use ``${VAR}`` from earlier lines or ``env`` (which wins)."""
    outer = dict(env or {})
    seen: dict[str, str] = {}
    entries: list[EnvEntry] = []
    problems: list[tuple[int, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        lineno = i + 1
        line = lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _LINE_RE.match(line)
        if not m:
            problems.append((lineno, "expected KEY=value"))
            continue
        name, rest = m.group(1), m.group(2)
        if rest is None:
            # a bare name: compose reads it from the environment
            if name in outer:
                entries.append(EnvEntry(name, Interp(outer[name], "${" + name + "}", (name,)), lineno))
            continue
        rest = rest.strip()
        quote = rest[:1] if rest[:1] in ("'", '"') else ""
        if quote:
            body = rest[1:]
            while not _closed(body, quote) and i < len(lines):
                body += "\n" + lines[i]
                i += 1
            if not _closed(body, quote):
                problems.append((lineno, f"unclosed {quote} quote"))
                continue
            end = _close_index(body, quote)
            raw = body[:end]
            if quote == "'":
                entries.append(EnvEntry(name, Interp(raw, raw), lineno))
                seen[name] = raw
                continue
            raw = raw.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
        else:
            raw = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
        try:
            value = interpolate(raw, {**seen, **outer})
        except InterpolationError as exc:
            problems.append((lineno, str(exc)))
            continue
        entries.append(EnvEntry(name, value, lineno))
        seen[name] = str(value)
    return EnvFile(path, entries, problems)


def _close_index(body: str, quote: str) -> int:
    j = 0
    while j < len(body):
        if quote == '"' and body[j] == "\\":
            j += 2
            continue
        if body[j] == quote:
            return j
        j += 1
    return -1


def _closed(body: str, quote: str) -> bool:
    return _close_index(body, quote) >= 0


def read_env_file(path: Path, env: Mapping[str, str] | None = None) -> EnvFile:
    """Read and parse a dotenv file (raise ``OSError`` when it cannot be read)."""
    text = path.read_text(encoding="utf-8")
    return parse_env_text(text, path, env)
