"""JUnit XML: one test suite per template set, one test case per rule evaluated on a resource.

CI systems show failed cases with the finding; suppressed findings are skipped cases whose message
is the justification; passing evaluations are passing cases.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict

from moorage.policy.findings import Finding, Report
from moorage.policy.registry import all_rules


def to_junit(report: Report) -> str:
    """JUnit XML text (the Jenkins / GitLab / GitHub test-report dialect)."""
    rules = {r.id: r for r in all_rules()}
    findings: dict[tuple[str, str, str, str], list[Finding]] = defaultdict(list)
    for f in report.findings:
        findings[(f.label, f.stack, f.resource, f.rule)].append(f)
    root = ET.Element("testsuites", name="moorage check")
    totals = {"tests": 0, "failures": 0, "skipped": 0, "errors": 0}
    seen: set[str] = set()
    for tset in report.sets:
        label = tset["label"]
        if label in seen:  # evaluations are grouped by label: one suite per label
            continue
        seen.add(label)
        suite = ET.SubElement(root, "testsuite", name=f"moorage check {label}")
        props = ET.SubElement(suite, "properties")
        for key in ("region", "profile"):
            ET.SubElement(props, "property", name=key, value=str(tset.get(key) or ""))
        ET.SubElement(props, "property", name="residency", value=",".join(tset.get("residency") or []))
        counts = {"tests": 0, "failures": 0, "skipped": 0, "errors": 0}
        for e in (e for e in report.evaluations if e.label == label):
            rule = rules[e.rule]
            case = ET.SubElement(suite, "testcase", classname=f"{label}.{e.stack}",
                                 name=f"{e.rule} {e.resource}: {rule.title}")
            counts["tests"] += 1
            if e.status == "error":
                ET.SubElement(case, "error", message=e.detail, type="evaluation-error").text = e.detail
                counts["errors"] += 1
                continue
            here = findings.get((label, e.stack, e.resource, e.rule), [])
            active = [f for f in here if not f.suppressed]
            if active:
                text = "\n".join(f"{f.where}: {f.message}" for f in active)
                text += f"\n\nWhy: {rule.rationale}\nFix: {rule.remediation}"
                ET.SubElement(case, "failure", message=f"[{rule.severity}] {active[0].message}",
                              type=str(rule.severity)).text = text
                counts["failures"] += 1
            elif here:
                ET.SubElement(case, "skipped", message=f"suppressed: {here[0].reason}")
                counts["skipped"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
