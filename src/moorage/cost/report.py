"""Render cost reports: a terminal table, Markdown, JSON; and the side-by-side comparison of environments."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from moorage.cost.model import CostReport, LineItem

SCHEMA_ID = "https://moorage.dev/schemas/cost.schema.json"


def money(value: float | None) -> str:
    """$1,234.56 (or "-" for nothing)."""
    return "-" if value is None else f"${value:,.2f}"


def _quantity(item: LineItem) -> str:
    if item.status in ("free", "not-priced") or (item.status == "unknown" and not item.quantity):
        return ""
    q = f"{item.quantity:,.2f}".rstrip("0").rstrip(".")
    if item.unit[:1].isdigit():  # a unit of many ("10,000 requests"): "10 x 10,000 requests", not "10 10,000"
        return f"{q} x {item.unit}"
    return f"{q} {item.unit}".strip()


def _rate(item: LineItem) -> str:
    return "" if item.unit_price is None else f"${item.unit_price:g}/{item.unit}"


def _monthly(item: LineItem) -> str:
    if item.status == "free":
        return "free"
    if item.status == "not-priced":
        return "not priced"
    if item.status == "unknown":
        return "unknown" if item.proxy_monthly is None else f"unknown (proxy <= {money(item.proxy_monthly)})"
    text = money(item.monthly)
    if item.low is not None and item.high is not None and (item.low != item.monthly or item.high != item.monthly):
        text += f" ({money(item.low)}-{money(item.high)})"
    return text + (" *" if item.assumption else "")


def rows(report: CostReport, *, show_free: bool = False) -> list[list[str]]:
    """Table rows: resource, component, quantity, unit price, monthly (free items folded unless asked)."""
    out = []
    for item in report.items:
        if item.status == "free" and not show_free:
            continue
        note = item.note if item.status != "priced" else ""
        if item.proxy_basis:
            note = "; ".join(n for n in (note, item.proxy_basis) if n)
        out.append([f"{item.stack}/{item.resource}", item.component, _quantity(item), _rate(item),
                    _monthly(item), note])
    return out


def headline(report: CostReport) -> str:
    """The one-line total that `plan` and `cost` both print: sourced, and the upper bound when anything is unknown."""
    scaling = scaling_phrase(report)
    if not report.unknown:
        return f"{report.label}: {money(report.monthly)}/month in {report.region}, every item sourced{scaling}"
    proxied = len(report.unknown) - len(report.unbounded)
    parts = f"{money(report.monthly)} sourced + {money(report.proxied)} for {proxied} unknown item(s) at declared " \
            "proxy prices"
    if not report.unbounded:
        return f"{report.label}: at most {money(report.upper)}/month in {report.region}{scaling} ({parts})"
    return (f"{report.label}: NO UPPER BOUND in {report.region}: {len(report.unbounded)} item(s) have no price "
            f"and no proxy; the {money(report.upper)}/month counted{scaling} ({parts}) leaves them out, so the "
            "bill can be higher")


def total_phrase(report: CostReport) -> str:
    """The total in a few words, as tables and guides show it: the sourced sum when everything is priced,
    else the upper bound, else that there is none (items with neither price nor proxy)."""
    if not report.unknown:
        return money(report.monthly)
    if not report.unbounded:
        return f"at most {money(report.upper)}"
    return f"no upper bound ({money(report.upper)} counted)"


def scaling_phrase(report: CostReport) -> str:
    """`` (autoscaling up to $X)`` when the bound with every autoscaled service at its maximum is higher, else
    ``""``."""
    return (f" (autoscaling up to {money(report.upper_high)})"
            if round(report.upper_high, 2) != round(report.upper, 2) else "")


def estimate_phrase(report: CostReport) -> str:
    """The estimate as `envs` and the guide show it, in the figures of `plan`'s and `cost`'s headline: the total
    (:func:`total_phrase`) a month, the autoscaling bound, and how many items are unpriced (counted at their
    proxy prices in the bound)."""
    unpriced = f" ({len(report.unknown)} item(s) unpriced)" if report.unknown else ""
    return f"{total_phrase(report)}/month{scaling_phrase(report)}{unpriced}"


def unbounded_reason(report: CostReport) -> str:
    """Why no upper bound can be shown: how many items have neither price nor proxy, and which rates."""
    names = sorted({f"{i.resource}: {i.rate or i.type}" for i in report.unbounded})
    shown = ", ".join(names[:8]) + (f", and {len(names) - 8} more" if len(names) > 8 else "")
    return f"{len(report.unbounded)} item(s) have no price and no proxy ({shown})"


def gate_failure(report: CostReport, limit: float, basis: str = "upper", what: str = "--fail-over") -> str | None:
    """Why ``report`` does not pass a ``limit`` (--fail-over, a budget), or None when it is shown to be under it.

    On the ``upper`` basis an item with neither price nor proxy makes the bound unknown, so the gate cannot
    pass: an unknown is never counted as zero. The ``sourced`` basis, which the user picks explicitly,
    compares only what is sourced.
    """
    total = report.basis_total(basis)
    if total > limit:
        which = "upper bound" if basis == "upper" and report.unknown else "estimate"
        if basis == "upper" and report.unbounded:
            which = "counted total (no upper bound: some items have no price and no proxy)"
        return f"{report.label}: {which} {money(total)}/month exceeds {what} {money(limit)}"
    if basis == "upper" and report.unbounded:
        return (f"{report.label}: cannot show the estimate is under {money(limit)} ({what}): "
                f"{unbounded_reason(report)}; "
                "price them (--prices), or compare only the sourced total with --fail-over-basis sourced")
    return None


def summary_lines(report: CostReport, basis: str = "upper") -> list[str]:
    """The totals, the range, assumptions, unknowns and the budget, as sentences."""
    lines = [headline(report)]
    if report.assumed:
        lines.append(f"  {money(report.assumed)} of it rests on assumed usage (profile {report.usage_profile}; "
                     "marked *): give real figures with --usage usage.yml")
    free = sum(1 for i in report.items if i.status == "free")
    lines.append(f"  {free} free item(s) not shown (--show-free lists them)" if free else "  no free items")
    proxied = len(report.unknown) - len(report.unbounded)
    if proxied:
        lines.append(f"  {proxied} item(s) have no sourced price: each is marked unknown in the table with its "
                     "proxy basis (--fail-on-unknown exits 1 on them)")
    if report.unbounded:
        lines.append(f"  {len(report.unbounded)} item(s) have no price and no proxy: each is marked unknown in the "
                     "table with the reason; no total includes them")
    if report.budget:
        total = report.basis_total(basis)
        pct = 100 * total / report.budget.amount if report.budget.amount else 0.0
        which = "upper bound" if basis == "upper" and report.unknown else "estimate"
        if total <= report.budget.amount and basis == "upper" and report.unbounded:
            lines.append(f"  budget {money(report.budget.amount)}/month: cannot tell whether it is within budget: "
                         f"{unbounded_reason(report)}; what is counted is {pct:.0f}%")
        else:
            state = "OVER budget" if total > report.budget.amount else (
                "above the 80% alert" if pct >= 80 else "within budget")
            lines.append(f"  budget {money(report.budget.amount)}/month: {which} is {pct:.0f}% ({state})")
    return lines


def savings_lines(report: CostReport) -> list[str]:
    """The savings section: each option with today's cost, the cost with it, and the basis of its rates."""
    lines = []
    for s in report.savings:
        if s.alternative is None:
            lines.append(f"  {s.option}: UNPRICED, the saving is not estimated; it would cover "
                         f"{money(s.current)}/month ({s.applies_to}) - {s.note}")
        else:
            lines.append(f"  {s.option}: {money(s.current)} -> {money(s.alternative)}/month, saves "
                         f"{money(s.saving)} ({s.applies_to}; {s.basis} rates) - {s.note}")
    return (["Savings (before you deploy):"] + lines) if lines else []


