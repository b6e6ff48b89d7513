"""cfn-lint as a library: findings for one template, for a synth directory, in the right region."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moorage.errors import InputError
from moorage.render import MANIFEST, to_json, write_synth
from moorage.validate.lint import lint_directory, lint_template, regions_for, templates_in

if TYPE_CHECKING:
    from conftest import Case, Cases

BROKEN = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketNam": "x"}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": "not-a-number"}},
    },
}
CLEAN = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}


def test_lint_finds_errors_with_line_rule_and_path() -> None:
    findings = lint_template(to_json(BROKEN), ["us-east-1"], "broken.json")
    errors = [f for f in findings if f.severity == "error"]
    assert len(errors) >= 2
    assert all(f.file == "broken.json" and f.line > 0 and f.rule.startswith("E") for f in errors)
    paths = {f.path for f in errors}
    assert "Resources/Bucket/Properties/BucketNam" in paths
    assert any(p.startswith("Resources/Queue/Properties/VisibilityTimeout") for p in paths)
    assert errors[0].render().startswith("broken.json:")
    assert findings == sorted(findings, key=lambda f: (f.file, f.line, f.rule, f.message))


def test_lint_of_a_clean_template_is_empty() -> None:
    assert lint_template(to_json(CLEAN), ["us-east-1"]) == []


def test_region_matters(cases: Cases) -> None:
    budget = cases.get("examples/maestro/moorage.yml", "prod").synth.template_text("budget")
    assert lint_template(budget, ["us-east-1"]) == []
    findings = lint_template(budget, ["me-central-1"])
    assert any(f.severity == "error" and "AWS::Budgets::Budget" in f.message for f in findings), findings


def test_lint_directory_checks_each_template_in_its_manifest_region(cases: Cases, tmp_path: Path) -> None:
    synth = cases.get("examples/maestro/moorage.yml", "prod").synth
    write_synth(synth, tmp_path)
    for path in tmp_path.glob("*.json"):
        if path.name != MANIFEST and path.name not in ("budget.json", "network.json"):
            path.unlink()  # keep the run short: the region-specific stack and one more
    assert regions_for(tmp_path / "budget.json", None) == ["us-east-1"]
    assert regions_for(tmp_path / "network.json", None) == ["me-central-1"]
    assert regions_for(tmp_path / "network.json", "eu-west-1") == ["eu-west-1"]  # an explicit region wins
    assert lint_directory(tmp_path) == []


def test_regions_without_a_manifest(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(to_json(CLEAN))
    assert regions_for(path, None) == ["us-east-1"]
    (tmp_path / MANIFEST).write_text(json.dumps({"region": "eu-west-1", "stacks": []}))
    assert regions_for(path, None) == ["eu-west-1"]
    (tmp_path / MANIFEST).write_text("not json")
    assert regions_for(path, None) == ["us-east-1"]


def test_templates_in(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        templates_in(tmp_path / "missing")
    with pytest.raises(InputError, match="no CloudFormation templates"):
        templates_in(tmp_path)
    (tmp_path / MANIFEST).write_text("{}")
    (tmp_path / "b.yaml").write_text("Resources: {}\n")
    (tmp_path / "a.json").write_text("{}")
    (tmp_path / "README.md").write_text("# no")
    assert [p.name for p in templates_in(tmp_path)] == ["a.json", "b.yaml"]
    assert templates_in(tmp_path / "a.json") == [tmp_path / "a.json"]


def test_kitchen_spec_lints_clean(kitchen: Callable[[str], Case], case_env: str) -> None:
    case = kitchen(case_env)
    findings = []
    for key in case.templates:
        findings += lint_template(case.synth.template_text(key), [case.region_of(key)], f"{case.label}/{key}")
    assert not findings, "\n".join(f.render() for f in findings)


def test_variants_spec_lints_clean(variants: Callable[[str], Case]) -> None:
    case = variants("prod")
    findings = []
    for key in case.templates:
        findings += lint_template(case.synth.template_text(key), [case.region_of(key)], f"{case.label}/{key}")
    assert not findings, "\n".join(f.render() for f in findings)


@pytest.fixture(params=["dev", "prod"])  # staging renders a subset of what these two do; lint is slow
def case_env(request: pytest.FixtureRequest) -> str:
    return request.param
