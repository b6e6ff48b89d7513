"""Exit codes with the local emulator stopped (hout3 finding 10): the input is fine, so never 2. Views that
can say "nothing deployed" (status, history, envs, logs, secrets list) exit 0 with the hint; commands that
cannot do what was asked (diff, open, run, exec, secrets set/rotate/restart) exit 1 with the same hint. None
of them starts the emulator (docs/operate.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moorage.emulator.server import SERVER_FILE, server_status, state_dir

if TYPE_CHECKING:
    from conftest import CliResult

Run = Callable[..., "CliResult"]
SPEC = """\
name: moored
region: eu-west-1
services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27.3
    port: 80
    route: "/*"
    secrets: [STRIPE_KEY]
secrets:
  STRIPE_KEY: {generate: false}
environments:
  dev: {}
"""
HINT = "moorage local start --project"


@pytest.fixture
def stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "moorage.yml").write_text(SPEC, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("args", "code"), [
    (("status",), 0), (("history",), 0), (("logs",), 0), (("secrets", "list"), 0),
    (("diff",), 1), (("open", "--no-browser"), 1), (("run", "--service", "web", "--", "true"), 1),
    (("exec", "--service", "web"), 1), (("secrets", "set", "STRIPE_KEY"), 1), (("secrets", "rotate", "STRIPE_KEY"), 1),
    (("secrets", "restart", "STRIPE_KEY"), 1)])
def test_a_stopped_emulator_is_said_with_the_hint_and_never_bad_usage(stopped: Path, run_cli: Run,
                                                                     args: tuple[str, ...], code: int) -> None:
    at = args.index("--") if "--" in args else len(args)
    result = run_cli(*args[:at], "--env", "dev", "--local", *args[at:])
    assert result.code == code, result.out + result.err
    said = result.out + result.err
    assert "the local emulator of" in said and "is stopped" in said and HINT in said, said
    assert said.count("hint:") <= 1
    assert server_status(stopped) is None and not (state_dir(stopped) / SERVER_FILE).exists()  # not started


def test_envs_with_the_emulator_stopped(stopped: Path, run_cli: Run) -> None:
    result = run_cli("envs", "--local")
    assert result.code == 0 and "the local emulator is stopped" in result.err and "moorage local start" in result.err
