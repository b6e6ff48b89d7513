"""Estimate a template set: price every resource, collect the usage figures used, find the budget."""

from __future__ import annotations

from moorage.cfn.sets import TemplateSet
from moorage.cfn.values import to_number
from moorage.cost.catalog import Catalog, packaged_catalog
from moorage.cost.components import price_resource
from moorage.cost.context import PricingContext
from moorage.cost.model import Budget, CostReport
from moorage.cost.savings import savings
from moorage.cost.usage import Usage, UsageFile


def estimate_template_set(tset: TemplateSet, usage: UsageFile | None = None, *, catalog: Catalog | None = None,
                          usage_profile: str | None = None) -> CostReport:
    """The itemized monthly estimate of ``tset`` (one environment, or any group of templates)."""
    figures = Usage(tset.label, tset.profile, usage, usage_profile)
    ctx = PricingContext(tset, catalog or packaged_catalog(), figures)
    report = CostReport(tset.label, tset.region, tset.profile, figures.profile)
    for res in ctx.resources():
        report.items.extend(price_resource(ctx, res))
        if res.type == "AWS::Budgets::Budget" and report.budget is None:
            data = res.prop("Budget") or {}
            limit = data.get("BudgetLimit") or {} if isinstance(data, dict) else {}
            amount = to_number(limit.get("Amount")) if isinstance(limit, dict) else None
            if amount is not None and str(data.get("TimeUnit", "MONTHLY")) == "MONTHLY":
                report.budget = Budget(amount, str(data.get("BudgetName", "")), res.stack)
    report.usage = dict(figures.used)
    report.savings = savings(report, ctx.catalog)
    return report


def estimate_summary(tset: TemplateSet, usage: UsageFile | None = None) -> dict[str, float | int | str]:
    """The figures `plan` prints and its JSON carries: the same headline as `moorage cost`."""
    from moorage.cost.report import headline

    report = estimate_template_set(tset, usage)
    return {"sourced": round(report.monthly, 2), "upper": round(report.upper, 2),
            "low": round(report.low, 2), "high": round(report.high, 2), "upper_high": round(report.upper_high, 2),
            "unpriced_items": len(report.unknown), "unbounded_items": len(report.unbounded),
            "headline": headline(report)}


def monthly_total(tset: TemplateSet, usage: UsageFile | None = None) -> tuple[float, float, int]:
    """(low, high, unknown_count) of ``tset``'s monthly estimate, for plan summaries.

    ``low``/``high`` put every autoscaled service at its minimum/maximum; ``unknown_count`` counts items
    that could not be priced (no sourced rate in the region, or a resource type moorage does not price).
    """
    report = estimate_template_set(tset, usage)
    return report.low, report.high, len(report.unknown)
