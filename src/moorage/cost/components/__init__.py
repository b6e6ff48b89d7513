"""Which pricer handles which CloudFormation resource type, and which types are free."""

from __future__ import annotations

from collections.abc import Callable

from moorage.cost.components import databases, ecs, edge, messaging, network, observability, security, storage
from moorage.cost.context import PricingContext, Resource
from moorage.cost.model import LineItem
from moorage.data import load_data

Pricer = Callable[[PricingContext, Resource], list[LineItem]]

PRICERS: dict[str, Pricer] = {
    "AWS::ECS::Service": ecs.price_service,
    "AWS::ECS::TaskDefinition": ecs.price_task_definition,
    "AWS::ECS::Cluster": ecs.price_cluster,
    "AWS::Events::Rule": ecs.price_schedule,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": network.price_load_balancer,
    "AWS::EC2::NatGateway": network.price_nat_gateway,
    "AWS::EC2::EIP": network.price_eip,
    "AWS::EC2::VPCEndpoint": network.price_vpc_endpoint,
    "AWS::EC2::FlowLog": network.price_flow_log,
    "AWS::RDS::DBInstance": databases.price_db_instance,
    "AWS::RDS::DBCluster": databases.price_db_cluster,
    "AWS::RDS::DBProxy": databases.price_db_proxy,
    "AWS::ElastiCache::ReplicationGroup": databases.price_replication_group,
    "AWS::ElastiCache::CacheCluster": databases.price_cache_cluster,
    "AWS::S3::Bucket": storage.price_bucket,
    "AWS::SQS::Queue": messaging.price_queue,
    "AWS::EFS::FileSystem": storage.price_file_system,
    "AWS::ECR::Repository": storage.price_repository,
    "AWS::Logs::LogGroup": observability.price_log_group,
    "AWS::CloudWatch::Alarm": observability.price_alarm,
    "AWS::CloudWatch::CompositeAlarm": observability.price_composite_alarm,
    "AWS::CloudWatch::Dashboard": observability.price_dashboard,
    "AWS::SecretsManager::Secret": security.price_secret,
    "AWS::KMS::Key": security.price_kms_key,
    "AWS::WAFv2::WebACL": security.price_web_acl,
    "AWS::SSM::Parameter": security.price_ssm_parameter,
    "AWS::CertificateManager::Certificate": security.price_certificate,
    "AWS::CloudFront::Distribution": edge.price_distribution,
    "AWS::Route53::HostedZone": edge.price_hosted_zone,
    "AWS::Route53::HealthCheck": edge.price_health_check,
    "AWS::ServiceDiscovery::PrivateDnsNamespace": edge.price_namespace,
    "AWS::ServiceDiscovery::PublicDnsNamespace": edge.price_namespace,
    "AWS::ServiceDiscovery::Service": edge.price_discovery_service,
}


def free_types() -> dict[str, str]:
    """Resource types with no charge of their own, with the reason (``moorage/data/prices_free.yaml``)."""
    return dict(load_data("prices_free"))


def known_types() -> set[str]:
    """Every resource type the estimate understands (priced or free)."""
    return set(PRICERS) | set(free_types())


def price_resource(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """The line items of one resource: its pricer's, free with the reason, or "not priced"."""
    pricer = PRICERS.get(res.type)
    if pricer is not None:
        return pricer(ctx, res)
    free = free_types().get(res.type)
    if free is not None:
        return [ctx.free(res, free)]
    return [LineItem(res.stack, res.lid, res.type, "resource", "not-priced",
                     note=f"not priced: moorage has no pricing for {res.type}", region=res.region)]
