"""Compose variable interpolation."""

from __future__ import annotations

import pytest

from moorage.compose.interpolate import InterpolationError, interpolate

ENV = {"SET": "value", "EMPTY": "", "PORT": "8080"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${SET}", "value"),
        ("$SET", "value"),
        ("x-$SET-y", "x-value-y"),
        ("${MISSING}", ""),
        ("${MISSING:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${EMPTY-fallback}", ""),
        ("${MISSING-fallback}", "fallback"),
        ("${SET:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${MISSING+alt}", ""),
        ("$$SET", "$SET"),
        ("$${SET}", "${SET}"),
        ("a$$b", "a$b"),
        ("${MISSING:-${SET}}", "value"),
        ("${MISSING:-${ALSO_MISSING:-deep}}", "deep"),
        ("${EXPOSE_PORT-:2283:2283}", ":2283:2283"),
        ("http://${HOST:-db}:${PORT}/x", "http://db:8080/x"),
        ("no dollars", "no dollars"),
    ],
)
def test_forms(text: str, expected: str) -> None:
    assert interpolate(text, ENV) == expected


def test_provenance_records_variables_and_unset() -> None:
    value = interpolate("postgres://u:${PW}@${HOST:-db}/x", {})
    assert value.raw == "postgres://u:${PW}@${HOST:-db}/x"
    assert value.refs == ("PW", "HOST")
    assert value.unset == ("PW",)
    assert interpolate("${PW:-secret}", {}).single_var == "PW"
    assert interpolate("$PW", {}).single_var == "PW"
    assert interpolate("x${PW}", {}).single_var is None


@pytest.mark.parametrize("text", ["${MISSING:?must be set}", "${EMPTY:?no}", "${MISSING?no}"])
def test_required_variables_fail(text: str) -> None:
    with pytest.raises(InterpolationError):
        interpolate(text, ENV)


def test_required_set_variable_passes() -> None:
    assert interpolate("${SET:?x}", ENV) == "value"
    assert interpolate("${EMPTY?x}", ENV) == ""


@pytest.mark.parametrize("text", ["${", "${1BAD}", "$(cat x)", "${SET!x}"])
def test_malformed(text: str) -> None:
    with pytest.raises(InterpolationError):
        interpolate(text, ENV)
