"""A snapshot of the database before migrations run (staging and prod), named after the release, listed by
`moorage history`, and named in the restore hint of a failed migration: end to end on the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from moorage import api
from moorage.cli.deploy import deploy
from moorage.cli.release import history

Aws = Callable[[str, str], Any]

SPEC = """\
name: snapapp
region: eu-west-1
deploy: {strategy: rolling}
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health, uses: [db]}
  migrate: {image: ghcr.io/acme/migrate:1.0.0, command: [migrate], run: before-deploy, uses: [db]}
databases:
  db: {engine: postgres, version: "16"}
environments:
  dev: {}
  staging: {}
"""


@pytest.fixture
def cli(local_cli: Callable[..., typer.Typer]) -> typer.Typer:
    return local_cli(deploy, history)


def test_the_plan_snapshots_only_outside_dev(tmp_path: Path) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    loaded = api.load_app(spec)
    staging = api.synth_environment(loaded, "staging")
    assert staging.manifest["pre_migration_snapshots"] == [{
        "job": "migrate", "database": "db", "identifier": staging.plan.databases["db"].identifier,
        "cluster": False, "stack": "data"}]
    assert api.synth_environment(loaded, "dev").manifest["pre_migration_snapshots"] == []
    decisions = {d.topic: d.value for d in staging.plan.decisions}
    assert decisions["services.migrate.snapshot"] == "a snapshot of db before it runs"


def test_snapshot_before_migrations_history_and_restore_hint(cli: typer.Typer, aws: Aws, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC, encoding="utf-8")
    spec = str(spec_path)
    ident = api.synth_environment(api.load_app(spec_path), "staging").plan.databases["db"].identifier
    runner = CliRunner()
    rds = aws("rds", "eu-west-1")
    first = runner.invoke(cli, ["deploy", spec, "--env", "staging", "--local"])
    assert first.exit_code == 0, first.output
    assert "no snapshot of db: it was created in this deploy" in first.output
    assert not rds.describe_db_snapshots(DBInstanceIdentifier=ident, SnapshotType="manual")["DBSnapshots"]
    # release 2 runs a new migration: the database is snapshotted first, named after the release
    second = runner.invoke(cli, ["deploy", spec, "--env", "staging", "--local", "--image",
                                 "migrate=ghcr.io/acme/migrate:2.0.0"])
    assert second.exit_code == 0, second.output
    name = f"{ident}-release-2-pre-migrate"
    [snap] = rds.describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"]
    assert snap["DBInstanceIdentifier"] == ident and snap["Status"] == "available"
    assert f"snapshot {name} of db taken before it runs" in second.output
    shown = runner.invoke(cli, ["history", spec, "--env", "staging", "--local", "--json"])
    records = json.loads(shown.output.strip().splitlines()[-1])
    assert records[-1]["migrations"][0]["snapshots"] == [name]
    text = runner.invoke(cli, ["history", spec, "--env", "staging", "--local"])
    assert f"snapshot before migrate: {name}" in text.output

    # a failing migration names the snapshot to restore from
    def failing(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("job migrate failed: migrate: exit 3")

    monkeypatch.setattr("moorage.deploy.jobs.run_job", failing)
    third = runner.invoke(cli, ["deploy", spec, "--env", "staging", "--local", "--json", "--image",
                                "migrate=ghcr.io/acme/migrate:3.0.0"])
    assert third.exit_code == 1
    hint = (f"aws rds restore-db-instance-from-db-snapshot --db-snapshot-identifier {ident}-release-3-pre-migrate "
            f"--db-instance-identifier {ident}-restored")
    assert hint in third.output, third.output
    # aimed at the emulator, never at the user's real account
    assert f"{hint} --region eu-west-1 --endpoint-url http://127.0.0.1:" in third.output, third.output


def test_migrations_dry_run_runs_the_new_image_with_the_flag_and_changes_nothing(
        cli: typer.Typer, aws: Aws, tmp_path: Path) -> None:
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC, encoding="utf-8")
    spec = str(spec_path)
    runner = CliRunner()
    early = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--migrations-dry-run"])
    assert early.exit_code != 0 and "needs the environment deployed" in str(early.exception), early.output
    assert runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"]).exit_code == 0
    ecs, cf = aws("ecs", "eu-west-1"), aws("cloudformation", "eu-west-1")
    job_stack = cf.describe_stacks(StackName="snapapp-dev-svc-migrate")["Stacks"][0]
    deployed_td = next(o["OutputValue"] for o in job_stack["Outputs"] if o["OutputKey"] == "TaskDefinitionArn")
    dry = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--migrations-dry-run", "--image",
                              "migrate=ghcr.io/acme/migrate:2.0.0"])
    assert dry.exit_code == 0, dry.output
    assert ("job migrate (dry run, MOORAGE_MIGRATIONS_DRY_RUN=1, image ghcr.io/acme/migrate:2.0.0): task started"
            in dry.output), dry.output
    assert "migrations dry run: nothing was deployed and no release recorded" in dry.output
    # the task ran on a temporary revision with the new image and the flag; that revision is gone again
    arns = ecs.list_tasks(cluster="snapapp-dev")["taskArns"]
    tasks = ecs.describe_tasks(cluster="snapapp-dev", tasks=arns)["tasks"]
    dry_task = next(t for t in tasks if t["taskDefinitionArn"] != deployed_td)
    env = dry_task["overrides"]["containerOverrides"][0]["environment"]
    assert {"name": "MOORAGE_MIGRATIONS_DRY_RUN", "value": "1"} in env
    temporary = ecs.describe_task_definition(taskDefinition=dry_task["taskDefinitionArn"])["taskDefinition"]
    assert temporary["containerDefinitions"][0]["image"] == "ghcr.io/acme/migrate:2.0.0"
    assert temporary["status"] == "INACTIVE"
    # nothing else changed: the job stack keeps its task definition, and no release is recorded
    job_after = cf.describe_stacks(StackName="snapapp-dev-svc-migrate")["Stacks"][0]
    assert next(o["OutputValue"] for o in job_after["Outputs"] if o["OutputKey"] == "TaskDefinitionArn") == deployed_td
    shown = runner.invoke(cli, ["history", spec, "--env", "dev", "--local", "--json"])
    assert len(json.loads(shown.output.strip().splitlines()[-1])) == 1
