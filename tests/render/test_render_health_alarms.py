"""Route 53 health-check alarms: in us-east-1 (the only region with those metrics), notifying a topic there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from moorage.render import Synth
from moorage.validate.lint import lint_template

APP = """
name: demo
region: REGION
domain: {name: app.demo.example.com, zone_id: Z0123456789ABCDEFGHIJ, health: /health}
alarms:
  email: ops@demo.example
  critical: {slack: [{workspace_id: T0123ABCD, channel_id: C0123456789}]}
services:
  web: {image: x:1, port: 80, route: "/*"}
"""


def resources(synth: Synth, stack: str, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in synth.templates[stack]["Resources"].items() if r["Type"] == kind}


def test_outside_us_east_1_the_alarm_and_its_topic_are_there(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP.replace("REGION", "eu-west-1"), "prod")
    stack = next(s for s in synth.manifest["stacks"] if s["key"] == "health")
    assert stack["region"] == "us-east-1"
    [alarm] = resources(synth, "health", "AWS::CloudWatch::Alarm").values()
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Route53", "HealthCheckStatus")
    assert alarm["Dimensions"] == [{"Name": "HealthCheckId", "Value": {"Ref": "EdgeHealthCheckId"}}]
    assert alarm["AlarmActions"] == [{"Ref": "HealthTopic"}] and alarm["TreatMissingData"] == "breaching"
    # the same destinations as the app's critical topic
    subs = resources(synth, "health", "AWS::SNS::Subscription")
    assert [s["Endpoint"] for s in subs.values()] == ["ops@demo.example"]
    slack = resources(synth, "health", "AWS::Chatbot::SlackChannelConfiguration")
    assert [s["SnsTopicArns"] for s in slack.values()] == [[{"Ref": "HealthTopic"}]]
    # a key of its own region: a KMS key serves one region only
    [topic] = resources(synth, "health", "AWS::SNS::Topic").values()
    [key] = resources(synth, "health", "AWS::KMS::Key").values()
    assert topic["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"} and key["EnableKeyRotation"] is True
    assert any(st["Principal"] == {"Service": "cloudwatch.amazonaws.com"} for st in key["KeyPolicy"]["Statement"])
    assert {d.topic: d.value for d in synth.plan.decisions}["alarms.health_check"] == "1 alarm(s) in us-east-1"
    errors = [f.render() for f in lint_template(synth.template_text("health"), ["us-east-1"], "health")]
    assert not errors, errors


def test_in_us_east_1_it_notifies_the_app_topic(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP.replace("REGION", "us-east-1"), "prod")
    assert next(s for s in synth.manifest["stacks"] if s["key"] == "health")["region"] == "us-east-1"
    [alarm] = resources(synth, "health", "AWS::CloudWatch::Alarm").values()
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopicArn"}]
    assert not resources(synth, "health", "AWS::SNS::Topic")


@pytest.mark.parametrize("text", [APP.replace("REGION", "eu-west-1").replace(", health: /health", "")])
def test_no_health_check_no_health_stack(synth_spec: Callable[[str, str], Synth], text: str) -> None:
    synth = synth_spec(text, "prod")
    assert "health" not in synth.templates and not synth.plan.health_alarms
