"""Network stack: VPC, subnets, routing, NAT, flow logs, S3 endpoint and all security groups."""

from __future__ import annotations

from troposphere import GetAtt, GetAZs, Join, Ref, Select, Sub, ec2, iam, logs

from moorage.plan.model import PlacedRule, Rule, SecurityGroup
from moorage.plan.naming import logical_id
from moorage.plan.security import ANYWHERE
from moorage.render.context import StackContext
from moorage.render.keys import key_arn
from moorage.render.scanners import scanner_skips


def sg_id(key: str) -> str:
    """Logical id (and output name) of a security group."""
    return logical_id("sg", key)


def render_network(ctx: StackContext) -> None:
    """Fill the network stack."""
    plan, net = ctx.plan, ctx.plan.network
    vpc = ctx.add(ec2.VPC("Vpc", CidrBlock=net.cidr, EnableDnsHostnames=True, EnableDnsSupport=True,
                          Tags=ctx.tags(Name=ctx.name())))
    igw = ctx.add(ec2.InternetGateway("InternetGateway", Tags=ctx.tags(Name=ctx.name())))
    ctx.add(ec2.VPCGatewayAttachment("InternetGatewayAttachment", VpcId=Ref(vpc), InternetGatewayId=Ref(igw)))

    subnet_ids: dict[str, list[Ref]] = {"public": [], "private": [], "isolated": []}
    for sn in net.subnets:
        lid = logical_id("subnet", sn.key)
        ctx.add(ec2.Subnet(
            lid, VpcId=Ref(vpc), CidrBlock=sn.cidr, AvailabilityZone=Select(sn.az, GetAZs("")),
            MapPublicIpOnLaunch=False, Tags=ctx.tags(Name=ctx.name(sn.key), **{"moorage:tier": sn.tier})))
        subnet_ids[sn.tier].append(Ref(lid))

    public_rt = ctx.add(ec2.RouteTable("PublicRouteTable", VpcId=Ref(vpc), Tags=ctx.tags(Name=ctx.name("public"))))
    ctx.add(ec2.Route("PublicDefaultRoute", RouteTableId=Ref(public_rt), DestinationCidrBlock="0.0.0.0/0",
                      GatewayId=Ref(igw), DependsOn="InternetGatewayAttachment"))
    for sn in (s for s in net.subnets if s.tier == "public"):
        ctx.add(ec2.SubnetRouteTableAssociation(logical_id("assoc", sn.key), RouteTableId=Ref(public_rt),
                                                SubnetId=Ref(logical_id("subnet", sn.key))))
    for i in range(net.nat_gateways):
        eip = ctx.add(ec2.EIP(logical_id("nat-eip", str(i + 1)), Domain="vpc",
                              Tags=ctx.tags(Name=ctx.name("nat", str(i + 1))), DependsOn="InternetGatewayAttachment"))
        ctx.add(ec2.NatGateway(logical_id("nat", str(i + 1)), AllocationId=GetAtt(eip, "AllocationId"),
                               SubnetId=Ref(logical_id("subnet", f"public-{i + 1}")),
                               Tags=ctx.tags(Name=ctx.name("nat", str(i + 1)))))
    route_tables = []
    for sn in (s for s in net.subnets if s.tier == "private"):
        rt = ctx.add(ec2.RouteTable(logical_id("rt", sn.key), VpcId=Ref(vpc), Tags=ctx.tags(Name=ctx.name(sn.key))))
        route_tables.append(Ref(rt))
        if net.nat_gateways:
            nat = logical_id("nat", str(min(sn.az, net.nat_gateways - 1) + 1))
            ctx.add(ec2.Route(logical_id("route", sn.key), RouteTableId=Ref(rt), DestinationCidrBlock="0.0.0.0/0",
                              NatGatewayId=Ref(nat)))
        ctx.add(ec2.SubnetRouteTableAssociation(logical_id("assoc", sn.key), RouteTableId=Ref(rt),
                                                SubnetId=Ref(logical_id("subnet", sn.key))))
    isolated_rt = ctx.add(ec2.RouteTable("IsolatedRouteTable", VpcId=Ref(vpc),
                                         Tags=ctx.tags(Name=ctx.name("isolated"))))
    for sn in (s for s in net.subnets if s.tier == "isolated"):
        ctx.add(ec2.SubnetRouteTableAssociation(logical_id("assoc", sn.key), RouteTableId=Ref(isolated_rt),
                                                SubnetId=Ref(logical_id("subnet", sn.key))))
    if net.s3_endpoint:
        # Gateway endpoints are free and keep S3 traffic off the NAT gateways (NAT data is billed per GB).
        ctx.add(ec2.VPCEndpoint("S3Endpoint", VpcId=Ref(vpc), VpcEndpointType="Gateway",
                                ServiceName=Sub("com.amazonaws.${AWS::Region}.s3"),
                                RouteTableIds=route_tables + [Ref(isolated_rt)]))
    if net.flow_logs:
        _flow_logs(ctx, vpc)

    _security_groups(ctx, Ref(vpc))

    ctx.give("VpcId", Ref(vpc))
    ctx.give("VpcCidr", GetAtt(vpc, "CidrBlock"))
    for tier, ids in subnet_ids.items():
        ctx.give(f"{tier.title()}Subnets", Join(",", ids), f"{tier} subnet ids")
    for sg in plan.security_groups.values():
        if plan.home("sg", sg.key) == ctx.stack.key:
            ctx.give(sg_id(sg.key), Ref(sg_id(sg.key)), sg.description)


