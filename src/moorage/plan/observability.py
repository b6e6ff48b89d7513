"""Alarms per profile (DESIGN.md): services, load balancer, databases, caches."""

from __future__ import annotations

from moorage.data import load_data
from moorage.kinds import registry
from moorage.plan.model import AlarmPlan, EdgePlan
from moorage.plan.naming import item_name
from moorage.resolve.environment import EnvSpec, ResolvedService


def _t() -> dict[str, float]:
    return load_data("profiles")["alarm_thresholds"]


def cache_member(identifier: str, cluster_mode: bool) -> str:
    """The first node's cluster id in a replication group: what ElastiCache metrics are reported under."""
    return f"{identifier}-0001-001" if cluster_mode else f"{identifier}-001"


def service_alarms(env: EnvSpec, svc: ResolvedService) -> list[AlarmPlan]:
    """Alarms for one long-running service; '@cluster', '@service', '@tg', '@alb' are filled by the renderer."""
    if env.alarm_level == "none" or svc.kind in ("job", "scheduled"):
        return []
    t = _t()
    ecs = {"ClusterName": "@cluster", "ServiceName": "@service"}
    out = [AlarmPlan("Cpu", f"{svc.name}: CPU above {t['cpu_percent']}%", "AWS/ECS", "CPUUtilization", ecs,
                     "Average", t["cpu_percent"], "GreaterThanThreshold", 3, 60)]
    if env.alarm_level == "full":
        out.append(AlarmPlan("Memory", f"{svc.name}: memory above {t['memory_percent']}%", "AWS/ECS",
                             "MemoryUtilization", ecs, "Average", t["memory_percent"], "GreaterThanThreshold"))
    if svc.route:
        tg = {"TargetGroup": "@tg", "LoadBalancer": "@alb"}
        out.append(AlarmPlan("Healthy", f"{svc.name}: fewer than {t['healthy_hosts_min']:g} healthy targets",
                             "AWS/ApplicationELB", "HealthyHostCount", tg, "Minimum", t["healthy_hosts_min"],
                             "LessThanThreshold", 2, 60, "breaching"))
        out.append(AlarmPlan("Target5xx", f"{svc.name}: more than {t['target_5xx_per_minute']:g} 5XX a minute",
                             "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", tg, "Sum",
                             t["target_5xx_per_minute"], "GreaterThanThreshold", 3, 60))
        if env.alarm_level == "full":
            out.append(AlarmPlan("Latency", f"{svc.name}: response time above {t['latency_seconds']:g} s",
                                 "AWS/ApplicationELB", "TargetResponseTime", tg, "Average",
                                 t["latency_seconds"], "GreaterThanThreshold", 3, 60))
    return out


def shared_alarms(env: EnvSpec, edges: list[EdgePlan], db_ids: dict[str, str],
                  cache_ids: dict[str, str]) -> list[AlarmPlan]:
    """Alarms on the load balancer, databases and caches (by their physical identifiers)."""
    if env.alarm_level == "none":
        return []
    t = _t()
    out: list[AlarmPlan] = []
    for i, edge in enumerate(edges):
        # "@alb" is the first load balancer; "@alb:edge-2" ... the others (render.observability).
        n = "" if i == 0 else str(i + 1)
        out.append(AlarmPlan(f"AlbElb5xx{n}", f"load balancer{' ' + n if n else ''}: more than 10 of its own "
                             "5XX a minute", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count",
                             {"LoadBalancer": "@alb" if i == 0 else f"@alb:{edge.key}"}, "Sum",
                             t["target_5xx_per_minute"], "GreaterThanThreshold", 3, 60))
    for name, db in env.databases.items():
        ident = db_ids[name]
        dims = {"DBClusterIdentifier": ident} if db.aurora else {"DBInstanceIdentifier": ident}
        key = "Db" + "".join(p.title() for p in name.split("-"))
        out.append(AlarmPlan(f"{key}Cpu", f"database {name}: CPU above {t['db_cpu_percent']}%", "AWS/RDS",
                             "CPUUtilization", dims, "Average", t["db_cpu_percent"], "GreaterThanThreshold", 3, 300))
        if env.alarm_level == "full":
            out.append(AlarmPlan(f"{key}Connections", f"database {name}: more than {t['db_connections']:g} "
                                 "connections", "AWS/RDS", "DatabaseConnections", dims, "Average",
                                 t["db_connections"], "GreaterThanThreshold", 3, 300))
            for i in range(0 if db.aurora else db.replicas):
                replica = f"{ident[:54]}-replica{i + 1}"  # render.data.replica_identifier
                out.append(AlarmPlan(f"{key}Replica{i + 1}Lag", f"database {name} replica {i + 1}: more than "
                                     f"{t['db_replica_lag_seconds']:g} s behind", "AWS/RDS", "ReplicaLag",
                                     {"DBInstanceIdentifier": replica}, "Maximum", t["db_replica_lag_seconds"],
                                     "GreaterThanThreshold", 3, 300))
            if not db.aurora:
                out.append(AlarmPlan(f"{key}Storage", f"database {name}: less than {t['db_free_storage_gib']:g} "
                                     "GiB free", "AWS/RDS", "FreeStorageSpace", dims, "Minimum",
                                     t["db_free_storage_gib"] * 1024 ** 3, "LessThanThreshold", 1, 300))
    for name, cache in env.caches.items():
        member = cache_member(cache_ids[name], cache.cluster_mode)
        dims = {"CacheClusterId": member}
        key = "Cache" + "".join(p.title() for p in name.split("-"))
        out.append(AlarmPlan(f"{key}Cpu", f"cache {name}: engine CPU above {t['cache_cpu_percent']}%",
                             "AWS/ElastiCache", "EngineCPUUtilization", dims, "Average", t["cache_cpu_percent"],
                             "GreaterThanThreshold", 3, 300))
        if env.alarm_level == "full":
            out.append(AlarmPlan(f"{key}Evictions", f"cache {name}: more than {t['cache_evictions']:g} evictions",
                                 "AWS/ElastiCache", "Evictions", dims, "Sum", t["cache_evictions"],
                                 "GreaterThanThreshold", 3, 300))
    prefix = f"{env.app}-{env.env}"
    for k in registry().values():  # the kinds' own alarms, from data/kinds.yaml (a queue's dead letters, age ...)
        for name, item in env.blocks.get(k.block, {}).items():
            key = k.home.title() + "".join(p.title() for p in name.split("-"))
            for alarm in k.alarms:
                threshold = t[alarm["threshold"]] if isinstance(alarm["threshold"], str) else alarm["threshold"]
                dims = {alarm["dimension"]: item_name(k.name, prefix, name, item, *alarm.get("name_parts", ()))}
                out.append(AlarmPlan(key + alarm["key"], alarm["description"].format(name=name, threshold=threshold),
                                     alarm["namespace"], alarm["metric"], dims, alarm["statistic"], threshold,
                                     alarm["comparison"], alarm["periods"], alarm["period"]))
    return out