def to_markdown(reports: list[CostReport], *, show_free: bool = False) -> str:
    """Markdown: one section per environment, then the comparison when there are several."""
    parts: list[str] = []
    for report in reports:
        parts.append(f"## {report.label} ({report.region}) - {total_phrase(report)}/month\n")
        parts.append("| resource | component | quantity | unit price | monthly | note |")
        parts.append("|---|---|---|---|---|---|")
        for row in rows(report, show_free=show_free):
            parts.append("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |")
        parts.append("")
        parts += [line.strip() + "  " for line in summary_lines(report)]
        saving = savings_lines(report)
        if saving:
            parts.append("\n### Savings\n")
            parts += ["- " + line.strip() for line in saving[1:]]
        assumed = [u for u in report.usage.values() if u.assumed]
        if assumed:
            parts.append("\nAssumed usage: " + ", ".join(f"{u.key} = {u.value:g}" for u in
                                                         sorted(assumed, key=lambda u: u.key)))
        parts.append("")
    if len(reports) > 1:
        parts.append("## Side by side\n")
        parts.append(comparison_markdown(reports))
    return "\n".join(parts).rstrip() + "\n"


def to_json(reports: list[CostReport], basis: str = "upper") -> str:
    """JSON (see docs/cost.schema.json); budgets compared on ``basis`` (--fail-over-basis)."""
    data: dict[str, Any] = {"$schema": SCHEMA_ID, "currency": "USD",
                            "environments": [r.to_dict(basis) for r in reports]}
    if len(reports) > 1:
        data["comparison"] = comparison(reports)
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


