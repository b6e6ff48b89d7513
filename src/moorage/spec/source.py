"""YAML documents that remember where every value came from.

Both moorage.yml and compose files are read through :func:`load_yaml`, which returns plain Python
data plus a :class:`SourceMap` from key paths to file:line:column. Later stages use it to locate
errors after the data has been merged, imported or validated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from moorage.errors import Location, input_error

KeyPath = tuple[str | int, ...]


@dataclass
class SourceMap:
    """Key path -> location in the file it was read from."""

    default_file: str = ""
    positions: dict[KeyPath, Location] = field(default_factory=dict)

    def locate(self, path: KeyPath) -> Location:
        """The location of ``path``, or of its nearest located ancestor."""
        probe = tuple(path)
        while probe:
            loc = self.positions.get(probe)
            if loc is not None:
                return Location(loc.file, loc.line, loc.column, tuple(path))
            probe = probe[:-1]
        root = self.positions.get(())
        if root is not None:
            return Location(root.file, root.line, root.column, tuple(path))
        return Location(self.default_file, 0, 0, tuple(path))

    def add(self, path: KeyPath, loc: Location) -> None:
        """Record ``loc`` for ``path`` unless something is already recorded there."""
        self.positions.setdefault(tuple(path), loc)

    def graft(self, other: SourceMap, src: KeyPath, dst: KeyPath) -> None:
        """Copy every location below ``src`` in ``other`` to below ``dst`` here."""
        n = len(src)
        for path, loc in other.positions.items():
            if path[:n] == tuple(src):
                self.positions[tuple(dst) + path[n:]] = loc


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.allow_duplicate_keys = False
    return y


def parse_yaml_text(text: str, filename: str) -> tuple[Any, SourceMap]:
    """Parse YAML text into plain data and a source map; malformed YAML raises a located error."""
    try:
        doc = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1) if mark else 0
        col = (mark.column + 1) if mark else 0
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        hint = "check indentation and quoting near this line"
        if "duplicate key" in str(exc).lower() or "found duplicate key" in problem:
            hint = "each key may appear only once in a mapping"
        raise input_error(f"malformed YAML: {problem}", Location(filename, line, col), hint) from None
    except (YAMLError, AttributeError, TypeError, ValueError) as exc:
        # ruamel raises plain errors on some broken anchors/aliases; they are still bad input
        raise input_error(f"malformed YAML: {exc}", Location(filename), "check anchors (&name) and aliases (*name)"
                          ) from None
    smap = SourceMap(default_file=filename)
    smap.add((), Location(filename, 1, 1))
    return _plain(doc, (), smap, filename), smap


def load_yaml(path: Path) -> tuple[Any, SourceMap]:
    """Read a YAML file into plain data and its source map."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise input_error(f"file not found: {path}", hint="check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise input_error(f"cannot read {path}: {exc}") from None
    return parse_yaml_text(text, str(path))


def _plain(node: Any, path: KeyPath, smap: SourceMap, filename: str) -> Any:
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key in node:  # iteration includes keys brought in by `<<` merges
            value = node[key]
            try:
                line, col = node.lc.key(key)
                smap.add(path + (str(key),), Location(filename, line + 1, col + 1))
            except (KeyError, TypeError, AttributeError):
                pass  # merged keys carry no position of their own in this map
            skey = key if isinstance(key, str) else str(key)
            out[skey] = _plain(value, path + (skey,), smap, filename)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            try:
                line, col = node.lc.item(i)
                smap.add(path + (i,), Location(filename, line + 1, col + 1))
            except (KeyError, TypeError, AttributeError):
                pass
            items.append(_plain(value, path + (i,), smap, filename))
        return items
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node
