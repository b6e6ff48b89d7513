"""Metric-math alarms on the emulator: deployed, read back from CloudWatch with their expressions and metrics,
notifying the encrypted alarm topic, and shown by `moorage status` (state, what each watches)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from moorage import api
from moorage.cli.deploy import _print_alarms
from moorage.deploy.alarms import alarm_summary
from moorage.deploy.session import Target
from moorage.deploy.status import environment_status

Aws = Callable[[str, str], Any]
GIB = 1024 ** 3

SPEC = """
name: alarmed
region: eu-west-1
alarms:
  email: ops@alarmed.example
services:
  web: {image: public.ecr.aws/nginx/nginx:1.27.3, port: 80, route: "/*", health: /, uses: [db]}
databases:
  db: {engine: postgres, version: "16", storage: 30}
environments:
  prod: {}
"""


def stack_alarms(aws: Aws, region: str, stack: str) -> dict[str, dict[str, Any]]:
    """The alarms of a deployed stack by logical id, as CloudWatch describes them."""
    cf, cw = aws("cloudformation", region), aws("cloudwatch", region)
    names = {r["PhysicalResourceId"]: r["LogicalResourceId"]
             for r in cf.describe_stack_resources(StackName=stack)["StackResources"]
             if r["ResourceType"] == "AWS::CloudWatch::Alarm"}
    found = cw.describe_alarms(AlarmNames=sorted(names))["MetricAlarms"]
    return {names[a["AlarmName"]]: a for a in found}


def test_rate_and_storage_alarms_read_back_with_their_metric_math(
        run_deploy: Callable[..., Any], aws: Aws, target: Target, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    synth = api.synth_environment(api.load_app(spec), "prod")
    result, _ = run_deploy(synth)
    assert result.ok, result.to_json()
    assert not [o for o in result.outcomes.values() if o.not_emulated]
    stacks = {s["key"]: s["name"] for s in synth.manifest["stacks"]}
    platform = {o["OutputKey"]: o["OutputValue"] for o in aws("cloudformation", "eu-west-1").describe_stacks(
        StackName=stacks["platform"])["Stacks"][0]["Outputs"]}
    topic = platform["AlarmTopicArn"]
    # The topic has a destination, so it is encrypted with the key the plan chose to create.
    attributes = aws("sns", "eu-west-1").get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes.get("KmsMasterKeyId") and platform["AlarmTopicKeyArn"].endswith(
        attributes["KmsMasterKeyId"].split("/")[-1])

    rate = stack_alarms(aws, "eu-west-1", stacks["svc-web"])["AlarmTarget5xxRate"]
    assert "MetricName" not in rate and rate["Threshold"] == 1 and rate["ComparisonOperator"] == "GreaterThanThreshold"
    by_id = {q["Id"]: q for q in rate["Metrics"]}
    assert by_id["e1"]["Expression"] == "100*m1/m2" and by_id["e1"]["ReturnData"] is True
    for qid, metric in (("m1", "HTTPCode_Target_5XX_Count"), ("m2", "RequestCount")):
        stat = by_id[qid]["MetricStat"]
        assert stat["Metric"]["MetricName"] == metric and stat["Stat"] == "Sum" and stat["Period"] == 60
        dims = {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}
        # The references were resolved to the deployed load balancer and target group.
        assert dims["LoadBalancer"].startswith("app/") and dims["TargetGroup"].startswith("targetgroup/")
    assert rate["AlarmActions"] == [topic] and rate["OKActions"] == [topic]

    storage = stack_alarms(aws, "eu-west-1", stacks["observability"])["AlarmDbDbStorageUsed"]
    by_id = {q["Id"]: q for q in storage["Metrics"]}
    assert set(by_id) == {"m1", "e1"} and by_id["e1"]["Expression"] == f"100-100*m1/{30 * GIB}"
    metric = by_id["m1"]["MetricStat"]["Metric"]
    assert metric["MetricName"] == "FreeStorageSpace"
    assert metric["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": synth.plan.databases["db"].identifier}]
    assert storage["Threshold"] == 80

    # `moorage status` reads the same alarms back: the state and what each watches, metric math included.
    aws("cloudwatch", "eu-west-1").set_alarm_state(AlarmName=rate["AlarmName"], StateValue="ALARM",
                                                   StateReason="test: 5XX above 1% of requests")
    status = environment_status(target, synth.manifest, plan=synth.plan)
    shown = {a.key: a for a in status.alarms}
    assert shown["AlarmTarget5xxRate"].state == "ALARM" and shown["AlarmTarget5xxRate"].stack == "svc-web"
    assert shown["AlarmTarget5xxRate"].watches.startswith("100*m1/m2 (m1 = AWS/ApplicationELB "
                                                           "HTTPCode_Target_5XX_Count Sum, m2 = ")
    assert shown["AlarmTarget5xxRate"].threshold == "> 1"
    assert shown["AlarmDbDbStorageUsed"].watches == f"100-100*m1/{30 * GIB} (m1 = AWS/RDS FreeStorageSpace Minimum)"
    assert shown["AlarmCpu"].watches == "AWS/ECS CPUUtilization Average" and shown["AlarmCpu"].state == "OK"
    assert len(status.alarms) == sum(1 for t in synth.templates.values() for r in t.get("Resources", {}).values()
                                     if r["Type"] == "AWS::CloudWatch::Alarm")
    assert alarm_summary(status.alarms) == f"alarms: {len(status.alarms)} (1 ALARM, {len(status.alarms) - 1} OK)"
    assert "ALARM: 100*m1/m2" in shown["AlarmTarget5xxRate"].render()
    assert [a["key"] for a in status.to_json()["alarms"]] == [a.key for a in status.alarms]
    # What the status command prints: the count by state, then each alarm not OK with its metric math.
    capsys.readouterr()
    _print_alarms(status.alarms)
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == alarm_summary(status.alarms)
    assert printed[1:] == [f"    alarm AlarmTarget5xxRate (svc-web) ALARM: {shown['AlarmTarget5xxRate'].watches} > 1"]