def render_security(ctx: StackContext) -> None:
    """Fill a security stack (``security``, ``security-2`` ...): the groups the plan put there."""
    _security_groups(ctx, ctx.take("network", "VpcId"))
    for sg in ctx.plan.security_groups.values():
        if ctx.plan.home("sg", sg.key) == ctx.stack.key:
            ctx.give(sg_id(sg.key), Ref(sg_id(sg.key)), sg.description)


def group_ref(ctx: StackContext, key: str) -> Ref:
    """The id of security group ``key``: a Ref in its own stack, else a parameter from its stack's output."""
    home = ctx.plan.home("sg", key)
    return Ref(sg_id(key)) if home == ctx.stack.key else ctx.take(home, sg_id(key))


def _security_groups(ctx: StackContext, vpc: object) -> None:
    plan = ctx.plan
    for sg in plan.security_groups.values():
        if plan.home("sg", sg.key) == ctx.stack.key:
            _security_group(ctx, vpc, sg, with_rules=not plan.placed_rules)
    render_rules(ctx, plan.placed_rules.get(ctx.stack.key, []))


def render_rules(ctx: StackContext, placed: list[PlacedRule]) -> None:
    """Group-to-group rules the plan put in this stack (separate resources: groups may refer to each other)."""
    for p in placed:
        _rule(ctx, p.group, p.direction, p.rule)


def _rule(ctx: StackContext, group: str, direction: str, r: Rule) -> None:
    lid = sg_id(group)
    peer_id = group_ref(ctx, r.peer)
    peer = {"SourceSecurityGroupId" if direction == "in" else "DestinationSecurityGroupId": peer_id}
    kind = ec2.SecurityGroupIngress if direction == "in" else ec2.SecurityGroupEgress
    ctx.add(kind(logical_id(lid, direction, r.peer, str(r.port)), GroupId=group_ref(ctx, group),
                 IpProtocol=r.protocol, FromPort=r.port, ToPort=r.to_port or r.port, Description=r.description,
                 **peer))


def _flow_logs(ctx: StackContext, vpc: ec2.VPC) -> None:
    group = ctx.add(logs.LogGroup("FlowLogGroup", LogGroupName=f"/moorage/{ctx.plan.app}/{ctx.plan.env.env}/vpc-flow",
                                  RetentionInDays=ctx.plan.network.flow_log_retention,
                                  **({"KmsKeyId": key_arn(ctx)} if ctx.plan.customer_key else {}),
                                  DeletionPolicy="Retain", UpdateReplacePolicy="Retain"))
    role = ctx.add(iam.Role(
        "FlowLogRole",
        AssumeRolePolicyDocument={"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")}}}]},
        Policies=[iam.Policy(PolicyName="write-flow-logs", PolicyDocument={
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": GetAtt(group, "Arn")}]})]))
    ctx.add(ec2.FlowLog("VpcFlowLog", ResourceId=Ref(vpc), ResourceType="VPC", TrafficType="ALL",
                        LogDestinationType="cloud-watch-logs", LogGroupName=Ref(group),
                        DeliverLogsPermissionArn=GetAtt(role, "Arn"), Tags=ctx.tags()))


def _security_group(ctx: StackContext, vpc: object, sg: SecurityGroup, with_rules: bool = True) -> None:
    lid = sg_id(sg.key)
    # With no egress rule CloudFormation allows all outbound traffic: this rule matches nothing instead.
    egress = [_inline(r) for r in sg.egress if r.peer_is_cidr] or [
        {"CidrIp": "255.255.255.255/32", "IpProtocol": "icmp", "FromPort": 252, "ToPort": 86,
         "Description": "no outbound traffic except the rules below"}]
    ctx.add(ec2.SecurityGroup(lid, GroupDescription=sg.description, VpcId=vpc, SecurityGroupEgress=egress,
                              SecurityGroupIngress=[_inline(r) for r in sg.ingress if r.peer_is_cidr],
                              Tags=ctx.tags(Name=ctx.name(sg.key)),
                              **({"Metadata": scanner_skips("alb-security-group")}
                                 if any(r.port == 80 and r.peer == ANYWHERE for r in sg.ingress) else {})))
    if not with_rules:
        return  # the plan placed them in the stacks that need them (plan.layout)
    # Group-to-group rules are separate resources so that groups can refer to each other without cycles.
    for direction, rules in (("in", sg.ingress), ("out", sg.egress)):
        for r in (r for r in rules if not r.peer_is_cidr):
            _rule(ctx, sg.key, direction, r)


def _inline(r: Rule) -> dict[str, object]:
    return {"CidrIp": r.peer, "IpProtocol": r.protocol, "FromPort": r.port, "ToPort": r.to_port or r.port,
            "Description": r.description}
