"""SQS queues are priced per request at the sourced standard / FIFO rate; a dead-letter queue's requests, and
regions without a sourced rate, are reported unknown, never zero."""

from __future__ import annotations

import pytest

from moorage.cost import estimate_template_set
from moorage.cost.usage import UsageFile

from .helpers import item, tset

QUEUES = {
    "Dlq": {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": True}},
    "Jobs": {"Type": "AWS::SQS::Queue", "Properties": {
        "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}, "maxReceiveCount": 5}}},
    "Events": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
    "Policy": {"Type": "AWS::SQS::QueuePolicy", "Properties": {"Queues": [{"Ref": "Jobs"}],
                                                                "PolicyDocument": {"Statement": []}}},
}


def test_queues_priced_per_million_requests_at_the_sourced_rates() -> None:
    report = estimate_template_set(tset(QUEUES), UsageFile(values={"queue_requests_million": 3}))
    jobs = item(report, "Jobs", "SQS requests")
    assert jobs.monthly == pytest.approx(3 * 0.40) and jobs.assumption is False
    assert item(report, "Events", "SQS FIFO requests").monthly == pytest.approx(3 * 0.50)
    dead = item(report, "Dlq", "dead-letter queue requests")
    assert dead.status == "unknown" and dead.monthly is None and "Jobs" in dead.note
    assert item(report, "Policy", "").status == "free"


def test_default_usage_is_an_assumption() -> None:
    report = estimate_template_set(tset(QUEUES), UsageFile(values={}))
    assert item(report, "Jobs", "SQS requests").assumption is True


def test_region_without_a_sourced_rate_is_unknown_not_zero() -> None:
    report = estimate_template_set(tset(QUEUES, region="me-central-1"), UsageFile(values={}))
    jobs = item(report, "Jobs", "SQS requests")
    assert jobs.status == "unknown" and jobs.monthly is None
