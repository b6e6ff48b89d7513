"""`moorage check` on a YAML file that is no template and no spec (a bare string, an empty file, a list,
`Resources: []`) says it is not a CloudFormation template, located, with a hint -- not the spec's wording."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.mark.parametrize(("text", "said"), [
    ("hello\n", "the file holds a string, not a mapping of sections: not a CloudFormation template"),
    ("", "the file is empty: not a CloudFormation template"),
    ("# nothing but a comment\n", "the file is empty: not a CloudFormation template"),
    ("- a\n- b\n", "the file holds a list, not a mapping of sections: not a CloudFormation template"),
    ("---\n'just text'\n", "the file holds a string"),
    ("Resources: []\n", "[Resources] Resources must be a mapping, not a list"),
])
@pytest.mark.parametrize("command", ["check", "cost"])
def test_a_file_that_is_no_template_is_said_to_be_none(command: str, text: str, said: str, tmp_path: Path,
                                                       run_cli: Callable[..., Any]) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(text, encoding="utf-8")
    result = run_cli(command, path)
    assert result.code == 2, result.out + result.err
    err = " ".join(result.err.split())
    assert f"{path}" in err and said in err
    assert "hint: " in err and "Resources:" in err.split("hint: ", 1)[1]
    assert "moorage schema" not in err and "name:, services:" not in err  # not the spec's wording


def test_a_spec_named_as_one_keeps_the_specs_wording(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    path = tmp_path / "moorage.yml"
    path.write_text("hello\n", encoding="utf-8")
    result = run_cli("check", path)
    assert result.code == 2 and "the file must be a mapping of keys (name:, services:, ...)" in result.err


def test_a_mapping_without_template_sections_is_still_read_as_a_spec(tmp_path: Path,
                                                                     run_cli: Callable[..., Any]) -> None:
    path = tmp_path / "app.yaml"
    path.write_text("# my app\nname: demo\nservices:\n  web: {image: 'x:1', port: 80, route: /}\n", encoding="utf-8")
    result = run_cli("check", path, "--env", "dev")
    assert result.code in (0, 1), result.out + result.err
    assert "demo" in result.out or "dev" in result.out
