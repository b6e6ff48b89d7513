"""A Markdown report: summary, findings by severity, suppressions and the ticked checklist."""

from __future__ import annotations

from moorage.policy.checklist import ChecklistItem
from moorage.policy.findings import SEVERITIES, Finding, Report
from moorage.policy.registry import Rule, all_rules

MARK = {"pass": "[x]", "fail": "[ ]", "manual": "[ ]", "not-applicable": "[x]"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _rows(findings: list[Finding], reason: bool = False) -> list[str]:
    head = "| rule | resource | where | finding |" + (" reason |" if reason else "")
    lines = [head, "|---|---|---|---|" + ("---|" if reason else "")]
    for f in findings:
        row = f"| {f.rule} | {f.stack}/{f.resource} | {_cell(f.where)} | {_cell(f.message)} |"
        lines.append(row + (f" {_cell(f.reason or '')} |" if reason else ""))
    return lines


def to_markdown(report: Report, items: list[ChecklistItem] | None = None) -> str:
    """The report as Markdown (for pull-request comments and the deployment guide)."""
    counts = report.counts()
    out = ["# moorage check", ""]
    for s in report.sets:
        residency = ", ".join(s["residency"]) or "none"
        out.append(f"- **{s['label']}**: {len(s['stacks'])} templates, {s['resources']} resources, region "
                   f"{s['region']}, profile {s['profile']}, residency {residency}")
    out += ["", "| critical | high | medium | low | suppressed |", "|---|---|---|---|---|",
            f"| {counts['critical']} | {counts['high']} | {counts['medium']} | {counts['low']} | "
            f"{counts['suppressed']} |", ""]
    for severity in SEVERITIES:
        group = [f for f in report.active if f.severity == severity]
        if group:
            out += [f"## {severity.capitalize()} ({len(group)})", "", *_rows(group), ""]
    if report.suppressed:
        out += [f"## Suppressed ({len(report.suppressed)})", "", *_rows(report.suppressed, reason=True), ""]
    if report.scanner_skips:
        out += [f"## Skipped scanner checks ({len(report.scanner_skips)})", "", "| check | resource | reason |",
                "|---|---|---|"]
        out += [f"| {s.scanner} {s.check} | {s.stack}/{s.resource} | "
                f"{(s.reason or '(no reason given)').replace('|', '/')} |" for s in report.scanner_skips]
        out.append("")
    unchecked = [u for u in report.unchecked if not u.summarised]
    if unchecked:
        out += [f"## Unchecked ({len(unchecked)}: no rule could judge these)", "", "| resource | type | why |",
                "|---|---|---|"]
        out += [f"| {u.stack}/{u.resource} | {_cell(u.resource_type)} | {_cell(u.reason)} |" for u in unchecked]
        out.append("")
    if items:
        out += ["## Compliance checklist", ""]
        for item in items:
            extra = f" — {item.note}" if item.note else ""
            failing = f" (failing: {', '.join(item.failing)})" if item.failing else ""
            out.append(f"- {MARK[item.status]} {item.text}: **{item.status}**{failing}{extra}")
        out.append("")
    if not report.active:
        out += ["No unsuppressed findings.", ""]
    return "\n".join(out)


def rules_markdown(rules: tuple[Rule, ...] | None = None) -> str:
    """The rule reference (``moorage rules --format markdown``; docs/policy.md embeds it)."""
    out = ["| id | severity | title | applies to |", "|---|---|---|---|"]
    for r in rules or all_rules():
        scope = []
        if r.profiles:
            scope.append(f"{'/'.join(r.profiles)} only")
        if r.residency:
            scope.append("with a residency")
        if r.opt_in:
            scope.append(f"`--require {r.opt_in}`")
        if r.advisory:
            scope.append("advisory (account level)")
        types = ", ".join(t.removeprefix("AWS::") for t in r.types) if "*" not in r.types else "every resource"
        out.append(f"| {r.id} | {r.severity} | {_cell(r.title)} | {types}{'; ' if scope else ''}{'; '.join(scope)} |")
    out.append("")
    for r in rules or all_rules():
        refs = f" ({', '.join(r.references)})" if r.references else ""
        out += [f"### {r.id}: {r.title}", "", f"*{r.severity}*{refs}. {r.rationale}", "", f"**Fix:** {r.remediation}",
                ""]
    return "\n".join(out)
