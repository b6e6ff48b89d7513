"""Messaging: SQS queues, priced per request (standard or FIFO rate)."""

from __future__ import annotations

from moorage.cfn.sections import resources_of_type
from moorage.cost.context import PricingContext, Resource


def _dead_letter_of(res: Resource) -> str | None:
    """The queue in the same template whose RedrivePolicy sends failed messages to ``res``, if any."""
    for queue in resources_of_type(res.template, "AWS::SQS::Queue"):
        redrive = queue.props.get("RedrivePolicy")
        if isinstance(redrive, dict) and redrive.get("deadLetterTargetArn") == {"Fn::GetAtt": [res.lid, "Arn"]}:
            return queue.lid
    return None


def price_queue(ctx: PricingContext, res: Resource) -> list:  # type: ignore[type-arg]
    """An SQS queue: requests per month (each 64 KB of a payload is a request) at the standard or FIFO rate;
    a dead-letter queue sees requests only when messages fail, which is not estimated."""
    source = _dead_letter_of(res)
    if source is not None:
        return [ctx.unknown(res, "dead-letter queue requests",
                            f"not estimated: requests only when messages of {source} fail")]
    fifo = res.flag("FifoQueue")
    requests, assumed = ctx.use("queue_requests_million", res)
    return [ctx.charge(res, "SQS FIFO requests" if fifo else "SQS requests", requests, "million requests",
                       "sqs.requests_million." + ("fifo" if fifo else "standard"), assumption=assumed,
                       note="the account's first million requests a month are free (not deducted)")]


# The resource types this module prices (collected by moorage.cost.components).
PRICERS = {
    "AWS::SQS::Queue": price_queue,
}
