"""The terminal report: findings grouped by severity, then suppressions, then a summary line."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from moorage.policy.findings import SEVERITIES, Finding, Report, Severity, Unchecked

COLOR = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow", Severity.LOW: "cyan"}


def _table(title: str, findings: list[Finding], style: str, reason: bool = False) -> Table:
    table = Table(title=title, title_justify="left", title_style=style)
    for col in ("rule", "resource", "finding", *(("reason",) if reason else ())):
        table.add_column(col, overflow="fold")
    for f in findings:
        where = f"{f.stack}/{f.resource}" + (f"\n{f.where}" if f.line else "")
        rule = f.rule + (f"\n{', '.join(f.controls)}" if f.controls else "")  # the standard's controls, if asked
        table.add_row(rule, where, f.message, *((f.reason or "",) if reason else ()))
    return table


def _scanner_table(report: Report) -> Table:
    table = Table(title=f"SKIPPED SCANNER CHECKS ({len(report.scanner_skips)}, in the resources' Metadata)",
                  title_justify="left", title_style="dim")
    for col in ("check", "resource", "reason"):
        table.add_column(col, overflow="fold")
    for s in report.scanner_skips:
        table.add_row(f"{s.scanner} {s.check}", f"{s.stack}/{s.resource}", s.reason or "(no reason given)")
    return table


def _unchecked_table(items: list[Unchecked]) -> Table:
    table = Table(title=f"UNCHECKED ({len(items)}: no rule could judge these; review them by hand)",
                  title_justify="left", title_style="magenta")
    for col in ("resource", "type", "why"):
        table.add_column(col, overflow="fold")
    for u in items:
        where = f"{u.stack}/{u.resource}" + (f"\n{u.file}:{u.line}" if u.file and u.line else "")
        table.add_row(where, u.resource_type, u.reason)
    return table


def _summary(items: list[Unchecked], kind: str) -> str | None:
    """One line for the unchecked resources of a summarised kind (each one is in the JSON report)."""
    group = [u for u in items if u.kind == kind]
    if not group:
        return None
    if kind == "aws-type":
        counts = Counter(u.resource_type for u in group)
        return (f"{len(group)} resource(s) of {len(counts)} AWS type(s) no rule reads (only secrets scanned; "
                "listed in --format json): " + ", ".join(f"{t} ({n})" for t, n in sorted(counts.items())))
    return (f"{len(group)} resource(s) passed rules on values set at deploy time (listed in --format json): "
            + ", ".join(f"{u.stack}/{u.resource}" for u in group))


def print_table(report: Report, console: Console, show: Severity = Severity.LOW) -> None:
    """Print the findings at or above ``show`` as tables, grouped by severity, and a summary."""
    for severity in SEVERITIES:
        if not severity.at_least(show):
            continue
        group = [f for f in report.active if f.severity == severity]
        if group:
            console.print(_table(f"{severity.upper()} ({len(group)})", group, COLOR[severity]))
    if report.suppressed:
        console.print(_table(f"SUPPRESSED ({len(report.suppressed)})", report.suppressed, "dim", reason=True))
    if report.scanner_skips:
        console.print(_scanner_table(report))
    serious = [u for u in report.unchecked if not u.summarised]
    if serious:
        console.print(_unchecked_table(serious))
    for kind in ("unknown-value", "aws-type"):
        line = _summary(report.unchecked, kind)
        if line:
            console.print(line, style="dim", markup=False)
    counts = report.counts()
    for s in report.sets:
        residency = f", residency {', '.join(s['residency'])}" if s["residency"] else ""
        console.print(f"{s['label']}: {len(s['stacks'])} templates, {s['resources']} resources "
                      f"({s['region']}, profile {s['profile']}{residency})")
    console.print(", ".join(f"{counts[str(s)]} {s}" for s in SEVERITIES) + f" ({counts['suppressed']} suppressed)"
                  + (f", {len(serious)} unchecked" if serious else ""))
