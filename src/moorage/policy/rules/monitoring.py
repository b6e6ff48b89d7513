"""CloudWatch alarms for services, databases and caches; SNS topics they notify."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN, as_list, dig
from moorage.policy.checks import Outcome, issue, rule
from moorage.policy.rules.common import actions, allows, matches_any, statements

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


_SUBSCRIBERS = ("AWS::SNS::Subscription", "AWS::Chatbot::SlackChannelConfiguration",
                "AWS::Chatbot::MicrosoftTeamsChannelConfiguration")


@rule("MOO-MON-005")
def topic_encrypted(r: Resource) -> Outcome:
    if r.get("KmsMasterKeyId") is not None:
        return []
    if r.get("Subscription") is None and not r.referrers(*_SUBSCRIBERS):
        return []  # nobody subscribed in the set: SNS keeps no message, there is nothing at rest to encrypt
    return [issue("messages are not encrypted at rest (no KmsMasterKeyId)", "Properties")]


_AWS_MANAGED_SNS_KEY = "alias/aws/sns"
_PUBLISHERS = {"AWS::CloudWatch::Alarm": "cloudwatch.amazonaws.com", "AWS::Events::Rule": "events.amazonaws.com"}


def _service_may_use(key: Resource, service: str) -> bool | None:
    """True when the key policy lets ``service`` decrypt and generate data keys; ``None`` when not knowable."""
    policy = key.get("KeyPolicy")  # as written: principals and actions are literal even when ARNs are not
    if not isinstance(policy, dict):
        return None
    needed = {"kms:decrypt", "kms:generatedatakey"}
    granted: set[str] = set()
    for _, st in statements(policy):
        principal = st.get("Principal")
        services = as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if allows(st) and (principal == "*" or service in services):
            granted |= {n for n in needed if any(matches_any(n, [a.lower()]) for a in actions(st))}
    return needed <= granted


def _actions_of(r: Resource) -> Iterator[tuple[str, int, Any]]:
    """(property, index, value) of every action of an alarm or target of a rule."""
    if r.type == "AWS::Events::Rule":
        for i, t in enumerate(as_list(r.get("Targets"))):
            yield "Targets", i, dig(t, "Arn")
        return
    for prop in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        for i, action in enumerate(as_list(r.get(prop))):
            yield prop, i, action


@rule("MOO-MON-006")
def topic_key_usable(r: Resource) -> Outcome:
    service = _PUBLISHERS[r.type]
    out = []
    for prop, i, action in _actions_of(r):
        topic = r.target(action)
        if topic is None or topic.type != "AWS::SNS::Topic":
            continue
        key_id = topic.get("KmsMasterKeyId")
        literal = topic.resolve(key_id)
        if isinstance(literal, str) and literal.split(":")[-1] == _AWS_MANAGED_SNS_KEY:
            out.append(issue(f"{prop} notifies topic {topic.id}, encrypted with {_AWS_MANAGED_SNS_KEY}: "
                             f"{service} cannot use that key, so nothing is delivered", "Properties", prop, i))
            continue
        key = topic.target(key_id) if key_id is not None else None
        if key is not None and key.type == "AWS::KMS::Key" and _service_may_use(key, service) is False:
            out.append(issue(f"{prop} notifies topic {topic.id}, whose key {key.id} does not let "
                             f"{service} use kms:Decrypt and kms:GenerateDataKey*: nothing is delivered",
                             "Properties", prop, i))
    return out
