"""Cache AUTH token rotation on the emulator: the state machine moorage renders runs (StartExecution, what the
schedule does every N days), ElastiCache holds the old and the new token while the readers roll, the token and URL
secrets get the new token, the reader gets a new deployment, and in the end the cache accepts only the new token."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moorage import api
from moorage.emulator.rotation import auth_tokens

SPEC = """\
name: tokapp
region: eu-west-1
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health, uses: [cache]}
  report: {image: ghcr.io/acme/web:1.0.0, run: before-deploy, uses: [cache]}
caches:
  cache: {rotate_days: 30}
environments:
  dev: {}
"""


def test_the_state_machine_rotates_the_token(tmp_path: Path, run_deploy: Callable[..., Any],
                                             aws: Callable[[str, str], Any],
                                             finished: Callable[..., dict[str, Any]]) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    result, _ = run_deploy(api.synth_environment(api.load_app(spec), "dev"))
    assert result.ok, result.failure
    assert [e.resource_type for o in result.outcomes.values() for e in o.not_emulated] == []

    [schedule] = aws("scheduler", "eu-west-1").list_schedules()["Schedules"]
    assert schedule["Name"] == "tokapp-dev-cache-cache-rotate"
    target = aws("scheduler", "eu-west-1").get_schedule(Name=schedule["Name"])["Target"]
    assert json.loads(target["Input"]) == {"poll_seconds": 30}

    sm = aws("secretsmanager", "eu-west-1")
    token_secret = result.outputs["data"]["CacheCacheToken"]
    url_secret = result.outputs["data"]["CacheCacheUrl"]
    old = json.loads(sm.get_secret_value(SecretId=token_secret)["SecretString"])["token"]
    assert auth_tokens("eu-west-1", "tokapp-dev-cache") == [old]
    ecs = aws("ecs", "eu-west-1")
    service = result.outputs["svc-web"]["ServiceName"]
    [before] = ecs.describe_services(cluster="tokapp-dev", services=[service])["services"][0]["deployments"]

    sfn = aws("stepfunctions", "eu-west-1")
    [machine] = sfn.list_state_machines()["stateMachines"]
    assert machine["name"] == "tokapp-dev-cache-cache-rotate"
    # what the schedule starts, without its 30 s pauses
    started = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"poll_seconds": 0}')
    done = finished(sfn, started["executionArn"])
    assert done["status"] == "SUCCEEDED", done

    new = json.loads(sm.get_secret_value(SecretId=token_secret)["SecretString"])["token"]
    assert new != old and len(new) == 64 and new.isalnum()
    host, port = result.outputs["data"]["CacheCacheHost"], result.outputs["data"]["CacheCachePort"]
    assert sm.get_secret_value(SecretId=url_secret)["SecretString"] == f"rediss://:{new}@{host}:{port}"
    assert auth_tokens("eu-west-1", "tokapp-dev-cache") == [new]  # SET dropped the old token
    [after] = ecs.describe_services(cluster="tokapp-dev", services=[service])["services"][0]["deployments"]
    assert after["id"] != before["id"]
    assert new not in json.dumps(done.get("output") or "")  # the execution's output carries no token
    # The execution history keeps each state's input: the token is in those from AddToken to Forget and in
    # DropOldToken's, not in the redeploys and rollout checks (however many) nor in Done's.
    events = sfn.get_execution_history(executionArn=started["executionArn"], maxResults=1000)["events"]
    entered = [e["stateEnteredEventDetails"] for e in events if "stateEnteredEventDetails" in e]
    holding = [d["name"] for d in entered if new in d.get("input", "")]
    assert holding == ["AddToken", "WaitForToken", "CheckToken", "TokenReady", "StoreToken", "StoreUrl", "Forget",
                       "DropOldToken"], holding
    assert {"Redeploy0", "WaitForRollout0", "CheckRollout0", "ReadToken", "Done"} <= {d["name"] for d in entered}


def test_a_failed_rotation_keeps_the_old_token(tmp_path: Path, run_deploy: Callable[..., Any],
                                               aws: Callable[[str, str], Any],
                                               finished: Callable[..., dict[str, Any]]) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    result, _ = run_deploy(api.synth_environment(api.load_app(spec), "dev"))
    assert result.ok, result.failure
    sm = aws("secretsmanager", "eu-west-1")
    token_secret = result.outputs["data"]["CacheCacheToken"]
    old = sm.get_secret_value(SecretId=token_secret)["SecretString"]
    # a group that is neither available nor modifying (here: being deleted) ends the rotation
    aws("elasticache", "eu-west-1").delete_replication_group(ReplicationGroupId="tokapp-dev-cache")
    sfn = aws("stepfunctions", "eu-west-1")
    [machine] = sfn.list_state_machines()["stateMachines"]
    started = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"poll_seconds": 0}')
    assert finished(sfn, started["executionArn"])["status"] == "FAILED"
    assert sm.get_secret_value(SecretId=token_secret)["SecretString"] == old  # nothing stored
    assert json.loads(old)["token"] in auth_tokens("eu-west-1", "tokapp-dev-cache")  # the readers' token still works
