"""Rotation end to end on the emulator: the schedule on the RDS-managed secret, the reminders, and a rotation
(RotateSecret) that reaches EventBridge as RotationSucceeded, starts the redeploy state machine, and gives the
service that reads the password a new deployment."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moorage import api
from moorage.emulator.serve import snapshot

SPEC = """\
name: rotapp
region: eu-west-1
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health, uses: [db, cache],
        secrets: [JWT_SECRET]}
databases:
  db: {engine: postgres, version: "16", password: managed, rotate_days: 14}
caches:
  cache: {rotate_days: 60}
secrets:
  JWT_SECRET: {length: 64, rotate_days: 90}
environments:
  dev: {}
"""


def _deployments(ecs: Any, cluster: str, service: str) -> list[dict[str, Any]]:
    [svc] = ecs.describe_services(cluster=cluster, services=[service])["services"]
    return list(svc["deployments"])


def test_rotation_redeploys_the_readers(tmp_path: Path, run_deploy: Callable[..., Any],
                                        aws: Callable[[str, str], Any]) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    synth = api.synth_environment(api.load_app(spec), "dev")
    result, _ = run_deploy(synth)
    assert result.ok, result.failure
    not_emulated = [e.resource_type for o in result.outcomes.values() for e in o.not_emulated]
    assert not_emulated == [], not_emulated

    sm = aws("secretsmanager", "eu-west-1")
    secret = result.outputs["data"]["DbDbSecret"]
    described = sm.describe_secret(SecretId=secret)
    assert described["RotationEnabled"] is True and described["RotationRules"]["AutomaticallyAfterDays"] == 14

    schedules = aws("scheduler", "eu-west-1").list_schedules()["Schedules"]
    assert sorted(s["Name"] for s in schedules) == ["rotapp-dev-cache-cache-rotate",
                                                    "rotapp-dev-remind-secret-JWT_SECRET"]

    ecs = aws("ecs", "eu-west-1")
    service = result.outputs["svc-web"]["ServiceName"]
    before = _deployments(ecs, "rotapp-dev", service)
    password = json.loads(sm.get_secret_value(SecretId=secret)["SecretString"])["password"]

    sm.rotate_secret(SecretId=secret)  # what RDS does on the schedule; the emulator runs it now

    assert json.loads(sm.get_secret_value(SecretId=secret)["SecretString"])["password"] != password
    sfn = aws("stepfunctions", "eu-west-1")
    [machine] = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "rotapp-dev-rotate-db"]
    deadline = time.monotonic() + 30
    while True:
        executions = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
        if executions and executions[0]["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [e["status"] for e in executions] == ["SUCCEEDED"], executions
    after = _deployments(ecs, "rotapp-dev", service)
    assert len(after) > len(before) or after[0]["id"] != before[0]["id"], (before, after)
    # the emulator's state can still be saved (the interpreter's threads are gone with its copy)
    saved = snapshot(tmp_path / "state.snapshot")
    assert "could not save" not in saved, saved


def test_rotating_a_secret_nobody_watches_starts_nothing(tmp_path: Path, run_deploy: Callable[..., Any],
                                                         aws: Callable[[str, str], Any]) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    result, _ = run_deploy(api.synth_environment(api.load_app(spec), "dev"))
    assert result.ok, result.failure
    sm = aws("secretsmanager", "eu-west-1")
    sm.rotate_secret(SecretId="rotapp/dev/JWT_SECRET")
    sfn = aws("stepfunctions", "eu-west-1")
    [machine] = [m for m in sfn.list_state_machines()["stateMachines"] if m["name"] == "rotapp-dev-rotate-db"]
    time.sleep(0.3)
    assert sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"] == []
