"""Ctrl-C during a deploy, on the emulator: a real SIGINT to this process, sent when a stack of the services'
wave starts (a hook on the progress output). The stacks in flight finish, no further stack starts, the release
is recorded as interrupted and rollback starts from it."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from moorage.cli.deploy import deploy
from moorage.cli.release import history, rollback
from moorage.deploy.progress import RichReporter

Aws = Callable[[str, str], Any]

SPEC = """\
name: intapp
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
def ctrl_c(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str, int], None]]:
    """``ctrl_c(hook, stack_part, times)``: SIGINT this process ``times`` times when the reporter's ``hook``
    (``stack_started`` or ``changes``) is called for a stack whose name contains ``stack_part``."""
    previous = signal.getsignal(signal.SIGINT)

    def arm(hook: str, stack_part: str, times: int) -> None:
        original = getattr(RichReporter, hook)
        fired: list[str] = []

        def hooked(self: RichReporter, stack: str, *args: Any) -> None:
            original(self, stack, *args)
            if stack_part in stack and not fired:
                fired.append(stack)
                for _ in range(times):
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(0.5)  # the main thread handles one signal before the next arrives
        monkeypatch.setattr(RichReporter, hook, hooked)
    yield arm
    signal.signal(signal.SIGINT, previous)
    for thread in threading.enumerate():  # a stack not waited for finishes before the emulator is reset
        if thread.name.startswith("deploy "):
            thread.join(timeout=30)


def _image(aws: Aws, service: str) -> str:
    ecs = aws("ecs", "eu-west-1")
    arn = next(a for a in ecs.list_services(cluster="intapp-dev")["serviceArns"]
               if a.rsplit("/", 1)[-1].startswith(f"intapp-dev-svc-{service}-"))
    [svc] = ecs.describe_services(cluster="intapp-dev", services=[arn])["services"]
    return str(ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
               ["containerDefinitions"][0]["image"])


def _history(runner: CliRunner, cli: typer.Typer, spec: str) -> list[dict[str, Any]]:
    shown = runner.invoke(cli, ["history", spec, "--env", "dev", "--local", "--json"])
    assert shown.exit_code == 0, shown.output
    records: list[dict[str, Any]] = json.loads(shown.output.strip().splitlines()[-1])
    return records


def test_ctrl_c_in_the_services_wave_finishes_the_stack_in_flight_and_records_it(
        cli: typer.Typer, spec: str, aws: Aws, ctrl_c: Callable[[str, str, int], None]) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"])
    assert first.exit_code == 0, first.output
    # one stack at a time: the first service stack is in flight when Ctrl-C comes, the second has not started
    ctrl_c("stack_started", "-svc-", 1)
    stopped = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--parallel", "1", *V2])
    assert stopped.exit_code == 130, stopped.output
    assert "interrupted: no further stack starts; waiting for intapp-dev-svc-" in stopped.output
    assert "deploy interrupted (Ctrl-C)" in stopped.output
    assert "release 2 interrupted: recorded in" in stopped.output
    images = {s: _image(aws, s) for s in ("web", "api")}
    assert sorted(images.values()) == ["ghcr.io/acme/api:1.0.0", "ghcr.io/acme/web:2.0.0"] or \
        sorted(images.values()) == ["ghcr.io/acme/api:2.0.0", "ghcr.io/acme/web:1.0.0"]
    changed = next(s for s, image in images.items() if image.endswith(":2.0.0"))
    untouched = next(s for s in images if s != changed)
    assert f"changed: intapp-dev-svc-{changed}" in stopped.output
    assert f"not deployed: intapp-dev-svc-{untouched}" in stopped.output
    records = _history(runner, cli, spec)
    assert [(r["number"], r["outcome"]) for r in records] == [(1, "succeeded"), (2, "interrupted")]
    last = records[-1]
    assert last["stacks"][f"svc-{changed}"] == "update" and last["stacks"][f"svc-{untouched}"] == "skipped"
    assert last["changed"] == [changed] and last["images"] == images  # history says what runs
    text = runner.invoke(cli, ["history", spec, "--env", "dev", "--local"])
    assert "#2" in text.output and "interrupted" in text.output
    # rollback starts from what is deployed (the interrupted release), back to release 1
    back = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local"])
    assert back.exit_code == 0, back.output
    assert "from release 2 to 1" in back.output
    assert {s: _image(aws, s) for s in ("web", "api")} == {"web": "ghcr.io/acme/web:1.0.0",
                                                           "api": "ghcr.io/acme/api:1.0.0"}


def test_a_second_ctrl_c_stops_waiting_and_still_records(cli: typer.Typer, spec: str, aws: Aws,
                                                         ctrl_c: Callable[[str, str, int], None]) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"]).exit_code == 0
    ctrl_c("stack_started", "-svc-", 2)
    stopped = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--parallel", "1", *V2])
    assert stopped.exit_code == 130, stopped.output
    assert "not waited for (Ctrl-C): it keeps changing" in stopped.output
    assert "still changing, not waited for (CloudFormation finishes or rolls them back): intapp-dev-svc-" \
        in stopped.output
    last = _history(runner, cli, spec)[-1]
    assert (last["number"], last["outcome"]) == (2, "interrupted")
    assert sorted(last["stacks"][k] for k in ("svc-web", "svc-api")) == ["interrupted", "skipped"]


