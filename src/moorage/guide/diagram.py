"""The architecture diagram as data: nodes, edges and nested clusters, in a stable order.

Built from the plan only; Mermaid text and Graphviz images are two renderings of the same model, so
the picture in the Markdown and in the HTML page always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from moorage.plan.model import Plan

# Service kinds in the order their groups are drawn, with the group's label.
SERVICE_GROUPS: dict[str, str] = {
    "web": "public services", "service": "private services", "worker": "workers",
    "scheduled": "scheduled tasks", "job": "jobs",
}


@dataclass(frozen=True)
class Node:
    """One box: ``kind`` picks its icon (users, dns, cdn, waf, alb, service, database, cache, bucket...)."""

    id: str
    label: str
    kind: str
    cluster: str | None = None
    detail: str = ""  # a second label line: engine, size, port


@dataclass(frozen=True)
class Edge:
    """An arrow, labelled with what flows over it (port and protocol)."""

    source: str
    target: str
    label: str
    uses: bool = False  # True for an arrow that comes from a service's `uses`


@dataclass(frozen=True)
class Cluster:
    """A box around nodes: a region, the VPC, a subnet tier or a group of services."""

    id: str
    label: str
    parent: str | None = None


@dataclass
class Diagram:
    """The whole picture of one environment."""

    title: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)

    def node(self, node_id: str) -> Node:
        """The node with this id."""
        return next(n for n in self.nodes if n.id == node_id)

    def children(self, cluster: str | None) -> tuple[list[Cluster], list[Node]]:
        """Clusters and nodes directly inside ``cluster`` (None: the top level)."""
        return ([c for c in self.clusters if c.parent == cluster], [n for n in self.nodes if n.cluster == cluster])


def node_id(kind: str, name: str) -> str:
    """A Graphviz/Mermaid-safe id, stable across runs: ``svc_web``, ``db_postgres``."""
    return f"{kind}_" + "".join(c if c.isalnum() else "_" for c in name)


def used_kind(plan: Plan, name: str) -> str | None:
    """What a service's ``uses`` entry names: service, database, cache, bucket or user_pool."""
    for kind, names in (("service", plan.services), ("database", plan.databases), ("cache", plan.caches),
                        ("bucket", plan.buckets), ("user_pool", plan.env.user_pools)):
        if name in names:
            return kind
    return None


_ID_PREFIX = {"service": "svc", "database": "db", "cache": "cache", "bucket": "bucket", "user_pool": "pool"}


def target_id(plan: Plan, name: str) -> str | None:
    """The diagram node id of something a service uses."""
    kind = used_kind(plan, name)
    return node_id(_ID_PREFIX[kind], name) if kind else None


def uses_label(plan: Plan, name: str) -> str:
    """Port and protocol of a ``uses`` arrow."""
    kind = used_kind(plan, name)
    if kind == "service":
        return f"HTTP {plan.services[name].spec.port}"
    if kind == "database":
        db = plan.databases[name].spec
        return f"TCP {db.port} {db.family}" + (" via proxy" if db.proxy else "")
    if kind == "cache":
        c = plan.caches[name].spec
        return f"TCP {c.port} {c.engine} TLS"
    if kind == "bucket":
        return "HTTPS 443 S3 API"
    return "HTTPS 443 Cognito API"


