"""What a policy check produces: severities, findings and per-resource results, as plain data.

Findings are the product: reports (table, JSON, SARIF, JUnit, Markdown), the deployment guide's
checklist and ``moorage plan`` all read these dataclasses, never the rules' internals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal


class Severity(StrEnum):
    """How bad a finding is; ordered critical > high > medium > low."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """3 for critical down to 0 for low: compare with ``a.rank >= b.rank``."""
        return _RANK[self]

    def at_least(self, other: Severity | str) -> bool:
        """True when this severity is ``other`` or worse."""
        return self.rank >= Severity(other).rank


_RANK = {Severity.CRITICAL: 3, Severity.HIGH: 2, Severity.MEDIUM: 1, Severity.LOW: 0}
SEVERITIES: tuple[Severity, ...] = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)

Status = Literal["pass", "fail", "error"]


@dataclass(frozen=True)
class Finding:
    """One rule failing on one resource of one stack."""

    rule: str  # MOO-S3-001
    severity: Severity
    title: str  # the rule's title
    message: str  # what is wrong with this resource
    resource: str  # logical id
    resource_type: str
    stack: str  # stack key (or template file name)
    label: str = ""  # environment (or directory / file group) the templates belong to
    region: str = ""
    file: str | None = None
    line: int | None = None
    suppressed: bool = False
    reason: str | None = None  # the suppression's justification
    suppressed_by: str | None = None  # "spec", "template" or "api"
    controls: tuple[str, ...] = ()  # controls of the standard asked for (`moorage check --standard`)

    @property
    def where(self) -> str:
        """``file:line`` when known, else ``label/stack``."""
        if self.file:
            return f"{self.file}:{self.line}" if self.line else self.file
        return f"{self.label}/{self.stack}" if self.label else self.stack

    @property
    def fingerprint(self) -> str:
        """Stable identity of the finding across runs (rule, place and message)."""
        key = "\x1f".join((self.rule, self.label, self.stack, self.resource, self.message))
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (severity as its string)."""
        data = asdict(self)
        data["severity"] = str(self.severity)
        data["fingerprint"] = self.fingerprint
        return data


@dataclass(frozen=True)
class Evaluation:
    """One rule checked against one resource: passed, failed, or could not be evaluated."""

    rule: str
    label: str
    stack: str
    resource: str
    resource_type: str
    status: Status
    detail: str = ""  # the error text when status is "error"


@dataclass(frozen=True)
class Unchecked:
    """A resource (or one of its properties) the rules could not judge, and why: never silently fine."""

    label: str
    stack: str
    resource: str
    resource_type: str
    reason: str
    # nested-stack, custom, foreign-type, conditions (too many Fn::If): nothing judged the resource;
    # aws-type (an AWS type no rule reads), unknown-value (rules passed on values set at deploy time): summarised.
    kind: str = "foreign-type"

    @property
    def summarised(self) -> bool:
        """True for the kinds the table and Markdown count in one line (JSON lists every one)."""
        return self.kind in ("aws-type", "unknown-value")
    file: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


@dataclass
class Report:
    """Everything one ``moorage check`` learned: findings, every evaluation, and what was checked."""

    findings: list[Finding] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    sets: list[dict[str, Any]] = field(default_factory=list)  # label, region, profile, residency, stacks
    unused_suppressions: list[str] = field(default_factory=list)
    scanner_skips: list[Any] = field(default_factory=list)  # ScannerSkip: checks of other scanners skipped
    unchecked: list[Unchecked] = field(default_factory=list)  # nested stacks, custom and unknown types, ...

    @property
    def active(self) -> list[Finding]:
        """Findings not suppressed."""
        return [f for f in self.findings if not f.suppressed]

    @property
    def suppressed(self) -> list[Finding]:
        """Findings accepted by a suppression (still reported)."""
        return [f for f in self.findings if f.suppressed]

    @property
    def errors(self) -> list[Evaluation]:
        """Rules that could not evaluate a resource (unexpected template shapes)."""
        return [e for e in self.evaluations if e.status == "error"]

    def failing(self, at_least: Severity | str) -> list[Finding]:
        """Unsuppressed findings of severity ``at_least`` or worse."""
        level = Severity(at_least)
        return [f for f in self.active if f.severity.at_least(level)]

    def counts(self) -> dict[str, int]:
        """Unsuppressed findings per severity, plus ``suppressed``."""
        out = {str(s): 0 for s in SEVERITIES}
        for f in self.active:
            out[str(f.severity)] += 1
        out["suppressed"] = len(self.suppressed)
        return out


def merge_reports(reports: Sequence[Report]) -> Report:
    """One report from several (one per target), findings worst first."""
    out = Report()
    for r in reports:
        out.findings += r.findings
        out.evaluations += r.evaluations
        out.sets += r.sets
        out.unused_suppressions += r.unused_suppressions
        out.scanner_skips += r.scanner_skips
        out.unchecked += r.unchecked
    out.findings.sort(key=lambda f: (-f.severity.rank, f.label, f.stack, f.resource, f.rule, f.message))
    return out
