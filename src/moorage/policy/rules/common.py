"""Helpers several rule modules share: policy statements, load balancer attributes, database roles."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN, as_list, is_intrinsic
from moorage.policy.checks import facts
from moorage.policy.cidrs import broad_public, network_of

Path = tuple[str | int, ...]


def statements(document: Any) -> list[tuple[int, Mapping[str, Any]]]:
    """(index, statement) of a policy document's Statement (a single statement or a list)."""
    if not isinstance(document, Mapping):
        return []
    raw = document.get("Statement")
    items = raw if isinstance(raw, list) else [raw]
    return [(i, s) for i, s in enumerate(items) if isinstance(s, Mapping)]


def allows(statement: Mapping[str, Any]) -> bool:
    """True for an Allow statement."""
    return str(statement.get("Effect", "")).lower() == "allow"


def actions(statement: Mapping[str, Any], key: str = "Action") -> list[str]:
    """Literal actions of a statement, as written."""
    return [a for a in as_list(statement.get(key)) if isinstance(a, str)]


def wildcard_resource(statement: Mapping[str, Any]) -> bool:
    """True when Resource includes "*"."""
    return "*" in [r for r in as_list(statement.get("Resource")) if isinstance(r, str)]


def public_principal(statement: Mapping[str, Any]) -> bool:
    """True when the statement's Principal is everyone ("*" or {"AWS": "*"})."""
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return "*" in [p for p in as_list(principal.get("AWS")) if isinstance(p, str)]
    return False


def restricted(statement: Mapping[str, Any]) -> bool:
    """True when a condition pins who may use the grant (source account, ARN, organisation, VPC...).

    Only a concrete value pins: a condition whose values are all wildcards (``"*"``, ``arn:aws:*``), empty,
    or networks that cover the internet (``aws:SourceIp 0.0.0.0/0``) lets everyone through, and so does an
    ``...IfExists`` or negated operator (a request without the key, or with any other value, passes).
    """
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    keys = set(facts()["restricting_condition_keys"])
    for operator, block in condition.items():
        if not isinstance(block, Mapping) or not _pinning_operator(str(operator)):
            continue
        if any(str(k).lower() in keys and _pins(str(k).lower(), v) for k, v in block.items()):
            return True
    return False


def _pinning_operator(operator: str) -> bool:
    """False for operators a request passes without the key or with another value (IfExists, Not..., Null)."""
    name = operator.split(":")[-1].lower()
    return not (name.endswith("ifexists") or "not" in name or name == "null")


def _pins(key: str, value: Any) -> bool:
    """True when a condition value names something concrete (an intrinsic counts: it is one value)."""
    values = value if isinstance(value, list) else [value]
    if not values:
        return False
    for v in values:
        if is_intrinsic(v):
            continue
        text = str(v).strip()
        if key == "aws:sourceip" and (broad_public(text) or network_of(text) is None and "*" in text):
            return False
        if not re.sub(r"[*?:/]|\barn\b|\baws\b", "", text.lower()).strip():
            return False
    return True


def public_grants(document: Any) -> list[str]:
    """Descriptions of Allow statements that grant to everyone without a restricting condition."""
    out = []
    for i, st in statements(document):
        if allows(st) and public_principal(st) and not restricted(st):
            out.append(f"statement {st.get('Sid') or i + 1} allows {', '.join(actions(st)) or 'actions'} to everyone")
    return out


def matches_any(action: str, patterns: list[str]) -> bool:
    """True when ``action`` (any case) matches one of the lower-case fnmatch ``patterns``."""
    return any(fnmatchcase(action.lower(), p) for p in patterns)


def lb_attributes(lb: Resource) -> dict[str, Any]:
    """Load balancer attributes: key -> value as written (resolve one with ``lb.resolve``)."""
    out: dict[str, Any] = {}
    for attr in as_list(lb.get("LoadBalancerAttributes")):
        if isinstance(attr, Mapping) and isinstance(attr.get("Key"), str):
            out[attr["Key"]] = attr.get("Value")
    return out


def attribute_on(lb: Resource, key: str) -> bool | None:
    """True/False for a boolean attribute, ``None`` when built at deploy time."""
    value = lb.resolve(lb_attributes(lb).get(key, "false"))
    if value is UNKNOWN:
        return None
    return str(value).lower() == "true"


def internet_facing(lb: Resource) -> bool | None:
    """True for an internet-facing load balancer (the default scheme), None when unknown."""
    scheme = lb.value("Scheme")
    if scheme is UNKNOWN:
        return None
    return scheme in (None, "internet-facing")


def application_lb(lb: Resource) -> bool:
    """True for an Application Load Balancer (ELBv2's default type)."""
    return lb.value("Type") in (None, "application")


def cluster_member(db: Resource) -> bool:
    """True for an Aurora instance: its cluster holds storage, backups and protection."""
    return db.type == "AWS::RDS::DBInstance" and db.get("DBClusterIdentifier") is not None


def read_replica(db: Resource) -> bool:
    """True for a read replica: it inherits encryption and needs no backups of its own."""
    return db.type == "AWS::RDS::DBInstance" and (
        db.get("SourceDBInstanceIdentifier") is not None or db.get("SourceDBClusterIdentifier") is not None)


def primary_database(db: Resource) -> bool:
    """True for a DB cluster or a standalone (not clustered, not replica) DB instance."""
    return db.type == "AWS::RDS::DBCluster" or not (cluster_member(db) or read_replica(db))


def containers(task: Resource) -> list[tuple[int, Mapping[str, Any], str]]:
    """(index, definition, name) of each container of a task definition."""
    out = []
    for i, c in enumerate(as_list(task.get("ContainerDefinitions"))):
        if isinstance(c, Mapping):
            out.append((i, c, str(c.get("Name") if isinstance(c.get("Name"), str) else f"container {i + 1}")))
    return out


def container_path(i: int, *rest: str | int) -> Path:
    """Path of a container's field under the resource."""
    return ("Properties", "ContainerDefinitions", i, *rest)


def default_deletion_policy(res: Resource) -> str:
    """CloudFormation's DeletionPolicy when none is written: Snapshot for RDS clusters and standalone instances."""
    if res.type == "AWS::RDS::DBCluster" or (res.type == "AWS::RDS::DBInstance" and not cluster_member(res)):
        return "Snapshot"
    return "Delete"


def retains(res: Resource, *kinds: str) -> list[str]:
    """Which of DeletionPolicy / UpdateReplacePolicy do not keep the data (Retain or ``kinds``)."""
    keep = {"Retain", "RetainExceptOnCreate", *kinds}
    problems = []
    deletion = res.deletion_policy
    if deletion is not UNKNOWN and (deletion or default_deletion_policy(res)) not in keep:
        problems.append(f"DeletionPolicy is {deletion or default_deletion_policy(res) + ' (the default)'}")
    replace = res.update_replace_policy
    if replace is not UNKNOWN and (replace or "Delete") not in keep:
        problems.append(f"UpdateReplacePolicy is {replace or 'Delete (the default)'}")
    return problems


def security_group_rules(res: Resource, direction: str = "Ingress") -> Iterator[tuple[Mapping[str, Any], Path]]:
    """Inline rules of a security group, or the standalone rule resource itself."""
    if res.type == "AWS::EC2::SecurityGroup":
        for i, rule in enumerate(as_list(res.get(f"SecurityGroup{direction}"))):
            if isinstance(rule, Mapping) and not is_intrinsic(rule):
                yield rule, ("Properties", f"SecurityGroup{direction}", i)
    elif res.type == f"AWS::EC2::SecurityGroup{direction}":
        yield res.props, ("Properties",)
