"""Rotation schedules and reminders in the templates: `rotate_days` on an RDS-managed password is a rotation
schedule on the secret RDS manages (prod: 30 days by default), a generated password gets none unless the spec
sets rotate_days (then a state machine rotates it),
and app secrets with `rotate_days` get a Scheduler schedule that sends a reminder to the warning alarm topic (a
cache's AUTH token gets a schedule that starts its rotation). cfn-lint, cost and policy take all of it."""

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
  web: {image: x:1, port: 80, route: "/*", uses: [db, plain, cache], secrets: [JWT_SECRET, API_KEY]}
databases:
  db: {engine: postgres, version: "16", password: managed}
  plain: {engine: postgres, version: "16"}
caches:
  cache: {}
secrets:
  JWT_SECRET: {length: 64, rotate_days: 90}
  API_KEY: {generate: false, rotate_days: 180}
  QUIET: {}
"""


def of_type(synth: Synth, stack: str, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in synth.templates[stack]["Resources"].items() if r["Type"] == kind}


def decisions(synth: Synth) -> dict[str, str]:
    return {d.topic: d.value for d in synth.plan.decisions}


def test_prod_rotates_the_managed_password_every_30_days(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "prod")
    [schedule] = of_type(synth, "data", "AWS::SecretsManager::RotationSchedule").values()
    assert schedule["SecretId"] == {"Fn::GetAtt": ["DbDb", "MasterUserSecret.SecretArn"]}
    assert schedule["RotationRules"] == {"ScheduleExpression": "rate(30 days)"}
    # RDS runs the rotation itself: no function, no transform
    assert "RotationLambdaARN" not in schedule and "HostedRotationLambda" not in schedule
    assert "Transform" not in synth.templates["data"]
    made = decisions(synth)
    assert made["databases.db.rotation_schedule"] == "every 30 days"
    assert made["databases.plain.rotation_schedule"] == "none (generated password)"
    assert made["databases.db.password"] == "managed by RDS (rotated every 30 days)"
    for stack in ("data", "rotation"):
        errors = [f.render() for f in lint_template(synth.template_text(stack), ["eu-west-1"], stack)]
        assert not errors, errors


def test_spec_sets_the_days_and_dev_has_no_schedule(synth_spec: Callable[[str, str], Synth]) -> None:
    dev = synth_spec(APP, "dev")
    assert of_type(dev, "data", "AWS::SecretsManager::RotationSchedule") == {}
    given = synth_spec(APP.replace("password: managed}", "password: managed, rotate_days: 7}"), "dev")
    [schedule] = of_type(given, "data", "AWS::SecretsManager::RotationSchedule").values()
    assert schedule["RotationRules"] == {"ScheduleExpression": "rate(7 days)"}


def test_reminders_go_to_the_warning_topic(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "prod")
    schedules = of_type(synth, "rotation", "AWS::Scheduler::Schedule")
    by_name = {p["Name"]: p for p in schedules.values()}
    # QUIET has no rotate_days; the cache's token is rotated by a state machine (test_render_token_rotation)
    assert sorted(by_name) == ["demo-prod-cache-cache-rotate", "demo-prod-remind-secret-API_KEY",
                               "demo-prod-remind-secret-JWT_SECRET"]
    assert by_name["demo-prod-cache-cache-rotate"]["ScheduleExpression"] == "rate(30 days)"
    assert by_name["demo-prod-remind-secret-JWT_SECRET"]["ScheduleExpression"] == "rate(90 days)"
    jwt = by_name["demo-prod-remind-secret-JWT_SECRET"]["Target"]
    assert jwt["Arn"] == {"Ref": "WarningTopicArn"}
    assert "moorage secrets rotate JWT_SECRET --env prod --restart" in jwt["Input"]
    assert "moorage secrets set API_KEY" in by_name["demo-prod-remind-secret-API_KEY"]["Target"]["Input"]
    params = synth.templates["rotation"]["Parameters"]
    assert params["WarningTopicArn"]["Description"] == "from stack platform: output WarningTopicArn"
    role = of_type(synth, "rotation", "AWS::IAM::Role")["ReminderRole"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert json.loads(json.dumps(role["Policies"]))[0]["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": ["sns:Publish"], "Resource": [{"Ref": "WarningTopicArn"}]},
        # the topic is encrypted with the platform's alarm topic key: Scheduler's role needs a data key from it
        {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
         "Resource": [{"Ref": "AlarmTopicKeyArn"}]}]
    assert synth.templates["platform"]["Outputs"]["AlarmTopicKeyArn"]["Value"] == {
        "Fn::GetAtt": ["AlarmTopicKey", "Arn"]}
    made = decisions(synth)
    assert made["caches.cache.rotation"] == "every 30 days"
    assert made["secrets.JWT_SECRET.reminder"] == "every 90 days"


def test_without_a_warning_topic_reminders_go_to_the_alarm_topic(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP.replace(", warning: {email: [dev@demo.example]}", "").replace(", password: managed", ""),
                       "dev")
    schedules = of_type(synth, "rotation", "AWS::Scheduler::Schedule")
    assert sorted(p["Name"] for p in schedules.values()) == ["demo-dev-remind-secret-API_KEY",
                                                             "demo-dev-remind-secret-JWT_SECRET"]  # dev: no cache
    assert all(p["Target"]["Arn"] == {"Ref": "AlarmTopicArn"} for p in schedules.values())
    deps = next(s for s in synth.plan.stacks if s.key == "rotation").depends_on
    assert deps == ["platform"]  # no managed password, no redeploy: reminders only


def test_cost_prices_and_policy_passes(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "prod")
    tset = template_set_of(synth)
    estimate = estimate_template_set(tset)
    kinds = ("AWS::Scheduler::Schedule", "AWS::SecretsManager::RotationSchedule")
    lines = [i for i in estimate.items if i.type in kinds]
    assert len(lines) == 4 and all(i.status == "free" for i in lines), lines
    report = run_checks([tset])
    sec006 = [f for f in report.findings if f.rule == "MOO-SEC-006"]
    # the generated password of `plain` still has no rotation: the policy keeps saying so
    assert [f.resource for f in sec006] == ["DbPlainSecretAttachment"], sec006


def test_rotate_days_on_a_generated_password_rotates_it(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP.replace("plain: {engine: postgres, version: \"16\"}",
                                   "plain: {engine: postgres, version: \"16\", rotate_days: 30}"), "dev")
    assert not [w for w in synth.plan.warnings if "rotate_days" in w.message]
    # no Secrets Manager schedule (it would need a function): a state machine (test_render_password_rotation)
    assert of_type(synth, "data", "AWS::SecretsManager::RotationSchedule") == {}
    assert [p.database for p in synth.plan.password_rotations] == ["plain"]
    assert decisions(synth)["databases.plain.password"] == "generated into Secrets Manager (rotated every 30 days)"
