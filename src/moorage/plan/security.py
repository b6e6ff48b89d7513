"""Security groups derived from the wiring: each rule exists because a route or a `uses` needs it."""

from __future__ import annotations

from moorage import kinds
from moorage.data import load_data
from moorage.errors import Diagnostic, InputError
from moorage.plan.model import EdgePlan, Rule, SecurityGroup
from moorage.resolve.environment import EnvSpec

ANYWHERE = "0.0.0.0/0"
# Security-group key prefixes that are not a kind's own group (kinds.yaml `security_group`): the spec block to blame.
_SECTIONS = {"svc": "services", "proxy": "databases", "efs": "services"}


def service_sg(name: str) -> str:
    """Security group key of a service."""
    return f"svc-{name}"


def database_sg(name: str) -> str:
    """Security group key of a database."""
    return f"{kinds.kind('database').security_group}-{name}"


def proxy_sg(name: str) -> str:
    """Security group key of a database's RDS Proxy."""
    return f"proxy-{name}"


def cache_sg(name: str) -> str:
    """Security group key of a cache."""
    return f"{kinds.kind('cache').security_group}-{name}"


def volume_sg(service: str) -> str:
    """Security group key of a service's EFS mount targets."""
    return f"efs-{service}"


def security_groups(env: EnvSpec, edges: list[EdgePlan] | None = None) -> dict[str, SecurityGroup]:
    """Least-privilege groups: internet -> ALB 80/443; ALB -> routed ports; users -> what they use."""
    groups: dict[str, SecurityGroup] = {}
    routed = [s for s in env.services.values() if s.route]
    alb_of = {r.service: e.security_group for e in edges or [] for r in e.routes}
    http_closed = {e.security_group for e in edges or [] if not e.http_listener}
    for key in sorted({alb_of.get(s.name, "alb") for s in routed}):
        number = "" if key == "alb" else " " + key.rsplit("-", 1)[-1]
        alb = SecurityGroup(key, f"{env.app} {env.env} load balancer{number}: HTTP/HTTPS from the internet")
        if env.domain is not None:  # an HTTPS listener exists only with a domain (and its certificate)
            alb.ingress.append(Rule(443, ANYWHERE, "HTTPS from the internet"))
        if key not in http_closed:
            alb.ingress.append(Rule(80, ANYWHERE, "HTTP from the internet (redirected or served)"))
        groups[key] = alb
    for svc in env.services.values():
        sg = SecurityGroup(service_sg(svc.name), f"{env.app} {env.env} service {svc.name}")
        # Outbound HTTPS: image pulls, AWS APIs (Secrets Manager, logs) and external APIs via NAT.
        sg.egress.append(Rule(443, ANYWHERE, "HTTPS to AWS APIs, registries and external services"))
        groups[sg.key] = sg
    for svc in routed:
        assert svc.port is not None
        alb_key = alb_of.get(svc.name, "alb")
        groups[alb_key].egress.append(Rule(svc.port, service_sg(svc.name), f"to {svc.name} on its port"))
        groups[service_sg(svc.name)].ingress.append(Rule(svc.port, alb_key,
                                                         f"from the load balancer to {svc.name}"))
    for name, db in env.databases.items():
        groups[database_sg(name)] = SecurityGroup(database_sg(name), f"{env.app} {env.env} database {name}")
        if db.proxy:
            # Services reach the proxy; only the proxy reaches the database.
            proxy = SecurityGroup(proxy_sg(name), f"{env.app} {env.env} RDS Proxy of {name}")
            proxy.egress.append(Rule(db.port, database_sg(name), f"to database {name}"))
            groups[database_sg(name)].ingress.append(Rule(db.port, proxy_sg(name), f"from the RDS Proxy of {name}"))
            groups[proxy.key] = proxy
    for name in env.caches:
        groups[cache_sg(name)] = SecurityGroup(cache_sg(name), f"{env.app} {env.env} cache {name}")
    for svc in env.services.values():
        if any(v.persistent for v in svc.volumes):
            key = volume_sg(svc.name)
            groups[key] = SecurityGroup(key, f"{env.app} {env.env} EFS for {svc.name}")
            groups[key].ingress.append(Rule(2049, service_sg(svc.name), f"NFS from {svc.name}"))
            groups[service_sg(svc.name)].egress.append(Rule(2049, key, "NFS to its EFS volume"))
        for used in svc.uses:
            src = service_sg(svc.name)
            kind = kinds.kind_of(env, used)
            ports: list[int]
            if kind == "service" and env.services[used].port:
                other = env.services[used]
                ports, dst = [other.port, *other.extra_ports], service_sg(used)  # type: ignore[list-item]
            elif kind and kind != "service" and kinds.kind(kind).port:
                registered = kinds.kind(kind)
                item = getattr(env, registered.block)[used]
                ports = [item.port]
                # A database behind an RDS Proxy is reached through the proxy's group.
                dst = proxy_sg(used) if kind == "database" and item.proxy else f"{registered.security_group}-{used}"
            else:
                continue  # buckets, queues and user pools are reached through AWS APIs, not a group
            for port in ports:
                groups[dst].ingress.append(Rule(port, src, f"from {svc.name}, which uses {used}"))
                groups[src].egress.append(Rule(port, dst, f"to {used}"))
    quota = load_data("cloudformation")["limits"]["sg_rules_default"]
    for sg in groups.values():
        if sg.key.startswith("alb") and rule_count(sg, "out") > quota:
            # One rule per service would pass the quota: one per port to the VPC instead. Each service's own
            # group still admits only this load balancer, so nothing else becomes reachable.
            sg.egress = [Rule(port, env.cidr, f"to the routed services on port {port}")
                         for port in sorted({r.port for r in sg.egress})]
        sg.ingress.sort(key=lambda r: (r.port, r.peer))
        sg.egress.sort(key=lambda r: (r.port, r.peer))
    return dict(sorted(groups.items()))


