"""Edge and naming: CloudFront distributions, Route 53 hosted zones, Cloud Map namespaces and services."""

from __future__ import annotations

from moorage.cfn.values import mentions
from moorage.cost.context import PricingContext, Resource
from moorage.cost.model import LineItem


def price_distribution(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A CloudFront distribution: GB delivered and HTTPS requests (North America / Europe rates)."""
    gb, a1 = ctx.use("cloudfront_gb", res)
    requests, a2 = ctx.use("requests_per_month", res)
    note = "North America/Europe edge rates, first tier; origin fetches from AWS origins are free"
    return [ctx.charge(res, "CloudFront data transfer out", gb, "GB", "cloudfront.gb_out", assumption=a1, note=note),
            ctx.charge(res, "CloudFront HTTPS requests", requests / 10000.0, "10,000 requests", "cloudfront.https_10k",
                       assumption=a2)]


def price_hosted_zone(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A Route 53 hosted zone: per zone per month, plus standard queries."""
    queries, assumed = ctx.use("dns_queries_million", res)
    return [ctx.charge(res, "Route 53 hosted zone", 1.0, "zone-month", "route53.hosted_zone_month"),
            ctx.charge(res, "Route 53 standard queries", queries, "million queries", "route53.queries_million",
                       assumption=assumed, note="alias queries to AWS resources are free")]


def price_health_check(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A Route 53 health check on an AWS endpoint."""
    return [ctx.charge(res, "Route 53 health check", 1.0, "check-month", "route53.health_check_month")]


def price_namespace(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A Cloud Map private DNS namespace creates a Route 53 private hosted zone, billed as a hosted zone."""
    return [ctx.charge(res, "private hosted zone (Cloud Map namespace)", 1.0, "zone-month",
                       "route53.hosted_zone_month", note="Cloud Map creates a Route 53 private hosted zone")]


def price_discovery_service(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A Cloud Map service: per registered instance (the tasks of the ECS services registering to it)."""
    tasks = 0.0
    for svc in ctx.resources("AWS::ECS::Service"):
        if svc.stack == res.stack and mentions(svc.props.get("ServiceRegistries"), res.lid):
            tasks += svc.number("DesiredCount", 1.0) or 1.0
    if not tasks:
        return [ctx.free(res, "no instances registered from this template")]
    return [ctx.charge(res, f"Cloud Map registered instances ({tasks:g})", tasks, "instance-month",
                       "cloudmap.instance_month")]


# The resource types this module prices (collected by moorage.cost.components).
PRICERS = {
    "AWS::CloudFront::Distribution": price_distribution,
    "AWS::Route53::HostedZone": price_hosted_zone,
    "AWS::Route53::HealthCheck": price_health_check,
    "AWS::ServiceDiscovery::PrivateDnsNamespace": price_namespace,
    "AWS::ServiceDiscovery::PublicDnsNamespace": price_namespace,
    "AWS::ServiceDiscovery::Service": price_discovery_service,
}
