"""Value types of the spec: YAML's booleans are no numbers, and a value of the wrong form names the forms that
are accepted (never pydantic's internal names)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from moorage import api
from moorage.errors import Diagnostic

SPEC = Callable[..., tuple[Path, list[Diagnostic]]]

BASE = """
name: demo
services:
  web: {image: x:1, port: 80, env: {DEBUG: true}}
"""


@pytest.mark.parametrize(("extra", "key"), [
    ("alarms: {thresholds: {cpu_percent: true}}", "alarms.thresholds.cpu_percent"),
    ("previews: {ttl_hours: true}", "previews.ttl_hours"),
    ("previews: {ttl_hours: false}", "previews.ttl_hours"),
    ("databases: {db: {storage: true}}", "databases.db.storage"),
])
def test_a_boolean_is_no_number(input_errors: SPEC, extra: str, key: str) -> None:
    _, diags = input_errors(BASE + extra + "\n")
    [diag] = [d for d in diags if d.location is not None and d.location.key == key]
    assert "is a boolean" in diag.message and "not a number" in diag.message, diag.render()
    assert diag.location is not None and diag.location.line == 4, diag.render()


def test_numbers_and_real_booleans_still_load(spec_file: Callable[[str], Path]) -> None:
    loaded = api.load_app(spec_file(BASE + "alarms: {thresholds: {cpu_percent: 85}}\npreviews: {ttl_hours: 24}\n"))
    assert loaded.spec.previews is not None and loaded.spec.previews.ttl_hours == 24
    assert loaded.spec.services["web"].env == {"DEBUG": True}


def test_a_value_of_no_accepted_form_names_the_forms_in_words(input_errors: SPEC) -> None:
    _, diags = input_errors(BASE + "previews: {data: mine}\n")
    [diag] = diags
    assert diag.location is not None and diag.location.key == "previews.data" and diag.location.line == 4
    assert diag.message == "expected 'shared' or 'own', or a mapping of keys (got 'mine')", diag.render()
    assert "literal" not in diag.render() and "PreviewData" not in diag.render()


def test_a_union_of_a_text_and_a_block_names_both(input_errors: SPEC) -> None:
    _, diags = input_errors("""
        name: demo
        services:
          web: {image: x:1, port: 80, health: 5}
        """)
    [diag] = diags
    assert diag.message == "expected a string, or a mapping of keys (got 5)", diag.render()


@pytest.mark.parametrize(("extra", "key", "line"), [
    ("databases:\n  db:\n    engine: postgres\n    parameters: {work_mem: 4MB, max_connections: true}",
     "databases.db.parameters.max_connections", 7),
    ("buckets:\n  files:\n    lifecycle:\n      - transition: {STANDARD_IA: 30, GLACIER: false}",
     "buckets.files.lifecycle[0].transition.GLACIER", 7),
    ("  api:\n    image: x:1\n    port: 80\n    ports: [8080, true]", "services.api.ports[1]", 7),
])
def test_a_boolean_inside_a_dict_or_list_is_no_number(input_errors: SPEC, extra: str, key: str, line: int) -> None:
    _, diags = input_errors(BASE + extra + "\n")
    [diag] = [d for d in diags if d.location is not None and d.location.key == key] or diags
    assert "is a boolean" in diag.message and "not a number" in diag.message, diag.render()
    assert diag.location is not None and (diag.location.key, diag.location.line) == (key, line), diag.render()
    assert Path(diag.location.file).name == "moorage.yml"


def test_numbers_inside_dicts_and_lists_still_load(spec_file: Callable[[str], Path]) -> None:
    loaded = api.load_app(spec_file(BASE + "  api:\n    image: x:1\n    port: 80\n    ports: [8080, 9090]\n"
                                    "databases:\n  db: {engine: postgres, parameters: {max_connections: 200}}\n"))
    assert loaded.spec.services["api"].ports == [8080, 9090]
    assert loaded.spec.databases["db"].parameters == {"max_connections": 200}


def _nested_numbers(annotation: object, inside: bool = False) -> list[object]:
    """The int/float annotations inside containers of ``annotation`` that carry no boolean check."""
    import types
    import typing

    from moorage.spec.models import NoBool

    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        if NoBool in args[1:]:
            return []
        return _nested_numbers(args[0], inside)
    if origin in (typing.Union, types.UnionType):
        if any(a is bool for a in args):  # a value that may be a boolean (env values)
            return []
        return [n for a in args for n in _nested_numbers(a, inside)]
    if origin in (list, dict, tuple, set, frozenset):
        return [n for a in args for n in _nested_numbers(a, True)]
    return [annotation] if inside and annotation in (int, float) else []


def test_every_number_inside_a_container_field_refuses_booleans() -> None:
    import inspect

    from pydantic import BaseModel

    from moorage.spec import models

    unchecked = [f"{cls.__name__}.{name}" for cls in vars(models).values()
                 if inspect.isclass(cls) and issubclass(cls, BaseModel) and cls.__module__ == models.__name__
                 for name, field in cls.model_fields.items() if _nested_numbers(field.annotation)]
    assert unchecked == [], "wrap these numbers in Annotated[..., NoBool]"
