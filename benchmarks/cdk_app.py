"""The AWS CDK app equivalent to a generated moorage app (benchmarks/generate.py), for `benchmarks/run.py --cdk`.

Run with the CDK venv's Python: python cdk_app.py SPEC.json OUTDIR. It reads the spec moorage reads (as JSON,
so this venv needs no YAML library) and builds what moorage builds for it, the way a CDK user writes it: a VPC
(2 zones, one NAT gateway), an ECS cluster, per service a Fargate task definition and service with its log group
and security group; routed services behind one ALB (HTTPS listener, a path rule and target group each);
scheduled services as an EventBridge rule running the task; a PostgreSQL instance per database, a Redis
replication group per cache, an S3 bucket per bucket; each service allowed to reach what it uses. One stack,
as CDK apps usually start.
"""

from __future__ import annotations

import json
import sys

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3


def build(stack: cdk.Stack, spec: dict) -> None:
    """Every resource of ``spec`` into ``stack``."""
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1)
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    isolated = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    databases = {}
    for name in spec.get("databases", {}):
        databases[name] = rds.DatabaseInstance(
            stack, f"Db{name}", vpc=vpc, vpc_subnets=isolated,
            engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_16),
            instance_type=ec2.InstanceType("t4g.medium"), multi_az=True, storage_encrypted=True,
            deletion_protection=True, removal_policy=cdk.RemovalPolicy.SNAPSHOT)
    caches = {}
    for name in spec.get("caches", {}):
        group = ec2.SecurityGroup(stack, f"Sg{name}", vpc=vpc)
        subnets = elasticache.CfnSubnetGroup(stack, f"{name}Subnets", description=name,
                                             subnet_ids=[s.subnet_id for s in vpc.private_subnets])
        elasticache.CfnReplicationGroup(stack, f"Cache{name}", replication_group_description=name,
                                        engine="redis", cache_node_type="cache.t4g.small", num_cache_clusters=2,
                                        automatic_failover_enabled=True, transit_encryption_enabled=True,
                                        at_rest_encryption_enabled=True,
                                        cache_subnet_group_name=subnets.ref,
                                        security_group_ids=[group.security_group_id])
        caches[name] = group
    buckets = {name: s3.Bucket(stack, f"Bucket{name}", encryption=s3.BucketEncryption.S3_MANAGED,
                               block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
                               versioned=True)
               for name in spec.get("buckets", {})}
    alb = elbv2.ApplicationLoadBalancer(stack, "Alb", vpc=vpc, internet_facing=True)
    listener = alb.add_listener("Http", port=80, default_action=elbv2.ListenerAction.fixed_response(404))
    services: dict[str, ecs.FargateService] = {}
    priority = 10
    for name, svc in spec["services"].items():
        task = ecs.FargateTaskDefinition(stack, f"Task{name}", cpu=512, memory_limit_mib=1024)
        port = svc.get("port")
        task.add_container("app", image=ecs.ContainerImage.from_registry(svc["image"]),
                           logging=ecs.LogDrivers.aws_logs(stream_prefix=name),
                           port_mappings=[ecs.PortMapping(container_port=port)] if port else None)
        if svc.get("schedule"):
            rule = events.Rule(stack, f"Schedule{name}",
                               schedule=events.Schedule.expression(svc["schedule"]))
            rule.add_target(targets.EcsTask(cluster=cluster, task_definition=task,
                                            subnet_selection=isolated))
            continue
        service = ecs.FargateService(stack, f"Svc{name}", cluster=cluster, task_definition=task,
                                     desired_count=2, vpc_subnets=isolated,
                                     circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True))
        services[name] = service
        if svc.get("route"):
            listener.add_targets(f"Route{name}", port=port, protocol=elbv2.ApplicationProtocol.HTTP,
                                 targets=[service], priority=priority,
                                 conditions=[elbv2.ListenerCondition.path_patterns([svc["route"]])],
                                 health_check=elbv2.HealthCheck(path=svc.get("health", "/")))
            priority += 10
        for used in svc.get("uses", []):
            if used in databases:
                databases[used].connections.allow_default_port_from(service)
            elif used in caches:
                caches[used].add_ingress_rule(service.connections.security_groups[0], ec2.Port.tcp(6379))
            elif used in buckets:
                buckets[used].grant_read_write(service.task_definition.task_role)
            elif used in services and spec["services"][used].get("port"):
                services[used].connections.allow_from(service, ec2.Port.tcp(spec["services"][used]["port"]))


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    app = cdk.App(outdir=sys.argv[2])
    stack = cdk.Stack(app, spec["name"], env=cdk.Environment(account="123456789012", region=spec["region"]))
    build(stack, spec)
    app.synth()


if __name__ == "__main__":
    main()
