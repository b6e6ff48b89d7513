"""The rule registry: metadata from ``data/policy_rules.yaml``, deciding functions from ``rules/``.

A rule's words (id, severity, title, rationale, remediation, types, checklist item) are data; its
decision is a function registered with :func:`~moorage.policy.checks.rule`. A function gets one
:class:`Resource` and returns ``None`` when the rule does not apply to it, an empty list when it passes,
or the issues. The rule modules register through :mod:`moorage.policy.checks` and never import this
module, so the registry loads them (on first use) without an import loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any

from moorage.data import load_data
from moorage.policy.checks import CheckFn, Issue, Outcome, facts, issue, registered_checks, rule
from moorage.policy.findings import Severity

__all__ = ["PSEUDO_TYPES", "SERVICES", "CheckFn", "Issue", "Outcome", "Rule", "all_rules", "checklist_items",
           "facts", "get_rule", "issue", "opt_ins", "rule", "rules_for_standard", "standards"]


SERVICES = {
    "S3": "s3", "RDS": "rds", "EC": "elasticache", "EFS": "efs", "LOG": "logs", "KMS": "kms", "SEC": "secrets",
    "ECS": "ecs", "ECR": "ecr", "IAM": "iam", "NET": "network", "ELB": "elb", "WAF": "waf", "MON": "monitoring",
    "RES": "residency", "ACC": "account",
}

PSEUDO_TYPES = ("Parameter", "Output")  # a template's parameters and outputs, read by rules that name them


@dataclass(frozen=True)
class Rule:
    """A policy rule: what it checks, why, how to fix it, and the function that decides."""

    id: str
    severity: Severity
    title: str
    rationale: str
    remediation: str
    types: tuple[str, ...]
    checklist: str
    profiles: tuple[str, ...] = ()
    residency: bool = False
    advisory: bool = False
    opt_in: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    controls: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # standard -> controls it serves
    check: CheckFn | None = field(default=None, compare=False, repr=False)

    @property
    def service(self) -> str:
        """s3, rds, elasticache, ... (from the id)."""
        return SERVICES.get(self.id.split("-")[1], self.id.split("-")[1].lower())

    def applies_to_type(self, resource_type: str) -> bool:
        """True when the rule reads resources of this type ("*": every real resource type)."""
        if resource_type in PSEUDO_TYPES:
            return resource_type in self.types
        return "*" in self.types or resource_type in self.types

    def applies_to_profile(self, profile: str) -> bool:
        """True when the rule is checked in environments of this profile."""
        return not self.profiles or profile in self.profiles

    def to_dict(self) -> dict[str, Any]:
        """JSON-able metadata (everything but the function)."""
        return {"id": self.id, "service": self.service, "severity": str(self.severity), "title": self.title,
                "rationale": self.rationale, "remediation": self.remediation, "types": list(self.types),
                "checklist": self.checklist, "profiles": list(self.profiles), "residency": self.residency,
                "advisory": self.advisory, "opt_in": self.opt_in, "params": dict(self.params),
                "references": list(self.references),
                "controls": {k: list(v) for k, v in self.controls.items()}}


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, in id order; raises when metadata and functions disagree."""
    import moorage.policy.rules  # noqa: F401 - registers the checks

    meta = load_data("policy_rules")
    topics = meta["checklist"]
    rules = []
    for rule_id, m in sorted(meta["rules"].items()):
        check = registered_checks().get(rule_id)
        advisory = bool(m.get("advisory", False))
        if check is None and not advisory:
            raise RuntimeError(f"rule {rule_id} has metadata but no check function")
        if m["checklist"] not in topics:
            raise RuntimeError(f"rule {rule_id}: unknown checklist item {m['checklist']!r}")
        rules.append(Rule(
            id=rule_id, severity=Severity(m["severity"]), title=m["title"], rationale=" ".join(m["rationale"].split()),
            remediation=" ".join(m["remediation"].split()), types=tuple(m["types"]), checklist=m["checklist"],
            profiles=tuple(m.get("profiles", ())), residency=bool(m.get("residency", False)), advisory=advisory,
            opt_in=m.get("opt_in"),
            params=MappingProxyType(dict(m.get("params", {}))), references=tuple(m.get("references", ())),
            controls=MappingProxyType(_controls(rule_id, m)), check=check))
    orphans = set(registered_checks()) - {r.id for r in rules}
    if orphans:
        raise RuntimeError(f"check functions without metadata: {', '.join(sorted(orphans))}")
    return tuple(rules)


def _controls(rule_id: str, meta: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Standard -> controls for one rule (``data/policy_standards.yaml``: topic, rule, FSBP references)."""
    data = load_data("policy_standards")
    out: dict[str, list[str]] = {}
    for source in (data["topics"].get(meta["checklist"], {}), data["rules"].get(rule_id, {}),
                   {"fsbp": [r.removeprefix("FSBP ") for r in meta.get("references", ()) if r.startswith("FSBP ")]}):
        for standard, controls in source.items():
            if standard not in data["standards"]:
                raise RuntimeError(f"{rule_id}: unknown standard {standard!r} in policy_standards.yaml")
            out.setdefault(standard, [])
            out[standard] += [str(c) for c in controls if str(c) not in out[standard]]
    return {k: tuple(v) for k, v in sorted(out.items()) if v}


def standards() -> dict[str, str]:
    """Standard key (cis, fsbp, nist, pci, residency) -> its full name."""
    return dict(load_data("policy_standards")["standards"])


def rules_for_standard(standard: str) -> tuple[Rule, ...]:
    """The rules that serve ``standard`` (KeyError when the standard is unknown)."""
    if standard not in standards():
        raise KeyError(standard)
    return tuple(r for r in all_rules() if standard in r.controls)


def opt_ins() -> list[str]:
    """Names of the opt-in rule groups (``--require NAME``)."""
    return sorted({r.opt_in for r in all_rules() if r.opt_in})


def get_rule(rule_id: str) -> Rule:
    """The rule with this id (KeyError when there is none)."""
    for r in all_rules():
        if r.id == rule_id:
            return r
    raise KeyError(rule_id)


def checklist_items() -> dict[str, str]:
    """Checklist item id -> the sentence the deployment guide ticks."""
    return dict(load_data("policy_rules")["checklist"])
