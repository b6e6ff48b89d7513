"""Suppressions: findings accepted on purpose, each with a written justification.

They come from the spec (``suppress:``, a list of rule / resource / reason), from a resource's
``Metadata: {moorage: {suppress: [{rule, reason}]}}`` in a bare template, or from the API. A
suppressed finding is still reported, marked suppressed with its reason; it only stops failing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from moorage.errors import Diagnostic, InputError, Location
from moorage.policy.findings import Finding

MIN_REASON = 10  # characters: "ok" or "n/a" is not a justification


@dataclass(frozen=True)
class Suppression:
    """Accept findings of ``rule`` (an id or a glob) on ``resource`` (logical id, ``stack/id``, glob)."""

    rule: str
    reason: str
    resource: str = "*"
    environments: tuple[str, ...] = ()  # template-set labels (environment names); empty = all
    source: str = "spec"

    def matches(self, finding: Finding) -> bool:
        """True when this suppression covers ``finding``."""
        if not fnmatchcase(finding.rule, self.rule):
            return False
        if self.environments and finding.label not in self.environments:
            return False
        return any(fnmatchcase(name, self.resource)
                   for name in (finding.resource, f"{finding.stack}/{finding.resource}"))

    def describe(self) -> str:
        """``MOO-S3-001 on BucketAssets`` for messages."""
        envs = f" in {', '.join(self.environments)}" if self.environments else ""
        return f"{self.rule} on {self.resource}{envs}"


def _field(item: Any, name: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def suppressions_from(items: Iterable[Any], known_rules: Iterable[str], source: str = "spec",
                      location: Location | None = None) -> list[Suppression]:
    """Validated suppressions from dicts, pydantic models or :class:`Suppression` objects.

    Raises :class:`InputError` for a missing rule, an unknown rule id, or a missing or too short reason.
    """
    known = sorted(known_rules)
    out: list[Suppression] = []
    problems: list[Diagnostic] = []
    for i, item in enumerate(items):
        if isinstance(item, Suppression):
            rule, reason, resource, envs, src = item.rule, item.reason, item.resource, item.environments, item.source
        else:
            rule, reason = _field(item, "rule"), _field(item, "reason")
            resource = _field(item, "resource") or "*"
            envs = tuple(_field(item, "environments") or ())
            src = source
        where = f"suppression {i + 1} ({rule or '?'})"
        if not isinstance(rule, str) or not rule.strip():
            problems.append(Diagnostic("error", f"{where}: no rule given", location,
                                       "give the rule id, e.g. MOO-S3-001"))
            continue
        rule = rule.strip()
        if not any(fnmatchcase(k, rule) for k in known):
            close = difflib.get_close_matches(rule, known, n=1)
            hint = f"did you mean {close[0]}?" if close else "see `moorage rules` for the rule ids"
            problems.append(Diagnostic("error", f"{where}: no rule matches {rule!r}", location, hint))
            continue
        if not isinstance(reason, str) or len(reason.strip()) < MIN_REASON:
            problems.append(Diagnostic("error", f"{where}: a suppression needs a reason (at least {MIN_REASON} "
                                       "characters) saying why the finding is acceptable", location,
                                       "reason: \"...\" is what auditors read"))
            continue
        out.append(Suppression(rule, " ".join(reason.split()), str(resource), tuple(str(e) for e in envs), src))
    if problems:
        raise InputError(problems)
    return out
