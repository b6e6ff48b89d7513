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


def test_per_service_users_rotate_through_one_bootstrap_run(synth_spec: Callable[[str, str], Synth]) -> None:
    """Each user gets a new password in its secret, the bootstrap job runs once (polled until it stops with exit
    0), each user's URL is rewritten with its schema, and its service is redeployed too; the role may run only
    that task definition and pass only its two roles."""
    spec = APP.replace("  other: {image: x:1}\n", "  other: {image: x:1}\n  api: {image: x:1, uses: [db]}\n"
                       "  svc-auth: {image: x:1, uses: [db]}\n")
    synth = synth_spec(spec.replace("rotate_days: 60}", "rotate_days: 60, schemas: [api, auth]}"), "prod")
    [rotation] = synth.plan.password_rotations
    assert rotation.services == ["api", "svc-auth", "web"] and rotation.job == "db-bootstrap"
    reason = next(d.reason for d in synth.plan.decisions if d.topic == "databases.db.rotation_schedule")
    assert "users api, svc_auth, runs job db-bootstrap once" in reason
    machine = of_type(synth, "AWS::StepFunctions::StateMachine")["DbDbRotationMachine"]
    body, variables = machine["DefinitionString"]["Fn::Sub"]
    states = json.loads(body)["States"]
    name, calls = "GetCurrent", []
    while name:
        calls.append((name, states[name].get("Resource", "").rsplit(":::", 1)[-1]))
        # the bootstrap task's poll (a Choice): on along its success branch
        choice = states[name]["Type"] == "Choice"
        name = states[name]["Choices"][0]["Next"] if choice else states[name].get("Next", "")
        if len(calls) > 40:
            raise AssertionError(calls)
    assert calls == [
        ("GetCurrent", "aws-sdk:secretsmanager:getSecretValue"),
        ("NewPassword", "aws-sdk:secretsmanager:getRandomPassword"),
        ("StagePending", "aws-sdk:secretsmanager:putSecretValue"),
        ("SetPassword", "aws-sdk:rds:modifyDBInstance"),
        ("Promote", "aws-sdk:secretsmanager:updateSecretVersionStage"),
        ("StoreUrl", "aws-sdk:secretsmanager:putSecretValue"),
        ("NewUser0", "aws-sdk:secretsmanager:getRandomPassword"),
        ("StoreUser0", "aws-sdk:secretsmanager:putSecretValue"),
        ("NewUser1", "aws-sdk:secretsmanager:getRandomPassword"),
        ("StoreUser1", "aws-sdk:secretsmanager:putSecretValue"),
        ("RunBootstrap", "aws-sdk:ecs:runTask"),
        ("WaitForBootstrap", ""), ("CheckBootstrap", "aws-sdk:ecs:describeTasks"), ("BootstrapDone", ""),
        ("ReadUser0", "aws-sdk:secretsmanager:getSecretValue"),
        ("StoreUserUrl0", "aws-sdk:secretsmanager:putSecretValue"),
        ("ReadUser1", "aws-sdk:secretsmanager:getSecretValue"),
        ("StoreUserUrl1", "aws-sdk:secretsmanager:putSecretValue"),
        ("Redeploy0", "aws-sdk:ecs:updateService"), ("Redeploy1", "aws-sdk:ecs:updateService"),
        ("Redeploy2", "aws-sdk:ecs:updateService"), ("Done", "")]
    assert states["NewUser0"]["Parameters"] == {"PasswordLength": 32, "ExcludePunctuation": True}
    assert states["NewUser0"]["ResultSelector"] == {"username": "api", "password.$": "$.RandomPassword"}
    assert states["NewUser1"]["ResultSelector"]["username"] == "svc_auth"
    assert states["StoreUser0"]["Parameters"] == {"SecretId": "${User0}",
                                                  "SecretString.$": "States.JsonToString($.user)"}
    for stored in ("StoreUser0", "StoreUser1", "StoreUserUrl0", "StoreUserUrl1"):
        assert states[stored]["ResultPath"] == "$"  # the password leaves the state once stored
    run = states["RunBootstrap"]["Parameters"]
    assert run["TaskDefinition"] == "${Job}" and run["LaunchType"] == "FARGATE" and run["Count"] == 1
    assert run["NetworkConfiguration"]["AwsvpcConfiguration"] == {
        "Subnets.$": "States.StringSplit('${Subnets}', ',')", "SecurityGroups": ["${JobGroup}"],
        "AssignPublicIp": "DISABLED"}
    assert "password" not in json.dumps(run)
    done = states["BootstrapDone"]
    assert done["Default"] == "WaitForBootstrap" and done["Choices"][1]["Next"] == "Notify"
    assert {"Variable": "$.check.task.Containers[0].ExitCode", "NumericEquals": 0} in done["Choices"][0]["And"]
    assert states["StoreUserUrl1"]["Parameters"]["SecretString.$"] == (
        "States.Format('postgresql://svc_auth:{}@${Host}:${Port}/demo?options=-csearch_path%3Dauth', "
        "$.user.value.password)")
    assert all(s["Catch"][0]["Next"] == "Notify" for s in states.values() if "aws-sdk" in s.get("Resource", ""))
    assert variables["User1"] == {"Ref": "DbDbUserSvcAuthSecret"}
    assert variables["UserUrl0"] == {"Ref": "DbDbUserApiUrl"}
    assert variables["Job"] == {"Ref": "BootstrapTaskDefinition"}
    params = synth.templates["rotation"]["Parameters"]
    assert "svc-db-bootstrap" in params["BootstrapTaskDefinition"]["Description"]
    assert "TaskRoleArn" in params["BootstrapTaskRole"]["Description"]
    statements = {s["Sid"]: s for s in of_type(synth, "AWS::IAM::Role")["DbDbRotationMachineRole"]["Policies"][0][
        "PolicyDocument"]["Statement"]}
    assert statements["Bootstrap"]["Action"] == ["ecs:RunTask"]
    assert statements["Bootstrap"]["Resource"] == [{"Ref": "BootstrapTaskDefinition"}]
    assert statements["BootstrapStatus"]["Action"] == ["ecs:DescribeTasks"]
    assert ":task/${C}/*" in json.dumps(statements["BootstrapStatus"]["Resource"])
    assert statements["BootstrapRoles"]["Resource"] == [{"Ref": "BootstrapTaskRole"}, {"Ref": "ExecutionRoleArn"}]
    assert statements["BootstrapRoles"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    assert statements["UserCredentials"]["Resource"] == [{"Ref": "DbDbUserApiSecret"},
                                                          {"Ref": "DbDbUserSvcAuthSecret"}]
    assert statements["UserUrls"]["Resource"] == [{"Ref": "DbDbUserApiUrl"}, {"Ref": "DbDbUserSvcAuthUrl"}]
    assert len(statements["Redeploy"]["Resource"]) == 3
    assert "TaskRoleArn" in synth.templates["svc-db-bootstrap"]["Outputs"]
    errors = [f.render() for f in lint_template(synth.template_text("rotation"), ["eu-west-1"], "rotation")]
    assert not errors, errors
    findings = [f for f in run_checks([template_set_of(synth)]).findings if f.resource.startswith("DbDbRotation")]
    assert findings == [], [(f.rule, f.message) for f in findings]


def test_without_users_the_machine_runs_no_job(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "prod")
    [rotation] = synth.plan.password_rotations
    assert rotation.job is None
    body, _ = of_type(synth, "AWS::StepFunctions::StateMachine")["DbDbRotationMachine"]["DefinitionString"]["Fn::Sub"]
    assert "ecs:runTask" not in body and "Bootstrap" not in json.dumps(synth.templates["rotation"]["Parameters"])


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
