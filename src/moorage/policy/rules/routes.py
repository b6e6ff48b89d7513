"""Where tasks run: the route tables of their subnets must give them a way to ECR, S3 and Secrets Manager."""

from __future__ import annotations

from moorage.cfn.index import Resource
from moorage.cfn.values import as_list
from moorage.policy.checks import Outcome, issue, params, rule
from moorage.policy.cidrs import whole_internet

_WAYS_OUT = ("NatGatewayId", "TransitGatewayId", "NetworkInterfaceId", "InstanceId", "VpcPeeringConnectionId",
             "CarrierGatewayId", "CoreNetworkArn", "VpcEndpointId")


def route_tables(subnet: Resource) -> list[Resource]:
    """Route tables associated with ``subnet`` in the set (empty: the VPC's main table, not visible)."""
    out = []
    for assoc in subnet.referrers("AWS::EC2::SubnetRouteTableAssociation"):
        target = assoc.target(assoc.get("SubnetId"))
        table = assoc.target(assoc.get("RouteTableId"))
        if target is not None and target.key == subnet.key and table is not None:
            out.append(table)
    return out


def default_route(table: Resource) -> tuple[str, Resource] | None:
    """(kind, route) of the table's 0.0.0.0/0 route: "nat" (or another private way out) or "igw"."""
    for route in table.referrers("AWS::EC2::Route"):
        owner = route.target(route.get("RouteTableId"))
        if owner is None or owner.key != table.key or not whole_internet(route.value("DestinationCidrBlock")):
            continue
        if any(route.get(k) is not None for k in _WAYS_OUT):
            return ("nat", route)
        if route.get("GatewayId") is not None:
            return ("igw", route)
    return None


def _endpoints(table: Resource) -> set[str]:
    """Services reachable through VPC endpoints from ``table``: gateway endpoints on it, interface ones in the VPC."""
    names: set[str] = set()
    vpc = table.target(table.get("VpcId"))
    for ep in table.others("AWS::EC2::VPCEndpoint"):
        service = str(ep.value("ServiceName"))
        kind = str(ep.value("VpcEndpointType") or "Gateway")
        on_table = any((t := ep.target(x)) is not None and t.key == table.key for x in as_list(ep.get("RouteTableIds")))
        in_vpc = vpc is not None and (v := ep.target(ep.get("VpcId"))) is not None and v.key == vpc.key
        if (kind == "Gateway" and on_table) or (kind == "Interface" and in_vpc):
            names.add(service.rsplit(".", 1)[-1] if not service.endswith(".dkr") else "ecr.dkr")
            if ".ecr.api" in service:
                names.add("ecr.api")
    return names


@rule("MOO-NET-009")
def tasks_have_a_way_out(r: Resource) -> Outcome:
    config = r.get("NetworkConfiguration", "AwsvpcConfiguration")
    if config is None:
        return None
    public_ip = str(r.value("NetworkConfiguration", "AwsvpcConfiguration", "AssignPublicIp")) == "ENABLED"
    needed = set(params("MOO-NET-009")["endpoints"])
    out = []
    for i, expr in enumerate(as_list(r.get("NetworkConfiguration", "AwsvpcConfiguration", "Subnets"))):
        subnet = r.target(expr)
        if subnet is None or subnet.type != "AWS::EC2::Subnet":
            continue
        where = ("Properties", "NetworkConfiguration", "AwsvpcConfiguration", "Subnets", i)
        for table in route_tables(subnet):
            route = default_route(table)
            if route is not None and (route[0] == "nat" or public_ip):
                continue
            missing = sorted(needed - _endpoints(table))
            if not missing:
                continue
            why = ("routes 0.0.0.0/0 to an internet gateway, but tasks get no public IP" if route
                   else "has no route to a NAT gateway")
            out.append(issue(f"subnet {subnet.id}: route table {table.id} {why} and no VPC endpoints for "
                             f"{', '.join(missing)}: tasks cannot pull images or read secrets", *where))
    return out
