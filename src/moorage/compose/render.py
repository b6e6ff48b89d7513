"""Write an imported app as moorage.yml text, with the import's decisions as comments."""

from __future__ import annotations

import io
import shlex
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from moorage.compose.syntax import moorage_name
from moorage.errors import Diagnostic
from moorage.kinds import compose_kinds, kind

if TYPE_CHECKING:
    from moorage.spec.load import LoadedApp

_WIDTH = 108
_BLOCKS = ("services", *(kind(k).block for k in compose_kinds()))


def to_moorage_yaml(loaded: LoadedApp) -> str:
    """moorage.yml text for ``loaded`` (an import), with comments explaining each decision."""
    doc = _commented(loaded.data)
    assert isinstance(doc, CommentedMap)
    general: list[str] = []
    per_item: dict[tuple[str, str], list[str]] = {}
    for d in loaded.warnings:
        target = _target(d, loaded.data)
        lines = _lines(d)
        if target is None:
            general.extend(lines)
        else:
            per_item.setdefault(target, []).extend(lines)
    source = Path(str(loaded.path)).name
    head = [f"moorage.yml imported from {source} (moorage init --from {shlex.quote(source)}).",
            "Notes below say what each compose service became and why; WARNING lines need a look.",
            "Credential values were not copied: secrets are generated in Secrets Manager."]
    head += _dedupe(general)
    first = next(iter(doc), None)
    if first is not None:
        doc.yaml_set_comment_before_after_key(first, before="\n".join(head), indent=0)
    for (block, name), lines in per_item.items():
        section = doc.get(block)
        if isinstance(section, CommentedMap) and name in section:
            section.yaml_set_comment_before_after_key(name, before="\n".join(_dedupe(lines)), indent=2)
    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue()


def _commented(value: Any) -> Any:
    if isinstance(value, dict):
        cm = CommentedMap()
        for k, v in value.items():
            cm[k] = _commented(v)
        return cm
    if isinstance(value, list):
        return CommentedSeq([_commented(v) for v in value])
    return value


def _target(d: Diagnostic, data: dict[str, Any]) -> tuple[str, str] | None:
    path = d.location.path if d.location else ()
    if len(path) < 2 or path[0] != "services":
        return None
    name = moorage_name(str(path[1]))
    for block in _BLOCKS:
        if name in (data.get(block) or {}):
            return block, name
    return None


def _lines(d: Diagnostic) -> list[str]:
    where = f" (line {d.location.line})" if d.location and d.location.line else ""
    label = "WARNING: " if d.severity == "warning" else ""
    out = textwrap.wrap(f"{label}{d.message}{where}", _WIDTH, subsequent_indent="  ")
    if d.hint and d.severity == "warning":
        out += textwrap.wrap(f"hint: {d.hint}", _WIDTH, initial_indent="  ", subsequent_indent="    ")
    return out


def _dedupe(lines: list[str]) -> list[str]:
    return list(dict.fromkeys(lines))
