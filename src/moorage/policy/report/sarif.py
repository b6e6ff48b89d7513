"""SARIF 2.1.0, as GitHub code scanning reads it.

Each rule is a ``reportingDescriptor`` with ``security-severity`` (GitHub's critical/high/medium/low
bands); each finding a ``result`` located in its template file (or the spec it was synthesized
from), with the stack and logical id as a logical location. Suppressed findings carry a SARIF
``suppression`` with the justification.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from moorage import __version__
from moorage.policy.findings import Finding, Report, Severity, Unchecked
from moorage.policy.registry import Rule, all_rules

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}


def artifact_uri(path: str) -> str:
    """A relative (to the working directory) or file: URI, forward slashes, percent-encoded."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            return p.resolve().as_uri()
    return quote(str(PurePosixPath(*p.parts)), safe="/")


def _descriptor(rule: Rule) -> dict[str, Any]:
    help_text = f"{rule.rationale}\n\nFix: {rule.remediation}"
    return {
        "id": rule.id,
        "name": "".join(w.capitalize() for w in rule.title.replace("/", " ").replace("-", " ").split()
                        if w.isalnum()),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "help": {"text": help_text, "markdown": f"{rule.rationale}\n\n**Fix:** {rule.remediation}"},
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": {"tags": sorted({"security", rule.service, rule.checklist}), "severity": str(rule.severity),
                       "security-severity": SECURITY_SEVERITY[rule.severity], "precision": "high"},
    }


def _result(f: Finding, index: int, fallback_uri: str) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(f.file) if f.file else fallback_uri}}
    if f.line:
        physical["region"] = {"startLine": f.line}
    result: dict[str, Any] = {
        "ruleId": f.rule, "ruleIndex": index, "level": LEVEL[f.severity],
        "message": {"text": f"{f.resource} ({f.resource_type}) in stack {f.stack}: {f.message}"},
        "locations": [{
            "physicalLocation": physical,
            "logicalLocations": [{"name": f.resource, "fullyQualifiedName": f"{f.label}/{f.stack}/{f.resource}",
                                  "kind": "resource"}],
        }],
        "partialFingerprints": {"moorageFinding/v1": f.fingerprint},
        "properties": {"severity": str(f.severity), "environment": f.label, "stack": f.stack,
                       "resourceType": f.resource_type, "region": f.region},
    }
    if f.suppressed:
        result["suppressions"] = [{"kind": "inSource" if f.suppressed_by == "template" else "external",
                                   "status": "accepted", "justification": f.reason or ""}]
    return result


def sarif_data(report: Report, fallback_uri: str = "moorage.yml") -> dict[str, Any]:
    """The SARIF log as data; ``fallback_uri`` locates findings on templates synthesized in memory."""
    rules = list(all_rules())
    index = {r.id: i for i, r in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "moorage", "version": __version__, "semanticVersion": __version__,
                            "rules": [_descriptor(r) for r in rules]}},
        "automationDetails": {"id": "moorage/check/" + "+".join(s["label"] for s in report.sets) + "/"},
        "results": [_result(f, index[f.rule], artifact_uri(fallback_uri)) for f in report.findings],
        "columnKind": "utf16CodeUnits",
    }
    if report.unchecked:  # what no rule could judge: warnings of the run, not results of a rule
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": [
            _notification(u, artifact_uri(fallback_uri)) for u in report.unchecked]}]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _notification(u: Unchecked, fallback_uri: str) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(u.file) if u.file else fallback_uri}}
    if u.line:
        physical["region"] = {"startLine": u.line}
    return {"level": "note" if u.summarised else "warning",
            "message": {"text": f"unchecked: {u.resource} ({u.resource_type}) in stack {u.stack}: {u.reason}"},
            "locations": [{"physicalLocation": physical}]}


def to_sarif(report: Report, fallback_uri: str = "moorage.yml") -> str:
    """SARIF 2.1.0 JSON text."""
    return json.dumps(sarif_data(report, fallback_uri), indent=2, sort_keys=True) + "\n"
