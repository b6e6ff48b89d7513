"""The values a change moves, old -> new, for the properties people change: each container's image, command,
environment variable names (plain values only when not credential-like), secret names, cpu and memory; and the
per-type settings in ``data/change_values.yaml`` (desired count, scaling bounds, instance class ...).

Never a secret value: a container's ``Secrets`` are shown by name only, and a plain environment value is hidden
when its name or its text looks like a credential (the spec's own test, :data:`~moorage.spec.models.SECRET_NAME_RE`
and :func:`~moorage.spec.models.embedded_credential`).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from moorage.data import load_data
from moorage.spec.models import SECRET_NAME_RE, embedded_credential

_WIDTH = 120  # a value longer than this (an unresolved intrinsic, a long command) is cut


@dataclass(frozen=True)
class ValueChange:
    """One value a change moves: ``what`` (``image (web)``, ``env LOG_LEVEL (web)``, ``desired count``), its old
    and new text (None: absent on that side), and ``hidden`` when the values are not shown."""

    what: str
    old: str | None
    new: str | None
    hidden: bool = False

    def render(self) -> str:
        """``image (web): ghcr.io/acme/web:1.0.0 -> ghcr.io/acme/web:1.1.0``; a hidden value says only what
        happened to it."""
        if self.hidden:
            happened = "added" if self.old is None else "removed" if self.new is None else "changed"
            return f"{self.what}: {happened} (value not shown)"
        if self.old is None:
            return f"{self.what}: added ({self.new})"
        if self.new is None:
            return f"{self.what}: removed (was {self.old})"
        return f"{self.what}: {self.old} -> {self.new}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (a hidden value's old and new are null)."""
        return {"what": self.what, "old": None if self.hidden else self.old,
                "new": None if self.hidden else self.new, "hidden": self.hidden,
                "added": self.old is None, "removed": self.new is None}


def value_changes(resource_type: str, old: dict[str, Any], new: dict[str, Any]) -> list[ValueChange]:
    """What ``old`` -> ``new`` (a resource's resolved properties) changes, in the terms people review."""
    out: list[ValueChange] = []
    shown: dict[str, str] = (load_data("change_values") or {}).get(resource_type) or {}
    for prop, what in shown.items():
        if old.get(prop) != new.get(prop):
            out.append(_change(what, old.get(prop), new.get(prop)))
    if resource_type == "AWS::ECS::TaskDefinition":
        out += _containers(old.get("ContainerDefinitions"), new.get("ContainerDefinitions"))
    return out


def _containers(old: Any, new: Any) -> list[ValueChange]:
    before, after = _by_name(old), _by_name(new)
    out: list[ValueChange] = []
    for name in sorted(set(before) | set(after)):
        was, now = before.get(name), after.get(name)
        if was is None or now is None:
            image = (now or was or {}).get("Image")
            out.append(ValueChange(f"container {name}", None if was is None else _text(image),
                                   None if now is None else _text(image)))
            continue
        for prop, what in (("Image", "image"), ("Command", "command"), ("EntryPoint", "entrypoint"),
                           ("Cpu", "cpu"), ("Memory", "memory"), ("MemoryReservation", "memory reservation")):
            if was.get(prop) != now.get(prop):
                change = _change(f"{what} ({name})", was.get(prop), now.get(prop))
                if prop in ("Command", "EntryPoint") and _credential_like("", change.old, change.new):
                    change = ValueChange(change.what, change.old, change.new, hidden=True)
                out.append(change)
        out += _variables(name, was.get("Environment"), now.get("Environment"), "Value", "env")
        out += _variables(name, was.get("Secrets"), now.get("Secrets"), "ValueFrom", "secret")
    return out


def _variables(container: str, old: Any, new: Any, key: str, kind: str) -> list[ValueChange]:
    """Environment variables (``kind`` env) or secrets (``kind`` secret, never a value) added, removed or
    changed, by name."""
    before = {str(v.get("Name")): v.get(key) for v in old or [] if isinstance(v, dict)}
    after = {str(v.get("Name")): v.get(key) for v in new or [] if isinstance(v, dict)}
    out = []
    for name in sorted(set(before) | set(after)):
        if name in before and name in after and before[name] == after[name]:
            continue
        was = _text(before[name]) if name in before else None
        now = _text(after[name]) if name in after else None
        hidden = kind == "secret" or _credential_like(name, was, now)
        out.append(ValueChange(f"{kind} {name} ({container})", was, now, hidden))
    return out


def _credential_like(name: str, *values: str | None) -> bool:
    return bool(SECRET_NAME_RE.search(name)) or any(v is not None and embedded_credential(v) for v in values)


def _by_name(containers: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(containers, list):
        return {}
    return {str(c.get("Name", i)): c for i, c in enumerate(containers) if isinstance(c, dict)}


def _change(what: str, old: Any, new: Any) -> ValueChange:
    return ValueChange(what, None if old is None else _text(old), None if new is None else _text(new))


def _text(value: Any) -> str:
    """A value as one short line: a command joined as a shell would read it, an unresolved intrinsic as JSON."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int | float):
        text = str(value)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = shlex.join(value)
    else:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return text if len(text) <= _WIDTH else text[:_WIDTH - 3] + "..."
