"""The CLI path: `deploy --local` starts the background emulator, state survives `local stop`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from moorage.cli.deploy import deploy, destroy, diff, local_app, status
from moorage.emulator.server import server_status, stop_server


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    for command in (deploy, diff, status, destroy):
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
        assert (project / ".moorage" / "local" / "server.json").is_file()
        again = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"])
        assert again.exit_code == 0 and "No changes: 4 stacks of hello/dev are up to date." in again.output
        stopped = runner.invoke(cli, ["local", "stop", "--project", str(project)])
        assert stopped.exit_code == 0 and "stopped" in stopped.output
        assert server_status(project) is None
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
