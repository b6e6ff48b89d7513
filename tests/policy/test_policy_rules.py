"""Every rule fails its failing template, on the right resource, and passes its passing one."""

from __future__ import annotations

import pytest

from moorage.policy import Severity, all_rules, get_rule

from .cases import CASES, Case, rule_findings, run

BY_RULE = {c.rule: c for c in CASES}


def test_at_least_fifty_rules_over_the_asked_services() -> None:
    checked = [r for r in all_rules() if not r.advisory]
    assert len(checked) >= 50
    services = {r.service for r in checked}
    assert {"s3", "rds", "elasticache", "efs", "logs", "kms", "secrets", "ecs", "ecr", "iam", "network", "elb",
            "waf", "monitoring", "residency"} <= services
    advisory = {r.id for r in all_rules() if r.advisory}
    assert {"MOO-ACC-001", "MOO-ACC-002", "MOO-ACC-003", "MOO-ACC-004"} <= advisory


def test_every_rule_has_a_case_and_complete_metadata() -> None:
    rules = [r for r in all_rules() if not r.advisory]
    assert sorted(BY_RULE) == sorted(r.id for r in rules), "each checked rule needs exactly one case"
    assert len(BY_RULE) == len(CASES), "duplicate cases"
    for r in all_rules():
        assert r.title and r.rationale and r.remediation and r.types, r.id
        assert r.severity in (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
        assert (r.check is None) == r.advisory, r.id


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_rule_fails_on_its_failing_template(case: Case) -> None:
    report = run(case.fail, region=case.region, residency=case.residency, profile=case.profile,
                 regions=case.regions, require=case.require)
    found = rule_findings(report, case.rule)
    assert found, f"{case.rule} found nothing; findings: {[(f.rule, f.resource) for f in report.findings]}"
    assert {f.resource for f in found} == {case.subject}
    assert all(f.severity == get_rule(case.rule).severity and f.message for f in found)
    assert not report.errors, report.errors


@pytest.mark.parametrize("case", CASES, ids=[c.rule for c in CASES])
def test_rule_passes_its_passing_template(case: Case) -> None:
    residency = case.residency if case.ok_residency is None else case.ok_residency
    report = run(case.ok, region=case.region, residency=residency, profile=case.profile,
                 regions=case.ok_regions or case.regions, require=case.require)
    assert not rule_findings(report, case.rule), [f.message for f in rule_findings(report, case.rule)]
    passed = [e for e in report.evaluations if e.rule == case.rule and e.resource == case.subject]
    if case.ok_evaluated:
        assert [e.status for e in passed] == ["pass"], f"{case.rule} did not evaluate {case.subject}"
    assert not report.errors, report.errors
