"""The public entry: listener rules in priority order, HTTPS, WAF, access logs."""

from __future__ import annotations

from moorage.plan.model import EdgePlan, RouteRule
from moorage.resolve.environment import Decision, EnvSpec


def route_order(path: str) -> tuple[int, int, str]:
    """Sort key: exact paths first, then longer prefixes, catch-alls last."""
    wildcards = path.count("*") + path.count("?")
    return (1 if wildcards else 0, -len(path.rstrip("*")), path)


def edge_plan(env: EnvSpec, decisions: list[Decision]) -> EdgePlan | None:
    """The ALB plan, or None when no service is routed."""
    routed = sorted((s for s in env.services.values() if s.route), key=lambda s: route_order(s.route or ""))
    if not routed:
        decisions.append(Decision("edge", "none", "no service has a route: nothing is public"))
        return None
    routes = [RouteRule(s.name, s.route or "/*", 10 * (i + 1)) for i, s in enumerate(routed)]
    domain = env.domain
    https = domain is not None
    decisions.append(Decision(
        "edge.listeners", "HTTPS 443 + HTTP->HTTPS redirect" if https else "HTTP 80 only",
        f"domain {domain.name}" if domain else "no domain: no certificate can be issued (add `domain:`)"))
    for r in routes:
        decisions.append(Decision(f"edge.route.{r.service}", f"{r.path} priority {r.priority}",
                                  "more specific paths are matched first"))
    return EdgePlan(
        https=https, domain=domain.name if domain else None, zone_id=domain.zone_id if domain else None,
        certificate_arn=domain.certificate_arn if domain else None, routes=routes, waf=env.waf,
        access_logs=env.access_logs, deletion_protection=env.profile == "prod",
        health_path=domain.health if domain else None,
        cdn_static=tuple(env.cdn.static) if env.cdn else (), cdn_price_class=env.cdn.price_class if env.cdn else None,
    )
