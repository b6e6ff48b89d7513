"""Alarms per profile (DESIGN.md): services, load balancer, databases, caches."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from moorage.data import load_data
from moorage.kinds import registry
from moorage.plan.capacity import connections_threshold
from moorage.plan.model import AlarmPlan, Choice, Decision, EdgePlan, TopicPlan
from moorage.plan.naming import item_name
from moorage.resolve.environment import EnvSpec, ResolvedDatabase, ResolvedService

RATE = "100*m1/m2"  # a metric as a % of another (5XX of requests)

#: The alarms (keys of ``alarms.thresholds``) only a profile with ``alarms: full`` builds; ``basic`` builds the
#: others, ``none`` builds no alarm at all.
FULL_ONLY = frozenset({"memory_percent", "latency_seconds", "db_connections", "db_replica_lag_seconds",
                       "db_storage_percent", "db_free_storage_gib", "cache_evictions"})


def builds(env: EnvSpec, name: str) -> bool:
    """True when the environment's profile builds the alarm ``name`` (a key of ``alarms.thresholds``)."""
    return _level_builds(env.alarm_level, name)


def _level_builds(level: str, name: str) -> bool:
    return level == "full" or (level == "basic" and name not in FULL_ONLY)


def ignored_threshold_decisions(env: EnvSpec) -> list[Decision]:
    """A decision for each threshold the spec sets whose alarm this environment's profile does not build: a
    setting of the user's is never dropped without a word."""
    given = env.alarms.thresholds.model_dump(exclude_none=True)
    out = []
    for name in sorted(given):
        if builds(env, name):
            continue
        where = [p for p, d in load_data("profiles")["profiles"].items() if _level_builds(str(d["alarms"]), name)]
        builds_no = "no alarms" if env.alarm_level == "none" else "no such alarm"
        out.append(Decision(
            f"alarms.thresholds.{name}", f"ignored in {env.env}",
            f"{name} is set but the {env.profile} profile builds {builds_no} (alarms: {env.alarm_level})"
            + (f"; it applies where the profile is {' or '.join(where)}" if where else "")))
    return out


def thresholds(env: EnvSpec) -> dict[str, Any]:
    """Each alarm's threshold: the spec's ``alarms.thresholds``, else the profile default (``None``: no such
    alarm; text such as "80%": a share of a capacity the plan works out)."""
    given = env.alarms.thresholds.model_dump(exclude_none=True)
    return {**load_data("profiles")["alarm_thresholds"], **given}


def _5xx(env: EnvSpec, t: dict[str, Any], key: str, who: str, metric: str, dims: dict[str, str],
         whose: str = "") -> list[AlarmPlan]:
    """The 5XX alarms of a target group or load balancer: a rate of its requests (``target_5xx_percent``) and a
    count a minute (``target_5xx_per_minute``), each when its threshold is set."""
    out = []
    if t.get("target_5xx_percent") is not None:
        rate = t["target_5xx_percent"]
        out.append(replace(_alarm(env, "target_5xx_percent", f"{key}Rate",
                                  f"{who}: {whose}5XX above {rate:g}% of requests", "AWS/ApplicationELB", metric,
                                  dims, "Sum", rate, "GreaterThanThreshold", 3, 60),
                           rate_of="RequestCount", expression=RATE))
    if t.get("target_5xx_per_minute") is not None:
        count = t["target_5xx_per_minute"]
        of = f"of {whose}" if whose else ""
        out.append(_alarm(env, "target_5xx_per_minute", key, f"{who}: more than {count:g} {of}5XX a minute",
                          "AWS/ApplicationELB", metric, dims, "Sum", count, "GreaterThanThreshold", 3, 60))
    return out


def severity(env: EnvSpec, name: str) -> str:
    """``critical`` or ``warning`` for the alarm named ``name`` (a key of ``alarms.thresholds``)."""
    given: str | None = env.alarms.severity.get(name)  # type: ignore[call-overload]
    return given or str(load_data("profiles")["alarm_severity"][name])


def _alarm(env: EnvSpec, name: str, *args: Any) -> AlarmPlan:
    """An AlarmPlan whose severity is that of the alarm ``name`` (a key of ``alarms.thresholds``)."""
    return replace(AlarmPlan(*args), severity=severity(env, name))


