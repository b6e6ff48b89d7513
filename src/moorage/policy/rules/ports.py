"""Ports across resources: what security groups open, what containers and load balancers listen on,
what target groups and health checks probe. References are followed across stacks by the index."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moorage.cfn.index import Resource
from moorage.cfn.values import as_int, as_list, dig
from moorage.policy.checks import Issue, Outcome, issue, params, rule
from moorage.policy.rules.common import containers, security_group_rules
from moorage.policy.rules.network import port_range

LOAD_BALANCERS = ("AWS::ElasticLoadBalancingV2::LoadBalancer",)
_SG_TYPES = ("AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress")


def container_ports(task: Resource) -> dict[str, set[int]]:
    """Container name -> the ports it maps (literal ContainerPort values)."""
    out: dict[str, set[int]] = {}
    for _, c, name in containers(task):
        ports = {as_int(task.resolve(dig(m, "ContainerPort"))) for m in as_list(c.get("PortMappings"))}
        out[name] = {p for p in ports if p is not None}
    return out


def service_groups(service: Resource) -> list[Any]:
    """The SecurityGroups expressions of an ECS service's awsvpc configuration."""
    return as_list(service.get("NetworkConfiguration", "AwsvpcConfiguration", "SecurityGroups"))


def listener_ports(lb: Resource) -> set[int]:
    """Ports the load balancer's listeners (in any stack of the set) listen on."""
    ports = set()
    for listener in lb.referrers("AWS::ElasticLoadBalancingV2::Listener"):
        target = listener.target(listener.get("LoadBalancerArn"))
        port = listener.number("Port")
        if target is not None and target.key == lb.key and port is not None:
            ports.add(port)
    return ports


def _uses(holder: Resource, expressions: list[Any], group: Resource) -> bool:
    return any((t := holder.target(e)) is not None and t.key == group.key for e in expressions)


def listening_ports(group: Resource) -> tuple[set[int], list[str]] | None:
    """Ports something behind ``group`` listens on, and who; None when a user of the group is not
    understood (an instance, a database...), so nothing can be said about unused ports."""
    ports: set[int] = set()
    users: list[str] = []
    for user in group.referrers():
        if user.type in _SG_TYPES:
            continue  # another group naming this one as a source, or a rule of this group
        if user.type == "AWS::ECS::Service" and _uses(user, service_groups(user), group):
            task = user.target(user.get("TaskDefinition"))
            if task is None:
                return None
            ports |= {p for mapped in container_ports(task).values() for p in mapped}
            users.append(f"service {user.id}")
        elif user.type in LOAD_BALANCERS and _uses(user, as_list(user.get("SecurityGroups")), group):
            ports |= listener_ports(user)
            users.append(f"load balancer {user.id}")
        else:
            return None
    return (ports, users) if users else None


def _shown(ports: set[int]) -> str:
    return ", ".join(map(str, sorted(ports))) or "nothing"


def _span(low: int, high: int) -> str:
    return "all ports" if (low, high) == (0, 65535) else (f"port {low}" if low == high else f"ports {low}-{high}")


@rule("MOO-NET-008")
def ingress_matches_listeners(r: Resource) -> Outcome:
    group = r if r.type == "AWS::EC2::SecurityGroup" else r.target(r.get("GroupId"))
    rules = [(path, span) for rule_, path in security_group_rules(r) if (span := port_range(r, rule_)) is not None]
    if not rules:
        return None
    known = listening_ports(group) if group is not None else None
    widest = int(params("MOO-NET-008")["max_width"])
    out: list[Issue] = []
    for path, (low, high) in rules:
        width = high - low + 1
        everything = (low, high) == (0, 65535)
        if known is None:
            if width > widest:
                out.append(issue(f"opens {_span(low, high)} ({width} ports)", *path,
                                 severity="high" if everything else "medium"))
            continue
        ports, users = known
        unused = width - len([p for p in ports if low <= p <= high])
        if unused <= 0:
            continue
        who = ", ".join(users)
        if width == 1:
            out.append(issue(f"opens port {low}, but {who} listen(s) on {_shown(ports)}", *path))
        else:
            out.append(issue(f"opens {_span(low, high)} ({width} ports), but {who} listen(s) on {_shown(ports)}",
                             *path, severity="high" if everything or not ports else "medium"))
    return out


