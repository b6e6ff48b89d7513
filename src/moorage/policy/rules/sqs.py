"""SQS queues: encrypted at rest, and a dead-letter queue for messages that keep failing."""

from __future__ import annotations

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN
from moorage.policy.checks import Outcome, issue, rule

QUEUE = "AWS::SQS::Queue"


@rule("MOO-SQS-001")
def encrypted(r: Resource) -> Outcome:
    if r.get("KmsMasterKeyId") is not None:
        return []
    managed = r.value("SqsManagedSseEnabled")
    if managed is UNKNOWN or managed is True or managed == "true":
        return []
    # Left out, SQS applies SSE-SQS to new queues by default; explicitly off is plain text at rest.
    return [] if r.get("SqsManagedSseEnabled") is None else \
        [issue("SqsManagedSseEnabled is false and no KmsMasterKeyId is set", "Properties", "SqsManagedSseEnabled")]


@rule("MOO-SQS-002")
def dead_letter_queue(r: Resource) -> Outcome:
    if r.referrers(QUEUE):
        return None  # it is itself another queue's dead-letter queue
    if r.get("RedrivePolicy") is not None:
        target = r.value("RedrivePolicy", "deadLetterTargetArn")
        if target is UNKNOWN or target:
            return []
    return [issue("no RedrivePolicy: a message that keeps failing is received again and again until it expires",
                  "Properties")]
