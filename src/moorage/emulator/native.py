"""Deletion of moto-native resources whose models cannot delete themselves, and the replacement rule
the engine uses for types without an in-place update."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from types import SimpleNamespace
from typing import Any

from moorage.data.aws import create_only_paths, replacing_paths
from moorage.emulator import runtime


@cache
def create_only(resource_type: str) -> tuple[tuple[str, ...], ...]:
    """The create-only property paths of ``resource_type`` (see :func:`moorage.data.aws.create_only_paths`)."""
    return create_only_paths(resource_type)


def needs_replacement(resource_type: str, old: dict[str, Any], new: dict[str, Any]) -> bool:
    """True when the change from ``old`` to ``new`` properties changes a create-only property (nested
    paths compared where they lead: a health check's ``HealthCheckConfig/Type``, not the whole config)."""
    return bool(replacing_paths(resource_type, old, new))


def _ec2(region: str) -> Any:
    return runtime.client("ec2", region)


def _eip(res: Any, region: str, _: dict[str, Any]) -> None:
    _ec2(region).release_address(AllocationId=res.allocation_id)


def _nat(res: Any, region: str, _: dict[str, Any]) -> None:
    _ec2(region).delete_nat_gateway(NatGatewayId=res.id)


def _igw(res: Any, region: str, _: dict[str, Any]) -> None:
    _ec2(region).delete_internet_gateway(InternetGatewayId=res.id)


def _attachment(res: Any, region: str, _: dict[str, Any]) -> None:
    if getattr(res, "gateway_id", "").startswith("igw-"):
        _ec2(region).detach_internet_gateway(InternetGatewayId=res.gateway_id, VpcId=res.vpc_id)
    else:
        _ec2(region).detach_vpn_gateway(VpnGatewayId=res.gateway_id, VpcId=res.vpc_id)


def _route(res: Any, region: str, _: dict[str, Any]) -> None:
    kwargs = {"RouteTableId": res.route_table.id}
    if getattr(res, "destination_ipv6_cidr_block", None):
        kwargs["DestinationIpv6CidrBlock"] = res.destination_ipv6_cidr_block
    else:
        kwargs["DestinationCidrBlock"] = res.destination_cidr_block
    _ec2(region).delete_route(**kwargs)


def _route_table(res: Any, region: str, _: dict[str, Any]) -> None:
    _ec2(region).delete_route_table(RouteTableId=res.id)


def _association(res: Any, region: str, _: dict[str, Any]) -> None:
    ec2 = _ec2(region)
    tables = ec2.describe_route_tables(RouteTableIds=[res.route_table_id])["RouteTables"]
    for table in tables:
        for assoc in table.get("Associations", []):
            if assoc.get("SubnetId") == res.subnet_id:
                ec2.disassociate_route_table(AssociationId=assoc["RouteTableAssociationId"])


def _endpoint(res: Any, region: str, _: dict[str, Any]) -> None:
    _ec2(region).delete_vpc_endpoints(VpcEndpointIds=[res.id])


def _flow_log(res: Any, region: str, _: dict[str, Any]) -> None:
    _ec2(region).delete_flow_logs(FlowLogIds=[res.id])


def _elb(kind: str) -> Callable[[Any, str, dict[str, Any]], None]:
    def delete(res: Any, region: str, _: dict[str, Any]) -> None:
        client = runtime.client("elbv2", region)
        if kind == "lb":
            client.delete_load_balancer(LoadBalancerArn=res.arn)
        elif kind == "tg":
            client.delete_target_group(TargetGroupArn=res.arn)
        elif kind == "listener":
            client.delete_listener(ListenerArn=res.arn)
        else:
            client.delete_rule(RuleArn=res.arn)
    return delete


def _topic(res: Any, region: str, _: dict[str, Any]) -> None:
    runtime.client("sns", region).delete_topic(TopicArn=res.arn)


#: CloudFormation type -> deleter(resource, region, resource_json) for moto-native models.
NATIVE_DELETERS: dict[str, Callable[[Any, str, dict[str, Any]], None]] = {
    "AWS::EC2::EIP": _eip,
    "AWS::EC2::NatGateway": _nat,
    "AWS::EC2::InternetGateway": _igw,
    "AWS::EC2::VPCGatewayAttachment": _attachment,
    "AWS::EC2::Route": _route,
    "AWS::EC2::RouteTable": _route_table,
    "AWS::EC2::SubnetRouteTableAssociation": _association,
    "AWS::EC2::VPCEndpoint": _endpoint,
    "AWS::EC2::FlowLog": _flow_log,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _elb("lb"),
    "AWS::ElasticLoadBalancingV2::TargetGroup": _elb("tg"),
    "AWS::ElasticLoadBalancingV2::Listener": _elb("listener"),
    "AWS::ElasticLoadBalancingV2::ListenerRule": _elb("rule"),
    "AWS::SNS::Topic": _topic,
}


def _lb_attribute(original: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    def get(self: Any, attribute_name: str) -> Any:
        if attribute_name == "CanonicalHostedZoneID":
            return "Z2IFOLAFXWLO4F"  # a fixed stand-in: moto has no per-region ELB zone ids
        if attribute_name == "LoadBalancerFullName":
            return str(self.arn).split(":loadbalancer/", 1)[-1]
        if attribute_name == "SecurityGroups":
            return list(getattr(self, "security_groups", []))
        return original(self, attribute_name)
    return get


def _rule_update(original: Callable[..., Any]) -> Callable[..., Any]:
    """moto's listener rule update keeps the old priority; AWS changes it in place (a base environment
    redeployed after `previews:` was added moves its rules past the previews' block)."""
    def update(cls: Any, original_resource: Any, new_resource_name: str, cloudformation_json: Any,
               account_id: str, region_name: str) -> Any:
        from moto.elbv2.models import elbv2_backends

        rule = original(original_resource=original_resource, new_resource_name=new_resource_name,
                        cloudformation_json=cloudformation_json, account_id=account_id, region_name=region_name)
        priority = cloudformation_json["Properties"].get("Priority")
        if priority is not None and int(priority) != int(original_resource.priority):
            elbv2_backends[account_id][region_name].set_rule_priorities(
                [{"RuleArn": original_resource.arn, "Priority": int(priority)}])
        return rule
    return classmethod(update)  # type: ignore[return-value]


def _tg_attribute(original: Callable[[Any, str], Any] | None) -> Callable[[Any, str], Any]:
    def get(self: Any, attribute_name: str) -> Any:
        if attribute_name == "TargetGroupFullName":
            return str(self.arn).split(":", 5)[-1]
        if attribute_name == "TargetGroupName":
            return self.name
        if attribute_name == "LoadBalancerArns":
            return list(getattr(self, "load_balancer_arns", []))
        if attribute_name == "TargetGroupArn":
            return self.arn
        if original is None:
            from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

            raise UnformattedGetAttTemplateException()
        return original(self, attribute_name)
    return get


def _origin_init(original: Callable[..., None]) -> Callable[..., None]:
    def init(self: Any, origin: dict[str, Any]) -> None:
        original(self, origin)
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""
    return init


def _task_requirements(original: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    """moto's RunTask adds up container memory and fails on Fargate containers that leave it to the task."""
    def calc(task_definition: Any) -> dict[str, Any]:
        containers = [c if c.get("Memory") or c.get("MemoryReservation") else
                      {**c, "memory": c.get("memory") or c.get("memoryReservation") or 0}
                      for c in task_definition.container_definitions]
        return original(SimpleNamespace(container_definitions=containers))
    return calc


def install_attributes() -> None:
    """Give moto's load balancer and target group models the ``Fn::GetAtt`` attributes they lack, its
    CloudFront origins their origin access control; let its RunTask start Fargate tasks (containers
    without memory, network interfaces without a private DNS name)."""
    from moto.cloudfront import models as cloudfront
    from moto.ec2.models import elastic_network_interfaces as enis
    from moto.ecs import models as ecs
    from moto.elbv2 import models as elbv2

    if not getattr(ecs.EC2ContainerServiceBackend, "_moorage", False):
        calc = _task_requirements(ecs.EC2ContainerServiceBackend._calculate_task_resource_requirements)
        ecs.EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(calc)  # type: ignore[method-assign,assignment]
        ecs.EC2ContainerServiceBackend._moorage = True  # type: ignore[attr-defined]
    if not hasattr(enis.NetworkInterface, "private_dns_name"):  # set on instances only with DNS hostnames
        enis.NetworkInterface.private_dns_name = ""
    if not getattr(cloudfront.Origin, "_moorage", False):
        cloudfront.Origin.__init__ = _origin_init(cloudfront.Origin.__init__)  # type: ignore[method-assign]
        cloudfront.Origin._moorage = True  # type: ignore[attr-defined]

    if not getattr(elbv2.FakeLoadBalancer, "_moorage", False):
        setattr(elbv2.FakeLoadBalancer, "get_cfn_attribute",  # noqa: B010 - patching a foreign class
                _lb_attribute(elbv2.FakeLoadBalancer.get_cfn_attribute))
        elbv2.FakeLoadBalancer._moorage = True  # type: ignore[attr-defined]
    if not getattr(elbv2.FakeTargetGroup, "_moorage", False):
        setattr(elbv2.FakeTargetGroup, "get_cfn_attribute",  # noqa: B010 - patching a foreign class
                _tg_attribute(getattr(elbv2.FakeTargetGroup, "get_cfn_attribute", None)))
        elbv2.FakeTargetGroup._moorage = True  # type: ignore[attr-defined]
    if not getattr(elbv2.FakeListenerRule, "_moorage", False):
        elbv2.FakeListenerRule.update_from_cloudformation_json = _rule_update(  # type: ignore[method-assign]
            elbv2.FakeListenerRule.update_from_cloudformation_json)
        elbv2.FakeListenerRule._moorage = True  # type: ignore[attr-defined]
