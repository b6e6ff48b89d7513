"""Networking: load balancers (hours, LCUs, public IPv4, data transfer out), NAT gateways, Elastic IPs,
VPC endpoints and flow logs."""

from __future__ import annotations

from moorage.cfn.sections import resources_of_type
from moorage.cfn.values import mentions, target
from moorage.cost.context import PricingContext, Resource
from moorage.cost.model import LineItem


def public_subnet_count(ctx: PricingContext) -> int:
    """Subnets routed to an internet gateway, across the set (what an internet-facing LB spans by default)."""
    count = 0
    for template in ctx.set.templates.values():
        gateways = {g.lid for g in resources_of_type(template, "AWS::EC2::InternetGateway")}
        public_tables = {target(r.props.get("RouteTableId")) for r in resources_of_type(template, "AWS::EC2::Route")
                         if target(r.props.get("GatewayId")) in gateways}
        subnets = {target(a.props.get("SubnetId"))
                   for a in resources_of_type(template, "AWS::EC2::SubnetRouteTableAssociation")
                   if target(a.props.get("RouteTableId")) in public_tables}
        count += len({s for s in subnets if s})
    return count


def _zones(ctx: PricingContext, res: Resource) -> tuple[int, bool, str]:
    """How many AZs (so public IPv4 addresses) a load balancer uses, whether that is assumed, and why."""
    for key in ("SubnetMappings", "Subnets"):
        value = res.prop(key)
        if isinstance(value, list):
            return len(value), False, f"{len(value)} {key}"
    inferred = public_subnet_count(ctx)
    if inferred:
        return inferred, False, f"{inferred} public subnets in the set"
    return 2, True, "subnets not literal: assumed 2 (the ALB minimum)"