def _admits(group: Resource, port: int) -> bool | None:
    """True when an ingress rule of ``group`` (inline or standalone, any stack) covers ``port``."""
    rules = list(security_group_rules(group))
    for other in group.referrers("AWS::EC2::SecurityGroupIngress"):
        target = other.target(other.get("GroupId"))
        if target is not None and target.key == group.key:
            rules += list(security_group_rules(other))
    for rule_, _ in rules:
        ports = port_range(group, rule_)
        if ports is None and rule_.get("IpProtocol") not in ("icmp", "icmpv6", "1", "58"):
            return None  # a port written as an expression: cannot tell
        if ports is not None and ports[0] <= port <= ports[1]:
            return True
    return False


@rule("MOO-ECS-014")
def load_balancer_ports_agree(r: Resource) -> Outcome:
    balancers = [(i, b) for i, b in enumerate(as_list(r.get("LoadBalancers"))) if isinstance(b, Mapping)]
    task = r.target(r.get("TaskDefinition"))
    if not balancers or task is None:
        return None
    mapped = container_ports(task)
    groups = [g for g in (r.target(e) for e in service_groups(r)) if g is not None]
    complete = len(groups) == len(service_groups(r)) and groups
    out: list[Issue] = []
    for i, b in balancers:
        name, port = r.resolve(b.get("ContainerName")), as_int(r.resolve(b.get("ContainerPort")))
        where = ("Properties", "LoadBalancers", i)
        if not isinstance(name, str) or port is None:
            continue
        if name in mapped and port not in mapped[name]:
            out.append(issue(f"routes to {name}:{port}, but {name} maps {_shown(mapped[name])}", *where))
        group = r.target(b.get("TargetGroupArn"))
        if group is not None:
            health = group.value("HealthCheckPort")
            probe = as_int(health)
            if probe is not None and probe != port and probe not in mapped.get(name, set()):
                out.append(issue(f"target group {group.id} health-checks port {probe}; {name} listens on "
                                 f"{_shown(mapped.get(name, set()))}", *where))
        if complete:
            admitted = [_admits(g, port) for g in groups]
            if None not in admitted and not any(admitted):
                out.append(issue(f"no security group of the service admits port {port}: the load balancer "
                                 f"cannot reach {name} (groups {', '.join(g.id for g in groups)})", *where))
    return out


def _balancer_of(check: Resource, fqdn: Any) -> Resource | None:
    """The load balancer a Route 53 health check probes: by reference, or through an alias record."""
    target = check.target(fqdn)
    if target is not None:
        return target if target.type in LOAD_BALANCERS else None
    name = check.resolve(fqdn)
    if not isinstance(name, str):
        return None
    wanted = name.rstrip(".").lower()
    for record in check.others("AWS::Route53::RecordSet"):
        if str(record.value("Name")).rstrip(".").lower() == wanted:
            lb = record.target(record.get("AliasTarget", "DNSName"))
            if lb is not None and lb.type in LOAD_BALANCERS:
                return lb
    return None


@rule("MOO-ELB-007")
def health_check_port_listened(r: Resource) -> Outcome:
    config = r.get("HealthCheckConfig")
    if not isinstance(config, Mapping):
        return None
    lb = _balancer_of(r, config.get("FullyQualifiedDomainName"))
    if lb is None:
        return None
    kind = str(r.value("HealthCheckConfig", "Type"))
    port = r.number("HealthCheckConfig", "Port") or (443 if kind.startswith("HTTPS") else 80)
    listening = listener_ports(lb)
    if not listening or port in listening:
        return []
    return [issue(f"probes port {port}; load balancer {lb.id} listens on {_shown(listening)}",
                  "Properties", "HealthCheckConfig")]
