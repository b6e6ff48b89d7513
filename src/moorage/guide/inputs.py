"""What a guide is written from: the synthesized environment, its cost estimate and its policy check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from moorage.cfn.sets import template_set_of
from moorage.cost import estimate_template_set
from moorage.cost.model import CostReport
from moorage.plan.model import Plan
from moorage.policy import ChecklistItem, Report, checklist, run_checks
from moorage.render import Synth


@dataclass
class GuideInput:
    """One environment's facts: plan and templates (``synth``), cost report, policy report and checklist."""

    synth: Synth
    cost: CostReport
    report: Report
    checklist: list[ChecklistItem]
    spec: str  # the spec as the user names it in commands (a relative path)

    @property
    def plan(self) -> Plan:
        """The environment's plan."""
        return self.synth.plan


def guide_input(synth: Synth, spec: str, *, suppressions: Iterable[Any] = ()) -> GuideInput:
    """Price and check ``synth`` (as `moorage cost` and `moorage check` do) and bundle it for the guide."""
    tset = template_set_of(synth)
    report = run_checks([tset], suppressions=suppressions)
    return GuideInput(synth, estimate_template_set(tset), report, checklist(report, [tset]), spec)
