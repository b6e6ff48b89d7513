"""When RDS rotates a managed password, the services that read it are redeployed: an EventBridge rule on
RotationSucceeded of that secret starts a state machine that forces a new deployment of each reader."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moorage.cfn import template_set_of
from moorage.policy import run_checks
from moorage.render import Synth
from moorage.validate.lint import lint_template

APP = """
name: demo
region: eu-west-1
alarms: {email: ops@demo.example}
services:
  web: {image: x:1, port: 80, route: "/*", uses: [db]}
  worker: {image: x:1, uses: [db]}
  other: {image: x:1}
  migrate: {image: x:1, run: before-deploy, uses: [db]}
databases:
  db: {engine: postgres, version: "16", password: managed}
"""


def res(synth: Synth, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in synth.templates["rotation"]["Resources"].items() if r["Type"] == kind}


def test_rotation_redeploys_the_readers(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "prod")
    assert {d.topic: d.value for d in synth.plan.decisions}["databases.db.rotation"] == \
        "redeploy web, worker when RDS rotates the password"
    [rule] = res(synth, "AWS::Events::Rule").values()
    pattern = rule["EventPattern"]
    assert pattern["detail"]["eventName"] == ["RotationSucceeded"]
    assert pattern["detail"]["additionalEventData"]["SecretId"] == [{"Ref": "DbDbSecret"}]
    parameter = synth.templates["rotation"]["Parameters"]["DbDbSecret"]
    assert parameter["Description"] == "from stack data: output DbDbSecret"
    [machine] = res(synth, "AWS::StepFunctions::StateMachine").values()
    body, variables = machine["DefinitionString"]["Fn::Sub"]
    states = json.loads(body)["States"]
    assert [s["Parameters"]["Service"] for s in states.values()] == ["${Svc0}", "${Svc1}"]
    assert all(s["Parameters"]["ForceNewDeployment"] is True for s in states.values())
    assert variables["Svc0"] == {"Ref": "WebServiceName"} and variables["Cluster"] == {"Ref": "ClusterName"}
    assert rule["Targets"][0]["Arn"] == {"Ref": "RotateDbMachine"}
    role = json.dumps(res(synth, "AWS::IAM::Role")["RotateDbMachineRole"]["Policies"])
    assert "ecs:UpdateService" in role and "OtherServiceName" not in role  # only the readers
    deps = next(s for s in synth.plan.stacks if s.key == "rotation").depends_on
    assert {"svc-web", "svc-worker"} <= set(deps) and "svc-other" not in deps
    errors = [f.render() for f in lint_template(synth.template_text("rotation"), ["eu-west-1"], "rotation")]
    assert not errors, errors
    report = run_checks([template_set_of(synth)])
    assert not report.failing("high")


def test_no_managed_password_no_rotation_stack(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP.replace(", password: managed", ""), "prod")
    assert "rotation" not in synth.templates and not synth.plan.rotation_restarts
