"""Destroy one environment: stacks in reverse wave order; what DeletionPolicy keeps is listed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from moorage.cfn.sections import resources_of
from moorage.deploy.progress import Reporter
from moorage.deploy.session import Target
from moorage.deploy.stacks import (
    deployed_template,
    execution_role,
    first_failure,
    read_events,
    read_stack,
    wait_for_stack,
)


@dataclass
class Kept:
    """A resource that outlives its stack."""

    stack: str
    logical_id: str
    resource_type: str
    physical_id: str
    policy: str  # Retain or Snapshot (kept), Delete (lost: see :func:`doomed`)

    def describe(self) -> str:
        """One line for the user."""
        what = {"Retain": "retained", "Delete": "deleted for good"}.get(self.policy, "deleted after a final snapshot")
        return f"{self.logical_id} ({self.resource_type}) {self.physical_id or ''}: {what}".replace("  ", " ")


@dataclass
class DestroyResult:
    """What a destroy did."""

    deleted: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    kept: list[Kept] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every stack is gone."""
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {"ok": self.ok, "deleted": self.deleted, "absent": self.absent, "failed": self.failed,
                "kept": [k.__dict__ for k in self.kept], "elapsed": round(self.elapsed, 2)}


def existing_stacks(target: Target, manifest: dict[str, Any]) -> list[str]:
    """Names of the environment's stacks that exist."""
    names = []
    for stack in manifest["stacks"]:
        state = read_stack(target.client("cloudformation", stack["region"]), stack["name"])
        if state is not None and state.status != "DELETE_COMPLETE":
            names.append(stack["name"])
    return names


def doomed(target: Target, manifest: dict[str, Any]) -> list[Kept]:
    """Stateful resources a destroy deletes for good (DeletionPolicy Delete: no snapshot, not retained)."""
    from moorage.deploy.schema import is_stateful

    lost = []
    for stack in manifest["stacks"]:
        cf = target.client("cloudformation", stack["region"])
        state = read_stack(cf, stack["name"])
        if state is None or not state.deployed:
            continue
        try:
            template = deployed_template(cf, stack["name"])
            physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
                        for r in cf.describe_stack_resources(StackName=stack["name"])["StackResources"]}
        except Exception:  # noqa: BLE001 - a stack in a failed state may have no template left
            continue
        for res in sorted(resources_of(template), key=lambda r: r.lid):
            if res.body.get("DeletionPolicy", "Delete") == "Delete" and is_stateful(res.type):
                lost.append(Kept(stack["name"], res.lid, res.type, physical.get(res.lid, ""), "Delete"))
    return lost


def _kept(cf: Any, name: str) -> list[Kept]:
    try:
        template = deployed_template(cf, name)
        resources = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
                     for r in cf.describe_stack_resources(StackName=name)["StackResources"]}
    except Exception:  # noqa: BLE001 - a stack in a failed state may have no template left
        return []
    out = []
    for res in sorted(resources_of(template), key=lambda r: r.lid):
        policy = res.body.get("DeletionPolicy", "Delete")
        if policy in ("Retain", "RetainExceptOnCreate", "Snapshot") and res.lid in resources:
            out.append(Kept(name, res.lid, res.type, resources[res.lid], "Snapshot" if policy == "Snapshot"
                            else "Retain"))
    return out


def destroy(target: Target, manifest: dict[str, Any], reporter: Reporter, poll: float = 2.0,
            lock_wait: float = 0.0) -> DestroyResult:
    """Delete every stack of the environment, last wave first, holding the environment's deploy lock."""
    from moorage.deploy.lock import environment_locked

    with environment_locked(target, manifest, lock_wait):
        return _destroy(target, manifest, reporter, poll)


def _destroy(target: Target, manifest: dict[str, Any], reporter: Reporter, poll: float) -> DestroyResult:
    started = time.monotonic()
    result = DestroyResult()
    by_key = {s["key"]: s for s in manifest["stacks"]}
    for wave in reversed(manifest["waves"]):
        for key in wave:
            stack = by_key[key]
            cf = target.client("cloudformation", stack["region"])
            name = stack["name"]
            state = read_stack(cf, name)
            if state is None or state.status == "DELETE_COMPLETE":
                result.absent.append(name)
                continue
            kept = _kept(cf, name)
            seen: set[str] = set()
            read_events(cf, name, seen)
            reporter.stack_started(name, "delete", max(1, len(cf.describe_stack_resources(StackName=name)
                                                             ["StackResources"])))
            cf.delete_stack(StackName=name, **execution_role())
            status, events = wait_for_stack(cf, name, seen, partial(reporter.event, name), poll=poll)
            if status == "DELETE_COMPLETE":
                result.deleted.append(name)
                result.kept.extend(kept)
                reporter.stack_finished(name, status)
            else:
                failure = first_failure(events)
                reason = f"{failure.logical_id}: {failure.reason}" if failure else status
                result.failed[name] = reason
                reporter.stack_finished(name, status, reason)
        if result.failed:
            break
    result.elapsed = time.monotonic() - started
    return result
