"""An app secret rotated by the user's function, on the emulator: the deploy records the rotation schedule and the
function on the secret, grants Secrets Manager the invoke, and RotationSucceeded for that secret (what CloudTrail
sends once the function has rotated it) redeploys its reader. The function itself does not run here (moto would
need Docker to run Lambda code)."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moorage import api

FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:rotate-api-key"
SPEC = f"""\
name: fnapp
region: eu-west-1
services:
  web: {{image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health, secrets: [API_KEY]}}
secrets:
  API_KEY: {{generate: false, rotate_days: 30, rotation_function: "{FUNCTION}"}}
environments:
  dev: {{}}
"""


def _function(aws: Callable[[str, str], Any]) -> None:
    """The user's rotation function (it exists before moorage deploys; moto stores it without running it)."""
    role = aws("iam", "us-east-1").create_role(RoleName="rotator", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return None\n")
    aws("lambda", "eu-west-1").create_function(FunctionName="rotate-api-key", Runtime="python3.12", Role=role,
                                               Handler="index.handler", Code={"ZipFile": code.getvalue()})


def test_the_function_is_scheduled_and_a_success_redeploys(tmp_path: Path, run_deploy: Callable[..., Any],
                                                           aws: Callable[[str, str], Any]) -> None:
    _function(aws)
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    result, _ = run_deploy(api.synth_environment(api.load_app(spec), "dev"))
    assert result.ok, result.failure
    assert [e.resource_type for o in result.outcomes.values() for e in o.not_emulated] == []

    sm = aws("secretsmanager", "eu-west-1")
    secret = result.outputs["data"]["SecretApiKeyArn"]
    described = sm.describe_secret(SecretId=secret)
    assert described["RotationEnabled"] is True and described["RotationLambdaARN"] == FUNCTION
    assert described["RotationRules"]["AutomaticallyAfterDays"] == 30
    policy = json.loads(aws("lambda", "eu-west-1").get_policy(FunctionName="rotate-api-key")["Policy"])
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"Service": "secretsmanager.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == secret

    ecs = aws("ecs", "eu-west-1")
    service = result.outputs["svc-web"]["ServiceName"]
    [before] = ecs.describe_services(cluster="fnapp-dev", services=[service])["services"][0]["deployments"]
    # what CloudTrail delivers once the function has finished its four steps
    aws("events", "eu-west-1").put_events(Entries=[{
        "Source": "aws.secretsmanager", "DetailType": "AWS Service Event via CloudTrail",
        "Detail": json.dumps({"eventSource": "secretsmanager.amazonaws.com", "eventName": "RotationSucceeded",
                              "additionalEventData": {"SecretId": secret}})}])
    sfn = aws("stepfunctions", "eu-west-1")
    [machine] = sfn.list_state_machines()["stateMachines"]
    assert machine["name"] == "fnapp-dev-rotate-secret-API_KEY"
    deadline = time.monotonic() + 30
    while True:
        executions = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
        if executions and executions[0]["status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [e["status"] for e in executions] == ["SUCCEEDED"], executions
    [after] = ecs.describe_services(cluster="fnapp-dev", services=[service])["services"][0]["deployments"]
    assert after["id"] != before["id"]


def test_a_function_of_another_account_is_refused_before_any_stack(tmp_path: Path, run_deploy: Callable[..., Any],
                                                                   aws: Callable[[str, str], Any]) -> None:
    from moorage.deploy.run import DeployRefused

    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC.replace(":123456789012:", ":999999999999:"), encoding="utf-8")
    synth = api.synth_environment(api.load_app(spec), "dev")  # the spec alone cannot know the account
    for dry_run in (True, False):
        try:
            run_deploy(synth, dry_run=dry_run)
        except DeployRefused as refused:
            message = refused.render()
        else:
            raise AssertionError("a rotation function of another account was deployed")
        assert message.startswith("secrets.API_KEY.rotation_function: the function is in account 999999999999, "
                                  "this deploy goes to account 123456789012"), message
        assert "fix: name a rotation function in account 123456789012" in message
    assert aws("cloudformation", "eu-west-1").list_stacks()["StackSummaries"] == []  # nothing was created
