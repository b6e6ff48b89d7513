"""A database rename on the emulator: `diff` says deploy would refuse it (exit 1) and that it looks like a rename;
`--allow-replace db` covers the database's own generated credentials, and the output says so."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from moorage.cli.deploy import deploy, diff

SPEC = """\
name: shop
region: eu-west-1
services:
  web: {{image: ghcr.io/acme/web:1.1.0, port: 8080, route: "/*", health: /health, uses: [{db}]}}
databases:
  {db}: {{engine: postgres, version: "16"}}
environments:
  dev: {{}}
"""


@pytest.fixture
def cli(local_cli: Callable[..., typer.Typer]) -> typer.Typer:
    """deploy and diff, with --local pointed at the in-process emulator on its loopback port."""
    return local_cli(deploy, diff)


def test_rename_diff_refuses_and_allow_replace_covers_the_credentials(cli: typer.Typer, tmp_path: Path) -> None:
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC.format(db="db"), encoding="utf-8")
    spec = str(spec_path)
    runner = CliRunner()
    first = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"])
    assert first.exit_code == 0, first.output
    spec_path.write_text(SPEC.format(db="maindb"), encoding="utf-8")
    shown = runner.invoke(cli, ["diff", spec, "--env", "dev", "--local"])
    assert shown.exit_code == 1, shown.output
    assert "deploy would refuse:" in shown.output
    assert "looks like a rename of database db to maindb (databases.db -> databases.maindb)" in shown.output
    assert "rerun with --allow-replace db\n" in shown.output + "\n"  # one name: it covers DbDbSecret, DbDbUrlSecret
    as_json = runner.invoke(cli, ["diff", spec, "--env", "dev", "--local", "--json"])
    assert as_json.exit_code == 1
    [summary] = [json.loads(line) for line in as_json.output.splitlines()
                 if line.startswith("{") and json.loads(line)["event"] == "summary"]
    assert "this deploy would remove DbDb" in summary["would_refuse"]
    refused = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"])
    assert refused.exit_code == 1 and "stopped before changing anything" in refused.output
    allowed = runner.invoke(cli, ["diff", spec, "--env", "dev", "--local", "--allow-replace", "db"])
    assert allowed.exit_code == 0, allowed.output
    assert "remove DbDbSecret allowed by --allow-replace db (a credential generated for database db" in \
        allowed.output
    done = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--allow-replace", "db"])
    assert done.exit_code == 0, done.output
    assert "(allowed by --allow-replace db (a credential generated for database db" in done.output
    again = runner.invoke(cli, ["diff", spec, "--env", "dev", "--local"])
    assert again.exit_code == 0 and "No changes" in again.output, again.output
