"""ElastiCache replication groups and single-node cache clusters (Redis, Valkey, Memcached)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN, as_list
from moorage.policy.checks import Outcome, issue, rule
from moorage.policy.rules.common import container_path, containers, retains
from moorage.redis_clients import client_signs, cluster_off_clients, image_name

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


GROUP = "AWS::ElastiCache::ReplicationGroup"


def cluster_mode_on(r: Resource) -> bool:
    """True when a replication group runs Redis cluster mode (sharded, cluster protocol required)."""
    if r.value("ClusterMode") == "enabled":
        return True
    if (r.number("NumNodeGroups") or 1) > 1 or len(as_list(r.get("NodeGroupConfiguration"))) > 1:
        return True
    group = r.get("CacheParameterGroupName")
    if isinstance(group, str):
        return ".cluster.on" in group
    params = r.target(group)
    return params is not None and str(params.value("Properties", "cluster-enabled")).lower() == "yes"


def _container_signs(c: Any) -> list[tuple[str, str, tuple[str | int, ...]]]:
    """(client, where, path under the container) for every cluster-mode-off client a container shows."""
    found: list[tuple[str, str, tuple[str | int, ...]]] = []
    for key in ("Command", "EntryPoint"):
        words = [w for w in as_list(c.get(key)) if isinstance(w, str)]
        for client, _ in client_signs([("", " ".join(words))], []).items():
            found.append((client, f"its {key.lower()} `{' '.join(words)}`", (key,)))
    image = c.get("Image")
    if isinstance(image, str):
        for client in client_signs([("", image_name(image))], []):
            found.append((client, f"its image {image}", ("Image",)))
    for key in ("Environment", "Secrets"):
        for j, item in enumerate(as_list(c.get(key))):
            name = item.get("Name") if isinstance(item, Mapping) else None
            if isinstance(name, str):
                for client in client_signs([], [name]):
                    found.append((client, f"its variable {name}", (key, j, "Name")))
    seen: set[str] = set()
    return [f for f in found if not (f[0] in seen or seen.add(f[0]))]  # type: ignore[func-returns-value]


@rule("MOO-EC-008")
def cluster_mode_clients(r: Resource) -> Outcome:
    groups = [t for t in r.targets(r.props) if t.type == GROUP]
    if not groups:
        return None  # no cache this task is known to use
    caches = [t for t in groups if cluster_mode_on(t)]
    if not caches:
        return []
    reasons = cluster_off_clients()
    out = []
    for i, c, cname in containers(r):
        for client, where, path in _container_signs(c):
            out.append(issue(f"{cname} looks like it uses {client} ({where}), which {reasons[client]}; "
                             f"{', '.join(t.id for t in caches)} runs cluster mode", *container_path(i, *path)))
    return out
