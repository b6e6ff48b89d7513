"""What a rule module needs to register its deciding function: :func:`rule`, :func:`issue`, facts, params.

Rule modules (``policy/rules/``) import this module only; :mod:`moorage.policy.registry` imports them and
joins each function to its metadata, so registry and rules do not import each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any, TypeVar

from moorage.cfn.index import Resource
from moorage.data import load_data
from moorage.policy.findings import Severity


@dataclass(frozen=True)
class Issue:
    """What is wrong with a resource; ``path`` (under the resource) locates it in the file."""

    message: str
    path: tuple[str | int, ...] = ()
    severity: Severity | None = None  # overrides the rule's when the case decides (e.g. by a role's use)


Outcome = Iterable[Issue] | None
CheckFn = Callable[[Resource], Outcome]
F = TypeVar("F", bound=CheckFn)


_CHECKS: dict[str, CheckFn] = {}


def issue(message: str, *path: str | int, severity: Severity | str | None = None) -> Issue:
    """An :class:`Issue` at ``path`` (e.g. ``"Properties", "StorageEncrypted"``), optionally of its own severity."""
    return Issue(message, tuple(path), Severity(severity) if severity else None)


def rule(rule_id: str) -> Callable[[F], F]:
    """Register the decorated function as the check of ``rule_id``."""

    def register(fn: F) -> F:
        if rule_id in _CHECKS:
            raise RuntimeError(f"rule {rule_id} registered twice")
        _CHECKS[rule_id] = fn
        return fn

    return register


def registered_checks() -> Mapping[str, CheckFn]:
    """Rule id -> the function registered for it (the rule modules that were imported)."""
    return MappingProxyType(_CHECKS)


def params(rule_id: str) -> Mapping[str, Any]:
    """The tunable numbers and lists of one rule (``params:`` in ``data/policy_rules.yaml``)."""
    return MappingProxyType(dict(load_data("policy_rules")["rules"][rule_id].get("params", {})))


@cache
def facts() -> Mapping[str, Any]:
    """``data/policy_facts.yaml``: data types, secret properties, IAM action lists, ..."""
    return MappingProxyType(load_data("policy_facts"))