FAMILIES = {
    "AWS::ECS::": "compute (Fargate)", "AWS::Events::": "compute (Fargate)",
    "AWS::ElasticLoadBalancingV2::": "load balancing", "AWS::EC2::": "network (NAT, IPv4, endpoints)",
    "AWS::RDS::": "databases", "AWS::ElastiCache::": "caches", "AWS::S3::": "storage",
    "AWS::EFS::": "storage", "AWS::ECR::": "storage", "AWS::Logs::": "logs and monitoring",
    "AWS::CloudWatch::": "logs and monitoring", "AWS::SecretsManager::": "security",
    "AWS::KMS::": "security", "AWS::WAFv2::": "security", "AWS::CloudFront::": "edge and DNS",
    "AWS::Route53::": "edge and DNS", "AWS::ServiceDiscovery::": "edge and DNS",
}


def family(resource_type: str) -> str:
    """The cost family a resource type belongs to."""
    return next((f for prefix, f in FAMILIES.items() if resource_type.startswith(prefix)), "other")


def comparison(reports: list[CostReport]) -> dict[str, Any]:
    """Totals per family and environment, and the biggest drivers of the difference, explained."""
    families: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in reports:
        for item in r.items:
            if item.counted:
                families[family(item.type)][r.label] += item.monthly or 0.0
    base, top = reports[0], reports[-1]
    drivers = _drivers(base, top)
    return {
        "environments": [r.label for r in reports],
        "totals": {r.label: round(r.monthly, 2) for r in reports},
        "upper": {r.label: round(r.upper, 2) for r in reports},
        "families": {f: {r.label: round(v.get(r.label, 0.0), 2) for r in reports} for f, v in sorted(families.items())},
        "unknown": {r.label: len(r.unknown) for r in reports},
        "from": base.label, "to": top.label, "difference": round(top.monthly - base.monthly, 2),
        "drivers": drivers,
    }


def _drivers(a: CostReport, b: CostReport, limit: int = 6) -> list[dict[str, Any]]:
    def grouped(r: CostReport) -> dict[tuple[str, str], tuple[float, list[str]]]:
        out: dict[tuple[str, str], tuple[float, list[str]]] = {}
        for item in r.items:
            if item.counted:
                key = (item.resource, family(item.type))
                total, parts = out.get(key, (0.0, []))
                out[key] = (total + (item.monthly or 0.0), parts + [item.component])
        return out

    ga, gb = grouped(a), grouped(b)
    deltas: list[dict[str, Any]] = []
    for key in set(ga) | set(gb):
        va, pa = ga.get(key, (0.0, []))
        vb, pb = gb.get(key, (0.0, []))
        if abs(vb - va) >= 0.01:
            why = _why(pa, pb)
            deltas.append({"resource": key[0], "family": key[1], a.label: round(va, 2), b.label: round(vb, 2),
                           "difference": round(vb - va, 2), "why": why})
    deltas.sort(key=lambda d: (-abs(float(d["difference"])), str(d["resource"])))
    return deltas[:limit]


def _why(before: list[str], after: list[str]) -> str:
    if not before:
        return "only in the second: " + "; ".join(after[:3])
    if not after:
        return "only in the first: " + "; ".join(before[:3])
    changed = [f"{x} -> {y}" for x, y in zip(before, after, strict=False) if x != y]
    return "; ".join(changed[:3]) or "same components, different quantities or usage"


def comparison_markdown(reports: list[CostReport]) -> str:
    """The comparison as Markdown tables with the drivers explained."""
    data = comparison(reports)
    labels = data["environments"]
    lines = ["| family | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for fam, values in data["families"].items():
        lines.append(f"| {fam} | " + " | ".join(money(values[e]) for e in labels) + " |")
    lines.append("| **total** | " + " | ".join(f"**{money(data['totals'][e])}**" for e in labels) + " |")
    lines.append("| items not priced | " + " | ".join(str(data["unknown"][e]) for e in labels) + " |")
    lines.append("| upper bound (unknowns at proxy prices) | " + " | ".join(money(data["upper"][e]) for e in labels)
                 + " |")
    lines.append(f"\n{data['to']} costs {money(data['difference'])} more than {data['from']} a month; "
                 "the biggest differences:\n")
    for d in data["drivers"]:
        lines.append(f"- {d['resource']} ({d['family']}): {money(d[data['from']])} -> {money(d[data['to']])} "
                     f"({'+' if d['difference'] >= 0 else ''}{money(d['difference'])}): {d['why']}")
    return "\n".join(lines) + "\n"
