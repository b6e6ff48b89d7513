"""A rollback that one service's change would refuse (it would lose data) is refused before ANY stack changes,
not after the services before it were rolled back: every service's change set is classified first."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from moorage.cli.deploy import deploy
from moorage.cli.release import history, rollback

Aws = Callable[[str, str], Any]

SPEC = """\
name: rfapp
region: eu-west-1
deploy: {strategy: rolling}
services:
  api: {image: ghcr.io/acme/api:1.0.0, port: 4000, route: "/api/*", health: /api/health}
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health}
environments:
  dev: {}
"""
V2 = ["--image", "web=ghcr.io/acme/web:2.0.0", "--image", "api=ghcr.io/acme/api:2.0.0"]


@pytest.fixture
def cli(local_cli: Callable[..., typer.Typer]) -> typer.Typer:
    """deploy, history and rollback, with --local pointed at the in-process emulator."""
    return local_cli(deploy, history, rollback)


def _images(aws: Aws) -> dict[str, str]:
    ecs = aws("ecs", "eu-west-1")
    found = {}
    for arn in ecs.list_services(cluster="rfapp-dev")["serviceArns"]:
        [svc] = ecs.describe_services(cluster="rfapp-dev", services=[arn])["services"]
        image = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"][
            "containerDefinitions"][0]["image"]
        found[image.split("/")[-1].split(":")[0]] = image
    return found


def test_a_refusal_of_the_last_service_is_found_before_the_first_one_is_rolled_back(
        cli: typer.Typer, tmp_path: Path, aws: Aws) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    runner = CliRunner()
    for extra in ([], V2):
        done = runner.invoke(cli, ["deploy", str(spec), "--env", "dev", "--local", *extra])
        assert done.exit_code == 0, done.output
    # release 1 as stored says web's log group had another name: going back to it replaces the log group
    # (its logs lost); api, rolled back first, would lose nothing
    s3 = aws("s3", "eu-west-1")
    [bucket] = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("moorage-artifacts-")]
    [key] = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]
             if o["Key"].endswith("000001/svc-web.json")]
    stored = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    stored["template"]["Resources"]["LogGroup"]["Properties"]["LogGroupName"] = "/moorage/rfapp/dev/web-old"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(stored).encode())
    assert _images(aws) == {"api": "ghcr.io/acme/api:2.0.0", "web": "ghcr.io/acme/web:2.0.0"}

    refused = runner.invoke(cli, ["rollback", str(spec), "--env", "dev", "--local"])
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.output.split())
    assert "rollback refused: web: going back would replace or remove LogGroup, which hold data" in said, said
    assert "nothing was rolled back" in said
    assert "api: rolling back" not in said
    assert _images(aws) == {"api": "ghcr.io/acme/api:2.0.0", "web": "ghcr.io/acme/web:2.0.0"}  # api untouched
    shown = runner.invoke(cli, ["history", str(spec), "--env", "dev", "--local", "--json"])
    assert [r["number"] for r in json.loads(shown.output.strip().splitlines()[-1])] == [1, 2]
