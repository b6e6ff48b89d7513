"""The spec reference (docs/spec.md), generated from the models so it cannot drift from them."""

from __future__ import annotations

import types
import typing
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from moorage.spec.models import AppSpec


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return _type_name(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in get_args(tp) if a is not type(None))
    if origin is typing.Literal:
        return " or ".join(f"`{a}`" for a in get_args(tp))
    if origin is list:
        return f"list of {_type_name(get_args(tp)[0])}"
    if origin is dict:
        key, value = get_args(tp)
        return f"map of {_type_name(key)} → {_type_name(value)}"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    return getattr(tp, "__name__", str(tp))


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []

    def visit(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp in seen:
                return
            seen.append(tp)
            for field in tp.model_fields.values():
                visit(field.annotation)
            return
        for arg in get_args(tp):
            visit(arg)

    visit(root)
    return seen


def _default(field: Any) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "(defaults)"
        if isinstance(value, dict) and value and all(isinstance(v, BaseModel) for v in value.values()):
            return ", ".join(f"`{k}`" for k in value)
        return "(empty)" if not value else f"`{value}`"
    if field.default is PydanticUndefined or field.default is None:
        return "-"
    return f"`{str(field.default).lower() if isinstance(field.default, bool) else field.default}`"


def spec_reference() -> str:
    """Markdown reference of every moorage.yml block and key."""
    lines = ["# moorage.yml reference", "",
             "Generated from the spec models (`moorage schema --markdown`); the JSON Schema is `moorage schema`.",
             "Unknown keys are errors. `-` as a default means the environment's profile decides "
             "(see `moorage plan` for each decision and its reason).", ""]
    for model in _models(AppSpec):
        lines += [f"## {model.__name__}", "", (model.__doc__ or "").strip().splitlines()[0], "",
                  "| key | type | default | meaning |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            desc = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} | {desc} |")
        lines.append("")
    return "\n".join(lines)