def alarm_topics(env: EnvSpec) -> tuple[list[TopicPlan], list[Decision]]:
    """The alarm topics (critical, and warning when it has its own destinations) and why."""
    a = env.alarms
    crit = a.critical
    critical = TopicPlan("critical", "AlarmTopic", "AlarmTopicArn", a.topic_arn,
                         sorted(set(a.emails) | set(crit.emails)), list(crit.webhook), crit.pagerduty,
                         list(crit.slack), list(crit.teams))
    decisions = [Decision("alarms.critical", _who(critical), "alarms.email, alarms.topic_arn and alarms.critical")]
    if a.warning.empty:
        decisions.append(Decision("alarms.warning", "the critical topic",
                                  "no alarms.warning destinations: warnings go where critical alarms go"))
        topics = [critical]
    else:
        w = a.warning
        warning = TopicPlan("warning", "WarningTopic", "WarningTopicArn", None,
                            sorted(set(a.emails) | set(w.emails)), list(w.webhook), w.pagerduty, list(w.slack),
                            list(w.teams))
        decisions.append(Decision("alarms.warning", _who(warning), "its own topic: alarms.warning"))
        topics = [critical, warning]
    key = topic_key(topics)
    if any(not t.existing_arn for t in topics):
        decisions.append(Decision("alarms.encryption", "a customer-managed KMS key for the alarm topics (one per "
                                  "region)" if key else "none: the alarm topic is not encrypted", key.reason))
    return topics, decisions


def topic_key(topics: list[TopicPlan]) -> Choice:
    """Whether the topics moorage creates get a customer-managed key: only when one of them has a destination.
    A topic nobody is subscribed to delivers nothing (SNS keeps no message without a subscriber), so its key
    would cost $1 a month for nothing; naming a destination (alarms.email ...) brings the key with it."""
    created = [t for t in topics if not t.existing_arn]
    if not created:
        return Choice(False, "an existing topic (alarms.topic_arn): its owner encrypts it")
    if not any(t.emails or t.webhooks or t.pagerduty or t.slack or t.teams for t in created):
        return Choice(False, "no alarms destination (alarms.email, alarms.critical, alarms.warning): the topic "
                             "delivers nothing, so no $1-a-month key; name a destination to get one")
    return Choice(True, "CloudWatch alarms cannot publish to a topic encrypted with alias/aws/sns: its key policy "
                        "cannot let cloudwatch.amazonaws.com use it")


def _who(t: TopicPlan) -> str:
    parts = ([f"topic {t.existing_arn}"] if t.existing_arn else []) + [f"{len(t.emails)} e-mail"] * bool(t.emails)
    parts += [f"{len(t.webhooks)} webhook"] * bool(t.webhooks) + ["PagerDuty"] * bool(t.pagerduty)
    parts += [f"{len(t.slack)} Slack channel"] * bool(t.slack) + [f"{len(t.teams)} Teams channel"] * bool(t.teams)
    return ", ".join(parts) or "nobody"


def cache_member(identifier: str, cluster_mode: bool) -> str:
    """The first node's cluster id in a replication group: what ElastiCache metrics are reported under."""
    return f"{identifier}-0001-001" if cluster_mode else f"{identifier}-001"


def service_alarms(env: EnvSpec, svc: ResolvedService) -> list[AlarmPlan]:
    """Alarms for one long-running service; '@cluster', '@service', '@tg', '@alb' are filled by the renderer."""
    if env.alarm_level == "none" or svc.kind in ("job", "scheduled"):
        return []
    t = thresholds(env)
    ecs = {"ClusterName": "@cluster", "ServiceName": "@service"}
    out = [_alarm(env, "cpu_percent", "Cpu", f"{svc.name}: CPU above {t['cpu_percent']:g}%", "AWS/ECS",
                  "CPUUtilization", ecs, "Average", t["cpu_percent"], "GreaterThanThreshold", 3, 60)]
    if builds(env, "memory_percent"):
        out.append(_alarm(env, "memory_percent", "Memory", f"{svc.name}: memory above {t['memory_percent']:g}%",
                          "AWS/ECS", "MemoryUtilization", ecs, "Average", t["memory_percent"],
                          "GreaterThanThreshold"))
    if svc.route:
        tg = {"TargetGroup": "@tg", "LoadBalancer": "@alb"}
        out.append(_alarm(env, "healthy_hosts_min", "Healthy",
                          f"{svc.name}: fewer than {t['healthy_hosts_min']:g} healthy targets",
                          "AWS/ApplicationELB", "HealthyHostCount", tg, "Minimum", t["healthy_hosts_min"],
                          "LessThanThreshold", 2, 60, "breaching"))
        out += _5xx(env, t, "Target5xx", svc.name, "HTTPCode_Target_5XX_Count", tg)
        if builds(env, "latency_seconds"):
            out.append(_alarm(env, "latency_seconds", "Latency",
                              f"{svc.name}: response time above {t['latency_seconds']:g} s",
                              "AWS/ApplicationELB", "TargetResponseTime", tg, "Average",
                              t["latency_seconds"], "GreaterThanThreshold", 3, 60))
    return out


