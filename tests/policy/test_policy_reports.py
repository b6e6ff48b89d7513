"""Report formats: SARIF valid against the official 2.1.0 schema, JUnit readable, JSON and Markdown as data."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from moorage.api import template_sets
from moorage.policy import Report, all_rules, checklist, run_checks
from moorage.policy.report import to_json, to_junit, to_markdown, to_sarif
from moorage.policy.report.markdown import rules_markdown
from moorage.policy.report.sarif import artifact_uri

from .cases import BUCKET, EDGE, edit

DATA = Path(__file__).parent / "data"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
TEMPLATE = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {
    **EDGE,
    "Public": dict(edit(BUCKET, AccessControl="PublicRead"), Metadata={"moorage": {"suppress": [
        {"rule": "MOO-S3-002", "reason": "static website with public pages only"}]}}),
    "Plain": edit(BUCKET, drop=("BucketEncryption", "VersioningConfiguration")),
}}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    path = tmp_path_factory.mktemp("templates") / "app.json"
    path.write_text(json.dumps(TEMPLATE, indent=2), encoding="utf-8")
    rep = run_checks(template_sets([path], region="eu-west-1"))
    assert rep.active and rep.suppressed
    return rep


def _validator() -> jsonschema.Draft4Validator:
    raw = (DATA / "sarif-schema-2.1.0.json").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "the vendored SARIF schema changed"
    schema = json.loads(raw)
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def test_sarif_is_valid_against_the_official_schema(report: Report) -> None:
    doc = json.loads(to_sarif(report))
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    broken = json.loads(to_sarif(report))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert list(_validator().iter_errors(broken)), "the schema must reject a bad level"


def test_sarif_content_for_code_scanning(report: Report) -> None:
    run = json.loads(to_sarif(report))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.id for r in all_rules()]
    assert all(float(r["properties"]["security-severity"]) > 0 for r in rules)
    results = {r["ruleId"]: r for r in run["results"]}
    assert len(run["results"]) == len(report.findings)
    public = results["MOO-S3-002"]
    assert public["suppressions"] == [{"kind": "inSource", "status": "accepted",
                                       "justification": "static website with public pages only"}]
    encryption = results["MOO-S3-004"]
    location = encryption["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"].endswith("app.json")
    assert location["physicalLocation"]["region"]["startLine"] > 1
    assert location["logicalLocations"][0]["name"] == "Plain"
    assert encryption["level"] == "warning" and rules[encryption["ruleIndex"]]["id"] == "MOO-S3-004"
    assert len({r["partialFingerprints"]["moorageFinding/v1"] for r in run["results"]}) == len(run["results"])


def test_artifact_uris_are_relative_and_encoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert artifact_uri(str(tmp_path / "out dir" / "data.json")) == "out%20dir/data.json"
    assert artifact_uri("out/prod/edge.json") == "out/prod/edge.json"
    assert artifact_uri("/elsewhere/x.json").startswith("file:///")


def test_junit_is_readable_and_counts_add_up(report: Report) -> None:
    root = ET.fromstring(to_junit(report))
    assert root.tag == "testsuites"
    cases = root.findall("testsuite/testcase")
    assert int(root.get("tests", "-1")) == len(cases) == len(report.evaluations)
    failures = [c for c in cases if c.find("failure") is not None]
    skipped = [c for c in cases if c.find("skipped") is not None]
    assert int(root.get("failures", "-1")) == len(failures) == len({(f.stack, f.resource, f.rule)
                                                                    for f in report.active})
    assert int(root.get("skipped", "-1")) == len(skipped) == 1
    assert "static website" in (skipped[0].find("skipped").get("message") or "")  # type: ignore[union-attr]
    failure = failures[0].find("failure")
    assert failure is not None and "Fix:" in (failure.text or "")
    suite = root.find("testsuite")
    assert suite is not None and suite.find("properties/property[@name='region']").get("value") == "eu-west-1"  # type: ignore[union-attr]


def test_json_report_is_data(report: Report) -> None:
    data = json.loads(to_json(report, checklist(report)))
    assert data["summary"] == report.counts()
    assert [f["rule"] for f in data["findings"]] == [f.rule for f in report.findings]
    ranks = {"critical": 3, "high": 2, "medium": 1, "low": 0}
    assert [ranks[f["severity"]] for f in data["findings"]] == sorted((ranks[f["severity"]] for f in data["findings"]),
                                                                     reverse=True)
    assert data["results"]["MOO-S3-004"] == {"pass": 1, "fail": 1, "error": 0}
    assert {i["id"] for i in data["checklist"]} >= {"residency", "encryption-at-rest", "account"}
    suppressed = [f for f in data["findings"] if f["suppressed"]]
    assert suppressed and suppressed[0]["reason"] and suppressed[0]["suppressed_by"] == "template"


def test_markdown_report(report: Report) -> None:
    text = to_markdown(report, checklist(report))
    assert text.startswith("# moorage check")
    assert "## Suppressed (1)" in text and "static website with public pages only" in text
    assert "## Compliance checklist" in text and "- [ ] Account-level services" in text
    first = min(report.active, key=lambda f: -f.severity.rank)
    assert f"## {first.severity.capitalize()}" in text


def test_docs_embed_the_current_rule_reference() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text(encoding="utf-8")
    start, end = "<!-- rules:start -->\n", "<!-- rules:end -->"
    assert start in doc and end in doc
    embedded = doc.split(start, 1)[1].split(end, 1)[0]
    assert embedded.strip() == rules_markdown().strip(), "regenerate: moorage rules --format markdown"
