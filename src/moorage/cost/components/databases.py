"""Databases and caches: RDS instances (single / Multi-AZ, read replicas, storage, backups, Performance
Insights), Aurora clusters and their instances, ElastiCache replication groups and clusters."""

from __future__ import annotations

from moorage.cfn.sections import resources_of_type
from moorage.cfn.values import target, to_number
from moorage.cost.context import PricingContext, Resource
from moorage.cost.model import LineItem
from moorage.data import load_data

ENGINES = {"postgres": "postgres", "mysql": "mysql", "mariadb": "mariadb",
           "aurora-postgresql": "aurora-postgresql", "aurora-mysql": "aurora-mysql", "aurora": "aurora-mysql"}


def _engine(value: object) -> str | None:
    return ENGINES.get(str(value).lower()) if value else None


def _performance_insights(ctx: PricingContext, res: Resource) -> list[LineItem]:
    if not res.flag("EnablePerformanceInsights"):
        return []
    days = res.number("PerformanceInsightsRetentionPeriod", 7.0) or 7.0
    if days <= 7:
        return [LineItem(res.stack, res.lid, res.type, "Performance Insights (7-day retention)", "free",
                         note="the 7-day retention tier has no charge", region=res.region)]
    return [ctx.charge(res, f"Performance Insights ({days:g}-day retention)", 1.0, "instance-month",
                       f"rds.performance_insights.{int(days)}d.{res.prop('DBInstanceClass')}")]


