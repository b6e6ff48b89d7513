"""Ctrl-C during a rollback, on the emulator: a real SIGINT to this process, sent when the rollback starts waiting
for a service stack (a hook on the wait, as tests/emulator/test_interrupted_deploy.py hooks the progress output).
The stack in flight finishes, no further stack starts, the rollback is recorded as interrupted with the stacks it
changed, and a later rollback finishes the job."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from moorage.cli.deploy import deploy
from moorage.cli.release import history, rollback

Aws = Callable[[str, str], Any]

SPEC = """\
name: rbint
region: eu-west-1
deploy: {strategy: rolling}
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health}
  api: {image: ghcr.io/acme/api:1.0.0, port: 4000, route: "/api/*", health: /api/health}
environments:
  dev: {}
"""
V2 = ["--image", "web=ghcr.io/acme/web:2.0.0", "--image", "api=ghcr.io/acme/api:2.0.0"]


@pytest.fixture
def cli(local_cli: Callable[..., typer.Typer]) -> typer.Typer:
    """deploy, history and rollback, with --local pointed at the in-process emulator."""
    return local_cli(deploy, history, rollback)


@pytest.fixture
def spec(tmp_path: Path) -> str:
    path = tmp_path / "moorage.yml"
    path.write_text(SPEC, encoding="utf-8")
    return str(path)


@pytest.fixture
def ctrl_c(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, int], list[str]]]:
    """``ctrl_c(hook, times)``: SIGINT this process ``times`` times when the rollback first calls ``hook``
    (``wait_for_stack``: a service stack's change set is executing; ``_prepare``: nothing changed yet); returns
    the list the stack waited for is appended to."""
    import moorage.deploy.releases as releases

    previous = signal.getsignal(signal.SIGINT)

    def arm(hook: str, times: int) -> list[str]:
        original = getattr(releases, hook)
        fired: list[str] = []

        def hooked(*args: Any, **kwargs: Any) -> Any:
            if not fired:
                fired.append(str(args[1]) if hook == "wait_for_stack" else hook)
                for _ in range(times):
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(0.5)  # the main thread handles one signal before the next arrives
            return original(*args, **kwargs)
        monkeypatch.setattr(releases, hook, hooked)
        return fired
    yield arm
    signal.signal(signal.SIGINT, previous)


def _image(aws: Aws, service: str) -> str:
    ecs = aws("ecs", "eu-west-1")
    arn = next(a for a in ecs.list_services(cluster="rbint-dev")["serviceArns"]
               if a.rsplit("/", 1)[-1].startswith(f"rbint-dev-svc-{service}-"))
    [svc] = ecs.describe_services(cluster="rbint-dev", services=[arn])["services"]
    return str(ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
               ["containerDefinitions"][0]["image"])


def _history(runner: CliRunner, cli: typer.Typer, spec: str) -> list[dict[str, Any]]:
    shown = runner.invoke(cli, ["history", spec, "--env", "dev", "--local", "--json"])
    assert shown.exit_code == 0, shown.output
    records: list[dict[str, Any]] = json.loads(shown.output.strip().splitlines()[-1])
    return records


def _two_releases(runner: CliRunner, cli: typer.Typer, spec: str) -> None:
    first = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", *V2])
    assert second.exit_code == 0, second.output


def _settled(aws: Aws, stack: str, timeout: float = 60) -> str:
    """The stack's status once CloudFormation is done with it."""
    cf = aws("cloudformation", "eu-west-1")
    deadline = time.monotonic() + timeout
    while True:
        status = str(cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])
        if not status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


def test_ctrl_c_during_a_rollback_finishes_the_stack_in_flight_and_records_it(
        cli: typer.Typer, spec: str, aws: Aws, ctrl_c: Callable[[str, int], list[str]]) -> None:
    runner = CliRunner()
    _two_releases(runner, cli, spec)
    waited = ctrl_c("wait_for_stack", 1)
    stopped = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local"])
    assert stopped.exit_code == 130, stopped.output
    [first] = waited
    changed = first.removeprefix("rbint-dev-svc-")
    untouched = next(s for s in ("web", "api") if s != changed)
    assert (f"interrupted: no further stack starts; waiting for {first} to finish (Ctrl-C again to stop waiting"
            in stopped.output)
    assert "rollback interrupted (Ctrl-C): no stack was started after it" in stopped.output
    assert f"changed: {first} (update)" in stopped.output
    assert f"not rolled back: rbint-dev-svc-{untouched}" in stopped.output
    assert "release 3 (rollback to 1) interrupted: recorded in" in stopped.output
    # the stack in flight finished; the other one was not started
    assert {s: _image(aws, s) for s in ("web", "api")} == {changed: f"ghcr.io/acme/{changed}:1.0.0",
                                                           untouched: f"ghcr.io/acme/{untouched}:2.0.0"}
    records = _history(runner, cli, spec)
    assert [(r["number"], r["kind"], r["outcome"]) for r in records] == [
        (1, "deploy", "succeeded"), (2, "deploy", "succeeded"), (3, "rollback", "interrupted")]
    last = records[-1]
    assert last["stacks"] == {f"svc-{changed}": "update", f"svc-{untouched}": "skipped"}
    assert last["changed"] == [changed] and last["rollback_to"] == 1
    assert last["images"] == {s: _image(aws, s) for s in ("web", "api")}  # history says what runs
    text = runner.invoke(cli, ["history", spec, "--env", "dev", "--local"])
    assert "#3" in text.output and "interrupted" in text.output and "rollback to 1" in text.output
    # a rollback to release 1 again finishes the job: the stack already back is unchanged
    again = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local", "--to", "1"])
    assert again.exit_code == 0, again.output
    assert "from release 3 to 1" in again.output
    assert f"{changed}: already runs release 1's version" in again.output
    assert {s: _image(aws, s) for s in ("web", "api")} == {"web": "ghcr.io/acme/web:1.0.0",
                                                           "api": "ghcr.io/acme/api:1.0.0"}
    assert _history(runner, cli, spec)[-1]["outcome"] == "succeeded"


