"""The examples in production pass every high and critical rule; what remains is known and justified."""

from __future__ import annotations

import json
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


# Findings an example accepts in its spec (`suppress:`), because its guide asks for exactly that.
ACCEPTED = {
    ("cma", "MOO-LOG-002"): "the guide keeps production logs 30 days, below the rule's 90",
}


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
        accepted = {rule for (example, rule) in ACCEPTED if example == example_path.parent.name}
        unexplained = sorted({f.rule for f in report.active if not f.severity.at_least("high")}
                             - set(JUSTIFIED) - accepted)
        assert not unexplained, f"{env}: medium/low findings need a planner fix or a justification: {unexplained}"


def test_an_accepted_finding_stays_in_the_report_with_its_reason() -> None:
    """cma keeps production logs 30 days as its guide asks: MOO-LOG-002 fires, and `moorage check` shows it as
    accepted with the spec's reason (not silently gone)."""
    from typer.testing import CliRunner

    from moorage.cli.app import app

    spec = Path(__file__).resolve().parents[2] / "examples" / "cma" / "moorage.yml"
    result = CliRunner().invoke(app, ["check", str(spec), "-e", "prod", "-f", "json", "--fail-on", "low"])
    data = json.loads(result.output)
    log = [f for f in data["findings"] if f["rule"] == "MOO-LOG-002"]
    assert log and all(f["suppressed"] and "30 days" in f["reason"] for f in log), log
    assert not [f for f in data["findings"] if f["rule"] == "MOO-LOG-002" and not f["suppressed"]]
