"""Standards mapping (data/policy_standards.yaml) and `moorage check --standard`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moorage.policy import all_rules, get_rule
from moorage.policy.registry import rules_for_standard, standards

if TYPE_CHECKING:
    from conftest import CliResult

Run = Callable[..., "CliResult"]
HANDWRITTEN = Path(__file__).parent / "data" / "handwritten"


def test_every_checked_rule_serves_nist_and_the_five_standards_are_named() -> None:
    assert set(standards()) == {"cis", "fsbp", "nist", "pci", "residency"}
    missing = [r.id for r in all_rules() if "nist" not in r.controls]
    assert not missing, missing
    for r in all_rules():
        assert set(r.controls) <= set(standards()), r.id


def test_known_mappings() -> None:
    assert get_rule("MOO-S3-001").controls["cis"] == ("2.1.4",)
    assert get_rule("MOO-S3-001").controls["fsbp"] == ("S3.8",)  # from the rule's references
    assert "3.5.1" in get_rule("MOO-RDS-001").controls["pci"]
    assert "SC-28" in get_rule("MOO-RDS-001").controls["nist"]
    assert any("GDPR" in law for law in get_rule("MOO-RES-002").controls["residency"])
    assert {r.id for r in rules_for_standard("residency")} == {"MOO-RES-001", "MOO-RES-002", "MOO-RES-003",
                                                               "MOO-RES-004"}
    with pytest.raises(KeyError):
        rules_for_standard("sox")


def test_check_standard_runs_only_that_standards_rules(run_cli: Run) -> None:
    files = [str(HANDWRITTEN / "env_secrets.yaml"), str(HANDWRITTEN / "backups.yaml")]  # backups: no PCI control
    args = ["check", *files, "-f", "json", "--fail-on", "none"]
    everything = json.loads(run_cli(*args).out)["findings"]
    result = run_cli(*args, "--standard", "pci")
    assert result.code == 0, result.err
    assert "PCI DSS v4.0" in result.err
    pci = json.loads(result.out)["findings"]
    allowed = {r.id for r in rules_for_standard("pci")}
    assert pci and {f["rule"] for f in pci} <= allowed
    assert {f["rule"] for f in everything} - allowed, "some rule outside PCI must have been left out"
    secret = next(f for f in pci if f["rule"] == "MOO-SEC-007")
    assert secret["controls"] == list(get_rule("MOO-SEC-007").controls["pci"])


def test_unknown_standard_is_bad_usage(run_cli: Run) -> None:
    result = run_cli("check", HANDWRITTEN / "env_secrets.yaml", "--standard", "sox")
    assert result.code == 2
    assert "sox" in result.err
