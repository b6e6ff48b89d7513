"""A generated database password with `rotate_days` in the spec: a schedule starts a state machine whose steps
are exactly these SDK calls (read the credentials, new password, stage it as AWSPENDING, set it on the instance
or cluster, promote it to AWSCURRENT, rewrite the URL secret, redeploy the readers). Its role reaches only this
database, these secrets, the readers and the warning topic. cfn-lint and policy take it. Without rotate_days in
the spec (a profile default) the password does not rotate, and the plan says why."""

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
  other: {image: x:1}
databases:
  db: {engine: postgres, version: "16", rotate_days: 60}
"""


def of_type(synth: Synth, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in synth.templates["rotation"]["Resources"].items() if r["Type"] == kind}


def test_the_state_machine_calls_exactly_these_apis(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "prod")
    machine = of_type(synth, "AWS::StepFunctions::StateMachine")["DbDbRotationMachine"]
    body, variables = machine["DefinitionString"]["Fn::Sub"]
    definition = json.loads(body)
    states, name, calls = definition["States"], definition["StartAt"], []
    while name:
        calls.append((name, states[name].get("Resource", "").rsplit(":::", 1)[-1]))
        name = states[name].get("Next", "")
    assert calls == [
        ("GetCurrent", "aws-sdk:secretsmanager:getSecretValue"),
        ("NewPassword", "aws-sdk:secretsmanager:getRandomPassword"),
        ("StagePending", "aws-sdk:secretsmanager:putSecretValue"),
        ("SetPassword", "aws-sdk:rds:modifyDBInstance"),
        ("Promote", "aws-sdk:secretsmanager:updateSecretVersionStage"),
        ("StoreUrl", "aws-sdk:secretsmanager:putSecretValue"),
        ("Redeploy0", "aws-sdk:ecs:updateService"), ("Done", "")]
    assert states["NewPassword"]["Parameters"] == {"PasswordLength": 32, "ExcludePunctuation": True}
    assert states["StagePending"]["Parameters"]["VersionStages"] == ["AWSPENDING"]
    assert states["SetPassword"]["Parameters"] == {"DBInstanceIdentifier": "${Database}",
                                                   "MasterUserPassword.$": "$.new.password", "ApplyImmediately": True}
    assert states["Promote"]["Parameters"]["VersionStage"] == "AWSCURRENT" and states["Promote"]["Retry"]
    assert states["StoreUrl"]["Parameters"]["SecretString.$"] == \
        "States.Format('postgresql://{}:{}@${Host}:${Port}/demo', $.current.value.username, $.new.password)"
    assert all(s["Catch"][0]["Next"] == "Notify" for s in states.values() if "aws-sdk" in s.get("Resource", ""))
    assert states["StoreUrl"]["ResultPath"] == "$"  # the redeploys' input: the stored version, no password
    assert variables["Database"] == "demo-prod-db" and variables["Secret"] == {"Ref": "DbDbSecret"}
    assert variables["Url"] == {"Ref": "DbDbUrl"} and variables["Svc0"] == {"Ref": "WebServiceName"}
    [schedule] = of_type(synth, "AWS::Scheduler::Schedule").values()
    assert schedule["ScheduleExpression"] == "rate(60 days)" and schedule["Name"] == "demo-prod-db-db-rotate"
    statements = {s["Sid"]: s for s in of_type(synth, "AWS::IAM::Role")["DbDbRotationMachineRole"]["Policies"][0][
        "PolicyDocument"]["Statement"]}
    assert statements["Password"]["Action"] == ["rds:ModifyDBInstance"]
    assert ":db:demo-prod-db" in json.dumps(statements["Password"]["Resource"])
    assert statements["Credentials"]["Resource"] == [{"Ref": "DbDbSecret"}]
    assert statements["Url"]["Resource"] == [{"Ref": "DbDbUrl"}]
    assert "OtherServiceName" not in json.dumps(statements)
    # the history holds the new password: encrypted with the customer key, which the role uses for it alone
    machine = of_type(synth, "AWS::StepFunctions::StateMachine")["DbDbRotationMachine"]
    assert machine["EncryptionConfiguration"]["Type"] == "CUSTOMER_MANAGED_KMS_KEY"
    assert machine["EncryptionConfiguration"]["KmsKeyId"] == {"Ref": "KeyArn"}
    assert "stateMachine:demo-prod-db-db-rotate" in json.dumps(statements["HistoryKey"]["Condition"])
    start = of_type(synth, "AWS::IAM::Role")["DbDbRotationScheduleRole"]["Policies"][0]["PolicyDocument"]
    assert [s.get("Sid") for s in start["Statement"]] == [None, "InputKey"]
    made = {d.topic: d.value for d in synth.plan.decisions}
    assert made["databases.db.rotation_schedule"] == "every 60 days"
    errors = [f.render() for f in lint_template(synth.template_text("rotation"), ["eu-west-1"], "rotation")]
    assert not errors, errors
    findings = [f for f in run_checks([template_set_of(synth)]).findings if f.resource.startswith("DbDbRotation")]
    assert findings == [], [(f.rule, f.message) for f in findings]


def test_aurora_modifies_the_cluster(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP.replace("engine: postgres", "engine: aurora-postgresql"), "prod")
    machine = of_type(synth, "AWS::StepFunctions::StateMachine")["DbDbRotationMachine"]
    body, _ = machine["DefinitionString"]["Fn::Sub"]
    step = json.loads(body)["States"]["SetPassword"]
    assert step["Resource"].endswith("rds:modifyDBCluster")
    assert step["Parameters"]["DBClusterIdentifier"] == "${Database}"


def test_a_profile_default_does_not_rotate_a_generated_password(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP.replace(", rotate_days: 60", ""), "prod")
    assert synth.plan.password_rotations == [] and "rotation" not in synth.templates
    made = {d.topic: d.value for d in synth.plan.decisions}
    assert made["databases.db.rotation_schedule"] == "none (generated password)"


def test_per_service_users_are_not_rotated_and_their_services_not_redeployed(
        synth_spec: Callable[[str, str], Synth]) -> None:
    spec = APP.replace("  other: {image: x:1}\n", "  other: {image: x:1}\n  api: {image: x:1, uses: [db]}\n")
    synth = synth_spec(spec.replace("rotate_days: 60}", "rotate_days: 60, schemas: [api]}"), "prod")
    [rotation] = synth.plan.password_rotations
    assert rotation.services == ["web"]  # api connects as its own user
    made = {d.topic: d.value for d in synth.plan.decisions}
    assert made["databases.db.rotation_schedule"] == "every 60 days"
    reason = next(d.reason for d in synth.plan.decisions if d.topic == "databases.db.rotation_schedule")
    assert reason.endswith("; per-service users are not rotated")


def test_policy_counts_the_scheduled_machine_as_rotation(synth_spec: Callable[[str, str], Synth]) -> None:
    """MOO-SEC-006 (production database credentials rotate) passes a generated password that the scheduled state
    machine rotates, and still fires when the schedule is gone (a machine nobody starts rotates nothing)."""
    synth = synth_spec(APP, "prod")
    tset = template_set_of(synth)
    assert [f for f in run_checks([tset]).findings if f.rule == "MOO-SEC-006"] == []
    rotation = tset.templates["rotation"]["Resources"]
    for lid in [k for k, r in rotation.items() if r["Type"] == "AWS::Scheduler::Schedule"]:
        del rotation[lid]
    assert [f.resource for f in run_checks([tset]).findings if f.rule == "MOO-SEC-006"] == ["DbDbSecretAttachment"]
