"""Every CloudFormation type moorage emits is emulated (by an adapter or by moto itself)."""

from __future__ import annotations

from typing import Any

from moorage.emulator.engine import emulation_of


def test_every_emitted_type_is_emulated(case: Any) -> None:
    types = {r["Type"] for tpl in case.templates.values() for r in tpl.get("Resources", {}).values()}
    missing = sorted(t for t in types if emulation_of(t) == "not emulated")
    assert missing == [], f"{case.label}: not emulated: {missing}"


def test_kitchen_prod_deploys_completely(kitchen: Any, run_deploy: Any) -> None:
    """Aurora, EFS, WAF, autoscaling, alarms, a budget, a domain: all created, nothing skipped."""
    result, _ = run_deploy(kitchen("prod").synth)
    assert result.ok, result.to_json()
    assert {o.status for o in result.outcomes.values()} == {"CREATE_COMPLETE"}
    assert [e for o in result.outcomes.values() for e in o.not_emulated] == []
