"""Every int option of the CLI takes a whole number, 1 or more: 0, a negative number or a word is exit 2 quoting what
was typed, before anything starts (`run --timeout -5` used to start a task, then give up on it at once)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
import typer.main

from moorage.cli.app import app

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello"
BAD = [("-5", "below 1"), ("0", "below 1"), ("1.5", "not a whole number"), ("ten", "not a whole number")]
COMMANDS = [
    (("run", HELLO, "--env", "dev", "--local", "-s", "web", "--timeout"), ("--", "ls"), "--timeout",
     "a number of minutes"),
    (("deploy", HELLO, "--env", "dev", "--local", "--parallel"), (), "--parallel", "a number of stacks"),
    (("rollback", HELLO, "--env", "dev", "--local", "--to"), (), "--to", "a release number"),
]


@pytest.mark.parametrize(("before", "after", "option", "what"), COMMANDS, ids=lambda c: str(c[0]) if
                         isinstance(c, tuple) and c else None)
@pytest.mark.parametrize(("value", "why"), BAD)
def test_int_options_refuse_what_is_no_positive_whole_number(before: tuple[Any, ...], after: tuple[str, ...],
                                                             option: str, what: str, value: str, why: str,
                                                             run_cli: Callable[..., Any]) -> None:
    result = run_cli(*before, value, *after)
    assert result.code == 2, result.out + result.err
    err = " ".join(result.err.split())
    assert f"{option}: '{value}' is not {what} ({why})" in err, err
    assert "give a whole number, 1 or more" in err and "Traceback" not in result.err
    assert "task" not in result.out  # nothing started


def _int_options() -> list[tuple[str, str]]:
    def walk(command: click.Command, path: str) -> list[tuple[str, str]]:
        if isinstance(command, click.Group):
            return [o for name, sub in command.commands.items() for o in walk(sub, f"{path} {name}".strip())]
        return [(path, max(p.opts, key=len)) for p in command.params
                if isinstance(p, click.Option) and (isinstance(p.type, click.types.IntParamType) or
                                                    (p.type.name or "").lower() == "integer")]
    return walk(typer.main.get_command(app), "")


def test_no_int_option_is_parsed_by_plain_int() -> None:
    """A plain int type takes 0 and negative numbers: every int option goes through options.positive_integer."""
    assert _int_options() == []

