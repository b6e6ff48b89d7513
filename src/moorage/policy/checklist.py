"""The compliance checklist the guides end with, ticked from a check's results.

Each item gathers the rules that verify it. An item passes when its rules were evaluated and no
unsuppressed finding remains; account-level items are advisory (verified by hand) unless the
templates themselves create the service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from moorage.cfn.index import SetIndex
from moorage.cfn.sets import TemplateSet
from moorage.policy.findings import Report
from moorage.policy.registry import all_rules, checklist_items

ItemStatus = Literal["pass", "fail", "not-applicable", "manual"]


@dataclass(frozen=True)
class ChecklistItem:
    """One line of the compliance checklist and how the templates fare against it."""

    id: str
    text: str
    status: ItemStatus
    rules: tuple[str, ...]
    failing: tuple[str, ...] = field(default=())  # rule ids with unsuppressed findings
    suppressed: int = 0
    note: str = ""

    @property
    def ticked(self) -> bool:
        """True when the item can be ticked."""
        return self.status == "pass"


def checklist(report: Report, sets: list[TemplateSet] | None = None) -> list[ChecklistItem]:
    """The checklist items, in the order of ``data/policy_rules.yaml``, with their status."""
    rules = all_rules()
    evaluated = {e.rule for e in report.evaluations if e.status != "error"}
    failing = {f.rule for f in report.active}
    suppressed: dict[str, int] = {}
    for f in report.suppressed:
        suppressed[f.rule] = suppressed.get(f.rule, 0) + 1
    present: set[str] = set()
    for tset in sets or []:
        present |= {r.type for r in SetIndex(tset, tset.profile or "prod").resources.values()}
    items = []
    for item_id, text in checklist_items().items():
        members = [r for r in rules if r.checklist == item_id]
        ids = tuple(r.id for r in members)
        bad = tuple(i for i in ids if i in failing)
        n_suppressed = sum(suppressed.get(i, 0) for i in ids)
        advisory = [r for r in members if r.advisory]
        status: ItemStatus
        note = ""
        if bad:
            status = "fail"
        elif advisory and len(advisory) == len(members):
            covered = [r.id for r in advisory if set(r.types) & present]
            status = "pass" if len(covered) == len(advisory) else "manual"
            missing = [r.title for r in advisory if r.id not in covered]
            note = "verify in the account: " + "; ".join(missing) if missing else "created by the templates"
        elif item_id == "residency" and not any(s.get("residency") for s in report.sets):
            status, note = "not-applicable", "no residency declared"
        elif any(i in evaluated for i in ids):
            status = "pass"
        else:
            status = "not-applicable"
        if n_suppressed and status == "pass":
            note = f"{n_suppressed} finding(s) accepted by suppressions"
        items.append(ChecklistItem(item_id, text, status, ids, bad, n_suppressed, note))
    return items
