"""What a deploy shows while it runs: the event stream (deploy package) and how the CLI renders it — a live
table on a terminal, plain lines in a pipe or with -q."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from rich.console import Console

from moorage.deploy.progress import RichReporter
from moorage.deploy.stacks import Event
from moorage.emulator.server import stop_server

if TYPE_CHECKING:
    from conftest import CliResult


def _event(lid: str, rtype: str, status: str) -> Event:
    return Event(f"{lid}-{status}", datetime(2026, 11, 29, 12, 0, tzinfo=UTC), lid, rtype, status, "")


def _drive(reporter: RichReporter) -> None:
    reporter.stack_started("network", "create", 3)
    for lid in ("Vpc", "Subnet", "Route"):
        reporter.event("network", _event(lid, "AWS::EC2::VPC", "CREATE_IN_PROGRESS"))
        reporter.event("network", _event(lid, "AWS::EC2::VPC", "CREATE_COMPLETE"))
    reporter.event("network", _event("demo-network", "AWS::CloudFormation::Stack", "CREATE_COMPLETE"))
    reporter.stack_finished("network", "CREATE_COMPLETE")
    reporter.close()


def test_a_pipe_gets_plain_lines_with_state_resources_and_elapsed() -> None:
    buffer = io.StringIO()
    _drive(RichReporter(Console(file=buffer, force_terminal=False, width=200)))
    text = buffer.getvalue()
    assert "\x1b[" not in text and "┃" not in text and "│" not in text  # no escape codes, no table
    lines = text.splitlines()
    assert sum("network Vpc" in line for line in lines) == 2  # the events, one line each
    assert lines[-1].startswith("network: CREATE_COMPLETE, 3/3 resources, ") and lines[-1].endswith("s")


def test_quiet_keeps_only_one_line_per_stack() -> None:
    buffer = io.StringIO()
    _drive(RichReporter(Console(file=buffer, force_terminal=True, width=200), live=False, show_events=False))
    lines = [line for line in buffer.getvalue().splitlines() if line.strip()]
    assert len(lines) == 1 and "network: CREATE_COMPLETE, 3/3 resources" in lines[0]


def test_a_terminal_gets_a_live_table_per_stack() -> None:
    buffer = io.StringIO()
    reporter = RichReporter(Console(file=buffer, force_terminal=True, width=200), show_events=False)
    reporter.stack_started("network", "create", 3)
    reporter.event("network", _event("Vpc", "AWS::EC2::VPC", "CREATE_COMPLETE"))
    assert reporter.lines["network"].done == {"Vpc"}
    _drive(reporter)
    text = buffer.getvalue()
    for column in ("stack", "action", "status", "resources", "elapsed"):
        assert column in text
    assert "3/3" in text and "CREATE_COMPLETE" in text


def test_the_event_stream_and_quiet_output_of_a_real_deploy(
        run_cli: Callable[..., CliResult], repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "hello"
    shutil.copytree(repo_root / "examples" / "hello", project)
    monkeypatch.chdir(project)
    try:
        deployed = run_cli("deploy", "--env", "dev", "--local", "--format", "json")
        assert deployed.code == 0, deployed.err
        events = [json.loads(line) for line in deployed.out.splitlines() if line.startswith("{")]
        started = {e["stack"]: i for i, e in enumerate(events) if e["event"] == "stack_started"}
        finished = {e["stack"]: e for e in events if e["event"] == "stack_finished"}
        assert set(started) == set(finished) and len(started) == 4
        for i, e in enumerate(events):
            if e["event"] == "resource":
                assert started[e["stack"]] < i  # every resource event comes after its stack started
        assert {e["status"] for e in finished.values()} == {"CREATE_COMPLETE"}
        assert all(e["total"] >= 1 for e in events if e["event"] == "stack_started")
        gone = run_cli("-q", "destroy", "--env", "dev", "--local", "--yes")
        assert gone.code == 0, gone.err
        assert "\x1b[" not in gone.out and "DELETE_IN_PROGRESS" not in gone.out  # no resource events with -q
        done = [line for line in gone.out.splitlines() if ": DELETE_COMPLETE, " in line]
        assert len(done) == 4 and all(" resources, " in line for line in done)
    finally:
        stop_server(project)


def test_diff_marks_a_major_database_upgrade_with_its_downtime() -> None:
    from moorage.deploy.changes import ResourceChange

    buffer = io.StringIO()
    reporter = RichReporter(Console(file=buffer, force_terminal=False, width=200), live=False)
    reporter.changes("demo-prod-data", [ResourceChange("DbDb", "AWS::RDS::DBInstance", "modify", ["EngineVersion"],
                                                       major_upgrade="postgres 15.7 -> 16.4")], False)
    reporter.close()
    assert "modify DbDb (AWS::RDS::DBInstance): EngineVersion  major upgrade postgres 15.7 -> 16.4: downtime, " \
           "no rollback" in buffer.getvalue()
