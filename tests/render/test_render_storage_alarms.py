"""Database storage as "% used": metric math on FreeStorageSpace against the allocated storage (RDS), none on
Aurora (its volume grows by itself), and the free-GiB floor when a team sets one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from moorage.render import Synth
from moorage.validate.lint import lint_template

GIB = 1024 ** 3

SPEC = """
name: demo
region: us-east-1
alarms:
  email: [all@demo.example]
  warning: {email: team@demo.example}
services:
  web: {image: x:1, port: 80, route: "/*", uses: [db, big]}
databases:
  db: {engine: postgres, version: "16", storage: 50, max_storage: 400}
  big: {engine: aurora-postgresql, version: "16", instance: db.r6g.large}
environments:
  staging: {}
  prod: {}
"""


def alarms_of(synth: Synth) -> dict[str, dict[str, Any]]:
    return {lid: r["Properties"] for t in synth.templates.values() for lid, r in t.get("Resources", {}).items()
            if r["Type"] == "AWS::CloudWatch::Alarm"}


def test_storage_used_is_metric_math_on_free_space_against_the_allocated_storage(
        synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(SPEC, "prod")
    alarms = alarms_of(synth)
    used = alarms["AlarmDbDbStorageUsed"]
    assert "MetricName" not in used and used["Threshold"] == 80  # the profile default (seed 003: storage > 80 %)
    assert used["ComparisonOperator"] == "GreaterThanThreshold"
    by_id = {q["Id"]: q for q in used["Metrics"]}
    assert set(by_id) == {"m1", "e1"}
    assert by_id["e1"] == {"Id": "e1", "Expression": f"100-100*m1/{50 * GIB}", "ReturnData": True,
                           "Label": "storage used, % of 50 GiB allocated"}
    stat = by_id["m1"]["MetricStat"]
    assert by_id["m1"]["ReturnData"] is False and stat["Stat"] == "Minimum" and stat["Period"] == 300
    assert stat["Metric"]["MetricName"] == "FreeStorageSpace" and stat["Metric"]["Namespace"] == "AWS/RDS"
    assert stat["Metric"]["Dimensions"] == [{"Name": "DBInstanceIdentifier", "Value": "demo-prod-db"}]
    # The description says which size the percentage is of, and the autoscaling ceiling it is not of.
    assert "80% of its 50 GiB allocated storage" in used["AlarmDescription"]
    assert "less than 10 GiB free" in used["AlarmDescription"] and "400 GiB" in used["AlarmDescription"]
    assert used["AlarmActions"] == [{"Ref": "WarningTopicArn"}]  # seed 003: "notify team"
    assert "AlarmDbDbStorage" not in alarms  # no free-GiB floor unless the spec sets one
    decision = {d.topic: d for d in synth.plan.decisions}["databases.db.storage_alarm"]
    assert decision.value == "above 80% used of the 50 GiB allocated (less than 10 GiB free)"
    assert "not of max_storage (400 GiB)" in decision.reason and "autoscaling" in decision.reason


def test_aurora_has_no_storage_alarm_and_the_plan_says_why(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(SPEC, "prod")
    alarms = alarms_of(synth)
    assert "AlarmDbBigCpu" in alarms and not [k for k in alarms if k.startswith("AlarmDbBigStorage")]
    decision = {d.topic: d for d in synth.plan.decisions}["databases.big.storage_alarm"]
    assert decision.value == "none" and "grows by itself" in decision.reason and "128 TiB" in decision.reason


def test_a_team_sets_the_share_and_a_free_gib_floor(synth_spec: Callable[[str, str], Synth]) -> None:
    spec = SPEC.replace("  warning:", '  thresholds: {db_storage_percent: "85%", db_free_storage_gib: 8}\n  warning:')
    alarms = alarms_of(synth_spec(spec, "prod"))
    used = alarms["AlarmDbDbStorageUsed"]
    assert used["Threshold"] == 85 and "less than 7.5 GiB free" in used["AlarmDescription"]
    floor = alarms["AlarmDbDbStorage"]
    assert floor["MetricName"] == "FreeStorageSpace" and floor["Threshold"] == 8 * GIB
    assert floor["ComparisonOperator"] == "LessThanThreshold"


def test_staging_basic_alarms_have_no_storage_alarm(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(SPEC, "staging")
    assert not [k for k in alarms_of(synth) if "Storage" in k]
    assert "databases.db.storage_alarm" not in {d.topic for d in synth.plan.decisions}


def test_storage_alarms_lint_clean(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(SPEC.replace("  warning:", "  thresholds: {db_free_storage_gib: 8}\n  warning:"), "prod")
    region = next(s["region"] for s in synth.manifest["stacks"] if s["key"] == "observability")
    errors = [f.render() for f in lint_template(synth.template_text("observability"), [region], "observability")]
    assert not errors, "cfn-lint:\n" + "\n".join(errors)


@pytest.mark.parametrize(("value", "needle"), [("185%", "db_storage_percent"), ("lots", "'N%'")])
def test_a_bad_storage_share_is_a_located_error(input_errors: Callable[..., Any], value: str, needle: str) -> None:
    path, diags = input_errors(f"""
        name: demo
        alarms:
          thresholds: {{db_storage_percent: "{value}"}}
        services:
          web: {{image: x:1}}
        """)
    text = "\n".join(d.render() for d in diags)
    assert needle in text and f"{path.name}:3" in text, text


def test_the_storage_alarm_can_be_made_critical(synth_spec: Callable[[str, str], Synth]) -> None:
    spec = SPEC.replace("  warning:", "  severity: {db_storage_percent: critical}\n  warning:")
    used = alarms_of(synth_spec(spec, "prod"))["AlarmDbDbStorageUsed"]
    assert used["AlarmActions"] == [{"Ref": "AlarmTopicArn"}]