def price_db_instance(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """An RDS DB instance: instance hours; standalone instances and replicas also their storage and backups."""
    klass = res.prop("DBInstanceClass")
    if not isinstance(klass, str):
        return [ctx.unknown(res, "DB instance hours", "DBInstanceClass is not a literal")]
    named = res.prop("Engine")
    engine = _engine(named)
    # An engine the catalog has no rates for (sqlserver-*, oracle-*, db2-*): every component is still listed,
    # each unknown with its catalog key, never dropped.
    unpriced = engine is None and isinstance(named, str) and bool(named)
    if unpriced:
        engine = str(named).lower()
    source = ctx.referenced(res, res.props.get("SourceDBInstanceIdentifier"))
    role = "instance"
    if engine is None and source is not None:
        engine, role = _engine(source.prop("Engine")), "read replica"
    elif res.props.get("SourceDBInstanceIdentifier") is not None:
        role = "read replica"
    if engine is None:
        why = ("Engine is not a literal" if "Engine" in res.props else
               "no Engine, and the source instance is not in this template")
        return [ctx.unknown(res, "DB instance hours", f"engine unknown ({why})")]
    items: list[LineItem] = []
    if res.props.get("DBClusterIdentifier") is not None or engine.startswith("aurora"):
        if klass == "db.serverless":
            return _serverless_v2(ctx, res) + _performance_insights(ctx, res) + _enhanced_monitoring(ctx, res)
        items.append(ctx.charge(res, f"Aurora instance hours ({klass})", ctx.hours, "hour",
                                f"rds.instance_hour.{engine}.{klass}"))
        return items + _performance_insights(ctx, res) + _enhanced_monitoring(ctx, res)
    multi = res.flag("MultiAZ")
    az = "multi" if multi else "single"
    why = (f"the catalog has no RDS for {named} rates (moorage prices {', '.join(sorted(set(ENGINES.values())))})"
           if unpriced else "")
    items.append(ctx.charge(res, f"DB {role} hours ({klass}, {'Multi-AZ' if multi else 'single-AZ'}"
                            f"{', ' + engine if unpriced else ''})",
                            ctx.hours, "hour", f"rds.instance_hour.{engine}.{klass}.{az}", note=why))
    kinds = f"{engine}." if unpriced else ""  # storage rates are catalogued for the priced engines only
    storage_from = res if res.props.get("AllocatedStorage") is not None or source is None else source
    gb = storage_from.number("AllocatedStorage")
    kind = str(storage_from.prop("StorageType", "gp2" if storage_from.number("Iops") is None else "io1") or "gp2")
    if gb is None:
        items.append(ctx.unknown(res, "DB storage", "AllocatedStorage is not a literal"))
    else:
        note = "storage of the source instance" if storage_from is not res else ""
        note = "; ".join(n for n in (note, why) if n)
        items.append(ctx.charge(res, f"DB storage ({kind}, {gb:g} GB{', Multi-AZ' if multi else ''})", gb,
                                "GB-month", f"rds.storage_gb_month.{kinds}{kind}.{az}", note=note))
        iops = storage_from.number("Iops")
        if kind in ("io1", "io2") and iops:
            items.append(ctx.charge(res, f"provisioned IOPS ({kind}, {iops:g})", iops, "IOPS-month",
                                    f"rds.iops_month.{kinds}{kind}.{az}", note=why))
        elif kind == "gp3" and iops and iops > 3000 and gb < 400:
            items.append(ctx.charge(res, "gp3 IOPS above the 3,000 baseline", iops - 3000, "IOPS-month",
                                    f"rds.gp3_iops_month.{kinds}{az}", note=why))
    if role == "instance" and gb is not None:
        items += _backups(ctx, res, gb, f"rds.backup_gb_month{'.' + engine if unpriced else ''}",
                          "provisioned storage")
    return items + _performance_insights(ctx, res) + _enhanced_monitoring(ctx, res) + _log_exports(ctx, res)


def _backups(ctx: PricingContext, res: Resource, gb: float, key: str, of: str) -> list[LineItem]:
    """Automated backups beyond the free allowance, from the template's retention and the storage size.

    Backups keep a full copy plus each day's changed blocks for ``BackupRetentionPeriod`` days; AWS does not
    charge for backup storage up to 100% of the storage, so what is billed is about storage x daily change x days.
    """
    days = res.number("BackupRetentionPeriod", 1.0) or 0.0
    if days <= 0:
        return []
    change, assumed = ctx.use("db_daily_change_pct", res)
    extra = gb * change / 100.0 * days
    return [ctx.charge(res, f"backup storage beyond the free allowance ({days:g}-day retention)", extra, "GB-month",
                       key, assumption=assumed,
                       note=f"{gb:g} GB x {change:g}% changed a day x {days:g} days (BackupRetentionPeriod); "
                            f"backups up to 100% of the {of} are free")]


def _enhanced_monitoring(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """Enhanced Monitoring: OS metrics every ``MonitoringInterval`` seconds into the RDSOSMetrics log group."""
    interval = res.number("MonitoringInterval", 0.0) or 0.0
    if interval <= 0:
        return []
    kb, assumed = ctx.use("enhanced_monitoring_kb_per_sample", res)
    gb = ctx.hours * 3600.0 / interval * kb / 1e6
    return [ctx.charge(res, f"Enhanced Monitoring ({interval:g} s): RDSOSMetrics log ingestion", gb, "GB",
                       "logs.ingest_gb", assumption=assumed,
                       note=f"{ctx.hours * 3600.0 / interval:,.0f} samples x {kb:g} KB (MonitoringInterval)"),
            ctx.charge(res, "Enhanced Monitoring: RDSOSMetrics log storage (30-day retention)",
                       gb * 30.0 / (730.0 / 24.0), "GB-month", "logs.storage_gb_month", assumption=assumed,
                       note="RDSOSMetrics keeps 30 days by default")]


def _log_exports(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """Engine logs exported to CloudWatch Logs (``EnableCloudwatchLogsExports``): ingestion per exported log."""
    exports = res.prop("EnableCloudwatchLogsExports")
    if not isinstance(exports, list) or not exports:
        return []
    gb, assumed = ctx.use("db_log_export_gb", res)
    return [ctx.charge(res, f"engine log export to CloudWatch Logs ({', '.join(map(str, exports))})",
                       gb * len(exports), "GB", "logs.ingest_gb", assumption=assumed,
                       note=f"{len(exports)} exported log(s) x {gb:g} GB; the /aws/rds log groups are created by "
                            "RDS outside the template and never expire unless set")]


def _serverless_v2(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """An Aurora Serverless v2 instance: ACU-hours between the cluster's minimum and maximum capacity."""
    cluster = ctx.referenced(res, res.props.get("DBClusterIdentifier"))
    scaling = (cluster.prop("ServerlessV2ScalingConfiguration") or {}) if cluster else {}
    low = to_number(scaling.get("MinCapacity")) if isinstance(scaling, dict) else None
    high = to_number(scaling.get("MaxCapacity")) if isinstance(scaling, dict) else None
    if low is None or high is None:
        return [ctx.unknown(res, "Aurora Serverless v2 capacity",
                            "ServerlessV2ScalingConfiguration Min/MaxCapacity are not literals in this template")]
    iopt = cluster is not None and str(cluster.prop("StorageType", "aurora")) == "aurora-iopt1"
    return [ctx.charge(res, f"Aurora Serverless v2 ACU-hours ({low:g}-{high:g} ACU)", low * ctx.hours, "ACU-hour",
                       "aurora.serverless_v2_acu_hour" + (".iopt1" if iopt else ""),
                       low_quantity=low * ctx.hours, high_quantity=high * ctx.hours,
                       note="expected at the minimum capacity; the range runs to MaxCapacity all month")]


def price_db_proxy(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """An RDS Proxy: billed per vCPU-hour of the instances it fronts (at least the documented minimum)."""
    data = load_data("rds_vcpus")
    groups = [g.props for g in resources_of_type(res.template, "AWS::RDS::DBProxyTargetGroup")
              if target(g.props.get("DBProxyName")) == res.lid]
    members = [target(ref) for g in groups for ref in (g.get("DBInstanceIdentifiers") or [])]
    for g in groups:
        for ref in g.get("DBClusterIdentifiers") or []:
            cluster = target(ref)
            members += [i.lid for i in resources_of_type(res.template, "AWS::RDS::DBInstance")
                        if target(i.props.get("DBClusterIdentifier")) == cluster]
    vcpus = 0
    for lid in members:
        inst = ctx.in_stack(res, lid)
        klass = inst.prop("DBInstanceClass") if inst else None
        if not isinstance(klass, str) or klass not in data["vcpus"]:
            return [ctx.unknown(res, "RDS Proxy vCPU-hours", f"vCPUs of the target {lid} are not known")]
        vcpus += data["vcpus"][klass]
    vcpus = max(vcpus, data["proxy_minimum_vcpus"])
    return [ctx.charge(res, f"RDS Proxy ({vcpus} vCPUs of its targets)", vcpus * ctx.hours, "vCPU-hour",
                       "rds.proxy_vcpu_hour")]


def price_db_cluster(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """An Aurora cluster: storage and I/O from usage (its instances are priced on themselves)."""
    engine = _engine(res.prop("Engine"))
    if engine is None or not engine.startswith("aurora"):
        return [ctx.unknown(res, "Multi-AZ DB cluster", "not priced: only Aurora clusters are in the catalog")]
    if str(res.prop("EngineMode", "provisioned")) == "serverless":
        return [ctx.unknown(res, "Aurora Serverless v1", "not priced: Serverless v1 is end of life")]
    io_optimized = str(res.prop("StorageType", "aurora")) == "aurora-iopt1"
    tier = "iopt1" if io_optimized else "standard"
    gb, a1 = ctx.use("aurora_storage_gb", res)
    items = [ctx.charge(res, f"Aurora storage ({'I/O-Optimized' if io_optimized else 'Standard'})", gb,
                        "GB-month", f"aurora.storage_gb_month.{tier}", assumption=a1)]
    if not io_optimized:
        io, a2 = ctx.use("aurora_io_million", res)
        items.append(ctx.charge(res, "Aurora I/O requests", io, "million requests", "aurora.io_million",
                                assumption=a2))
    items += _backups(ctx, res, gb, "aurora.backup_gb_month", "cluster's storage")
    return items + _log_exports(ctx, res)


def _cache_engine(res: Resource) -> str:
    engine = str(res.prop("Engine", "redis") or "redis").lower()
    return "valkey" if engine == "valkey" else ("memcached" if engine == "memcached" else "redis")


def price_replication_group(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """An ElastiCache replication group: node hours for every node (primaries and replicas)."""
    node = res.prop("CacheNodeType")
    if not isinstance(node, str):
        return [ctx.unknown(res, "cache node hours", "CacheNodeType is not a literal")]
    groups = res.number("NumNodeGroups")
    if groups is not None:
        nodes = groups * ((res.number("ReplicasPerNodeGroup", 0.0) or 0.0) + 1)
    else:
        nodes = res.number("NumCacheClusters", 1.0) or 1.0
        members = res.prop("NodeGroupConfiguration")
        if isinstance(members, list) and members:
            nodes = sum((to_number(m.get("ReplicaCount")) or 0.0) + 1 for m in members)
    engine = _cache_engine(res)
    return [ctx.charge(res, f"cache node hours ({nodes:g} x {node}, {engine})", nodes * ctx.hours, "node-hour",
                       f"elasticache.node_hour.{engine}.{node}")] + _cache_snapshots(ctx, res, engine)


def _cache_snapshots(ctx: PricingContext, res: Resource, engine: str) -> list[LineItem]:
    """Automatic snapshots kept ``SnapshotRetentionLimit`` days: one snapshot per cluster is free, the rest are
    billed per GB-month (Redis OSS and Valkey; Memcached has no snapshots)."""
    days = res.number("SnapshotRetentionLimit", 0.0) or 0.0
    if engine == "memcached" or days <= 1:
        return []
    gb, assumed = ctx.use("cache_snapshot_gb", res)
    return [ctx.charge(res, f"cache snapshot storage beyond the free one ({days:g}-day retention)", gb * (days - 1),
                       "GB-month", "elasticache.backup_gb_month", assumption=assumed,
                       note=f"{gb:g} GB a snapshot x {days - 1:g} snapshots beyond the free one "
                            "(SnapshotRetentionLimit)")]


def price_cache_cluster(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A standalone ElastiCache cluster: node hours."""
    node = res.prop("CacheNodeType")
    if not isinstance(node, str):
        return [ctx.unknown(res, "cache node hours", "CacheNodeType is not a literal")]
    nodes = res.number("NumCacheNodes", 1.0) or 1.0
    engine = _cache_engine(res)
    return [ctx.charge(res, f"cache node hours ({nodes:g} x {node}, {engine})", nodes * ctx.hours, "node-hour",
                       f"elasticache.node_hour.{engine}.{node}")] + _cache_snapshots(ctx, res, engine)


# The resource types this module prices (collected by moorage.cost.components).
PRICERS = {
    "AWS::RDS::DBInstance": price_db_instance,
    "AWS::RDS::DBCluster": price_db_cluster,
    "AWS::RDS::DBProxy": price_db_proxy,
    "AWS::ElastiCache::ReplicationGroup": price_replication_group,
    "AWS::ElastiCache::CacheCluster": price_cache_cluster,
}
