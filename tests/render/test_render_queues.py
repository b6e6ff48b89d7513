"""Queues: an SQS queue and its dead-letter queue in the data stack, encrypted, reachable over TLS only; the
services that use it get its URL and permissions on it alone; workers scale on its depth; alarms watch it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from moorage.render import Synth
from moorage.render.service import queue_steps
from moorage.validate.lint import lint_template

SPEC = """
name: shop
region: eu-west-1
services:
  api: {image: ghcr.io/x/api:1.0.0, port: 8080, route: "/*", uses: [jobs, files]}
  worker:
    image: ghcr.io/x/worker:1.0.0
    uses: [jobs]
    scaling: {min: 0, max: 10, queue: jobs, per_task: 100}
  other: {image: ghcr.io/x/other:1.0.0}
queues:
  jobs: {fifo: false, dlq: {max_receives: 5}, retention_days: 4, visibility_seconds: 60}
  events: {fifo: true}
buckets:
  files: {}
"""


def _of(synth: Synth, key: str) -> dict[str, Any]:
    return json.loads(synth.template_text(key))


def _typed(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == kind}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_queue_templates_lint_clean(synth_spec: Callable[[str, str], Synth], env: str) -> None:
    synth = synth_spec(SPEC, env)
    findings = []
    for key in synth.templates:
        findings += lint_template(synth.template_text(key), [synth.manifest["region"]], f"{env}/{key}.json")
    assert not [f.render() for f in findings], "cfn-lint findings"


def test_queue_and_dead_letter_queue_encrypted_per_environment(synth_spec: Callable[[str, str], Synth]) -> None:
    prod = _typed(_of(synth_spec(SPEC, "prod"), "data"), "AWS::SQS::Queue")
    assert set(prod) == {"QueueJobs", "QueueJobsDeadLetters", "QueueEvents", "QueueEventsDeadLetters"}
    jobs = prod["QueueJobs"]
    assert jobs["QueueName"] == "shop-prod-jobs" and jobs["VisibilityTimeout"] == 60
    assert jobs["MessageRetentionPeriod"] == 4 * 86_400
    assert jobs["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["QueueJobsDeadLetters", "Arn"]},
                                     "maxReceiveCount": 5}
    assert prod["QueueJobsDeadLetters"]["MessageRetentionPeriod"] == 14 * 86_400
    assert all("KmsMasterKeyId" in q and "SqsManagedSseEnabled" not in q for q in prod.values())  # customer key
    assert prod["QueueEvents"]["QueueName"] == "shop-prod-events.fifo" and prod["QueueEvents"]["FifoQueue"] is True
    assert prod["QueueEventsDeadLetters"]["QueueName"] == "shop-prod-events-dlq.fifo"
    dev = _typed(_of(synth_spec(SPEC, "dev"), "data"), "AWS::SQS::Queue")
    assert all(q.get("SqsManagedSseEnabled") is True and "KmsMasterKeyId" not in q for q in dev.values())
    policies = _typed(_of(synth_spec(SPEC, "prod"), "data"), "AWS::SQS::QueuePolicy")
    assert all(p["PolicyDocument"]["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for p in policies.values()) and len(policies) == 2


def test_users_get_the_url_and_actions_on_that_queue_only(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(SPEC, "prod")
    worker = _of(synth, "svc-worker")
    [container] = worker["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    assert {e["Name"]: e["Value"] for e in container["Environment"]} == {"JOBS_QUEUE_URL": {"Ref": "QueueJobsUrl"}}
    statements = worker["Resources"]["TaskRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["QueueJobs"]["Resource"] == [{"Ref": "QueueJobsArn"}]
    assert set(by_sid["QueueJobs"]["Action"]) == {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage",
                                                  "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"}
    assert by_sid["KeyJobs"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert not any("*" in str(s["Resource"]) or "sqs:*" in s["Action"] for s in statements)
    other = _of(synth, "svc-other")["Resources"]["TaskRole"]["Properties"]
    assert "Policies" not in other, "a service that does not use the queue gets nothing on it"
    dev = _of(synth_spec(SPEC, "dev"), "svc-worker")["Resources"]["TaskRole"]["Properties"]["Policies"][0]
    assert [s["Sid"] for s in dev["PolicyDocument"]["Statement"]] == ["QueueJobs"]  # no customer key in dev
    # Queues are reached through the SQS API: no security-group rule appears for them.
    assert {r.peer for r in synth.plan.security_groups["svc-worker"].egress} == {"0.0.0.0/0"}


def test_worker_scales_on_queue_depth(synth_spec: Callable[[str, str], Synth]) -> None:
    resources = _of(synth_spec(SPEC, "prod"), "svc-worker")["Resources"]
    policy = resources["ScaleQueue"]["Properties"]
    assert policy["PolicyType"] == "StepScaling"
    config = policy["StepScalingPolicyConfiguration"]
    assert config["AdjustmentType"] == "ExactCapacity"
    steps = [(s["MetricIntervalLowerBound"], s.get("MetricIntervalUpperBound"), s["ScalingAdjustment"])
             for s in config["StepAdjustments"]]
    assert steps[:3] == [(0, 1, 0), (1, 101, 1), (101, 201, 2)] and steps[-1] == (901, None, 10)
    alarm = resources["QueueDepth"]["Properties"]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible" and alarm["AlarmActions"] == [
        {"Ref": "ScaleQueue"}]
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": {"Ref": "QueueJobsName"}}]
    assert "ScaleCpu" not in resources, "with a queue, CPU tracking only when asked for"


def test_queue_steps_cover_every_depth_within_bounds() -> None:
    steps = queue_steps(2, 200, 50)
    assert len(steps) <= 20 and steps[0][:2] == (0, 2 * 50 + 1) and steps[-1][1] is None and steps[-1][2] == 200
    for (_, upper, tasks), (lower, _, more) in zip(steps, steps[1:], strict=False):
        assert upper == lower and more > tasks
        assert upper == tasks * 50 + 1  # never more than per_task messages a task, rounded up
    assert queue_steps(3, 3, 10) == [(0, None, 3)]


def test_queue_alarms_on_dead_letters_and_age(synth_spec: Callable[[str, str], Synth]) -> None:
    alarms = {a.key: a for a in synth_spec(SPEC, "prod").plan.alarms}
    dead = alarms["QueueJobsDeadLetters"]
    assert (dead.metric, dead.dimensions, dead.threshold, dead.comparison) == (
        "ApproximateNumberOfMessagesVisible", {"QueueName": "shop-prod-jobs-dlq"}, 0, "GreaterThanThreshold")
    age = alarms["QueueJobsAge"]
    assert age.metric == "ApproximateAgeOfOldestMessage" and age.dimensions == {"QueueName": "shop-prod-jobs"}
    assert alarms["QueueEventsDeadLetters"].dimensions == {"QueueName": "shop-prod-events-dlq.fifo"}
