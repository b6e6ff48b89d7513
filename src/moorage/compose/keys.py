"""The per-key table: what the importer does with every compose key (``data/compose_keys.yaml``)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from moorage.compose.notes import Notes
from moorage.data import load_data
from moorage.spec.source import KeyPath

Action = Literal["map", "warn", "error", "note"]
ACTIONS: tuple[Action, ...] = ("map", "warn", "error", "note")


@dataclass(frozen=True)
class KeyRule:
    """One compose key and what becomes of it."""

    scope: str  # top, service, build, deploy, healthcheck, ...
    key: str
    action: Action
    note: str
    custom: bool = False  # decided per value by the importer (the note says how)

    def render(self) -> str:
        """One line for ``moorage init --explain``."""
        flag = "*" if self.custom else " "
        return f"{self.scope + '.' + self.key:<36} {self.action:<5}{flag} {self.note}"


@cache
def _table() -> dict[str, dict[str, KeyRule]]:
    raw: dict[str, Any] = load_data("compose_keys")
    out: dict[str, dict[str, KeyRule]] = {}
    for scope, keys in raw.items():
        out[scope] = {}
        for key, rule in keys.items():
            action = rule["action"]
            if action not in ACTIONS:
                raise ValueError(f"compose_keys.yaml: bad action {action!r} for {scope}.{key}")
            out[scope][key] = KeyRule(scope, key, action, str(rule.get("note", "")), bool(rule.get("custom")))
    return out


def explain_table() -> list[KeyRule]:
    """Every compose key the importer knows, scope by scope, in table order."""
    return [rule for scope in _table().values() for rule in scope.values()]


def explain_text() -> str:
    """The key table as text (``*`` marks keys decided per value)."""
    head = f"{'compose key':<36} {'action':<6} what happens"
    return "\n".join([head] + [r.render() for r in explain_table()])


def rule_for(scope: str, key: str) -> KeyRule | None:
    """The rule for ``key`` in ``scope`` (``x-`` keys fall back to the ``x-*`` rule)."""
    rules = _table().get(scope, {})
    if key in rules:
        return rules[key]
    if key.startswith("x-") and "x-*" in rules:
        return rules["x-*"]
    return None


def scope_keys(scope: str) -> list[str]:
    """The keys known in ``scope``."""
    return list(_table().get(scope, {}))


def check_keys(mapping: dict[str, Any], scope: str, path: KeyPath, notes: Notes, what: str) -> dict[str, KeyRule]:
    """Apply the table to ``mapping``: unknown keys are errors; non-custom warn/error/note keys are reported.

    Returns the rules of the keys that are present and known.
    """
    present: dict[str, KeyRule] = {}
    for key in mapping:
        rule = rule_for(scope, str(key))
        if rule is None:
            close = difflib.get_close_matches(str(key), scope_keys(scope), n=1, cutoff=0.7)
            notes.error(path + (key,), f"{key!r} is not a compose key for {what}",
                        f"did you mean {close[0]!r}?" if close else "see `moorage init --explain` for the keys")
            continue
        present[str(key)] = rule
        if rule.custom or rule.action == "map":
            continue
        message = f"{key}: {rule.note}"
        if rule.action == "error":
            notes.error(path + (key,), message)
        elif rule.action == "warn":
            notes.warn(path + (key,), message)
        else:
            notes.info(path + (key,), message)
    return present
