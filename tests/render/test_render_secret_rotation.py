"""App secrets with `rotation_function` (your Lambda's ARN) and `rotate_days`: a rotation schedule on the secret
that runs the function, Secrets Manager's permission to invoke it for this secret only, and the readers redeployed
when the rotation succeeds (the same rule and state machine as after RDS rotates a password). Without a function
the reminder stays. Bad input is a located error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moorage.cfn import template_set_of
from moorage.errors import Diagnostic
from moorage.policy import run_checks
from moorage.render import Synth
from moorage.validate.lint import lint_template

FUNCTION = "arn:aws:lambda:eu-west-1:123456789012:function:rotate-api-key"
APP = f"""
name: demo
region: eu-west-1
alarms: {{email: ops@demo.example}}
services:
  web: {{image: x:1, port: 80, route: "/*", secrets: [API_KEY, JWT_SECRET]}}
  worker: {{image: x:1, secrets: {{KEY: API_KEY}}}}
  other: {{image: x:1}}
secrets:
  API_KEY: {{generate: false, rotate_days: 30, rotation_function: "{FUNCTION}"}}
  JWT_SECRET: {{rotate_days: 90}}
"""


def of_type(synth: Synth, stack: str, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in synth.templates[stack]["Resources"].items() if r["Type"] == kind}


def test_the_function_rotates_the_secret_and_the_readers_are_redeployed(
        synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "prod")
    [schedule] = of_type(synth, "data", "AWS::SecretsManager::RotationSchedule").values()
    assert schedule == {"SecretId": {"Ref": "SecretApiKey"}, "RotationLambdaARN": FUNCTION,
                        "RotateImmediatelyOnUpdate": False,
                        "RotationRules": {"ScheduleExpression": "rate(30 days)"}}
    [permission] = of_type(synth, "data", "AWS::Lambda::Permission").values()
    assert permission["FunctionName"] == FUNCTION and permission["Principal"] == "secretsmanager.amazonaws.com"
    assert permission["SourceArn"] == {"Ref": "SecretApiKey"}
    assert synth.templates["data"]["Resources"]["SecretApiKeyRotation"]["DependsOn"] == ["SecretApiKeyRotationInvoke"]

    [rule] = of_type(synth, "rotation", "AWS::Events::Rule").values()
    assert rule["EventPattern"]["detail"]["eventName"] == ["RotationSucceeded"]
    assert rule["EventPattern"]["detail"]["additionalEventData"]["SecretId"] == [{"Ref": "SecretApiKeyArn"}]
    [machine] = of_type(synth, "rotation", "AWS::StepFunctions::StateMachine").values()
    body, variables = machine["DefinitionString"]["Fn::Sub"]
    assert [s["Parameters"]["Service"] for s in json.loads(body)["States"].values()] == ["${Svc0}", "${Svc1}"]
    assert variables["Svc0"] == {"Ref": "WebServiceName"} and variables["Svc1"] == {"Ref": "WorkerServiceName"}
    assert rule["Targets"][0]["Arn"] == {"Ref": "RotateSecretApiKeyMachine"}
    role = json.dumps(of_type(synth, "rotation", "AWS::IAM::Role")["RotateSecretApiKeyMachineRole"])
    assert "OtherServiceName" not in role
    made = {d.topic: d.value for d in synth.plan.decisions}
    assert made["secrets.API_KEY.rotation"] == f"every 30 days by {FUNCTION}"
    assert made["secrets.API_KEY.restart"] == "redeploy web, worker when the rotation succeeds"
    # the function replaces the reminder; JWT_SECRET, without one, keeps its reminder
    names = sorted(p["Name"] for p in of_type(synth, "rotation", "AWS::Scheduler::Schedule").values())
    assert names == ["demo-prod-remind-secret-JWT_SECRET"]
    for stack in ("data", "rotation"):
        errors = [f.render() for f in lint_template(synth.template_text(stack), ["eu-west-1"], stack)]
        assert not errors, errors
    findings = [f for f in run_checks([template_set_of(synth)]).findings
                if f.resource.startswith(("SecretApiKey", "RotateSecretApiKey"))]
    assert findings == [], [(f.rule, f.message) for f in findings]


def test_without_a_function_no_schedule(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP.replace(f', rotation_function: "{FUNCTION}"', ""), "prod")
    assert of_type(synth, "data", "AWS::SecretsManager::RotationSchedule") == {}
    assert not [r for r in synth.plan.rotation_restarts if r.kind == "secret"]


def test_bad_rotation_functions_are_located_errors(
        input_errors: Callable[..., tuple[Path, list[Diagnostic]]]) -> None:
    _, [error] = input_errors(APP.replace(FUNCTION, "arn:aws:iam::123456789012:role/rotate"))
    assert "rotation_function" in str(error.location) + error.message and error.location.line > 0
    _, [error] = input_errors(APP.replace("rotate_days: 30, ", ""))
    assert "rotation_function needs rotate_days" in error.message and error.location.line > 0
