"""Malformed templates are located input errors (exit 2) in `moorage validate` and `moorage check`,
never an internal error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moorage.cfn.read import read_template
from moorage.errors import InputError

if TYPE_CHECKING:
    from conftest import CliResult

Run = Callable[..., "CliResult"]
DATA = Path(__file__).parent / "data" / "malformed"

# file -> (line, text the error must contain)
EXPECTED = {
    "duplicate_key.yaml": (6, "Duplicate found 'BucketName'"),
    "wrong_types.yaml": (4, "Properties of Bucket must be a mapping, not a list"),
    "unknown_intrinsic.yaml": (5, "unknown intrinsic function Fn::Bogus"),
    "resources_list.yaml": (1, "Resources must be a mapping, not a list"),
    "get_att.yaml": (7, "Fn::GetAtt takes [LogicalId, Attribute]"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_read_template_locates_the_problem(name: str) -> None:
    line, text = EXPECTED[name]
    with pytest.raises(InputError) as exc:
        read_template(DATA / name)
    first = exc.value.diagnostics[0]
    assert text in first.message
    assert first.location is not None and first.location.file.endswith(name) and first.location.line == line


def test_every_problem_is_reported_not_only_the_first() -> None:
    with pytest.raises(InputError) as exc:
        read_template(DATA / "get_att.yaml")
    messages = [d.message for d in exc.value.diagnostics]
    assert any("Ref takes a logical id" in m for m in messages), messages
    with pytest.raises(InputError) as exc:
        read_template(DATA / "unknown_intrinsic.yaml")
    assert any("Fn::Sub takes a string" in d.message for d in exc.value.diagnostics)


@pytest.mark.parametrize("command", ["validate", "check"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cli_exit_2_with_location(run_cli: Run, command: str, name: str) -> None:
    result = run_cli(command, DATA / name)
    assert result.code == 2, result.out + result.err
    assert "internal error" not in result.err
    line, text = EXPECTED[name]
    assert f"{name}:{line}" in result.err and text in result.err


def test_wellformed_template_still_lints(run_cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n", encoding="utf-8")
    assert run_cli("validate", path).code == 0
