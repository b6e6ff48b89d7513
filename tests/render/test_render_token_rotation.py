"""A cache's AUTH token rotated without function code: an EventBridge Scheduler schedule starts a Step Functions
state machine whose steps are exactly these SDK calls (new token, ROTATE, wait for the group, store the token and
URL, redeploy the readers and wait for their rollouts, SET); its role reaches only this group, these secrets, these
services and the warning topic. cfn-lint, cost and policy take it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moorage.cfn import template_set_of
from moorage.cost.estimate import estimate_template_set
from moorage.policy import run_checks
from moorage.render import Synth
from moorage.validate.lint import lint_template

APP = """
name: demo
region: eu-west-1
alarms: {email: ops@demo.example, warning: {email: [dev@demo.example]}}
services:
  web: {image: x:1, port: 80, route: "/*", uses: [cache]}
  worker: {image: x:1, uses: [cache]}
  other: {image: x:1}
  migrate: {image: x:1, run: before-deploy, uses: [cache]}
caches:
  cache: {rotate_days: 45}
"""


def of_type(synth: Synth, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in synth.templates["rotation"]["Resources"].items() if r["Type"] == kind}


def definition(synth: Synth) -> tuple[dict[str, Any], dict[str, Any]]:
    machine = of_type(synth, "AWS::StepFunctions::StateMachine")["CacheCacheRotationMachine"]
    body, variables = machine["DefinitionString"]["Fn::Sub"]
    return json.loads(body), variables


def path(states: dict[str, Any], start: str, choose: dict[str, str]) -> list[str]:
    """The states visited from ``start`` when each Choice state goes where ``choose`` says."""
    out, name = [], start
    while name:
        out.append(name)
        state = states[name]
        name = choose.get(name) or state.get("Next") or ""
    return out


def test_the_state_machine_calls_exactly_these_apis(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "prod")
    body, variables = definition(synth)
    states = body["States"]
    ready = {"TokenReady": "StoreToken", "RolledOut0": "WaitForRollout1", "RolledOut1": "ReadToken"}
    calls = [(n, states[n].get("Resource", "").rsplit(":::", 1)[-1]) for n in path(states, body["StartAt"], ready)]
    assert calls == [
        ("NewToken", "aws-sdk:secretsmanager:getRandomPassword"),
        ("AddToken", "aws-sdk:elasticache:modifyReplicationGroup"),
        ("WaitForToken", ""), ("CheckToken", "aws-sdk:elasticache:describeReplicationGroups"), ("TokenReady", ""),
        ("StoreToken", "aws-sdk:secretsmanager:putSecretValue"),
        ("StoreUrl", "aws-sdk:secretsmanager:putSecretValue"), ("Forget", ""),
        ("Redeploy0", "aws-sdk:ecs:updateService"), ("Redeploy1", "aws-sdk:ecs:updateService"),
        ("WaitForRollout0", ""), ("CheckRollout0", "aws-sdk:ecs:describeServices"), ("RolledOut0", ""),
        ("WaitForRollout1", ""), ("CheckRollout1", "aws-sdk:ecs:describeServices"), ("RolledOut1", ""),
        ("ReadToken", "aws-sdk:secretsmanager:getSecretValue"),
        ("DropOldToken", "aws-sdk:elasticache:modifyReplicationGroup"), ("Done", "")]
    # the token leaves the state before the redeploys and rollout checks, and comes back from the secret for SET
    assert states["Forget"]["Parameters"] == {"poll_seconds.$": "$.poll_seconds"}
    assert states["ReadToken"]["Parameters"] == {"SecretId": "${Token}"}
    assert states["DropOldToken"]["Parameters"]["AuthToken.$"] == "$.stored.value.token"
    assert states["DropOldToken"]["ResultPath"] == "$"  # Done's input: the call's result, no token
    assert states["NewToken"]["Parameters"] == {"PasswordLength": 64, "ExcludePunctuation": True}
    assert states["AddToken"]["Parameters"] == {
        "ReplicationGroupId": "${Group}", "AuthToken.$": "$.new.token", "AuthTokenUpdateStrategy": "ROTATE",
        "ApplyImmediately": True}
    assert states["DropOldToken"]["Parameters"]["AuthTokenUpdateStrategy"] == "SET"
    assert states["StoreToken"]["Parameters"] == {"SecretId": "${Token}",
                                                  "SecretString.$": "States.JsonToString($.new)"}
    assert states["StoreUrl"]["Parameters"]["SecretString.$"] == \
        "States.Format('rediss://:{}@${Host}:${Port}', $.new.token)"
    # a group in any other state than available or modifying, and every failed call, tells the warning topic
    assert states["TokenReady"]["Default"] == "Notify"
    tasks = [s for s in states.values() if "aws-sdk" in s.get("Resource", "")]
    assert all(s["Catch"][0]["Next"] == "Notify" for s in tasks)
    assert states["Notify"]["Parameters"]["TopicArn"] == "${Topic}" and states["Failed"]["Type"] == "Fail"
    assert "token" not in json.dumps(states["Done"]) and "ResultPath" not in states["Done"]
    assert variables["Group"] == "demo-prod-cache" and variables["Token"] == {"Ref": "CacheCacheToken"}
    assert variables["Url"] == {"Ref": "CacheCacheUrl"} and variables["Host"] == {"Ref": "CacheCacheHost"}
    assert variables["Svc0"] == {"Ref": "WebServiceName"} and variables["Svc1"] == {"Ref": "WorkerServiceName"}
    assert variables["Topic"] == {"Ref": "WarningTopicArn"}
    assert synth.templates["rotation"]["Parameters"]["CacheCacheToken"]["Description"] == \
        "from stack data: output CacheCacheToken"


def test_the_schedule_and_the_least_privilege_role(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "prod")
    [schedule] = of_type(synth, "AWS::Scheduler::Schedule").values()
    assert schedule["ScheduleExpression"] == "rate(45 days)" and schedule["Name"] == "demo-prod-cache-cache-rotate"
    assert schedule["Target"]["Arn"] == {"Ref": "CacheCacheRotationMachine"}
    assert json.loads(schedule["Target"]["Input"]) == {"poll_seconds": 30}
    roles = of_type(synth, "AWS::IAM::Role")
    start = roles["CacheCacheRotationScheduleRole"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert start[0] == {"Effect": "Allow", "Action": ["states:StartExecution"],
                        "Resource": [{"Ref": "CacheCacheRotationMachine"}]}
    # the machine is encrypted with the customer key: the scheduler encrypts its input with it, for this machine
    assert start[1]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"] and len(start) == 2
    assert start[1]["Condition"]["StringEquals"]["kms:EncryptionContext:aws:states:stateMachineArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
                   "demo-prod-cache-cache-rotate"}
    statements = {s.get("Sid"): s for s in
                  roles["CacheCacheRotationMachineRole"]["Policies"][0]["PolicyDocument"]["Statement"]}
    assert statements["Store"]["Resource"] == [{"Ref": "CacheCacheToken"}, {"Ref": "CacheCacheUrl"}]
    assert statements["ReadToken"]["Resource"] == [{"Ref": "CacheCacheToken"}]  # read back for SET
    assert "replicationgroup:demo-prod-cache" in json.dumps(statements["Token"]["Resource"])
    assert "OtherServiceName" not in json.dumps(statements["Redeploy"])  # only the readers
    assert statements["Redeploy"]["Action"] == ["ecs:UpdateService", "ecs:DescribeServices"]
    assert "SecretKey" in statements and "TopicKey" in statements  # prod: the customer key, encrypted topics
    made = {d.topic: d.value for d in synth.plan.decisions}
    assert made["caches.cache.rotation"] == "every 45 days"
    [plan] = synth.plan.token_rotations
    assert plan.services == ["web", "worker"] and plan.identifier == "demo-prod-cache"  # the job reads at start
    deps = next(s for s in synth.plan.stacks if s.key == "rotation").depends_on
    assert {"platform", "data", "svc-web", "svc-worker"} <= set(deps) and "svc-other" not in deps


def test_the_execution_history_is_encrypted_with_the_customer_key(
        synth_spec: Callable[[str, str], Synth]) -> None:
    """The history holds the new token (state inputs, task parameters): with a customer key, reading it needs
    kms:Decrypt on that key; the machine's role may use the key for this machine's data only."""
    synth = synth_spec(APP, "prod")
    machine = of_type(synth, "AWS::StepFunctions::StateMachine")["CacheCacheRotationMachine"]
    assert machine["EncryptionConfiguration"] == {"Type": "CUSTOMER_MANAGED_KMS_KEY", "KmsKeyId": {"Ref": "KeyArn"},
                                                  "KmsDataKeyReusePeriodSeconds": 300}
    assert machine["LoggingConfiguration"]["IncludeExecutionData"] is False
    assert machine["LoggingConfiguration"]["Level"] == "ERROR"
    statements = {s.get("Sid"): s for s in of_type(synth, "AWS::IAM::Role")["CacheCacheRotationMachineRole"][
        "Policies"][0]["PolicyDocument"]["Statement"]}
    key = statements["HistoryKey"]
    assert key["Resource"] == {"Ref": "KeyArn"} and key["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert "stateMachine:demo-prod-cache-cache-rotate" in json.dumps(
        key["Condition"]["StringEquals"]["kms:EncryptionContext:aws:states:stateMachineArn"])


def test_without_a_customer_key_the_history_keeps_the_aws_owned_key(synth_spec: Callable[[str, str], Synth]) -> None:
    """dev has no customer key: no EncryptionConfiguration, no key statements (docs/deploy.md says who reads it)."""
    synth = synth_spec(APP, "dev")
    assert not synth.plan.customer_key
    machine = of_type(synth, "AWS::StepFunctions::StateMachine")["CacheCacheRotationMachine"]
    assert "EncryptionConfiguration" not in machine
    assert "kms:" not in json.dumps(of_type(synth, "AWS::IAM::Role")["CacheCacheRotationScheduleRole"])


def test_lint_cost_and_policy(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "prod")
    errors = [f.render() for f in lint_template(synth.template_text("rotation"), ["eu-west-1"], "rotation")]
    assert not errors, errors
    tset = template_set_of(synth)
    lines = [i for i in estimate_template_set(tset).items if i.stack == "rotation"
             and i.type in ("AWS::StepFunctions::StateMachine", "AWS::Scheduler::Schedule")]
    assert len(lines) == 2 and all(i.status == "free" for i in lines), lines
    findings = [f for f in run_checks([tset]).findings if f.resource.startswith("CacheCacheRotation")]
    assert findings == [], [(f.rule, f.message) for f in findings]


def test_no_rotate_days_no_rotation(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP.replace("{rotate_days: 45}", "{}"), "dev")  # dev sets no rotation period
    assert "rotation" not in synth.templates and synth.plan.token_rotations == []


def _actions(node: Any) -> list[str]:
    """Every IAM action (Action, NotAction) anywhere under ``node``."""
    if isinstance(node, dict):
        found = [a for k in ("Action", "NotAction") if k in node
                 for a in ([node[k]] if isinstance(node[k], str) else node[k])]
        return found + [a for value in node.values() for a in _actions(value)]
    if isinstance(node, list):
        return [a for item in node for a in _actions(item)]
    return []


def test_no_role_moorage_creates_reads_execution_history(synth_spec: Callable[[str, str], Synth]) -> None:
    """docs/deploy.md: without a customer key, who reads the history is who has states:GetExecutionHistory; no
    role moorage creates does (no states:Get*, states:* or * action in any template)."""
    for profile in ("dev", "prod"):
        actions = _actions(synth_spec(APP, profile).templates)
        assert "states:StartExecution" in actions
        assert not [a for a in actions if a in ("*", "states:*") or a.lower().startswith("states:get")], actions
