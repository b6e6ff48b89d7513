"""CloudWatch Logs log groups."""

from __future__ import annotations

from moorage.cfn.index import Resource
from moorage.policy.checks import Outcome, issue, params, rule


@rule("MOO-LOG-001")
def retention_set(r: Resource) -> Outcome:
    return [] if r.get("RetentionInDays") is not None else [issue("no RetentionInDays: logs are kept forever",
                                                                 "Properties")]


@rule("MOO-LOG-002")
def retention_long_enough(r: Resource) -> Outcome:
    minimum = int(params("MOO-LOG-002")["min_days"])
    days = r.number("RetentionInDays")
    if days is None or days >= minimum:
        return []
    return [issue(f"logs kept {days} days, fewer than {minimum}", "Properties", "RetentionInDays")]


@rule("MOO-LOG-003")
def customer_managed_key(r: Resource) -> Outcome:
    return [] if r.get("KmsKeyId") is not None else [issue("no KmsKeyId: encrypted with the service key",
                                                          "Properties")]
