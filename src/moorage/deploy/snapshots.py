"""Database snapshots taken before a release's before-deploy jobs (migrations) run, named after the release, so
that a failed migration can be undone by restoring one (the plan says which: ``pre_migration_snapshots``)."""

from __future__ import annotations

import re
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from moorage.deploy.session import Target


def snapshot_name(identifier: str, release: int, job: str) -> str:
    """``<identifier>-release-<n>-pre-<job>``: letters, digits and single hyphens, as RDS requires."""
    name = re.sub(r"[^A-Za-z0-9-]+", "-", f"{identifier}-release-{release}-pre-{job}")
    return re.sub(r"-{2,}", "-", name)[:255].strip("-")


def restore_hint(target: Target, region: str, entry: dict[str, Any], name: str) -> str:
    """The command that restores the database from snapshot ``name`` (into a new instance or cluster), aimed at
    ``target`` (on the emulator, its endpoint: never the user's real account)."""
    if entry["cluster"]:
        return target.aws(f"rds restore-db-cluster-from-snapshot --snapshot-identifier {name} "
                          f"--db-cluster-identifier {entry['identifier']}-restored --engine <engine>", region)
    return target.aws(f"rds restore-db-instance-from-db-snapshot --db-snapshot-identifier {name} "
                      f"--db-instance-identifier {entry['identifier']}-restored", region)


def take_snapshots(target: Target, manifest: dict[str, Any], job: str, release: int, created: set[str],
                   tags: dict[str, str], poll: float = 5.0) -> tuple[list[tuple[dict[str, Any], str]], list[str]]:
    """Snapshot each database job ``job`` uses and wait until they are available; returns (entry, name) pairs
    and notes. ``created``: stacks this deploy created (a database created just now has nothing to keep).
    Raises RuntimeError when a snapshot cannot be taken: the migration must not run without it."""
    rds = target.client("rds", manifest["region"])
    taken: list[tuple[dict[str, Any], str]] = []
    notes: list[str] = []
    tag_list = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    for entry in manifest.get("pre_migration_snapshots", []):
        if entry["job"] != job:
            continue
        if entry["stack"] in created:
            notes.append(f"job {job}: no snapshot of {entry['database']}: it was created in this deploy")
            continue
        name = snapshot_name(entry["identifier"], release, job)
        delay = {"Delay": max(1, int(poll)), "MaxAttempts": 360}
        try:
            if entry["cluster"]:
                rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier=name,
                                               DBClusterIdentifier=entry["identifier"], Tags=tag_list)
                rds.get_waiter("db_cluster_snapshot_available").wait(DBClusterSnapshotIdentifier=name,
                                                                    WaiterConfig=delay)
            else:
                rds.create_db_snapshot(DBSnapshotIdentifier=name, DBInstanceIdentifier=entry["identifier"],
                                       Tags=tag_list)
                rds.get_waiter("db_snapshot_available").wait(DBSnapshotIdentifier=name, WaiterConfig=delay)
        except (ClientError, WaiterError) as exc:
            raise RuntimeError(f"job {job} not run: the snapshot of {entry['database']} before it failed: {exc}") \
                from exc
        taken.append((entry, name))
        notes.append(f"job {job}: snapshot {name} of {entry['database']} taken before it runs")
    return taken, notes