def price_load_balancer(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """ALB/NLB: hours, capacity units from usage, one public IPv4 per AZ when internet-facing, data out."""
    kind = str(res.prop("Type", "application") or "application")
    if kind not in ("application", "network"):
        return [ctx.unknown(res, f"{kind} load balancer", "not priced: only application and network load "
                            "balancers are in the catalog")]
    short = "alb" if kind == "application" else "nlb"
    items = [ctx.charge(res, f"{short.upper()} hours", ctx.hours, "hour", f"elb.{short}_hour")]
    requests, a1 = ctx.use("requests_per_month", res)
    per_conn, a2 = ctx.use("requests_per_connection", res)
    out_gb, a3 = ctx.use("data_out_gb", res)
    seconds = ctx.hours * 3600.0
    rules = sum(1 for r in ctx.resources("AWS::ElasticLoadBalancingV2::ListenerRule"))
    dims = {
        "new connections": requests / max(per_conn, 1.0) / seconds / (25.0 if short == "alb" else 800.0),
        "processed bytes": out_gb / ctx.hours / 1.0,
    }
    if short == "alb":
        dims["rule evaluations"] = requests / seconds * max(0, rules - 10) / 1000.0
    dominant = max(dims, key=lambda k: dims[k])
    lcu = max(dims.values())
    items.append(ctx.charge(res, f"{short.upper()} capacity units (average {lcu:.3f}, by {dominant})",
                            lcu * ctx.hours, "LCU-hour", f"elb.{short}_lcu_hour", assumption=a1 or a2 or a3,
                            note="LCUs from average traffic; peaks cost more"))
    if str(res.prop("Scheme", "internet-facing")) == "internet-facing":
        zones, assumed, why = _zones(ctx, res)
        items.append(ctx.charge(res, "public IPv4 addresses (one per AZ)", zones * ctx.hours, "IP-hour",
                                "vpc.public_ipv4_hour", assumption=assumed, note=why))
        if not any(True for _ in ctx.resources("AWS::CloudFront::Distribution")):
            lbs = sum(1 for lb in ctx.resources("AWS::ElasticLoadBalancingV2::LoadBalancer")
                      if str(lb.prop("Scheme", "internet-facing")) == "internet-facing")
            gb = out_gb / max(lbs, 1)
            items.append(ctx.charge(res, "data transfer out to the internet", gb, "GB", "dt.internet_out_gb",
                                    assumption=a3, note="first pricing tier; the account's free 100 GB/month "
                                    "is not deducted"))
    return items


def price_nat_gateway(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """NAT gateway: hours plus GB processed (the environment's NAT GB shared across its gateways)."""
    nats = sum(1 for _ in ctx.resources("AWS::EC2::NatGateway"))
    gb, assumed = ctx.use("nat_gb", res)
    share = gb / max(nats, 1)
    items = [ctx.charge(res, "NAT gateway hours", ctx.hours, "hour", "vpc.nat_hour"),
             ctx.charge(res, "NAT data processed", share, "GB", "vpc.nat_gb", assumption=assumed,
                        note=f"{gb:g} GB shared by {nats} NAT gateway{'s' if nats != 1 else ''}")]
    allocation = res.props.get("AllocationId")
    if str(res.prop("ConnectivityType", "public")) == "public" and allocation is not None and target(
            allocation) is None and not isinstance(allocation, dict):
        items.append(ctx.charge(res, "public IPv4 address", ctx.hours, "IP-hour", "vpc.public_ipv4_hour",
                                note="Elastic IP allocated outside this template"))
    return items


def price_eip(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """An Elastic IP: a public IPv4 address billed per hour, attached or not."""
    users = [r.lid for r in ctx.resources() if r.stack == res.stack and r.lid != res.lid
             and mentions(r.props, res.lid)]
    note = f"used by {', '.join(users)}" if users else "not attached in this template"
    return [ctx.charge(res, "public IPv4 address", ctx.hours, "IP-hour", "vpc.public_ipv4_hour", note=note)]


def price_vpc_endpoint(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """Gateway endpoints (S3, DynamoDB) are free; interface endpoints bill per AZ-hour and per GB."""
    kind = str(res.prop("VpcEndpointType", "Gateway") or "Gateway")
    if kind == "Gateway":
        return [ctx.free(res, "gateway endpoints have no charge (and keep S3 traffic off the NAT)")]
    if kind != "Interface":
        return [ctx.unknown(res, f"{kind} endpoint", "not priced: only gateway and interface endpoints are known")]
    subnets = res.prop("SubnetIds")
    zones = len(subnets) if isinstance(subnets, list) else 2
    gb, assumed = ctx.use("interface_endpoint_gb", res)
    return [ctx.charge(res, "interface endpoint hours (per AZ)", zones * ctx.hours, "hour",
                       "vpc.interface_endpoint_hour", assumption=not isinstance(subnets, list),
                       note="" if isinstance(subnets, list) else "subnets not literal: assumed 2 AZs"),
            ctx.charge(res, "interface endpoint data processed", gb, "GB", "vpc.interface_endpoint_gb",
                       assumption=assumed)]


def price_flow_log(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """VPC flow logs: delivery is billed as vended-log ingestion (storage is on the log group)."""
    gb, assumed = ctx.use("flow_log_gb", res)
    dest = str(res.prop("LogDestinationType", "cloud-watch-logs"))
    if dest != "cloud-watch-logs":
        return [ctx.charge(res, f"flow log delivery to {dest}", gb, "GB", f"logs.vended_{dest.replace('-', '_')}_gb",
                           assumption=assumed)]
    return [ctx.charge(res, "flow log ingestion (vended logs)", gb, "GB", "logs.vended_ingest_gb",
                       assumption=assumed)]


# The resource types this module prices (collected by moorage.cost.components).
PRICERS = {
    "AWS::ElasticLoadBalancingV2::LoadBalancer": price_load_balancer,
    "AWS::EC2::NatGateway": price_nat_gateway,
    "AWS::EC2::EIP": price_eip,
    "AWS::EC2::VPCEndpoint": price_vpc_endpoint,
    "AWS::EC2::FlowLog": price_flow_log,
}