def test_a_second_ctrl_c_stops_waiting_for_the_rollback_and_still_records(
        cli: typer.Typer, spec: str, aws: Aws, ctrl_c: Callable[[str, int], list[str]]) -> None:
    runner = CliRunner()
    _two_releases(runner, cli, spec)
    waited = ctrl_c("wait_for_stack", 2)
    stopped = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local", "--json"])
    assert stopped.exit_code == 130, stopped.output
    [first] = waited
    changed = first.removeprefix("rbint-dev-svc-")
    untouched = next(s for s in ("web", "api") if s != changed)
    said = json.loads(stopped.output.strip().splitlines()[-1])
    assert said["ok"] is False and said["interrupted"] is True
    assert f"{changed}: not waited for (Ctrl-C): it keeps changing" in said["lines"]
    assert ("    still changing, not waited for (CloudFormation finishes or rolls them back): " + first
            in said["lines"])
    assert said["release"]["outcome"] == "interrupted"
    assert said["release"]["stacks"] == {f"svc-{changed}": "interrupted", f"svc-{untouched}": "skipped"}
    last = _history(runner, cli, spec)[-1]
    assert (last["number"], last["kind"], last["outcome"]) == (3, "rollback", "interrupted")
    # CloudFormation carried on with the stack not waited for
    assert _settled(aws, first) == "UPDATE_COMPLETE"
    assert _image(aws, untouched) == f"ghcr.io/acme/{untouched}:2.0.0"


def test_ctrl_c_before_the_rollback_changes_a_stack_says_so_and_records_nothing(
        cli: typer.Typer, spec: str, aws: Aws, ctrl_c: Callable[[str, int], list[str]]) -> None:
    runner = CliRunner()
    _two_releases(runner, cli, spec)
    ctrl_c("_prepare", 1)  # while the rollback reads what it goes back to
    stopped = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local"])
    assert stopped.exit_code == 130, stopped.output
    assert ("rollback interrupted (Ctrl-C) before any stack changed: nothing rolled back, no release recorded"
            in stopped.output)
    assert [r["number"] for r in _history(runner, cli, spec)] == [1, 2]
    assert {s: _image(aws, s) for s in ("web", "api")} == {"web": "ghcr.io/acme/web:2.0.0",
                                                           "api": "ghcr.io/acme/api:2.0.0"}


def test_ctrl_c_to_a_moorage_rollback_process_records_the_interrupted_rollback(tmp_path: Path) -> None:
    """The whole CLI in its own process (its own emulator in the background), SIGINT sent when the rollback says
    it starts rolling back a service, as a terminal's Ctrl-C would: exit 130, history records it interrupted."""
    import subprocess
    import sys

    project = tmp_path / "proj"
    project.mkdir()
    spec = project / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")

    def moorage(*args: str) -> list[str]:
        return [sys.executable, "-c", "from moorage.cli.app import main; main()", *args]

    try:
        for extra in ([], V2):
            done = subprocess.run(moorage("deploy", str(spec), "--env", "dev", "--local", *extra),
                                  capture_output=True, text=True, timeout=300, check=False)
            assert done.returncode == 0, done.stdout + done.stderr
        process = subprocess.Popen(moorage("rollback", str(spec), "--env", "dev", "--local"), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        said = []
        assert process.stdout is not None
        for line in process.stdout:
            said.append(line)
            if ": rolling back to release 1" in line:
                process.send_signal(signal.SIGINT)
                break
        rest, errors = process.communicate(timeout=120)
        output = "".join(said) + rest
        assert process.returncode == 130, output + errors
        assert "rollback interrupted (Ctrl-C): no stack was started after it" in output
        assert "release 3 (rollback to 1) interrupted: recorded in" in output
        shown = subprocess.run(moorage("history", str(spec), "--env", "dev", "--local", "--json"),
                               capture_output=True, text=True, timeout=120, check=False)
        assert shown.returncode == 0, shown.stderr
        records = json.loads(shown.stdout.strip().splitlines()[-1])
        assert [(r["number"], r["kind"], r["outcome"]) for r in records] == [
            (1, "deploy", "succeeded"), (2, "deploy", "succeeded"), (3, "rollback", "interrupted")]
        assert "update" in records[-1]["stacks"].values()
    finally:
        subprocess.run(moorage("local", "stop", "--project", str(project)), capture_output=True, timeout=120,
                       check=False)
