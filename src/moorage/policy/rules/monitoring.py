"""CloudWatch alarms for services, databases and caches; SNS topics they notify."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN, as_list, dig
from moorage.policy.checks import Outcome, issue, rule

ALARM = "AWS::CloudWatch::Alarm"


def dimensions(alarm: Resource) -> Iterator[tuple[str, Any]]:
    """(name, literal value) of every dimension of an alarm, metric-math metrics included."""
    blocks = [alarm.get("Dimensions")]
    blocks += [dig(m, "MetricStat", "Metric", "Dimensions") for m in as_list(alarm.get("Metrics"))]
    for block in blocks:
        for d in as_list(block):
            name = dig(d, "Name")
            if isinstance(name, str):
                yield name, alarm.resolve(dig(d, "Value"))


def _alarmed(r: Resource, names: tuple[str, ...], matches: Any) -> bool:
    """True when an alarm of the set refers to ``r`` or has a dimension ``names`` matching ``matches``."""
    if r.referrers(ALARM):
        return True
    return any(n in names and v is not UNKNOWN and matches(str(v))
               for alarm in r.others(ALARM) for n, v in dimensions(alarm))


@rule("MOO-MON-001")
def service_alarms(r: Resource) -> Outcome:
    if not as_list(r.get("LoadBalancers")):
        return None
    groups = [g for lb in as_list(r.get("LoadBalancers")) if (g := r.target(dig(lb, "TargetGroupArn")))]
    if any(g.referrers(ALARM) for g in groups):
        return []
    name = r.value("ServiceName")
    if isinstance(name, str) and _alarmed(r, ("ServiceName",), lambda v: v == name):
        return []
    return [issue("no CloudWatch alarm watches this routed service or its target group")]


@rule("MOO-MON-002")
def database_alarms(r: Resource) -> Outcome:
    if r.type == "AWS::RDS::DBInstance" and (r.get("DBClusterIdentifier") is not None
                                             or r.get("SourceDBInstanceIdentifier") is not None):
        return None
    prop, dim = (("DBClusterIdentifier", "DBClusterIdentifier") if r.type == "AWS::RDS::DBCluster"
                 else ("DBInstanceIdentifier", "DBInstanceIdentifier"))
    ident = r.value(prop)
    if _alarmed(r, (dim,), lambda v: isinstance(ident, str) and v.lower() == ident.lower()):
        return []
    return [issue("no CloudWatch alarm watches this database")]


@rule("MOO-MON-003")
def cache_alarms(r: Resource) -> Outcome:
    ident = r.value("ReplicationGroupId")

    def ours(value: str) -> bool:
        return isinstance(ident, str) and (value == ident or value.startswith(f"{ident}-"))

    if _alarmed(r, ("ReplicationGroupId", "CacheClusterId"), ours):
        return []
    return [issue("no CloudWatch alarm watches this cache")]


@rule("MOO-MON-004")
def alarm_actions(r: Resource) -> Outcome:
    if r.flag("ActionsEnabled") is False:
        return [issue("ActionsEnabled is false", "Properties", "ActionsEnabled")]
    actions = r.get("AlarmActions")
    if actions is None or (isinstance(actions, list) and not actions):
        return [issue("no AlarmActions: nobody is notified", "Properties")]
    return []


@rule("MOO-MON-005")
def topic_encrypted(r: Resource) -> Outcome:
    if r.get("KmsMasterKeyId") is not None:
        return []
    return [issue("messages are not encrypted at rest (no KmsMasterKeyId)", "Properties")]