def diagram_of(plan: Plan) -> Diagram:
    """The architecture of ``plan``: entry, load balancer, services by kind, data stores, inside the VPC."""
    env = plan.env
    d = Diagram(f"{plan.app} / {env.env} ({env.region})")
    region = f"region {env.region}"
    d.clusters.append(Cluster("region", region))
    d.clusters.append(Cluster("vpc", f"VPC {plan.network.cidr}", "region"))
    azs = plan.network.azs
    for tier in ("public", "private", "isolated"):
        cidrs = [s.cidr for s in plan.network.subnets if s.tier == tier]
        if cidrs:
            d.clusters.append(Cluster(f"tier_{tier}", f"{tier} subnets x {azs} AZs", "vpc"))
    d.nodes.append(Node("users", "users", "users"))
    edge = plan.edge
    entry = "users"
    if edge and edge.domain:
        d.nodes.append(Node("dns", edge.domain, "dns", detail="Route 53"))
        d.edges.append(Edge("users", "dns", "DNS"))
    if edge and edge.cdn_price_class:
        cdn = plan.stack("cdn")
        d.clusters.append(Cluster("cdn_region", f"global edge (certificate in {cdn.region or env.region})"))
        d.nodes.append(Node("cdn", "CloudFront", "cdn", "cdn_region", edge.cdn_price_class))
        d.edges.append(Edge("users", "cdn", "HTTPS 443"))
        entry = "cdn"
    if edge:
        d.nodes.append(Node("alb", "load balancer", "alb", "tier_public",
                            "HTTPS 443" if edge.https else "HTTP 80"))
        d.edges.append(Edge(entry, "alb", "HTTPS 443" if edge.https else "HTTP 80"))
        if edge.waf:
            d.nodes.append(Node("waf", "WAF", "waf", "region", "managed rules"))
            d.edges.append(Edge("waf", "alb", "filters"))
    if plan.network.nat_gateways:
        d.nodes.append(Node("nat", f"NAT x {plan.network.nat_gateways}", "nat", "tier_public"))
    for kind, label in SERVICE_GROUPS.items():
        members = [s for s in plan.services.values() if s.spec.kind == kind]
        if not members:
            continue
        group = f"group_{kind}"
        d.clusters.append(Cluster(group, label, "tier_private"))
        for sp in members:
            svc = sp.spec
            tasks = f"{svc.scaling.min}-{svc.scaling.max}" if svc.scaling else str(svc.desired)
            detail = f":{svc.port} x{tasks}" if svc.port else f"x{tasks}"
            if svc.kind == "scheduled":
                detail = svc.schedule or detail
            elif svc.kind == "job":
                detail = "before each deploy"
            d.nodes.append(Node(node_id("svc", svc.name), svc.name, "service", group, detail))
    if edge:
        for route in sorted(edge.routes, key=lambda r: r.priority):
            port = plan.services[route.service].spec.port
            d.edges.append(Edge("alb", node_id("svc", route.service), f"{route.path} HTTP {port}"))
    for name, db in plan.databases.items():
        s = db.spec
        detail = f"{s.engine} {s.major}" + (" multi-AZ" if s.multi_az else "")
        d.nodes.append(Node(node_id("db", name), name, "database", "tier_isolated", detail))
    for name, cache in plan.caches.items():
        c = cache.spec
        d.nodes.append(Node(node_id("cache", name), name, "cache", "tier_isolated",
                            f"{c.engine} {c.version} x{c.nodes}"))
    for name in plan.buckets:
        d.nodes.append(Node(node_id("bucket", name), name, "bucket", "region", "S3"))
    for name, pool in env.user_pools.items():
        d.nodes.append(Node(node_id("pool", name), name, "user_pool", "region",
                            "Cognito (existing)" if pool.existing else "Cognito"))
    for sp in plan.services.values():
        for used in sp.spec.uses:
            tid = target_id(plan, used)
            if tid:
                d.edges.append(Edge(node_id("svc", sp.spec.name), tid, uses_label(plan, used), uses=True))
    if plan.secrets or plan.parameters or any(sp.secrets for sp in plan.services.values()):
        d.nodes.append(Node("secrets", "secrets and parameters", "secrets", "region", "Secrets Manager, SSM"))
    if plan.alarms or any(sp.alarms for sp in plan.services.values()):
        d.nodes.append(Node("alarms", "alarms", "alarms", "region", "CloudWatch -> SNS"))
    if env.budget_monthly:
        budget = plan.stack("budget")
        where = budget.region or env.region
        cluster = "region" if where == env.region else "budget_region"
        if cluster != "region":
            d.clusters.append(Cluster(cluster, f"region {where}"))
        d.nodes.append(Node("budget", "budget", "budget", cluster, f"${env.budget_monthly:,.0f}/month"))
    return _pruned(d)


def _pruned(d: Diagram) -> Diagram:
    """Drop clusters with no node inside (an isolated tier with no data store draws nothing)."""
    def filled(cluster: str) -> bool:
        clusters, nodes = d.children(cluster)
        return bool(nodes) or any(filled(c.id) for c in clusters)

    d.clusters = [c for c in d.clusters if filled(c.id)]
    return d
