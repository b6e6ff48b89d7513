"""RDS instances and Aurora / Multi-AZ DB clusters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN, as_list, is_intrinsic
from moorage.policy.checks import Outcome, issue, params, rule
from moorage.policy.rules.common import primary_database, read_replica, retains

# Parameter that forces TLS, per engine family, and whether the engine forces it by default.
TLS_PARAMETERS = {"postgres": "rds.force_ssl", "aurora-postgresql": "rds.force_ssl",
                  "mysql": "require_secure_transport", "mariadb": "require_secure_transport",
                  "aurora-mysql": "require_secure_transport"}


def _primary(r: Resource) -> bool:
    return primary_database(r)


def members(cluster: Resource) -> list[Resource]:
    """The DB instances of an Aurora cluster in the set."""
    return [i for i in cluster.referrers("AWS::RDS::DBInstance")
            if (t := i.target(i.get("DBClusterIdentifier"))) is not None and t.key == cluster.key]


@rule("MOO-RDS-001")
def storage_encrypted(r: Resource) -> Outcome:
    if not _primary(r) or r.get("SnapshotIdentifier") is not None or r.get("DBSnapshotIdentifier") is not None:
        return None  # replicas, cluster members and restores inherit encryption
    if r.type == "AWS::RDS::DBCluster" and r.value("EngineMode") == "serverless":
        return []  # Aurora Serverless v1 is always encrypted
    encrypted = r.flag("StorageEncrypted")
    if encrypted is None and r.value("StorageEncrypted") is UNKNOWN:
        return []
    where = ("Properties", "StorageEncrypted") if r.get("StorageEncrypted") is not None else ("Properties",)
    return [] if encrypted else [issue("storage is not encrypted (StorageEncrypted is not true)", *where)]


@rule("MOO-RDS-002")
def not_public(r: Resource) -> Outcome:
    if r.flag("PubliclyAccessible"):
        return [issue("PubliclyAccessible is true", "Properties", "PubliclyAccessible")]
    return []


def _parameters(r: Resource) -> Mapping[str, Any] | None:
    """The parameters of the (cluster) parameter group, {} for a default group, None when unknown."""
    prop = "DBClusterParameterGroupName" if r.type == "AWS::RDS::DBCluster" else "DBParameterGroupName"
    value = r.get(prop)
    if value is None:
        return {}
    group = r.target(value)
    if group is not None:
        params = group.get("Parameters")
        return params if isinstance(params, Mapping) else ({} if params is None else None)
    literal = r.resolve(value)
    return {} if isinstance(literal, str) and literal.startswith("default.") else None


@rule("MOO-RDS-003")
def requires_tls(r: Resource) -> Outcome:
    if not _primary(r):
        return None
    engine = r.value("Engine")
    if engine is UNKNOWN or engine not in TLS_PARAMETERS:
        return None
    params = _parameters(r)
    if params is None:
        return []  # parameter group defined elsewhere: cannot tell
    name = TLS_PARAMETERS[str(engine)]
    value = params.get(name)
    if value is not None:
        if is_intrinsic(value) or str(value).lower() in ("1", "on", "true"):
            return []
        return [issue(f"{name} is {value}: plain-text connections are accepted", "Properties")]
    version = r.text("EngineVersion") or ""
    major = re.match(r"\d+", version)
    if engine == "postgres" and major and int(major.group()) >= 15:
        return []  # RDS for PostgreSQL 15+ defaults rds.force_ssl to 1
    return [issue(f"{engine} {version or ''} accepts plain-text connections: set {name} in the parameter group"
                  .replace("  ", " "), "Properties")]


@rule("MOO-RDS-004")
def deletion_protection(r: Resource) -> Outcome:
    if not _primary(r):
        return None
    if r.flag("DeletionProtection") is False or r.get("DeletionProtection") is None:
        return [issue("DeletionProtection is off", "Properties")]
    return []


@rule("MOO-RDS-005")
def backup_retention(r: Resource) -> Outcome:
    if not _primary(r):
        return None
    minimum = int(params("MOO-RDS-005")["min_days"])
    days = r.number("BackupRetentionPeriod")
    if r.get("BackupRetentionPeriod") is not None and days is None:
        return []
    days = 1 if days is None else days
    return [issue(f"backups kept {days} day(s), fewer than {minimum}", "Properties")] if days < minimum else []


@rule("MOO-RDS-006")
def multi_az(r: Resource) -> Outcome:
    if not _primary(r):
        return None
    if r.type == "AWS::RDS::DBInstance":
        flag = r.flag("MultiAZ")
        if flag or (flag is None and r.value("MultiAZ") is UNKNOWN):
            return []
        return [issue("MultiAZ is off: one AZ failure stops the database", "Properties")]
    engine = str(r.value("Engine") or "")
    if not engine.startswith("aurora") or r.value("EngineMode") == "serverless":
        return []  # Multi-AZ DB clusters and Serverless v1 span AZs by design
    count = len(members(r))
    return [issue(f"the cluster has {count} instance(s): no failover target in another AZ")] if count < 2 else []


@rule("MOO-RDS-007")
def snapshot_on_delete(r: Resource) -> Outcome:
    if not _primary(r):
        return None
    return [issue(f"{p}: the data is not kept") for p in retains(r, "Snapshot")]


@rule("MOO-RDS-008")
def log_exports(r: Resource) -> Outcome:
    if not _primary(r):
        return None
    exports = r.get("EnableCloudwatchLogsExports")
    if exports is None or (not is_intrinsic(exports) and not as_list(exports)):
        return [issue("no engine logs exported to CloudWatch (EnableCloudwatchLogsExports)", "Properties")]
    return []


@rule("MOO-RDS-009")
def minor_upgrades(r: Resource) -> Outcome:
    if r.flag("AutoMinorVersionUpgrade") is False:
        return [issue("AutoMinorVersionUpgrade is false", "Properties", "AutoMinorVersionUpgrade")]
    return []


@rule("MOO-RDS-010")
def customer_managed_key(r: Resource) -> Outcome:
    if not _primary(r):
        return None
    if r.get("KmsKeyId") is not None:
        return []
    return [issue("storage uses the AWS-managed key (no KmsKeyId)", "Properties")]


@rule("MOO-RDS-011")
def performance_insights(r: Resource) -> Outcome:
    if read_replica(r) or r.type != "AWS::RDS::DBInstance":
        return None
    if r.flag("EnablePerformanceInsights") or r.value("EnablePerformanceInsights") is UNKNOWN:
        return []
    return [issue("Performance Insights is off", "Properties")]


@rule("MOO-RDS-012")
def replica_backups(r: Resource) -> Outcome:
    if not read_replica(r):
        return None
    days = r.number("BackupRetentionPeriod")
    return [issue("BackupRetentionPeriod is 0: a replica promoted after losing the primary has no backups",
                  "Properties", "BackupRetentionPeriod")] if days == 0 else []
