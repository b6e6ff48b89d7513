"""A build context as Docker sends it to the builder: ``.dockerignore`` honoured, and its content hash.

The rules follow Docker's (moby/patternmatcher): patterns are relative to the context root, ``*`` and
``?`` stay within one path segment, ``**`` spans any number of them, a pattern also excludes everything
under a directory it matches, ``!pattern`` re-includes, and the last matching pattern wins. A
``<Dockerfile>.dockerignore`` next to the Dockerfile replaces ``.dockerignore`` (BuildKit).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath


@dataclass(frozen=True)
class Pattern:
    """One ``.dockerignore`` line."""

    text: str
    exclusion: bool  # a `!` line: re-includes what earlier lines excluded
    regex: re.Pattern[str]


def read_ignore(context: Path, dockerfile: str | None = None) -> list[Pattern]:
    """The ignore patterns that apply to ``context`` (built with ``dockerfile``, relative to it)."""
    candidates = [context / f"{dockerfile or 'Dockerfile'}.dockerignore", context / ".dockerignore"]
    for path in candidates:
        if path.is_file():
            return parse_ignore(path.read_text(encoding="utf-8", errors="replace"))
    return []


def parse_ignore(text: str) -> list[Pattern]:
    """Patterns from ``.dockerignore`` text (comments and blank lines skipped)."""
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
        line = os.path.normpath(line).replace(os.sep, "/").lstrip("/") if line else line
        if not line or line == ".":
            continue
        patterns.append(Pattern(line, exclusion, re.compile(_regex(line))))
    return patterns


def _regex(pattern: str) -> str:
    out = "^"
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if pattern[i:i + 2] == "**":
                i += 2
                if pattern[i:i + 1] == "/":
                    out += "(.*/)?"
                    i += 1
                else:
                    out += ".*"
                continue
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out += re.escape(ch)
            else:
                body = pattern[i + 1:end]
                out += "[" + ("^" + body[1:] if body.startswith("^") else body).replace("\\", "\\\\") + "]"
                i = end
        else:
            out += re.escape(ch)
        i += 1
    return out + "$"


def is_ignored(rel: str, patterns: list[Pattern]) -> bool:
    """Whether Docker leaves ``rel`` (a '/'-separated path in the context) out of the build context."""
    matched = False
    parents = [str(p) for p in reversed(PurePosixPath(rel).parents) if str(p) != "."]
    for pattern in patterns:
        if pattern.exclusion != matched:
            continue  # only a later line of the other kind can change the answer
        if pattern.regex.match(rel) or any(pattern.regex.match(p) for p in parents):
            matched = not pattern.exclusion
    return matched


def context_files(context: Path, patterns: list[Pattern]) -> Iterator[tuple[str, Path]]:
    """(relative path, path) of every file, link and directory Docker sends, sorted."""
    entries = []
    prune = not any(p.exclusion for p in patterns)  # nothing under an ignored directory can come back
    for root, dirs, files in os.walk(context):
        base = Path(root)
        if prune:
            dirs[:] = [d for d in dirs if not is_ignored((base / d).relative_to(context).as_posix(), patterns)]
        for name in dirs + files:
            path = base / name
            rel = path.relative_to(context).as_posix()
            if not is_ignored(rel, patterns):
                entries.append((rel, path))
    yield from sorted(entries)


def context_digest(context: Path, dockerfile: str | None, target: str | None, args: dict[str, str]) -> str:
    """The content hash of a build: the context as Docker sees it, the Dockerfile, target and build args.

    Paths, contents, symlink targets and the executable bit count; files ``.dockerignore`` leaves out
    do not. The Dockerfile counts even when it is outside the context or ignored.
    """
    digest = hashlib.sha256()
    for rel, path in context_files(context, read_ignore(context, dockerfile)):
        if path.is_symlink():
            digest.update(f"L {rel} -> {os.readlink(path)}\0".encode())
        elif path.is_dir():
            digest.update(f"D {rel}\0".encode())
        elif path.is_file():
            mode = "x" if os.access(path, os.X_OK) else "-"
            digest.update(f"F {rel} {mode}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    docker_file = context / (dockerfile or "Dockerfile")
    digest.update(b"Dockerfile\0" + (docker_file.read_bytes() if docker_file.is_file() else b"<missing>"))
    digest.update(json.dumps([dockerfile, target, sorted(args.items())]).encode())
    return digest.hexdigest()[:12]
