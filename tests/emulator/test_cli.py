"""The CLI path: `deploy --local` starts the background emulator, state survives `local stop`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from moorage.cli.deploy import deploy, destroy, diff, local_app, status
from moorage.cli.release import history
from moorage.emulator.server import EmulatorStopped, server_status, stop_server


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    for command in (deploy, diff, status, destroy, history):
        app.command()(command)
    app.add_typer(local_app, name="local")
    return app


def test_local_deploy_status_stop_restore_destroy(cli: typer.Typer, repo_root: Path, tmp_path: Path) -> None:
    project = tmp_path / "hello"
    shutil.copytree(repo_root / "examples" / "hello", project)
    spec = str(project / "moorage.yml")
    runner = CliRunner()
    try:
        first = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"])
        assert first.exit_code == 0, first.output
        assert "URL: http://" in first.output and "4 create" in first.output
        assert "the local emulator keeps running at http://127.0.0.1:" in first.output
        assert "moorage local stop" in first.output and "30 idle minutes" in first.output
        assert (project / ".moorage" / "local" / "server.json").is_file()
        again = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"])
        assert again.exit_code == 0 and "No changes: 4 stacks of hello/dev are up to date." in again.output
        stopped = runner.invoke(cli, ["local", "stop", "--project", str(project)])
        assert stopped.exit_code == 0 and "stopped" in stopped.output
        assert server_status(project) is None
        stopped = runner.invoke(cli, ["status", spec, "--env", "dev", "--local"])
        assert stopped.exit_code == 0 and "the local emulator of hello is stopped" in stopped.output
        assert "moorage local start" in stopped.output and server_status(project) is None  # not started silently
        started = runner.invoke(cli, ["local", "start", "--project", str(project)])
        assert started.exit_code == 0 and "running at http://127.0.0.1:" in started.output
        shown = runner.invoke(cli, ["status", spec, "--env", "dev", "--local", "--json"])
        assert shown.exit_code == 0, shown.output
        state = json.loads(shown.output.strip().splitlines()[-1])
        assert {s["status"] for s in state["stacks"]} == {"CREATE_COMPLETE"}  # restored from the snapshot
        assert state["url"].startswith("http://")
        changes = runner.invoke(cli, ["diff", spec, "--env", "dev", "--local"])
        assert changes.exit_code == 0 and "No changes" in changes.output
        refused = runner.invoke(cli, ["destroy", spec, "--env", "dev", "--local"], input="n\n")
        assert refused.exit_code != 0
        gone = runner.invoke(cli, ["destroy", spec, "--env", "dev", "--local", "--yes"])
        assert gone.exit_code == 0 and "destroyed 4 stacks" in gone.output, gone.output
    finally:
        stop_server(project)


def test_read_only_commands_do_not_start_the_emulator(cli: typer.Typer, repo_root: Path, tmp_path: Path) -> None:
    project = tmp_path / "hello"
    shutil.copytree(repo_root / "examples" / "hello", project)
    spec = str(project / "moorage.yml")
    runner = CliRunner()
    status = runner.invoke(cli, ["status", spec, "--env", "dev", "--local"])
    assert status.exit_code == 0 and "is stopped" in status.output and "moorage local start" in status.output
    releases = runner.invoke(cli, ["history", spec, "--env", "dev", "--local"])
    assert releases.exit_code == 0 and "is stopped; nothing to show" in releases.output, releases.output
    assert "moorage local start" in releases.output
    listed = runner.invoke(cli, ["history", spec, "--env", "dev", "--local", "--json"])
    assert listed.exit_code == 0 and listed.stdout.strip() == "[]" and "is stopped" in listed.stderr
    gone = runner.invoke(cli, ["destroy", spec, "--env", "dev", "--local", "--yes"])
    assert gone.exit_code == 0 and "nothing to destroy" in gone.output
    changes = runner.invoke(cli, ["diff", spec, "--env", "dev", "--local"])
    assert isinstance(changes.exception, EmulatorStopped)  # exit 1 through moorage's main: no bad usage
    assert "is stopped" in str(changes.exception) and "moorage local start" in changes.exception.hint
    assert not (project / ".moorage" / "local" / "server.json").exists() and server_status(project) is None


def test_an_idle_emulator_stops_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from moorage.emulator.server import IDLE_ENV, SNAPSHOT_FILE, ensure_server, state_dir

    monkeypatch.setenv(IDLE_ENV, "0.1")  # 6 s
    server = ensure_server(tmp_path)
    try:
        assert server_status(tmp_path) is not None
        deadline = time.monotonic() + 30
        while server_status(tmp_path) is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert server_status(tmp_path) is None
        assert (state_dir(tmp_path) / SNAPSHOT_FILE).is_file()  # it saved its state on the way out
        assert "idle for" in (state_dir(tmp_path) / "server.log").read_text()
    finally:
        stop_server(tmp_path)
    assert server.pid