def rule_count(sg: SecurityGroup, direction: str) -> int:
    """Rules AWS counts on ``sg`` in one direction: a group with no CIDR egress carries one placeholder egress
    rule (render.network: CloudFormation would otherwise allow all outbound traffic)."""
    if direction == "in":
        return len(sg.ingress)
    return len(sg.egress) + (0 if any(r.peer_is_cidr for r in sg.egress) else 1)


def check_rule_counts(env: EnvSpec, groups: dict[str, SecurityGroup]) -> list[Diagnostic]:
    """Warnings past the default rules-per-group quota; raises a located error past the most it can be raised to."""
    limits = load_data("cloudformation")["limits"]
    warnings, errors = [], []
    for sg in groups.values():
        for direction, count in (("inbound", rule_count(sg, "in")), ("outbound", rule_count(sg, "out"))):
            if count <= limits["sg_rules_default"]:
                continue
            kind, _, name = sg.key.partition("-")
            section = _SECTIONS.get(kind) or next(
                (k.block for k in kinds.registry().values() if k.security_group == kind), None)
            where = env.locate((section, name)) if section else None
            what = f"security group {sg.key} needs {count} {direction} rules"
            if count > limits["sg_rules_max"]:
                errors.append(Diagnostic(
                    "error", f"{what}; a security group takes at most {limits['sg_rules_max']} a direction "
                    f"(rules x {limits['security_groups_per_eni']} groups per network interface <= 1,000)", where,
                    f"let fewer services use {name} directly (put one service in front of it), or split the app"))
            else:
                warnings.append(Diagnostic(
                    "warning", f"{what}; AWS allows {limits['sg_rules_default']} a direction unless the quota "
                    "'Inbound or outbound rules per security group' is raised", where,
                    f"ask AWS for up to {limits['sg_rules_max']} rules per group before deploying, or let fewer "
                    f"services use {name}"))
    if errors:
        raise InputError(errors)
    return warnings
