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

#: Bounds on input, enforced before a document is fully built: the file's size, the nesting depth
#: (checked while composing) and the number of values once aliases are expanded (a "billion laughs"
#: document is a few hundred bytes that expand to billions of values).
MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 50_000


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
    y.max_depth = MAX_DEPTH
    return y


class _Budget:
    """How many more values the document may expand to."""

    def __init__(self, filename: str) -> None:
        self.left = MAX_VALUES
        self.filename = filename

    def spend(self, path: KeyPath, smap: SourceMap) -> None:
        self.left -= 1
        if self.left < 0:
            raise input_error(f"the document expands to more than {MAX_VALUES:,} values (through its aliases)",
                              smap.locate(path), "use fewer or smaller aliases (*name); a spec is much smaller "
                                                 "than this") from None
        if len(path) > MAX_DEPTH:
            raise input_error(f"values nested more than {MAX_DEPTH} levels deep (through its aliases)",
                              smap.locate(path), "an alias may not contain itself") from None


def parse_yaml_text(text: str, filename: str) -> tuple[Any, SourceMap]:
    """Parse YAML text into plain data and a source map; malformed or oversized YAML raises a located error."""
    if len(text) > MAX_BYTES:
        raise input_error(f"the file is {len(text):,} characters long; moorage reads at most {MAX_BYTES:,}",
                          Location(filename), "a spec is a few kilobytes: is this the right file?")
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
        if "maximum depth" in problem:
            problem = f"values nested more than {MAX_DEPTH} levels deep"
            hint = "a spec needs a handful of levels: is this the right file?"
        raise input_error(f"malformed YAML: {problem}", Location(filename, line, col), hint) from None
    except RecursionError:
        raise input_error(f"values nested more than {MAX_DEPTH} levels deep", Location(filename),
                          "a spec needs a handful of levels: is this the right file?") from None
    except (YAMLError, AttributeError, TypeError, ValueError, OverflowError) as exc:
        # ruamel raises plain errors on some broken anchors/aliases; they are still bad input
        raise input_error(f"malformed YAML: {exc}", Location(filename), "check anchors (&name) and aliases (*name)"
                          ) from None
    smap = SourceMap(default_file=filename)
    smap.add((), Location(filename, 1, 1))
    return _plain(doc, (), smap, filename, _Budget(filename)), smap


def load_yaml(path: Path) -> tuple[Any, SourceMap]:
    """Read a YAML file into plain data and its source map."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise input_error(f"the file is {path.stat().st_size:,} bytes long; moorage reads at most {MAX_BYTES:,}",
                              Location(str(path)), "a spec is a few kilobytes: is this the right file?")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise input_error(f"file not found: {path}", hint="check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise input_error(f"cannot read {path}: {exc}") from None
    return parse_yaml_text(text, str(path))


def _plain(node: Any, path: KeyPath, smap: SourceMap, filename: str, budget: _Budget) -> Any:
    budget.spend(path, smap)
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
            out[skey] = _plain(value, path + (skey,), smap, filename, budget)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, value in enumerate(node):
            try:
                line, col = node.lc.item(i)
                smap.add(path + (i,), Location(filename, line + 1, col + 1))
            except (KeyError, TypeError, AttributeError):
                pass
            items.append(_plain(value, path + (i,), smap, filename, budget))
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
