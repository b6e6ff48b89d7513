"""Security groups, subnets and VPC flow logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN, as_int
from moorage.policy.checks import Issue, Outcome, issue, params, rule
from moorage.policy.cidrs import broad_public
from moorage.policy.rules.common import internet_facing, security_group_rules

LOAD_BALANCERS = ("AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancing::LoadBalancer")


def _open_to_world(r: Resource, rule_: Mapping[str, Any]) -> str | None:
    """The rule's CIDR when it opens to the internet or a large public range (any spelling), else None."""
    for key in ("CidrIp", "CidrIpv6"):
        value = r.resolve(rule_.get(key))
        if broad_public(value):
            return str(value).strip()
    return None


def port_range(r: Resource, rule_: Mapping[str, Any]) -> tuple[int, int] | None:
    """Ports a rule opens ((0, 65535) for all traffic); None for ICMP or when unknown."""
    protocol = str(r.resolve(rule_.get("IpProtocol"))).lower()
    if protocol in ("-1", "all"):
        return (0, 65535)
    if protocol in ("icmp", "icmpv6", "1", "58"):
        return None
    low, high = as_int(r.resolve(rule_.get("FromPort"))), as_int(r.resolve(rule_.get("ToPort")))
    if low is None or high is None:
        return None
    if low == -1 or high == -1:
        return (0, 65535)
    return (low, high)


def _world_rules(r: Resource) -> list[tuple[tuple[int, int], str, tuple[str | int, ...]]]:
    out = []
    for rule_, path in security_group_rules(r):
        cidr = _open_to_world(r, rule_)
        ports = port_range(r, rule_) if cidr else None
        if cidr and ports:
            out.append((ports, cidr, path))
    return out


def _ports(ports: tuple[int, int]) -> str:
    return "all ports" if ports == (0, 65535) else (f"port {ports[0]}" if ports[0] == ports[1]
                                                     else f"ports {ports[0]}-{ports[1]}")


@rule("MOO-NET-001")
def no_risky_ports(r: Resource) -> Outcome:
    risky = [int(p) for p in params("MOO-NET-001")["ports"]]
    out = []
    for (low, high), cidr, path in _world_rules(r):
        hit = [p for p in risky if low <= p <= high]
        if hit:
            shown = ", ".join(map(str, hit[:6])) + (", ..." if len(hit) > 6 else "")
            out.append(issue(f"{_ports((low, high))} open to {cidr}, including {shown}", *path))
    return out


@rule("MOO-NET-002")
def only_web_ports(r: Resource) -> Outcome:
    allowed = {int(p) for p in params("MOO-NET-002")["open_ports"]}
    risky = {int(p) for p in params("MOO-NET-001")["ports"]}
    out = []
    for (low, high), cidr, path in _world_rules(r):
        others = high - low + 1 - len([p for p in allowed | risky if low <= p <= high])
        if others > 0:
            out.append(issue(f"{_ports((low, high))} open to {cidr}", *path))
    return out


def _group_of(r: Resource) -> Resource | None:
    return r if r.type == "AWS::EC2::SecurityGroup" else r.target(r.get("GroupId"))


@rule("MOO-NET-003")
def web_ports_only_on_load_balancers(r: Resource) -> Outcome:
    allowed = {int(p) for p in params("MOO-NET-002")["open_ports"]}
    web = [(ports, cidr, path) for ports, cidr, path in _world_rules(r)
           if all(p in allowed for p in range(ports[0], ports[1] + 1))]
    if not web:
        return None
    group = _group_of(r)
    if group is None:
        return []  # the group is defined elsewhere: cannot tell what uses it
    for lb in group.referrers(*LOAD_BALANCERS):
        if internet_facing(lb) is not False:
            return []
    return [issue(f"{_ports(ports)} open to {cidr}, but no internet-facing load balancer uses the group", *path)
            for ports, cidr, path in web]


@rule("MOO-NET-004")
def described(r: Resource) -> Outcome:
    out: list[Issue] = []
    if r.type == "AWS::EC2::SecurityGroup":
        desc = r.value("GroupDescription")
        if desc is not UNKNOWN and not (isinstance(desc, str) and desc.strip()):
            out.append(issue("no GroupDescription", "Properties"))
        for direction in ("Ingress", "Egress"):
            for rule_, path in security_group_rules(r, direction):
                if not rule_.get("Description"):
                    out.append(issue(f"an {direction.lower()} rule has no Description", *path))
        return out
    direction = "Ingress" if r.type.endswith("Ingress") else "Egress"
    return [] if r.get("Description") else [issue(f"{direction.lower()} rule has no Description", "Properties")]


@rule("MOO-NET-005")
def flow_logs(r: Resource) -> Outcome:
    for log in r.referrers("AWS::EC2::FlowLog"):
        target = log.target(log.get("ResourceId"))
        if target is not None and target.key == r.key:
            return []
    return [issue("no flow log records this VPC's traffic")]


@rule("MOO-NET-006")
def no_public_ips_on_launch(r: Resource) -> Outcome:
    return [issue("MapPublicIpOnLaunch is true", "Properties", "MapPublicIpOnLaunch")] \
        if r.flag("MapPublicIpOnLaunch") else []


@rule("MOO-NET-007")
def limited_egress(r: Resource) -> Outcome:
    if r.get("SecurityGroupEgress") is None:
        return [issue("no SecurityGroupEgress: the default rule allows all outbound traffic", "Properties")]
    out = []
    for rule_, path in security_group_rules(r, "Egress"):
        if _open_to_world(r, rule_) and port_range(r, rule_) == (0, 65535):
            out.append(issue("allows all outbound traffic to anywhere", *path))
    return out
