"""Day-two faults an outside-in test found, end to end on the local emulator: a compose file's import warnings on
deploy (once, on stderr), `rollback --to` a release that does not exist (bad input), and what a failed deploy
says when its rollback failed too."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moorage.emulator.server import stop_server

if TYPE_CHECKING:
    from conftest import CliResult

Run = Callable[..., "CliResult"]
COMPOSE = """\
services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27.3
    ports: ["8080:80"]
    environment:
      STRIPE_KEY: sk_live_not_a_real_key
"""
WARNING = "STRIPE_KEY looks like a credential"


def _moorage(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "moorage.cli.app", *args], cwd=root, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[subprocess.CompletedProcess[str]]]]:
    """A compose project deployed twice to its own emulator, as a user would: --json, then as text."""
    root = tmp_path_factory.mktemp("composed")
    (root / "docker-compose.yml").write_text(COMPOSE, encoding="utf-8")
    try:
        runs = [_moorage(root, "deploy", "--env", "dev", "--local", "--json"),
                _moorage(root, "deploy", "--env", "dev", "--local")]
        yield root, runs
    finally:
        stop_server(root)


def test_deploy_of_a_compose_file_shows_its_import_warnings_once_on_stderr(
        project: tuple[Path, list[subprocess.CompletedProcess[str]]]) -> None:
    _, (as_json, as_text) = project
    assert as_json.returncode == 0, as_json.stderr
    assert as_json.stderr.count(WARNING) == 1 and "docker-compose.yml:6" in as_json.stderr
    events = [json.loads(line) for line in as_json.stdout.splitlines()]  # stdout stays JSON lines only
    assert events and WARNING not in as_json.stdout
    assert as_text.returncode == 0, as_text.stderr
    assert as_text.stderr.count(WARNING) == 1 and WARNING not in as_text.stdout


def test_rollback_to_a_release_that_does_not_exist_is_bad_input(
        project: tuple[Path, list[subprocess.CompletedProcess[str]]], run_cli: Run,
        monkeypatch: pytest.MonkeyPatch) -> None:
    root, _ = project
    monkeypatch.chdir(root)
    result = run_cli("rollback", "--env", "dev", "--local", "--to", "99")
    assert result.code == 2, result.err
    assert "no release 99" in result.err and "releases recorded: 1" in result.err
    assert "moorage history --env dev --local" in result.err
    assert "internal error" not in result.err and "rollback refused" not in result.err


def test_a_failed_rollback_names_the_way_out_where_the_user_aimed() -> None:
    from moorage.cli.deploy import _after_failure
    from moorage.deploy.session import Target

    local = Target(local=True, endpoint="http://127.0.0.1:1")
    stuck = _after_failure("UPDATE_ROLLBACK_FAILED", local, "dev")
    assert "stuck in UPDATE_ROLLBACK_FAILED" in stuck and "moorage deploy --env dev --local --repair" in stuck
    assert "previous version keeps running" not in stuck
    first = _after_failure("ROLLBACK_COMPLETE", Target(profile="ops"), "prod")
    assert "moorage deploy --env prod --profile ops --repair" in first
    assert _after_failure("UPDATE_ROLLBACK_COMPLETE", local, "dev").endswith("the previous version keeps running")
    job = _after_failure("UPDATE_COMPLETE", local, "dev", job=True)  # a failed migration job: nothing rolled back
    assert "rolled back" not in job and "services were not updated" in job
