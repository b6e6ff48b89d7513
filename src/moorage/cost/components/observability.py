"""CloudWatch: log groups (ingestion and storage), alarms and dashboards."""

from __future__ import annotations

from moorage.cfn.values import mentions
from moorage.cost.context import PricingContext, Resource
from moorage.cost.model import LineItem

DAYS_PER_MONTH = 730.0 / 24.0


def price_log_group(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A log group: GB ingested per month, and the GB kept at steady state for its retention."""
    flow = next((f for f in ctx.resources("AWS::EC2::FlowLog") if f.stack == res.stack
                 and (mentions(f.props.get("LogGroupName"), res.lid) or mentions(f.props.get("LogDestination"),
                                                                                    res.lid))), None)
    items: list[LineItem] = []
    if flow is not None:
        gb, assumed = ctx.use("flow_log_gb", flow)
        ingest_note = f"ingestion priced on {flow.lid} (vended logs)"
    else:
        errors_only = _errors_only(ctx, res)
        gb, assumed = ctx.use("error_log_gb" if errors_only else "log_gb", res)
        ingest_note = f"errors only: written by {', '.join(errors_only)} at Level ERROR/FATAL" if errors_only else ""
        cls = str(res.prop("LogGroupClass", "STANDARD") or "STANDARD")
        key = "logs.ingest_gb" if cls == "STANDARD" else f"logs.ingest_gb.{cls.lower()}"
        items.append(ctx.charge(res, "log ingestion", gb, "GB", key, assumption=assumed, note=ingest_note))
    days = res.number("RetentionInDays")
    if days is None:
        months, retention_note = 12.0, "no retention (logs never expire): storage shown after 12 months"
    else:
        months, retention_note = days / DAYS_PER_MONTH, f"{days:g}-day retention"
    stored = gb * months
    items.append(ctx.charge(res, f"log storage ({retention_note})", stored, "GB-month", "logs.storage_gb_month",
                            assumption=assumed or days is None,
                            note="; ".join(n for n in (ingest_note, "stored GB = monthly GB x retention; "
                                                       "compression not credited") if n)))
    return items


# Step Functions log levels that write only failures (ALL writes every event; OFF writes nothing).
ERROR_LEVELS = ("ERROR", "FATAL")


def _errors_only(ctx: PricingContext, res: Resource) -> list[str]:
    """The state machines writing to log group ``res`` when every writer in its stack is one of them and logs
    failures only (then the group gets the small ``error_log_gb``, not an application's ``log_gb``); else []."""
    machines = [r for r in ctx.resources("AWS::StepFunctions::StateMachine") if r.stack == res.stack
                and str((r.props.get("LoggingConfiguration") or {}).get("Level", "")) in ERROR_LEVELS
                and mentions(r.props.get("LoggingConfiguration"), res.lid)]
    if not machines:  # most log groups: no need to look at every other resource
        return []
    lids = {m.lid for m in machines}
    # Another writer (a container's awslogs, another machine at Level ALL...) makes it an ordinary log group;
    # roles only grant access to it.
    others = [r for r in ctx.resources() if r.stack == res.stack and r.lid != res.lid and r.lid not in lids
              and r.type not in ("AWS::IAM::Role", "AWS::IAM::Policy") and mentions(r.props, res.lid)]
    return [] if others else sorted(lids)


def price_alarm(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A metric alarm: per alarm metric per month (high resolution when the period is under 60 s)."""
    metrics = res.prop("Metrics")
    count = sum(1 for m in metrics if isinstance(m, dict) and m.get("MetricStat")) if isinstance(metrics, list) else 1
    period = res.number("Period", 60.0) or 60.0
    if isinstance(metrics, list):
        periods = [m.get("MetricStat", {}).get("Period") for m in metrics if isinstance(m, dict)]
        period = min([p for p in periods if isinstance(p, int | float)] or [60.0])
    high = period < 60
    return [ctx.charge(res, f"alarm metrics ({'high' if high else 'standard'} resolution)", max(count, 1),
                       "alarm metric-month", "cloudwatch.alarm_high_res_month" if high else "cloudwatch.alarm_month",
                       note="the account's 10 free alarms are not deducted")]


def price_composite_alarm(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A composite alarm: a flat monthly price."""
    return [ctx.charge(res, "composite alarm", 1.0, "alarm-month", "cloudwatch.composite_alarm_month")]


def price_dashboard(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A dashboard: a flat monthly price (the account's first 3 are free, not deducted here)."""
    return [ctx.charge(res, "dashboard", 1.0, "dashboard-month", "cloudwatch.dashboard_month",
                       note="the account's 3 free dashboards are not deducted")]


# The resource types this module prices (collected by moorage.cost.components).
PRICERS = {
    "AWS::Logs::LogGroup": price_log_group,
    "AWS::CloudWatch::Alarm": price_alarm,
    "AWS::CloudWatch::CompositeAlarm": price_composite_alarm,
    "AWS::CloudWatch::Dashboard": price_dashboard,
}