def shared_alarms(env: EnvSpec, edges: list[EdgePlan], db_ids: dict[str, str],
                  cache_ids: dict[str, str]) -> list[AlarmPlan]:
    """Alarms on the load balancer, databases and caches (by their physical identifiers)."""
    if env.alarm_level == "none":
        return []
    t = thresholds(env)
    out: list[AlarmPlan] = []
    for i, edge in enumerate(edges):
        # "@alb" is the first load balancer; "@alb:edge-2" ... the others (render.observability).
        n = "" if i == 0 else str(i + 1)
        out += _5xx(env, t, f"AlbElb5xx{n}", f"load balancer{' ' + n if n else ''}", "HTTPCode_ELB_5XX_Count",
                    {"LoadBalancer": "@alb" if i == 0 else f"@alb:{edge.key}"}, "its own ")
    for name, db in env.databases.items():
        ident = db_ids[name]
        dims = {"DBClusterIdentifier": ident} if db.aurora else {"DBInstanceIdentifier": ident}
        key = "Db" + "".join(p.title() for p in name.split("-"))
        out.append(_alarm(env, "db_cpu_percent", f"{key}Cpu", f"database {name}: CPU above {t['db_cpu_percent']:g}%",
                          "AWS/RDS", "CPUUtilization", dims, "Average", t["db_cpu_percent"],
                          "GreaterThanThreshold", 3, 300))
        if builds(env, "db_connections"):  # and the replica lag and storage alarms: the same level (FULL_ONLY)
            limit, how = connections_threshold(env, db, t["db_connections"])
            out.append(_alarm(env, "db_connections", f"{key}Connections",
                              f"database {name}: more than {limit:g} connections"
                              + (f" ({how})" if isinstance(t["db_connections"], str) else ""), "AWS/RDS",
                              "DatabaseConnections", dims, "Maximum", limit, "GreaterThanThreshold", 3, 300))
            for i in range(0 if db.aurora else db.replicas):
                replica = f"{ident[:54]}-replica{i + 1}"  # render.data.replica_identifier
                out.append(_alarm(env, "db_replica_lag_seconds", f"{key}Replica{i + 1}Lag",
                                  f"database {name} replica {i + 1}: more than "
                                  f"{t['db_replica_lag_seconds']:g} s behind", "AWS/RDS", "ReplicaLag",
                                  {"DBInstanceIdentifier": replica}, "Maximum", t["db_replica_lag_seconds"],
                                  "GreaterThanThreshold", 3, 300))
            out += _storage_alarms(env, t, name, db, key, dims)
    for name, cache in env.caches.items():
        member = cache_member(cache_ids[name], cache.cluster_mode)
        dims = {"CacheClusterId": member}
        key = "Cache" + "".join(p.title() for p in name.split("-"))
        out.append(_alarm(env, "cache_cpu_percent", f"{key}Cpu",
                          f"cache {name}: engine CPU above {t['cache_cpu_percent']:g}%", "AWS/ElastiCache",
                          "EngineCPUUtilization", dims, "Average", t["cache_cpu_percent"],
                          "GreaterThanThreshold", 3, 300))
        if builds(env, "cache_evictions"):
            out.append(_alarm(env, "cache_evictions", f"{key}Evictions",
                              f"cache {name}: more than {t['cache_evictions']:g} evictions", "AWS/ElastiCache",
                              "Evictions", dims, "Sum", t["cache_evictions"], "GreaterThanThreshold", 3, 300))
    prefix = f"{env.app}-{env.env}"
    for k in registry().values():  # the kinds' own alarms, from data/kinds.yaml (a queue's dead letters, age ...)
        for name, item in env.blocks.get(k.block, {}).items():
            key = k.home.title() + "".join(p.title() for p in name.split("-"))
            for alarm in k.alarms:
                threshold = t[alarm["threshold"]] if isinstance(alarm["threshold"], str) else alarm["threshold"]
                dims = {alarm["dimension"]: item_name(k.name, prefix, name, item, *alarm.get("name_parts", ()))}
                found = AlarmPlan(key + alarm["key"], alarm["description"].format(name=name, threshold=threshold),
                                  alarm["namespace"], alarm["metric"], dims, alarm["statistic"], threshold,
                                  alarm["comparison"], alarm["periods"], alarm["period"])
                # a named threshold (alarms.thresholds) also has a severity (alarms.severity)
                out.append(replace(found, severity=severity(env, alarm["threshold"]))
                           if isinstance(alarm["threshold"], str) else found)
    return out


