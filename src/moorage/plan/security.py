"""Security groups derived from the wiring: each rule exists because a route or a `uses` needs it."""

from __future__ import annotations

from moorage.plan.model import Rule, SecurityGroup
from moorage.resolve.environment import EnvSpec

ANYWHERE = "0.0.0.0/0"


def service_sg(name: str) -> str:
    """Security group key of a service."""
    return f"svc-{name}"


def database_sg(name: str) -> str:
    """Security group key of a database."""
    return f"db-{name}"


def proxy_sg(name: str) -> str:
    """Security group key of a database's RDS Proxy."""
    return f"proxy-{name}"


def cache_sg(name: str) -> str:
    """Security group key of a cache."""
    return f"cache-{name}"


def volume_sg(service: str) -> str:
    """Security group key of a service's EFS mount targets."""
    return f"efs-{service}"


def security_groups(env: EnvSpec) -> dict[str, SecurityGroup]:
    """Least-privilege groups: internet -> ALB 80/443; ALB -> routed ports; users -> what they use."""
    groups: dict[str, SecurityGroup] = {}
    routed = [s for s in env.services.values() if s.route]
    if routed:
        alb = SecurityGroup("alb", f"{env.app} {env.env} load balancer: HTTP/HTTPS from the internet")
        if env.domain is not None:  # an HTTPS listener exists only with a domain (and its certificate)
            alb.ingress.append(Rule(443, ANYWHERE, "HTTPS from the internet"))
        alb.ingress.append(Rule(80, ANYWHERE, "HTTP from the internet (redirected or served)"))
        groups["alb"] = alb
    for svc in env.services.values():
        sg = SecurityGroup(service_sg(svc.name), f"{env.app} {env.env} service {svc.name}")
        # Outbound HTTPS: image pulls, AWS APIs (Secrets Manager, logs) and external APIs via NAT.
        sg.egress.append(Rule(443, ANYWHERE, "HTTPS to AWS APIs, registries and external services"))
        groups[sg.key] = sg
    for svc in routed:
        assert svc.port is not None
        groups["alb"].egress.append(Rule(svc.port, service_sg(svc.name), f"to {svc.name} on its port"))
        groups[service_sg(svc.name)].ingress.append(Rule(svc.port, "alb", f"from the load balancer to {svc.name}"))
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
            if used in env.databases:
                db = env.databases[used]
                port, dst = db.port, proxy_sg(used) if db.proxy else database_sg(used)
            elif used in env.caches:
                port, dst = env.caches[used].port, cache_sg(used)
            elif used in env.services and env.services[used].port:
                port, dst = env.services[used].port, service_sg(used)  # type: ignore[assignment]
            else:
                continue  # buckets are reached through the S3 endpoint, not a group
            groups[dst].ingress.append(Rule(port, src, f"from {svc.name}, which uses {used}"))
            groups[src].egress.append(Rule(port, dst, f"to {used}"))
    for sg in groups.values():
        sg.ingress.sort(key=lambda r: (r.port, r.peer))
        sg.egress.sort(key=lambda r: (r.port, r.peer))
    return dict(sorted(groups.items()))
