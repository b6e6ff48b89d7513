"""Every CloudFormation type moorage emits is emulated (by an adapter or by moto itself), and
docs/deploy.md's table says which, exactly."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from moorage.emulator.adapters import ADAPTERS
from moorage.emulator.engine import emulation_of


def test_every_emitted_type_is_emulated(case: Any) -> None:
    types = {r["Type"] for tpl in case.templates.values() for r in tpl.get("Resources", {}).values()}
    missing = sorted(t for t in types if emulation_of(t) == "not emulated")
    assert missing == [], f"{case.label}: not emulated: {missing}"


def _table(repo_root: Path) -> dict[str, set[str]]:
    text = (repo_root / "docs" / "deploy.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        if line.startswith("| moorage adapter"):
            rows["adapter"] = set(re.findall(r"`(AWS::[A-Za-z0-9:]+)`", line))
        elif line.startswith("| moto,"):
            rows["moto"] = set(re.findall(r"`(AWS::[A-Za-z0-9:]+)`", line))
    return rows


def test_docs_table_lists_every_adapter_and_emitted_type(repo_root: Path, cases: Any, kitchen: Any,
                                                          variants: Any) -> None:
    table = _table(repo_root)
    assert table["adapter"] == set(ADAPTERS)
    assert all(emulation_of(t) == "moto" for t in table["moto"]), "a type in the moto row is not native"
    emitted = {r["Type"] for case in (kitchen("prod"), kitchen("dev"), variants("prod"))
               for tpl in case.templates.values() for r in tpl.get("Resources", {}).values()}
    assert emitted - table["adapter"] - table["moto"] == set(), "emitted types missing from docs/deploy.md"


def test_kitchen_prod_deploys_completely(kitchen: Any, run_deploy: Any) -> None:
    """Aurora, EFS, WAF, autoscaling, alarms, a budget, a domain: all created, nothing skipped."""
    result, _ = run_deploy(kitchen("prod").synth)
    assert result.ok, result.to_json()
    assert {o.status for o in result.outcomes.values()} == {"CREATE_COMPLETE"}
    assert [e for o in result.outcomes.values() for e in o.not_emulated] == []
