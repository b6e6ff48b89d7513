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
