"""Every CloudFormation type moorage emits is emulated (by an adapter or by moto itself), and
docs/deploy.md's table says which, exactly."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from moorage.deploy.destroy import destroy
from moorage.deploy.progress import QuietReporter
from moorage.emulator.adapters import ADAPTERS
from moorage.emulator.engine import emulation_of

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# The seed guides, in the environment with the most resources (hello and maestro: test_deploy.py).
SEEDS = sorted(str(p.relative_to(EXAMPLES.parent)) for p in EXAMPLES.glob("*/moorage.yml")
               if p.parent.name not in ("hello", "maestro"))


# Types the emulator cannot create, by design (docs/deploy.md): a deploy reports each as NOT EMULATED.
NOT_EMULATED = {
    "AWS::Chatbot::SlackChannelConfiguration": "moto has no AWS Chatbot API",
    "AWS::Chatbot::MicrosoftTeamsChannelConfiguration": "moto has no AWS Chatbot API",
}


def test_every_emitted_type_is_emulated(case: Any) -> None:
    types = {r["Type"] for tpl in case.templates.values() for r in tpl.get("Resources", {}).values()}
    missing = sorted(t for t in types if emulation_of(t) == "not emulated" and t not in NOT_EMULATED)
    assert missing == [], f"{case.label}: not emulated: {missing}"
    assert all(emulation_of(t) == "not emulated" for t in NOT_EMULATED)  # else drop it from the list


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


@pytest.mark.parametrize("spec", SEEDS, ids=[s.split("/")[1] for s in SEEDS])
def test_seed_guide_prod_deploys_and_destroys(spec: str, cases: Any, run_deploy: Any, target: Any) -> None:
    """Every resource of a seed guide's production environment is created; destroying deletes the stacks,
    stopping only at a database with deletion protection (refused, as on AWS)."""
    loaded = cases.loaded(spec)
    env = "prod" if "prod" in loaded.spec.environments else list(loaded.spec.environments)[-1]
    synth = cases.get(spec, env).synth
    result, _ = run_deploy(synth)
    assert result.ok, result.to_json()
    emitted = {r["Type"] for tpl in synth.templates.values() for r in tpl.get("Resources", {}).values()}
    reported = {e.resource_type for o in result.outcomes.values() for e in o.not_emulated}
    assert reported == emitted & set(NOT_EMULATED), reported  # reported as such, never silently skipped
    assert run_deploy(synth)[0].unchanged  # outputs and parameters read back as deployed
    gone = destroy(target, synth.manifest, QuietReporter(), poll=0.05)
    assert all("deletion protection" in reason for reason in gone.failed.values()), gone.failed
    if not gone.failed:
        assert len(gone.deleted) == len(synth.manifest["stacks"])
    assert gone.deleted  # the later waves at least (destroy stops at the refused stack)
