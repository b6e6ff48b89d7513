"""Alarm thresholds that would make an alarm that never fires (or always fires) are located errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from moorage.errors import Diagnostic

SPEC = Callable[..., tuple[Path, list[Diagnostic]]]

BASE = """
name: demo
services:
  web: {image: x:1, port: 80, route: /}
alarms:
  thresholds:
    THRESHOLD
"""

PERCENT_FIELDS = ["cpu_percent", "memory_percent", "target_5xx_percent", "db_cpu_percent", "db_storage_percent",
                  "cache_cpu_percent"]


@pytest.mark.parametrize("field", PERCENT_FIELDS)
@pytest.mark.parametrize("value", ["100", "100.5", "150", '"100%"', "0", "-5", '"0%"'])
def test_a_percent_threshold_outside_0_to_100_is_a_located_error(input_errors: SPEC, field: str, value: str) -> None:
    path, diags = input_errors(BASE.replace("THRESHOLD", f"{field}: {value}"))
    [diag] = diags
    assert diag.location is not None and diag.location.file == str(path)
    assert diag.location.line == 6 and diag.location.path == ("alarms", "thresholds", field)
    assert "above 0 and below 100" in diag.message  # the allowed range
    assert ("never fire" in diag.message) if not value.lstrip('"').startswith(("0", "-")) else \
        ("every" in diag.message)
    assert field in diag.hint and "85" in diag.hint  # an example that works


def test_db_connections_as_a_share_has_the_same_range(input_errors: SPEC) -> None:
    _, [diag] = input_errors(BASE.replace("THRESHOLD", 'db_connections: "100%"'))
    assert diag.location is not None and diag.location.path == ("alarms", "thresholds", "db_connections")
    assert "above 0 and below 100" in diag.message and "never fire" in diag.message


@pytest.mark.parametrize("value", ["99.5", '"85%"', "1"])
def test_a_percent_threshold_inside_the_range_is_accepted(load_spec: Callable[[str], object], value: str) -> None:
    loaded = load_spec(BASE.replace("THRESHOLD", f"db_storage_percent: {value}"))
    assert loaded.spec.alarms.thresholds.db_storage_percent == float(value.strip('"%'))  # type: ignore[attr-defined]
