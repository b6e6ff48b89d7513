"""Compose variable interpolation: ``$VAR``, ``${VAR}``, ``${VAR:-default}`` and friends.

Every interpolated string is returned as an :class:`Interp`, a ``str`` that remembers the text it
came from and which variables it read. The importer uses that to tell, for instance, that a
service's ``DB_PASSWORD: ${POSTGRES_PASSWORD}`` is the same value as the database container's
``POSTGRES_PASSWORD`` without ever looking at the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_NAME_RE = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")


class Interp(str):
    """An interpolated string that remembers its source text and the variables it used."""

    raw: str
    refs: tuple[str, ...]
    unset: tuple[str, ...]

    def __new__(cls, value: str, raw: str | None = None, refs: tuple[str, ...] = (),
                unset: tuple[str, ...] = ()) -> Interp:
        obj = super().__new__(cls, value)
        obj.raw = value if raw is None else raw
        obj.refs = refs
        obj.unset = unset
        return obj

    def __reduce__(self) -> Any:
        return (Interp, (str(self), self.raw, self.refs, self.unset))

    @property
    def single_var(self) -> str | None:
        """The variable name when the source text is exactly one ``${VAR...}`` / ``$VAR`` expression."""
        m = re.fullmatch(r"\$\{([_A-Za-z][_A-Za-z0-9]*)(?:(?::?[-?+]).*)?\}|\$([_A-Za-z][_A-Za-z0-9]*)",
                         self.raw, re.S)
        if not m:
            return None
        return m.group(1) or m.group(2)


class InterpolationError(ValueError):
    """A ``${VAR:?message}`` whose variable is missing, or a malformed expression."""


def interpolate(text: str, env: Mapping[str, str]) -> Interp:
    """Interpolate ``text`` the way docker compose does; raise :class:`InterpolationError` on errors."""
    refs: list[str] = []
    unset: list[str] = []
    value = _expand(text, env, refs, unset)
    return Interp(value, text, tuple(dict.fromkeys(refs)), tuple(dict.fromkeys(unset)))


def _expand(text: str, env: Mapping[str, str], refs: list[str], unset: list[str]) -> str:
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch != "$":
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1] if i + 1 < n else ""
        if nxt == "$":
            out.append("$")
            i += 2
            continue
        if nxt == "{":
            end = _closing_brace(text, i + 2)
            if end < 0:
                raise InterpolationError(f"unclosed '${{' in {text!r}")
            out.append(_braced(text[i + 2:end], env, refs, unset))
            i = end + 1
            continue
        m = _NAME_RE.match(text, i + 1)
        if m:
            name = m.group(0)
            refs.append(name)
            if name in env:
                out.append(env[name])
            else:
                unset.append(name)
            i = m.end()
            continue
        raise InterpolationError(
            f"invalid interpolation at {text[i:i + 12]!r}: write '$$' for a literal '$'")
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    i = start
    while i < len(text):
        if text.startswith("$$", i):
            i += 2
            continue
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _braced(body: str, env: Mapping[str, str], refs: list[str], unset: list[str]) -> str:
    m = _NAME_RE.match(body)
    if not m:
        raise InterpolationError(f"invalid variable name in '${{{body}}}'")
    name = m.group(0)
    rest = body[m.end():]
    refs.append(name)
    value = env.get(name)
    if rest == "":
        if value is None:
            unset.append(name)
            return ""
        return value
    for op in (":-", ":?", ":+", "-", "?", "+"):
        if rest.startswith(op):
            arg = rest[len(op):]
            break
    else:
        raise InterpolationError(f"invalid expression '${{{body}}}': expected ':-', '-', ':?', '?', ':+' or '+'")
    is_set = value is not None
    usable = is_set and (value != "" or ":" not in op)
    if op in (":-", "-"):
        return value if usable and value is not None else _expand(arg, env, refs, unset)
    if op in (":?", "?"):
        if usable and value is not None:
            return value
        message = _expand(arg, env, refs, unset) or f"{name} is not set"
        raise InterpolationError(f"required variable {name} is missing a value: {message}")
    # ":+" / "+": replacement when set
    return _expand(arg, env, refs, unset) if usable else ""
