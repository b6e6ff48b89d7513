"""Every float option of the CLI takes a finite number, 0 or more: nan, inf, an overflow (1e400) or a word is exit
2 quoting what was typed (never a silent infinity, never "inf" for what the user wrote as 1e400)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
import typer.main

from moorage.cli.app import app

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello"
BAD = [("1e400", "too large to be a number"), ("inf", "not a finite number"), ("-inf", "not a finite number"),
       ("nan", "not a finite number"), ("-5", "below 0"), ("ten", "not a number")]


@pytest.mark.parametrize(("value", "why"), BAD)
def test_fail_over_refuses_what_is_no_finite_amount(value: str, why: str, run_cli: Callable[..., Any]) -> None:
    result = run_cli("cost", HELLO, "--env", "dev", "--fail-over", value)
    assert result.code == 2, result.out + result.err
    err = " ".join(result.err.split())
    assert f"--fail-over: '{value}' is not a monthly amount ({why})" in err and "--fail-over 250" in err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("command", ["deploy", "destroy"])
@pytest.mark.parametrize(("value", "why"), BAD)
def test_wait_lock_refuses_what_is_no_finite_wait(command: str, value: str, why: str,
                                                 run_cli: Callable[..., Any]) -> None:
    result = run_cli(command, HELLO, "--env", "dev", "--local", "--wait-lock", value)
    assert result.code == 2, result.out + result.err
    assert f"--wait-lock: '{value}' is not a wait ({why})" in " ".join(result.err.split())


def test_a_finite_fail_over_still_gates(run_cli: Callable[..., Any]) -> None:
    result = run_cli("cost", HELLO, "--env", "dev", "--fail-over", "1e1")
    assert result.code == 1 and "exceeds --fail-over $10.00" in result.err


def _float_options() -> list[tuple[str, str]]:
    def walk(command: click.Command, path: str) -> list[tuple[str, str]]:
        if isinstance(command, click.Group):
            return [o for name, sub in command.commands.items() for o in walk(sub, f"{path} {name}".strip())]
        return [(path, max(p.opts, key=len)) for p in command.params
                if isinstance(p, click.Option) and (isinstance(p.type, click.types.FloatParamType) or
                                                    (p.type.name or "").lower() == "float")]
    return walk(typer.main.get_command(app), "")


def test_no_float_option_is_parsed_by_plain_float() -> None:
    """A plain float type takes nan and inf: every float option goes through options.finite_number instead."""
    assert _float_options() == []