GIB = 1024 ** 3
AURORA_LIMIT_TIB = 128  # an Aurora cluster volume's largest size


def _storage_alarms(env: EnvSpec, t: dict[str, Any], name: str, db: ResolvedDatabase, key: str,
                    dims: dict[str, str]) -> list[AlarmPlan]:
    """An RDS database's storage alarms: storage used as a % of the allocated storage (metric math on
    ``FreeStorageSpace``, ``db_storage_percent``) and a free-GiB floor (``db_free_storage_gib``), each when set.
    Aurora has neither (``storage_alarm_decisions`` says why)."""
    if db.aurora:
        return []
    out = []
    if t.get("db_storage_percent") is not None:
        share = float(t["db_storage_percent"])
        out.append(replace(_alarm(
            env, "db_storage_percent", f"{key}StorageUsed",
            f"database {name}: more than {share:g}% of its {db.storage} GiB allocated storage used (less than "
            f"{db.storage * (100 - share) / 100:g} GiB free; autoscaling grows it up to {db.max_storage} GiB)",
            "AWS/RDS", "FreeStorageSpace", dims, "Minimum", share, "GreaterThanThreshold", 1, 300),
            expression=f"100-100*m1/{db.storage * GIB}", label=f"storage used, % of {db.storage} GiB allocated"))
    if t.get("db_free_storage_gib") is not None:
        out.append(_alarm(env, "db_free_storage_gib", f"{key}Storage",
                          f"database {name}: less than {t['db_free_storage_gib']:g} GiB free", "AWS/RDS",
                          "FreeStorageSpace", dims, "Minimum", t["db_free_storage_gib"] * GIB,
                          "LessThanThreshold", 1, 300))
    return out


def storage_alarm_decisions(env: EnvSpec) -> list[Decision]:
    """What each database's storage-used alarm is a share of, and why Aurora has none."""
    if not builds(env, "db_storage_percent") or thresholds(env).get("db_storage_percent") is None:
        return []
    share = float(thresholds(env)["db_storage_percent"])
    out = []
    for name, db in env.databases.items():
        topic = f"databases.{name}.storage_alarm"
        if db.aurora:
            out.append(Decision(topic, "none", f"Aurora's cluster volume grows by itself up to "
                                f"{AURORA_LIMIT_TIB} TiB and bills what is used: no disk fills before that "
                                "(VolumeBytesUsed against that limit would never fire in practice)"))
            continue
        floor = db.storage * (100 - share) / 100
        out.append(Decision(
            topic, f"above {share:g}% used of the {db.storage} GiB allocated (less than {floor:g} GiB free)",
            f"CloudWatch publishes free space, not the allocated size, so the share is of the size moorage "
            f"allocates, not of max_storage ({db.max_storage} GiB). Storage autoscaling adds space once less than "
            f"10% is free, at most every 6 hours, up to {db.max_storage} GiB: this alarm fires before its first "
            f"step, and after it has grown the volume the same {floor:g} GiB floor fires only when the disk fills "
            f"faster than autoscaling can act or has reached {db.max_storage} GiB"))
    return out


def health_check_alarms(env: EnvSpec, edges: list[EdgePlan]) -> list[AlarmPlan]:
    """An alarm per Route 53 health check; '@health:EDGE' is that edge stack's HealthCheckId."""
    if env.alarm_level == "none":
        return []
    return [_alarm(env, "health_check", f"HealthCheck{'' if i == 0 else i + 1}",
                   f"{e.domain}{e.health_path}: the Route 53 health check fails", "AWS/Route53", "HealthCheckStatus",
                   {"HealthCheckId": f"@health:{e.key}"}, "Minimum", 1, "LessThanThreshold", 2, 60, "breaching")
            for i, e in enumerate(edges) if e.health_path and e.domain]


def health_topics(env: EnvSpec, topics: list[TopicPlan], alarms: list[AlarmPlan]) -> list[TopicPlan]:
    """Topics in us-east-1 for the health-check alarms when the app runs elsewhere: an alarm notifies only a
    topic of its own region. Same destinations as the app's topic of that severity."""
    if env.region == "us-east-1" or not alarms:
        return []
    wanted = {a.severity for a in alarms}
    home = {t.severity: t for t in topics}
    out = []
    for sev in sorted(wanted):
        t = home.get(sev) or home["critical"]
        name = "HealthTopic" if sev == "critical" else "HealthWarningTopic"
        out.append(replace(t, severity=sev, resource=name, output=f"{name}Arn",
                           existing_arn=t.existing_arn if t.existing_arn and ":us-east-1:" in t.existing_arn
                           else None))
    return out
