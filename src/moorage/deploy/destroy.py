"""Destroy one environment: stacks in reverse wave order; what DeletionPolicy keeps is listed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from moorage.cfn.sections import resource_bodies, resources_of
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
    fixed_name: str | None = None  # the name a redeploy would create again (it blocks that redeploy)
    region: str = ""

    def describe(self, target: Target) -> str:
        """One line for the user (with the way out, aimed at ``target``, when it blocks a redeploy)."""
        from moorage.deploy.retained import removal

        what = {"Retain": "retained", "Delete": "deleted for good"}.get(self.policy, "deleted after a final snapshot")
        line = f"{self.logical_id} ({self.resource_type}) {self.physical_id or ''}: {what}".replace("  ", " ")
        if self.fixed_name and self.policy == "Retain":
            line += (f"; blocks a redeploy of this environment (a new stack cannot create {self.fixed_name} "
                     f"again): to redeploy, {removal(self.resource_type, self.fixed_name, self.region, target)}")
        return line


@dataclass
class Protected:
    """A database whose deletion protection makes its stack's delete fail."""

    stack: str
    logical_id: str
    resource_type: str
    identifier: str
    region: str
    deletion_policy: str

    def describe(self) -> str:
        """One line for the user."""
        after = ("a final snapshot is taken on delete (DeletionPolicy Snapshot)" if self.deletion_policy == "Snapshot"
                 else "it is retained" if self.deletion_policy in ("Retain", "RetainExceptOnCreate")
                 else "no final snapshot (DeletionPolicy Delete)")
        return (f"{self.stack}: {self.logical_id} ({self.resource_type}) {self.identifier}: deletion protection on; "
                f"{after}")


@dataclass
class DestroyResult:
    """What a destroy did."""

    deleted: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    kept: list[Kept] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)  # stacks that still exist (failed or not reached)
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every stack is gone."""
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {"ok": self.ok, "deleted": self.deleted, "absent": self.absent, "failed": self.failed,
                "remaining": self.remaining, "kept": [k.__dict__ for k in self.kept], "elapsed": round(self.elapsed, 2)}


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


def protected(target: Target, manifest: dict[str, Any]) -> list[Protected]:
    """The deployed databases (instances, clusters) with deletion protection on, read from AWS itself."""
    found = []
    for stack in manifest["stacks"]:
        cf = target.client("cloudformation", stack["region"])
        state = read_stack(cf, stack["name"])
        if state is None or state.status == "DELETE_COMPLETE":
            continue
        try:
            template = deployed_template(cf, stack["name"])
            resources = cf.describe_stack_resources(StackName=stack["name"])["StackResources"]
        except Exception:  # noqa: BLE001 - a stack in a failed state may have no template left
            continue
        rds = target.client("rds", stack["region"])
        for r in resources:
            kind, ident = r["ResourceType"], r.get("PhysicalResourceId") or ""
            if kind not in _PROTECTABLE or not ident or r.get("ResourceStatus") == "DELETE_COMPLETE":
                continue
            if _protection_on(rds, kind, ident):
                body = resource_bodies(template).get(r["LogicalResourceId"], {})
                policy = body.get("DeletionPolicy", "Delete")
                found.append(Protected(stack["name"], r["LogicalResourceId"], kind, ident,
                                       target.region_for(stack["region"]), policy))
    return found


_PROTECTABLE = ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster")


def _protection_on(rds: Any, kind: str, ident: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        if kind == "AWS::RDS::DBInstance":
            return bool(rds.describe_db_instances(DBInstanceIdentifier=ident)["DBInstances"][0]
                        .get("DeletionProtection"))
        return bool(rds.describe_db_clusters(DBClusterIdentifier=ident)["DBClusters"][0].get("DeletionProtection"))
    except (ClientError, IndexError):
        return False


def disable_deletion_protection(target: Target, items: list[Protected]) -> None:
    """Turn deletion protection off on these databases (a deliberate step the user asked for by name); the
    final snapshot stays the stack delete's job (DeletionPolicy Snapshot)."""
    for item in items:
        rds = target.client("rds", item.region)
        if item.resource_type == "AWS::RDS::DBInstance":
            rds.modify_db_instance(DBInstanceIdentifier=item.identifier, DeletionProtection=False,
                                   ApplyImmediately=True)
        else:
            rds.modify_db_cluster(DBClusterIdentifier=item.identifier, DeletionProtection=False,
                                  ApplyImmediately=True)


def _kept(cf: Any, name: str, region: str = "") -> list[Kept]:
    try:
        template = deployed_template(cf, name)
        resources = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
                     for r in cf.describe_stack_resources(StackName=name)["StackResources"]}
    except Exception:  # noqa: BLE001 - a stack in a failed state may have no template left
        return []
    from moorage.deploy.retained import fixed_name

    out = []
    for res in sorted(resources_of(template), key=lambda r: r.lid):
        policy = res.body.get("DeletionPolicy", "Delete")
        if policy in ("Retain", "RetainExceptOnCreate", "Snapshot") and res.lid in resources:
            out.append(Kept(name, res.lid, res.type, resources[res.lid], "Snapshot" if policy == "Snapshot"
                            else "Retain", fixed_name(dict(res.body)), region))
    return out


def destroy(target: Target, manifest: dict[str, Any], reporter: Reporter, poll: float = 2.0,
            lock_wait: float = 0.0) -> DestroyResult:
    """Delete every stack of the environment, last wave first, holding the environment's deploy lock."""
    from moorage.deploy.lock import environment_locked

    with environment_locked(target, manifest, lock_wait):
        return _destroy(target, manifest, reporter, poll)


def _empty_buckets(target: Target, region: str, cf: Any, name: str) -> None:
    """Delete every object (and version) of the buckets of stack ``name``: CloudFormation deletes only empty
    buckets. Only for a preview's own buckets (its manifest says ``empty_buckets``), which are disposable."""
    s3 = target.client("s3", region)
    for r in cf.describe_stack_resources(StackName=name)["StackResources"]:
        if r["ResourceType"] != "AWS::S3::Bucket" or not r.get("PhysicalResourceId"):
            continue
        bucket = r["PhysicalResourceId"]
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                      for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if doomed:
                refused = s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True}).get("Errors")
                if refused:  # the stack's delete would fail on it: say why now
                    raise RuntimeError(f"cannot empty bucket {bucket}: {refused[0].get('Key')}: "
                                       f"{refused[0].get('Code')} {refused[0].get('Message')}")


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
            kept = _kept(cf, name, target.region_for(stack["region"]))
            seen: set[str] = set()
            read_events(cf, name, seen)
            reporter.stack_started(name, "delete", max(1, len(cf.describe_stack_resources(StackName=name)
                                                             ["StackResources"])))
            if manifest.get("empty_buckets"):
                try:
                    _empty_buckets(target, stack["region"], cf, name)
                except (RuntimeError, ClientError) as exc:
                    result.failed[name] = str(exc)
                    reporter.stack_finished(name, "DELETE_FAILED", str(exc))
                    break
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
    result.remaining = [s["name"] for s in manifest["stacks"]
                        if s["name"] not in result.deleted and s["name"] not in result.absent]
    result.elapsed = time.monotonic() - started
    return result
