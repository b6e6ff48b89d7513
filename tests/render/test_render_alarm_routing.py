"""Alarm thresholds a team sets, and critical / warning routing to e-mail, webhooks, PagerDuty, Slack and Teams."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from moorage.cfn import template_set_of
from moorage.policy import run_checks
from moorage.render import Synth
from moorage.validate.lint import lint_template

ROUTED = """
name: demo
region: us-east-1
alarms:
  email: [all@demo.example]
  critical:
    pagerduty: https://events.pagerduty.com/integration/abc123def456/enqueue
    webhook: [https://hooks.demo.example/alarms]
  warning:
    email: team@demo.example
    slack: [{workspace_id: T0123ABCD, channel_id: C0123456789}]
    teams: [{team_id: 11111111-2222-3333-4444-555555555555, channel_id: "19:abc@thread.tacv2",
             tenant_id: 66666666-7777-8888-9999-000000000000}]
  thresholds: {memory_percent: 85}
  severity: {db_cpu_percent: warning}
services:
  web: {image: x:1, port: 80, route: "/*", uses: [db]}
databases:
  db: {engine: postgres, version: "16"}
environments:
  staging: {}
  prod:
    alarms: {thresholds: {cpu_percent: 90}}
"""


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template.get("Resources", {}).items() if r["Type"] == kind}


def alarms_of(synth: Synth) -> dict[str, dict[str, Any]]:
    return {lid: r["Properties"] for t in synth.templates.values()
            for lid, r in of_type(t, "AWS::CloudWatch::Alarm").items()}


def test_thresholds_from_the_spec_and_its_environment_override_the_profile(
        synth_spec: Callable[[str, str], Synth]) -> None:
    prod = alarms_of(synth_spec(ROUTED, "prod"))
    staging = alarms_of(synth_spec(ROUTED, "staging"))
    assert prod["AlarmMemory"]["Threshold"] == 85 and "memory above 85%" in prod["AlarmMemory"]["AlarmDescription"]
    assert prod["AlarmCpu"]["Threshold"] == 90  # environments.prod.alarms.thresholds
    assert staging["AlarmCpu"]["Threshold"] == 80  # the profile's
    assert prod["AlarmDbDbCpu"]["Threshold"] == 80


def test_each_severity_notifies_its_own_topic(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(ROUTED, "prod")
    alarms = alarms_of(synth)
    critical, warning = [{"Ref": "AlarmTopicArn"}], [{"Ref": "WarningTopicArn"}]
    assert alarms["AlarmHealthy"]["AlarmActions"] == critical
    assert alarms["AlarmTarget5xxRate"]["AlarmActions"] == critical
    assert alarms["AlarmDbDbConnections"]["AlarmActions"] == critical
    assert alarms["AlarmMemory"]["AlarmActions"] == warning and alarms["AlarmMemory"]["OKActions"] == warning
    assert alarms["AlarmDbDbCpu"]["AlarmActions"] == warning  # alarms.severity moved it
    platform = synth.templates["platform"]
    assert set(of_type(platform, "AWS::SNS::Topic")) == {"AlarmTopic", "WarningTopic"}
    assert platform["Outputs"]["WarningTopicArn"]["Value"] == {"Ref": "WarningTopic"}
    subs = {lid: r["Properties"] for lid, r in of_type(platform, "AWS::SNS::Subscription").items()}
    assert {(s["TopicArn"]["Ref"], s["Protocol"], s["Endpoint"]) for s in subs.values()} == {
        ("AlarmTopic", "email", "all@demo.example"),
        ("AlarmTopic", "https", "https://hooks.demo.example/alarms"),
        ("AlarmTopic", "https", "https://events.pagerduty.com/integration/abc123def456/enqueue"),
        ("WarningTopic", "email", "all@demo.example"),
        ("WarningTopic", "email", "team@demo.example")}
    slack = of_type(platform, "AWS::Chatbot::SlackChannelConfiguration")["WarningSlack1"]["Properties"]
    assert slack["SnsTopicArns"] == [{"Ref": "WarningTopic"}] and slack["SlackChannelId"] == "C0123456789"
    teams = of_type(platform, "AWS::Chatbot::MicrosoftTeamsChannelConfiguration")["WarningTeams1"]["Properties"]
    assert teams["SnsTopicArns"] == [{"Ref": "WarningTopic"}] and teams["TeamsChannelId"] == "19%3Aabc%40thread.tacv2"
    role = of_type(platform, "AWS::IAM::Role")["ChatbotRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "chatbot.amazonaws.com"}
    decisions = {d.topic: d.value for d in synth.plan.decisions}
    assert decisions["alarms.critical"] == "1 e-mail, 1 webhook, PagerDuty"
    assert decisions["alarms.warning"] == "2 e-mail, 1 Slack channel, 1 Teams channel"


def test_without_warning_destinations_everything_notifies_one_topic(
        synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec("""
        name: demo
        alarms: {email: ops@demo.example}
        services:
          web: {image: x:1, port: 80, route: "/*"}
        """, "prod")
    assert set(of_type(synth.templates["platform"], "AWS::SNS::Topic")) == {"AlarmTopic"}
    assert {str(a["AlarmActions"]) for a in alarms_of(synth).values()} == {str([{"Ref": "AlarmTopicArn"}])}
    assert {d.topic: d.value for d in synth.plan.decisions}["alarms.warning"] == "the critical topic"


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_routed_alarms_lint_clean_and_pass_policy(synth_spec: Callable[[str, str], Synth], env: str) -> None:
    synth = synth_spec(ROUTED, env)
    errors = []
    for key in ("platform", "svc-web", "observability"):
        region = next(s["region"] for s in synth.manifest["stacks"] if s["key"] == key)
        errors += [f.render() for f in lint_template(synth.template_text(key), [region], key)]
    assert not errors, "cfn-lint:\n" + "\n".join(errors)
    report = run_checks([template_set_of(synth)])
    assert not report.failing("high"), [(f.rule, f.resource) for f in report.failing("high")]


@pytest.mark.parametrize(("block", "needle"), [
    ("critical: {webhook: [http://hooks.demo.example/x]}", "https://"),
    ("critical: {webhook: ['https://hooks.demo.example/x?token=abcdef0123456789']}", "credential"),
    ("critical: {pagerduty: https://example.com/pd}", "pagerduty"),
    ("warning: {slack: [{workspace_id: nope, channel_id: C0123456789}]}", "workspace_id"),
    ("thresholds: {memory_percnt: 85}", "memory_percnt"),
    ("thresholds: {memory_percent: 185}", "memory_percent"),
    ("severity: {cpu_percent: page}", "cpu_percent"),
    ("thresholds: {db_connections: 180%}", "max_connections"),
    ("thresholds: {db_connections: lots}", "db_connections"),
    ("thresholds: {memory_percent: 85 percent}", "'N%'"),
    ("thresholds: {target_5xx_percent: 1% of errors}", "N% of requests"),
])
def test_bad_alarm_settings_are_located_errors(input_errors: Callable[..., Any], block: str, needle: str) -> None:
    path, diags = input_errors(f"""
        name: demo
        alarms:
          {block}
        services:
          web: {{image: x:1}}
        """)
    text = "\n".join(d.render() for d in diags)
    assert needle in text and f"{path.name}:3" in text, text


def test_every_threshold_key_has_a_profile_default_and_a_severity() -> None:
    from moorage.data import load_data
    from moorage.spec.models import AlarmThresholds

    profiles = load_data("profiles")
    assert set(AlarmThresholds.model_fields) == set(profiles["alarm_thresholds"])
    assert set(profiles["alarm_thresholds"]) <= set(profiles["alarm_severity"])
    assert set(profiles["alarm_severity"].values()) == {"critical", "warning"}


def test_alarm_topics_are_encrypted_with_a_key_cloudwatch_may_use(synth_spec: Callable[[str, str], Synth]) -> None:
    platform = synth_spec(ROUTED, "prod").templates["platform"]
    key = of_type(platform, "AWS::KMS::Key")["AlarmTopicKey"]
    assert key["Properties"]["EnableKeyRotation"] is True and key["DeletionPolicy"] == "Retain"
    by_sid = {s["Sid"]: s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    assert by_sid["AccountAdministers"]["Action"] == "kms:*"
    cw = by_sid["CloudWatchAlarmsPublish"]
    assert cw["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert cw["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert cw["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert by_sid["EventBridgePublish"]["Principal"] == {"Service": "events.amazonaws.com"}
    for topic in of_type(platform, "AWS::SNS::Topic").values():
        assert topic["Properties"]["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}


def test_an_existing_topic_needs_no_key(synth_spec: Callable[[str, str], Synth]) -> None:
    platform = synth_spec("""
        name: demo
        alarms: {topic_arn: "arn:aws:sns:us-east-1:111122223333:ops"}
        services:
          web: {image: x:1, port: 80, route: "/*"}
        """, "prod").templates["platform"]
    assert not of_type(platform, "AWS::SNS::Topic") and not of_type(platform, "AWS::KMS::Key")


RATES = """
name: demo
region: us-east-1
alarms:
  email: ops@demo.example
  thresholds: {memory_percent: "85%", target_5xx_percent: "2% of requests"}
services:
  web: {image: x:1, port: 80, route: "/*", uses: [db, my]}
databases:
  db: {engine: postgres, version: "16"}
  my: {engine: mysql, instance: db.r6g.xlarge}
environments:
  staging: {}
  prod:
    databases: {db: {instance: db.r6g.2xlarge}}
"""


def test_5xx_is_a_rate_of_requests_by_metric_math(synth_spec: Callable[[str, str], Synth]) -> None:
    alarms = alarms_of(synth_spec(RATES, "prod"))
    assert "AlarmTarget5xx" not in alarms  # no count alarm unless target_5xx_per_minute is given
    rate = alarms["AlarmTarget5xxRate"]
    assert "MetricName" not in rate and rate["Threshold"] == 2 and rate["ComparisonOperator"] == "GreaterThanThreshold"
    by_id = {q["Id"]: q for q in rate["Metrics"]}
    assert by_id["e1"] == {"Id": "e1", "Expression": "100*m1/m2", "ReturnData": True,
                           "Label": "HTTPCode_Target_5XX_Count % of RequestCount"}
    for qid, metric in (("m1", "HTTPCode_Target_5XX_Count"), ("m2", "RequestCount")):
        stat = by_id[qid]["MetricStat"]
        assert by_id[qid]["ReturnData"] is False and stat["Stat"] == "Sum" and stat["Period"] == 60
        assert stat["Metric"]["MetricName"] == metric and stat["Metric"]["Namespace"] == "AWS/ApplicationELB"
        assert {d["Name"] for d in stat["Metric"]["Dimensions"]} == {"TargetGroup", "LoadBalancer"}
    elb = alarms["AlarmAlbElb5xxRate"]
    assert [q["MetricStat"]["Metric"]["MetricName"] for q in elb["Metrics"][:2]] == [
        "HTTPCode_ELB_5XX_Count", "RequestCount"]
    assert alarms["AlarmMemory"]["Threshold"] == 85  # "85%" is 85


def test_a_count_5xx_threshold_adds_the_count_alarm(synth_spec: Callable[[str, str], Synth]) -> None:
    alarms = alarms_of(synth_spec(RATES.replace('"2% of requests"', '2, target_5xx_per_minute: 25'), "prod"))
    assert alarms["AlarmTarget5xx"]["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert alarms["AlarmTarget5xx"]["Threshold"] == 25 and alarms["AlarmTarget5xxRate"]["Threshold"] == 2


def test_connections_percentage_becomes_a_count_of_the_class_default(synth_spec: Callable[[str, str], Synth]) -> None:
    prod = alarms_of(synth_spec(RATES, "prod"))
    staging = alarms_of(synth_spec(RATES, "staging"))
    # PostgreSQL: LEAST(memory / 9531392, 5000); db.r6g.2xlarge has 64 GiB -> 5000 (the cap); 80 % -> 4000
    assert prod["AlarmDbDbConnections"]["Threshold"] == 4000
    assert "(80% of 5000: postgres" in prod["AlarmDbDbConnections"]["AlarmDescription"]
    # MySQL: memory / 12582880; db.r6g.xlarge has 32 GiB -> 2730; 80 % -> 2184
    assert prod["AlarmDbMyConnections"]["Threshold"] == 2184
    assert "AlarmDbDbConnections" not in staging  # staging's basic alarm level has no connections alarm
    given = alarms_of(synth_spec(RATES.replace("instance: db.r6g.2xlarge",
                                               "instance: db.r6g.2xlarge, parameters: {max_connections: 300}"),
                                 "prod"))
    assert given["AlarmDbDbConnections"]["Threshold"] == 240  # the database's own max_connections wins
    absolute = alarms_of(synth_spec(RATES.replace('memory_percent: "85%"', "db_connections: 150"), "prod"))
    assert absolute["AlarmDbDbConnections"]["Threshold"] == 150


def test_a_percentage_of_an_unknown_capacity_is_a_located_error(input_errors: Callable[..., Any]) -> None:
    path, diags = input_errors("""
        name: demo
        alarms:
          thresholds: {db_connections: 80%}
        services:
          web: {image: x:1, uses: [db]}
        databases:
          db: {engine: postgres, instance: db.x9.huge, parameters: {max_connections: "{DBInstanceClassMemory/1}"}}
        """, env="prod")
    text = "\n".join(d.render() for d in diags)
    assert "max_connections" in text and "db.x9.huge" in text and f"{path.name}:3" in text, text


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_rate_alarms_lint_clean_and_pass_policy(synth_spec: Callable[[str, str], Synth], env: str) -> None:
    synth = synth_spec(RATES, env)
    errors = []
    for key in ("platform", "svc-web", "observability"):
        region = next(s["region"] for s in synth.manifest["stacks"] if s["key"] == key)
        errors += [f.render() for f in lint_template(synth.template_text(key), [region], key)]
    assert not errors, "cfn-lint:\n" + "\n".join(errors)
    report = run_checks([template_set_of(synth)])
    assert not report.failing("high"), [(f.rule, f.resource) for f in report.failing("high")]


def test_the_alarm_topic_key_is_priced(synth_spec: Callable[[str, str], Synth]) -> None:
    from moorage.cost import estimate_template_set

    report = estimate_template_set(template_set_of(synth_spec(ROUTED, "prod")))
    [key] = [i for i in report.items if i.resource == "AlarmTopicKey" and i.component == "KMS customer managed key"]
    assert key.status == "priced" and key.monthly == 1.0


NOBODY = """
name: demo
region: eu-west-1
services:
  web: {image: x:1, port: 80, route: "/*"}
environments:
  dev: {}
  prod:
    alarms: {email: ops@demo.example}
"""


def test_a_topic_nobody_hears_gets_no_key_and_passes_policy(synth_spec: Callable[[str, str], Synth]) -> None:
    from moorage.cost import estimate_template_set

    synth = synth_spec(NOBODY, "dev")
    platform = synth.templates["platform"]
    assert not of_type(platform, "AWS::KMS::Key") and "AlarmTopicKeyArn" not in platform.get("Outputs", {})
    [topic] = of_type(platform, "AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" not in topic["Properties"]
    assert not synth.plan.alarm_topic_key and "no alarms destination" in synth.plan.alarm_topic_key.reason
    decision = {d.topic: d for d in synth.plan.decisions}["alarms.encryption"]
    assert decision.value.startswith("none") and "$1" in decision.reason
    report = run_checks([template_set_of(synth)])
    assert not [f for f in report.findings if f.rule in ("MOO-MON-005", "MOO-MON-006")], report.findings
    assert not [i for i in estimate_template_set(template_set_of(synth)).items
                if i.component == "KMS customer managed key"]
    # The same app with a destination (prod) gets the key, and its topic is encrypted with it.
    prod = synth_spec(NOBODY, "prod")
    assert prod.plan.alarm_topic_key and of_type(prod.templates["platform"], "AWS::KMS::Key")
    [encrypted] = of_type(prod.templates["platform"], "AWS::SNS::Topic").values()
    assert encrypted["Properties"]["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}


def test_an_unencrypted_topic_someone_hears_is_still_flagged(synth_spec: Callable[[str, str], Synth]) -> None:
    import copy
    import dataclasses

    synth = synth_spec(NOBODY, "prod")
    platform = copy.deepcopy(synth.templates["platform"])
    del platform["Resources"]["AlarmTopic"]["Properties"]["KmsMasterKeyId"]
    tset = template_set_of(synth)
    report = run_checks([dataclasses.replace(tset, templates={**tset.templates, "platform": platform})])
    assert [(f.rule, f.resource) for f in report.findings if f.rule == "MOO-MON-005"] == [
        ("MOO-MON-005", "AlarmTopic")]