def test_ctrl_c_before_any_stack_changes_says_so_and_records_nothing(
        cli: typer.Typer, spec: str, ctrl_c: Callable[[str, str, int], None]) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"]).exit_code == 0
    ctrl_c("changes", "-svc-web", 1)  # while the change lists are shown, before any stack starts
    stopped = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", *V2])
    assert stopped.exit_code == 130, stopped.output
    assert "interrupted (Ctrl-C) before any stack changed: nothing deployed, no release recorded" in stopped.output
    assert [r["number"] for r in _history(runner, cli, spec)] == [1]
    again = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", *V2])  # the lock was released
    assert again.exit_code == 0, again.output
    assert "release 2 succeeded" in again.output


def test_ctrl_c_to_a_moorage_process_records_the_interrupted_release(tmp_path: Path) -> None:
    """The whole CLI in its own process (its own emulator in the background), SIGINT sent when the first
    service stack starts, as a terminal's Ctrl-C would: exit 130, history says what runs."""
    import subprocess
    import sys

    project = tmp_path / "proj"
    project.mkdir()
    spec = project / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")

    def moorage(*args: str) -> list[str]:
        return [sys.executable, "-c", "from moorage.cli.app import main; main()", *args]

    try:
        first = subprocess.run(moorage("deploy", str(spec), "--env", "dev", "--local"), capture_output=True,
                               text=True, timeout=300, check=False)
        assert first.returncode == 0, first.stdout + first.stderr
        process = subprocess.Popen(moorage("deploy", str(spec), "--env", "dev", "--local", "--json", "--parallel",
                                           "1", *V2), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        events = []
        assert process.stdout is not None
        for line in process.stdout:
            event = json.loads(line)
            events.append(event)
            if event.get("event") == "stack_started" and "-svc-" in json.dumps(event):
                process.send_signal(signal.SIGINT)
                break
        rest, errors = process.communicate(timeout=120)
        events += [json.loads(line) for line in rest.splitlines() if line.strip()]
        assert process.returncode == 130, rest + errors
        said = json.dumps(events)
        assert "deploy interrupted (Ctrl-C)" in said
        summary = next(e for e in events if e.get("event") == "summary")
        assert summary["interrupted"] is True and summary["ok"] is False
        shown = subprocess.run(moorage("history", str(spec), "--env", "dev", "--local", "--json"),
                               capture_output=True, text=True, timeout=120, check=False)
        assert shown.returncode == 0, shown.stderr
        records = json.loads(shown.stdout.strip().splitlines()[-1])
        assert [(r["number"], r["outcome"]) for r in records] == [(1, "succeeded"), (2, "interrupted")]
        assert "web" in records[-1]["changed"] or "api" in records[-1]["changed"]
    finally:
        subprocess.run(moorage("local", "stop", "--project", str(project)), capture_output=True, timeout=120,
                       check=False)


def test_a_second_ctrl_c_after_the_stacks_finished_is_held_and_the_release_recorded(
        cli: typer.Typer, spec: str, aws: Aws, ctrl_c: Callable[[str, str, int], None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The first Ctrl-C while a stack changes, the second once the waiting is over (as the stacks finished
    before it came): it is held, the release is recorded, history says what runs (it escaped before)."""
    runner = CliRunner()
    assert runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"]).exit_code == 0
    ctrl_c("stack_started", "-svc-", 1)
    original = RichReporter.warn

    def warn(self: RichReporter, message: str) -> None:
        original(self, message)
        if message.startswith("deploy interrupted (Ctrl-C)"):  # the waiting is over: record next
            os.kill(os.getpid(), signal.SIGINT)
    monkeypatch.setattr(RichReporter, "warn", warn)
    stopped = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--parallel", "1", *V2])
    assert stopped.exit_code == 130, stopped.output
    assert "stopped before the release was recorded" not in stopped.output
    assert "release 2 interrupted: recorded in" in stopped.output
    images = {s: _image(aws, s) for s in ("web", "api")}
    last = _history(runner, cli, spec)[-1]
    assert (last["number"], last["outcome"]) == (2, "interrupted") and last["images"] == images


def _unrecorded_v2(runner: CliRunner, cli: typer.Typer, spec: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Release 1 (1.0.0) recorded, then 2.0.0 deployed but its record never written (as a deploy that ended
    before it: the Ctrl-C that escaped, a killed process)."""
    assert runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"]).exit_code == 0

    def ended(*args: Any) -> None:
        raise KeyboardInterrupt
    with monkeypatch.context() as patch:
        patch.setattr("moorage.deploy.releases.record_deploy", ended)
        lost = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", *V2])
    assert lost.exit_code == 130 and "stopped before the release was recorded" in lost.output, lost.output
    assert [r["number"] for r in _history(runner, cli, spec)] == [1]


def test_a_deploy_with_no_changes_records_what_runs_when_history_lost_the_last_one(
        cli: typer.Typer, spec: str, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    from moorage.cli.deploy import status

    cli.command()(status)
    runner = CliRunner()
    _unrecorded_v2(runner, cli, spec, monkeypatch)
    shown = runner.invoke(cli, ["status", spec, "--env", "dev", "--local"])
    assert shown.exit_code == 0, shown.output
    assert "what runs differs from release 1: api runs ghcr.io/acme/api:2.0.0" in " ".join(shown.output.split())
    again = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", *V2])
    assert again.exit_code == 0, again.output
    said = " ".join(again.output.split())
    assert "what runs differs from release 1: api runs ghcr.io/acme/api:2.0.0 (release 1: ghcr.io/acme/api:1.0.0)" \
        in said, said
    assert "release 2 reconciled: recorded in" in said
    records = _history(runner, cli, spec)
    assert [(r["number"], r["outcome"]) for r in records] == [(1, "succeeded"), (2, "reconciled")]
    assert records[-1]["images"] == {"web": "ghcr.io/acme/web:2.0.0", "api": "ghcr.io/acme/api:2.0.0"}
    # history agrees with what runs now: status says nothing of it, the next deploy records nothing
    shown = runner.invoke(cli, ["status", spec, "--env", "dev", "--local"])
    assert shown.exit_code == 0 and "what runs differs" not in shown.output, shown.output
    third = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", *V2])
    assert third.exit_code == 0 and "recorded in" not in third.output, third.output
    # rollback starts from the truth: from the reconciled release back to 1
    back = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local"])
    assert back.exit_code == 0, back.output
    assert "from release 2 to 1" in back.output
    assert {s: _image(aws, s) for s in ("web", "api")} == {"web": "ghcr.io/acme/web:1.0.0",
                                                           "api": "ghcr.io/acme/api:1.0.0"}


def test_a_rollback_after_an_unrecorded_deploy_starts_from_what_runs(
        cli: typer.Typer, spec: str, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    _unrecorded_v2(runner, cli, spec, monkeypatch)
    back = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local"])
    assert back.exit_code == 0, back.output
    said = " ".join(back.output.split())
    assert "what runs differs from release 1: api runs ghcr.io/acme/api:2.0.0" in said, said
    assert "recorded what runs as release 2 (reconciled)" in said
    assert "from release 2 to 1" in said
    assert {s: _image(aws, s) for s in ("web", "api")} == {"web": "ghcr.io/acme/web:1.0.0",
                                                           "api": "ghcr.io/acme/api:1.0.0"}
    assert [(r["number"], r["outcome"]) for r in _history(runner, cli, spec)] == [
        (1, "succeeded"), (2, "reconciled"), (3, "succeeded")]


def test_the_interrupt_message_waits_only_for_stacks_that_change(
        cli: typer.Typer, spec: str, ctrl_c: Callable[[str, str, int], None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """web changes, api does not: when Ctrl-C comes both are in flight (api held back a moment so that it
    is), and the message names only web as waited for."""
    from moorage.deploy.run import Deployer

    runner = CliRunner()
    assert runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"]).exit_code == 0
    original = Deployer.deploy_stack

    def slow_api(self: Deployer, key: str) -> Any:
        if key == "svc-api":
            time.sleep(2)
        return original(self, key)
    monkeypatch.setattr(Deployer, "deploy_stack", slow_api)
    ctrl_c("stack_started", "-svc-web", 1)
    stopped = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--parallel", "2",
                                 "--image", "web=ghcr.io/acme/web:2.0.0"])
    assert stopped.exit_code == 130, stopped.output
    said = " ".join(stopped.output.split())
    assert "interrupted: no further stack starts; waiting for intapp-dev-svc-web to finish" in said, said
    last = _history(runner, cli, spec)[-1]
    assert last["stacks"]["svc-web"] == "update" and last["stacks"]["svc-api"] == "unchanged"


def test_ctrl_c_in_a_diff_says_diff_interrupted(cli: typer.Typer, spec: str,
                                                ctrl_c: Callable[[str, str, int], None]) -> None:
    from moorage.cli.deploy import diff

    cli.command()(diff)
    runner = CliRunner()
    assert runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"]).exit_code == 0
    ctrl_c("changes", "-svc-web", 1)
    Path(spec).write_text(SPEC.replace("web:1.0.0", "web:2.0.0"), encoding="utf-8")
    stopped = runner.invoke(cli, ["diff", spec, "--env", "dev", "--local"])
    assert stopped.exit_code == 130, stopped.output
    assert "diff interrupted (Ctrl-C): a diff changes nothing" in stopped.output
    assert "stopped before changing anything" not in stopped.output
