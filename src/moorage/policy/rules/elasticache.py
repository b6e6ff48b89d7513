"""ElastiCache replication groups and single-node cache clusters (Redis, Valkey, Memcached)."""

from __future__ import annotations

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN, as_list
from moorage.policy.checks import Outcome, issue, rule
from moorage.policy.rules.common import retains

CLUSTER = "AWS::ElastiCache::CacheCluster"


def _memcached(r: Resource) -> bool:
    return r.value("Engine") == "memcached"


def node_count(r: Resource) -> int | None:
    """Nodes per shard of a replication group (primary + replicas), None when unknown."""
    if r.get("NumCacheClusters") is not None:
        return r.number("NumCacheClusters")
    if r.get("ReplicasPerNodeGroup") is not None:
        replicas = r.number("ReplicasPerNodeGroup")
        return None if replicas is None else replicas + 1
    groups = as_list(r.get("NodeGroupConfiguration"))
    if groups:
        counts = [len(as_list(g.get("ReplicaAvailabilityZones"))) + 1 for g in groups if isinstance(g, dict)]
        return min(counts) if counts else None
    return 1


@rule("MOO-EC-001")
def at_rest(r: Resource) -> Outcome:
    if r.type == CLUSTER:
        if _memcached(r):
            return None  # memcached keeps data in memory only
        return [issue("a single-node CacheCluster cannot encrypt at rest: use a replication group")]
    flag = r.flag("AtRestEncryptionEnabled")
    if flag or r.value("AtRestEncryptionEnabled") is UNKNOWN:
        return []
    return [issue("AtRestEncryptionEnabled is not true", "Properties")]


@rule("MOO-EC-002")
def in_transit(r: Resource) -> Outcome:
    flag = r.flag("TransitEncryptionEnabled")
    if flag is None and r.value("TransitEncryptionEnabled") is UNKNOWN:
        return []
    if not flag:
        return [issue("TransitEncryptionEnabled is not true: traffic is plain text", "Properties")]
    if r.value("TransitEncryptionMode") == "preferred":
        return [issue("TransitEncryptionMode is preferred: plain-text clients are still accepted", "Properties",
                      "TransitEncryptionMode")]
    return []


@rule("MOO-EC-003")
def authentication(r: Resource) -> Outcome:
    if r.get("AuthToken") is not None or r.get("UserGroupIds") is not None:
        return []
    return [issue("no AuthToken or UserGroupIds: any client that reaches the port is trusted", "Properties")]


@rule("MOO-EC-004")
def failover(r: Resource) -> Outcome:
    if r.type == CLUSTER:
        if _memcached(r):
            if r.value("AZMode") == "cross-az" and (r.number("NumCacheNodes") or 1) >= 2:
                return []
            return [issue("memcached nodes are not spread across AZs (AZMode cross-az, 2+ nodes)", "Properties")]
        return [issue("a single cache node has no replica to fail over to")]
    problems = []
    count = node_count(r)
    if count is not None and count < 2:
        problems.append(issue("one node per shard: no replica to fail over to", "Properties"))
    for prop in ("AutomaticFailoverEnabled", "MultiAZEnabled"):
        if r.flag(prop) is not True and r.value(prop) is not UNKNOWN:
            problems.append(issue(f"{prop} is not true", "Properties"))
    return problems


@rule("MOO-EC-005")
def snapshots(r: Resource) -> Outcome:
    if _memcached(r):
        return None
    days = r.number("SnapshotRetentionLimit")
    if r.get("SnapshotRetentionLimit") is not None and days is None:
        return []
    return [] if days and days >= 1 else [issue("SnapshotRetentionLimit is 0: no snapshots are kept", "Properties")]


@rule("MOO-EC-006")
def customer_managed_key(r: Resource) -> Outcome:
    if r.get("KmsKeyId") is not None:
        return []
    return [issue("encrypted with the default key (no KmsKeyId)", "Properties")]


@rule("MOO-EC-007")
def snapshot_on_delete(r: Resource) -> Outcome:
    if _memcached(r):
        return None
    return [issue(f"{p}: the cached data is dropped") for p in retains(r, "Snapshot")]
