"""The machine-readable report: findings, per-rule results, the checklist and what was checked."""

from __future__ import annotations

import json as _json
from typing import Any

from moorage import __version__
from moorage.policy.checklist import ChecklistItem
from moorage.policy.findings import Report


def results_by_rule(report: Report) -> dict[str, dict[str, int]]:
    """Rule id -> {"pass": n, "fail": n, "error": n} over every resource it was evaluated on."""
    out: dict[str, dict[str, int]] = {}
    for e in report.evaluations:
        counts = out.setdefault(e.rule, {"pass": 0, "fail": 0, "error": 0})
        counts[e.status] += 1
    return dict(sorted(out.items()))


def report_data(report: Report, items: list[ChecklistItem] | None = None) -> dict[str, Any]:
    """The report as JSON-able data."""
    return {
        "tool": "moorage", "version": __version__,
        "summary": report.counts(),
        "sets": report.sets,
        "findings": [f.to_dict() for f in report.findings],
        "results": results_by_rule(report),
        "checklist": [{"id": i.id, "text": i.text, "status": i.status, "rules": list(i.rules),
                       "failing": list(i.failing), "suppressed": i.suppressed, "note": i.note} for i in items or []],
        "errors": [{"rule": e.rule, "label": e.label, "stack": e.stack, "resource": e.resource, "detail": e.detail}
                   for e in report.errors],
        "unused_suppressions": report.unused_suppressions,
        "scanner_suppressions": [s.to_dict() for s in report.scanner_skips],
        "unchecked": [u.to_dict() for u in report.unchecked],
    }


def to_json(report: Report, items: list[ChecklistItem] | None = None) -> str:
    """Deterministic JSON text of :func:`report_data`."""
    return _json.dumps(report_data(report, items), indent=2, sort_keys=True) + "\n"
