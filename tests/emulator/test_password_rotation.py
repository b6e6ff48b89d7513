"""A generated database password rotated on the emulator: the state machine moorage renders (started as the
schedule would) stages the new password, sets it on the instance, promotes it, rewrites the URL secret with it
and redeploys the reader; a failure before the database has it changes nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moorage import api

SPEC = """\
name: pwapp
region: eu-west-1
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health, uses: [db]}
databases:
  db: {engine: postgres, version: "16", rotate_days: 30}
environments:
  dev: {}
"""


def test_the_state_machine_rotates_the_password(tmp_path: Path, run_deploy: Callable[..., Any],
                                                aws: Callable[[str, str], Any],
                                                finished: Callable[..., dict[str, Any]]) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    result, _ = run_deploy(api.synth_environment(api.load_app(spec), "dev"))
    assert result.ok, result.failure
    sm = aws("secretsmanager", "eu-west-1")
    secret, url = result.outputs["data"]["DbDbSecret"], result.outputs["data"]["DbDbUrl"]
    old = json.loads(sm.get_secret_value(SecretId=secret)["SecretString"])
    ecs = aws("ecs", "eu-west-1")
    service = result.outputs["svc-web"]["ServiceName"]
    [before] = ecs.describe_services(cluster="pwapp-dev", services=[service])["services"][0]["deployments"]

    sfn = aws("stepfunctions", "eu-west-1")
    [machine] = sfn.list_state_machines()["stateMachines"]
    assert machine["name"] == "pwapp-dev-db-db-rotate"
    started = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")
    done = finished(sfn, started["executionArn"])
    assert done["status"] == "SUCCEEDED", done

    new = json.loads(sm.get_secret_value(SecretId=secret)["SecretString"])
    assert new["password"] != old["password"] and new["password"].isalnum() and len(new["password"]) == 32
    assert {k: v for k, v in new.items() if k != "password"} == {k: v for k, v in old.items() if k != "password"}
    previous = json.loads(sm.get_secret_value(SecretId=secret, VersionStage="AWSPREVIOUS")["SecretString"])
    assert previous["password"] == old["password"]
    host, port = result.outputs["data"]["DbDbHost"], result.outputs["data"]["DbDbPort"]
    assert sm.get_secret_value(SecretId=url)["SecretString"] == \
        f"postgresql://{new['username']}:{new['password']}@{host}:{port}/pwapp"
    [instance] = aws("rds", "eu-west-1").describe_db_instances(DBInstanceIdentifier="pwapp-dev-db")["DBInstances"]
    assert instance["DBInstanceStatus"] == "available"
    [after] = ecs.describe_services(cluster="pwapp-dev", services=[service])["services"][0]["deployments"]
    assert after["id"] != before["id"]
    assert new["password"] not in json.dumps(done.get("output") or "")
    # The execution history keeps each state's input: the passwords (the old one too) are in those up to
    # StoreUrl, not in the redeploys' nor in Done's.
    events = sfn.get_execution_history(executionArn=done["executionArn"], maxResults=1000)["events"]
    entered = [e["stateEnteredEventDetails"] for e in events if "stateEnteredEventDetails" in e]
    assert [d["name"] for d in entered if new["password"] in d.get("input", "")] == [
        "StagePending", "SetPassword", "Promote", "StoreUrl"]
    assert [d["name"] for d in entered if old["password"] in d.get("input", "")] == [
        "NewPassword", "StagePending", "SetPassword", "Promote", "StoreUrl"]
    assert [d["name"] for d in entered][-2:] == ["Redeploy0", "Done"]


def test_a_failure_before_the_database_changes_nothing(tmp_path: Path, run_deploy: Callable[..., Any],
                                                       aws: Callable[[str, str], Any],
                                                       finished: Callable[..., dict[str, Any]]) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    result, _ = run_deploy(api.synth_environment(api.load_app(spec), "dev"))
    assert result.ok, result.failure
    sm = aws("secretsmanager", "eu-west-1")
    secret = result.outputs["data"]["DbDbSecret"]
    old = sm.get_secret_value(SecretId=secret)["SecretString"]
    rds = aws("rds", "eu-west-1")
    rds.modify_db_instance(DBInstanceIdentifier="pwapp-dev-db", DeletionProtection=False)
    rds.delete_db_instance(DBInstanceIdentifier="pwapp-dev-db", SkipFinalSnapshot=True)  # SetPassword fails
    sfn = aws("stepfunctions", "eu-west-1")
    [machine] = sfn.list_state_machines()["stateMachines"]
    started = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")
    assert finished(sfn, started["executionArn"])["status"] == "FAILED"
    assert sm.get_secret_value(SecretId=secret)["SecretString"] == old  # AWSCURRENT untouched


USERS_SPEC = SPEC.replace("  web: {", "  api: {image: ghcr.io/acme/api:1.0.0, uses: [db]}\n  web: {").replace(
    "rotate_days: 30}", "rotate_days: 30, schemas: [api]}")


def test_users_get_new_passwords_and_the_bootstrap_job_is_started(
        tmp_path: Path, run_deploy: Callable[..., Any], aws: Callable[[str, str], Any]) -> None:
    """With a per-service user the machine stores its new password (same JSON shape) and starts one task of the
    bootstrap job in the job's subnets and security group. The emulator runs no container, so that task never
    stops: the rest (exit code, URL secrets, redeploys) is checked on the template (tests/render)."""
    spec = tmp_path / "moorage.yml"
    spec.write_text(USERS_SPEC, encoding="utf-8")
    result, _ = run_deploy(api.synth_environment(api.load_app(spec), "dev"))
    assert result.ok, result.failure
    sm = aws("secretsmanager", "eu-west-1")
    user_secret = result.outputs["data"]["DbDbUserApiSecret"]
    old = json.loads(sm.get_secret_value(SecretId=user_secret)["SecretString"])
    sfn = aws("stepfunctions", "eu-west-1")
    [machine] = sfn.list_state_machines()["stateMachines"]
    started = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")
    ecs = aws("ecs", "eu-west-1")
    deadline, tasks = time.monotonic() + 30, list[str]()
    while not tasks and time.monotonic() < deadline:
        tasks = ecs.list_tasks(cluster="pwapp-dev", startedBy="moorage-rotation")["taskArns"]
        time.sleep(0.2)
    try:
        assert len(tasks) == 1, sfn.describe_execution(executionArn=started["executionArn"])
        [task] = ecs.describe_tasks(cluster="pwapp-dev", tasks=tasks)["tasks"]
        assert task["taskDefinitionArn"] == result.outputs["svc-db-bootstrap"]["TaskDefinitionArn"]
        new = json.loads(sm.get_secret_value(SecretId=user_secret)["SecretString"])
        assert new["username"] == old["username"] == "api" and set(new) == set(old)
        assert new["password"] != old["password"] and new["password"].isalnum() and len(new["password"]) == 32
        described = sfn.describe_execution(executionArn=started["executionArn"])
        assert described["status"] == "RUNNING"  # polling a task that never stops here
    finally:
        sfn.stop_execution(executionArn=started["executionArn"])
