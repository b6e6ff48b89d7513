"""Rollback on the emulator when going back is impossible or pointless: the release reads a database secret a
rename replaced, the environment was destroyed, nothing would change, the emulator is stopped."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from moorage.cli.deploy import deploy, destroy
from moorage.cli.release import history, rollback
from moorage.deploy.session import Target

Aws = Callable[[str, str], Any]

SPEC = """\
name: rbapp
region: eu-west-1
deploy: {strategy: rolling}
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health, uses: [db]}
databases:
  db: {engine: postgres, version: "16"}
environments:
  dev: {}
"""


@pytest.fixture
def cli(local_cli: Callable[..., typer.Typer]) -> typer.Typer:
    """deploy, destroy, history and rollback, with --local pointed at the in-process emulator."""
    return local_cli(deploy, destroy, history, rollback)


def _spec(tmp_path: Path, text: str = SPEC) -> str:
    path = tmp_path / "moorage.yml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def _numbers(runner: CliRunner, cli: typer.Typer, spec: str) -> list[tuple[int, str]]:
    shown = runner.invoke(cli, ["history", spec, "--env", "dev", "--local", "--json"])
    assert shown.exit_code == 0, shown.output
    return [(r["number"], r["kind"]) for r in json.loads(shown.output.strip().splitlines()[-1])]


def _web_secrets(aws: Aws) -> dict[str, str]:
    ecs = aws("ecs", "eu-west-1")
    [arn] = ecs.list_services(cluster="rbapp-dev")["serviceArns"]
    [svc] = ecs.describe_services(cluster="rbapp-dev", services=[arn])["services"]
    task = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
    return {s["name"]: s["valueFrom"] for s in task["containerDefinitions"][0].get("secrets", [])}


def _deploy(runner: CliRunner, cli: typer.Typer, spec: str, *extra: str) -> None:
    done = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", *extra])
    assert done.exit_code == 0, done.output


def test_rollback_to_a_release_whose_database_secret_was_renamed_away_is_refused(
        cli: typer.Typer, aws: Aws, tmp_path: Path) -> None:
    runner = CliRunner()
    spec = _spec(tmp_path)
    _deploy(runner, cli, spec)
    _deploy(runner, cli, spec, "--image", "web=ghcr.io/acme/web:2.0.0")
    _spec(tmp_path, SPEC.replace("uses: [db]", "uses: [maindb]").replace("  db: {", "  maindb: {"))
    _deploy(runner, cli, spec, "--image", "web=ghcr.io/acme/web:2.0.0", "--allow-replace", "db",
            "--allow-replace", "DbDbSecret", "--allow-replace", "DbDbUrlSecret")
    running = _web_secrets(aws)
    assert running and all("maindb" in arn for arn in running.values())
    refused = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local"])
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.output.split())
    assert "rollback refused: release 2 cannot run on the environment as deployed now" in said, said
    assert ("web: release 2 reads DbDbUrl (output DbDbUrl of stack data), which the environment no longer "
            "has") in said, said
    assert _web_secrets(aws) == running  # nothing changed
    assert _numbers(runner, cli, spec) == [(1, "deploy"), (2, "deploy"), (3, "deploy")]  # nothing recorded


def test_rollback_to_a_release_whose_secret_was_deleted_is_refused(cli: typer.Typer, aws: Aws,
                                                                    tmp_path: Path) -> None:
    runner = CliRunner()
    spec = _spec(tmp_path, SPEC.replace("uses: [db]", "uses: [db], secrets: [API_KEY]")
                 + "secrets:\n  API_KEY: {generate: true}\n")
    _deploy(runner, cli, spec)
    _deploy(runner, cli, spec, "--image", "web=ghcr.io/acme/web:2.0.0")
    arn = _web_secrets(aws)["API_KEY"]
    aws("secretsmanager", "eu-west-1").delete_secret(SecretId=arn, RecoveryWindowInDays=7)
    refused = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local"])
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.output.split())
    assert f"web: release 1 reads secret {arn} (SecretApiKeyArn): scheduled for deletion" in said, said
    assert _numbers(runner, cli, spec) == [(1, "deploy"), (2, "deploy")]


def test_a_removed_secret_is_named_by_its_spec_name(cli: typer.Typer, aws: Aws, tmp_path: Path) -> None:
    """The deploy's hint and the rollback's refusal name STRIPE_KEY, not SecretStripeKey(Arn)."""
    runner = CliRunner()
    with_secret = SPEC.replace("uses: [db]", "uses: [db], secrets: [STRIPE_KEY]") + \
        "secrets:\n  STRIPE_KEY: {generate: true}\n"
    spec = _spec(tmp_path, with_secret)
    _deploy(runner, cli, spec)
    _spec(tmp_path, SPEC)  # the secret removed from the spec
    refused = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--image",
                                  "web=ghcr.io/acme/web:2.0.0"])
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.output.split())
    assert "rerun with --allow-replace STRIPE_KEY" in said and "--allow-replace SecretStripeKey" not in said, said
    _deploy(runner, cli, spec, "--image", "web=ghcr.io/acme/web:2.0.0", "--allow-replace", "STRIPE_KEY")
    back = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local"])
    assert back.exit_code == 1, back.output
    said = " ".join(back.output.split())
    assert ("web: release 1 reads secret STRIPE_KEY (SecretStripeKeyArn, output SecretStripeKeyArn of stack data), "
            "which the environment no longer has") in said, said


def test_rollback_over_a_destroyed_environment_is_refused(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    spec = _spec(tmp_path)
    _deploy(runner, cli, spec)
    _deploy(runner, cli, spec, "--image", "web=ghcr.io/acme/web:2.0.0")
    gone = runner.invoke(cli, ["destroy", spec, "--env", "dev", "--local", "--yes"])
    assert gone.exit_code == 0, gone.output
    records = _numbers(runner, cli, spec)
    refused = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local"])
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.output.split())
    assert "rollback refused: nothing to roll back: rbapp-dev-svc-web is not deployed" in said
    assert "succeeded" not in said
    assert _numbers(runner, cli, spec) == records


def test_a_rollback_that_changes_nothing_records_nothing(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    spec = _spec(tmp_path)
    _deploy(runner, cli, spec)
    _deploy(runner, cli, spec, "--image", "web=ghcr.io/acme/web:2.0.0")
    back = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local"])
    assert back.exit_code == 0 and "release 3 (rollback to 1) succeeded" in back.output, back.output
    again = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local", "--to", "1"])
    assert again.exit_code == 0, again.output
    assert "web: already runs release 1's version" in again.output
    assert "rbapp/dev already runs release 1's version: nothing changed, nothing recorded" in again.output
    assert _numbers(runner, cli, spec) == [(1, "deploy"), (2, "deploy"), (3, "rollback")]


def test_rollback_does_not_start_a_stopped_emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def no_start(project: Path) -> Target:
        raise AssertionError("rollback started the emulator")

    monkeypatch.setattr("moorage.deploy.session.local_target", no_start)
    monkeypatch.setattr("moorage.emulator.server.server_status", lambda project: None)
    app = typer.Typer()
    app.command()(rollback)
    app.command()(history)
    done = CliRunner().invoke(app, ["rollback", _spec(tmp_path), "--env", "dev", "--local"])
    assert done.exit_code == 1, done.output
    said = " ".join(done.output.split())
    assert "is stopped: nothing is rolled back" in said and "hint: start it" in said and "moorage local start" in said
