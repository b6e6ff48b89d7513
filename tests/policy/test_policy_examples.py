"""The examples in production pass every high and critical rule; what remains is known and justified."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from moorage import api
from moorage.cfn.sets import TemplateSet
from moorage.policy import Report, run_checks

if TYPE_CHECKING:
    from conftest import Case


# Medium and low rules that fire on the examples by design, with the reason (docs/policy.md).
JUSTIFIED = {
    "MOO-ECS-003": "images write to /tmp; services opt in with readonly_root: true",
    "MOO-ELB-001": "no domain: no certificate, so the load balancer serves HTTP",
    "MOO-S3-010": "CloudTrail data events are the audit trail; a log bucket is a planner option",
    "MOO-SEC-006": "rotation schedule not planned yet",
    "MOO-WAF-002": "WAF logging not planned yet",
}


def _report(env: str, templates: dict[str, dict[str, Any]], manifest: dict[str, Any]) -> Report:
    regions = {s["key"]: s["region"] for s in manifest["stacks"] if s["region"] != manifest["region"]}
    tset = TemplateSet(env, manifest["region"], templates, list(manifest.get("residency", [])),
                       manifest["profile"], regions)
    return run_checks([tset])


def test_example_rules_evaluate_cleanly(example_case: Case) -> None:
    report = _report(example_case.env, example_case.templates, example_case.manifest)
    assert not report.errors, [(e.rule, e.resource, e.detail) for e in report.errors]
    assert not report.suppressed, "the examples pass without suppressions"


def test_example_in_production_passes_high_and_critical(example_path: Path) -> None:
    loaded = api.load_app(example_path)
    prod = [e for e in loaded.spec.environments if api.plan_environment(loaded, e).env.profile == "prod"]
    assert prod, f"{example_path}: no production environment"
    for env in prod:
        synth = api.synth_environment(loaded, env)
        report = _report(env, synth.templates, synth.manifest)
        high = report.failing("high")
        assert not high, "\n".join(f"{env}: {f.rule} {f.stack}/{f.resource}: {f.message}" for f in high)
        unexplained = sorted({f.rule for f in report.active if not f.severity.at_least("high")} - set(JUSTIFIED))
        assert not unexplained, f"{env}: medium/low findings need a planner fix or a justification: {unexplained}"
