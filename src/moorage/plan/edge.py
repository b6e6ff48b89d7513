"""The public entry: listener rules in priority order, HTTPS, WAF, access logs."""

from __future__ import annotations

from dataclasses import replace

from moorage.data import load_data
from moorage.errors import Diagnostic, InputError
from moorage.plan.model import EdgePlan, RouteRule
from moorage.resolve.environment import Decision, EnvSpec, ResolvedService


def route_order(path: str) -> tuple[int, int, str]:
    """Sort key: exact paths first, then longer prefixes, catch-alls last."""
    wildcards = path.count("*") + path.count("?")
    return (1 if wildcards else 0, -len(path.rstrip("*")), path)


def edge_key(index: int) -> str:
    """Stack key of load balancer ``index`` (0-based): ``edge``, ``edge-2``, ``edge-3`` ..."""
    return "edge" if index == 0 else f"edge-{index + 1}"


def priority_base(env: EnvSpec) -> int:
    """Where this environment's listener priorities start: past the block kept for preview environments
    when the spec has `previews:` (a preview's rules must come before the base's on the shared listener)."""
    return int(load_data("releases")["previews"]["reserved_priorities"]) if env.previews else 0


def _catch_all(path: str) -> bool:
    return path.rstrip("*").rstrip("/") == ""


def load_balancer_routes(routed: list[ResolvedService]) -> list[list[ResolvedService]]:
    """Routed services split into load balancers of at most 100 listener rules each.

    The first load balancer keeps the app's address, so catch-all routes (``/*``) stay on it; the other
    routes fill load balancers in matching order (exact paths, then longer prefixes)."""
    per_lb = load_data("cloudformation")["limits"]["listener_rules"]
    ordered = sorted(routed, key=lambda s: route_order(s.route or ""))
    if len(ordered) <= per_lb:
        return [ordered]
    catch_all = [s for s in ordered if _catch_all(s.route or "")]
    rest = [s for s in ordered if not _catch_all(s.route or "")]
    first = rest[:per_lb - len(catch_all)] + catch_all
    rest = rest[per_lb - len(catch_all):]
    return [first] + [rest[i:i + per_lb] for i in range(0, len(rest), per_lb)]


def edge_plans(env: EnvSpec, decisions: list[Decision]) -> list[EdgePlan]:
    """One ALB plan per 100 routes (none when no service is routed); the first keeps the app's domain."""
    primary = edge_plan(env, decisions)
    if primary is None:
        return []
    chunks = load_balancer_routes([s for s in env.services.values() if s.route])
    if len(chunks) == 1:
        return [primary]
    limits = load_data("cloudformation")["limits"]
    if len(chunks) > limits["load_balancers"]:
        raise InputError([Diagnostic(
            "error", f"{sum(map(len, chunks))} routed services need {len(chunks)} load balancers of "
            f"{limits['listener_rules']} rules; a region allows {limits['load_balancers']}",
            env.locate(("services",)), "route fewer services (workers need no route), or split the app")])
    edges = []
    for i, chunk in enumerate(chunks):
        key = edge_key(i)
        routes = [RouteRule(s.name, s.route or "/*", priority_base(env) + 10 * (j + 1), key)
                  for j, s in enumerate(sorted(chunk, key=lambda s: route_order(s.route or "")))]
        domain = primary.domain if i == 0 or not primary.domain else f"lb{i + 1}.{primary.domain}"
        edges.append(replace(
            primary, key=key, security_group="alb" if i == 0 else f"alb-{i + 1}", routes=routes, domain=domain,
            health_path=primary.health_path if i == 0 else None, cdn_static=primary.cdn_static if i == 0 else (),
            cdn_price_class=primary.cdn_price_class if i == 0 else None,
            preview_hosts=primary.preview_hosts if i == 0 else None,
            http_listener=primary.http_listener if i == 0 else True))
    decisions[:] = [d for d in decisions if not d.topic.startswith("edge.route.")]
    decisions.append(Decision(
        "edge.load_balancers", f"{len(edges)} load balancers",
        f"an ALB takes {limits['listener_rules']} listener rules: routes past that go to load balancer 2, 3 ... "
        "each at its own name (lbN.<domain>, or its AWS DNS name); catch-all routes stay on the first"))
    for e in edges:
        for r in e.routes:
            decisions.append(Decision(f"edge.route.{r.service}", f"{e.domain or e.key}{r.path} priority {r.priority}",
                                      "more specific paths are matched first"))
    return edges


def edge_plan(env: EnvSpec, decisions: list[Decision]) -> EdgePlan | None:
    """The ALB plan, or None when no service is routed."""
    routed = sorted((s for s in env.services.values() if s.route), key=lambda s: route_order(s.route or ""))
    if not routed:
        decisions.append(Decision("edge", "none", "no service has a route: nothing is public"))
        return None
    routes = [RouteRule(s.name, s.route or "/*", priority_base(env) + 10 * (i + 1)) for i, s in enumerate(routed)]
    if env.previews:
        decisions.append(Decision("edge.preview_priorities", f"1-{priority_base(env) - 1} kept for previews",
                                  "previews: a preview's listener rules must match before this environment's"))
    domain = env.domain
    https = domain is not None
    behind_cdn = https and env.cdn is not None
    decisions.append(Decision(
        "edge.listeners",
        "HTTPS 443 only" if behind_cdn else "HTTPS 443 + HTTP->HTTPS redirect" if https else "HTTP 80 only",
        "CloudFront redirects viewers to HTTPS and reaches the load balancer over HTTPS only: port 80 stays closed"
        if behind_cdn else f"domain {domain.name}" if domain else
        "no domain: no certificate can be issued (add `domain:`)"))
    for r in routes:
        decisions.append(Decision(f"edge.route.{r.service}", f"{r.path} priority {r.priority}",
                                  "more specific paths are matched first"))
    preview_hosts = f"*.{domain.name}" if env.previews and domain else None
    if preview_hosts and domain:
        made = [w for w, done in (("certificate", not domain.certificate_arn), ("DNS record", domain.zone_id))
                if done]
        decisions.append(Decision(
            "edge.preview_hosts", preview_hosts, "previews answer at <name>." + domain.name + (
                f": moorage adds {' and '.join(made)} for {preview_hosts}" if made else "")
            + ("" if not domain.certificate_arn else f"; the given certificate must cover {preview_hosts}")
            + ("" if domain.zone_id else f"; add a DNS record for {preview_hosts} pointing at the load balancer")))
    return EdgePlan(
        https=https, domain=domain.name if domain else None, zone_id=domain.zone_id if domain else None,
        certificate_arn=domain.certificate_arn if domain else None, routes=routes, waf=env.waf,
        access_logs=env.access_logs, deletion_protection=env.profile == "prod",
        health_path=domain.health if domain else None,
        cdn_static=tuple(env.cdn.static) if env.cdn else (), cdn_price_class=env.cdn.price_class if env.cdn else None,
        preview_hosts=preview_hosts,
        http_listener=not behind_cdn,
    )
