"""A service's release resources: target groups and listener rules (one pair for blue-green, canary and linear),
the role ECS shifts traffic with, the rollback alarms, the smoke hook and the DeploymentConfiguration."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Join, Parameter, Ref, Sub, awslambda, cloudwatch, ec2, ecs, iam, logs
from troposphere import elasticloadbalancingv2 as elb

from moorage.plan.model import PREVIEW_PRIORITIES, AlarmPlan, ReleasePlan, ServicePlan
from moorage.plan.naming import logical_id
from moorage.render.context import StackContext, StackInput
from moorage.render.keys import key_arn
from moorage.render.scanners import scanner_skips

# ECS assumes it to move listener-rule weights and (de)register targets during a release.
ECS_LOAD_BALANCER_POLICY = "arn:${AWS::Partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"

ASSUME_ECS = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ASSUME_LAMBDA = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

# The smoke hook. ECS calls it after test traffic moved to the new version; it requests the smoke path with the
# test header (which the test listener rule sends to the new version) and answers SUCCEEDED on 2xx/3xx.
SMOKE_CODE = '''\
import json
import os
import urllib.error
import urllib.request


def handler(event, context):
    url = os.environ["SMOKE_URL"]
    request = urllib.request.Request(url, headers={os.environ["TEST_HEADER"]: os.environ["TEST_VALUE"]})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except Exception as exc:
        print(json.dumps({"smoke": url, "error": str(exc)}))
        return {"hookStatus": "FAILED"}
    ok = 200 <= status < 400
    print(json.dumps({"smoke": url, "status": status, "ok": ok,
                      "revision": event.get("targetServiceRevisionArn")}))
    return {"hookStatus": "SUCCEEDED" if ok else "FAILED"}
'''


def target_groups(ctx: StackContext, sp: ServicePlan, release: ReleasePlan | None) -> list[str]:
    """The service's target group, and the alternate one when its releases shift traffic: their logical ids."""
    svc = sp.spec
    h = svc.health
    assert h is not None and svc.port is not None
    ids = ["TargetGroup"] + (["AlternateTargetGroup"] if release and release.shifts_traffic else [])
    for tg in ids:
        ctx.add(elb.TargetGroup(
            tg, Port=svc.port, Protocol="HTTP", TargetType="ip", VpcId=ctx.take("network", "VpcId"),
            HealthCheckPath=h.path, HealthCheckIntervalSeconds=h.interval, HealthCheckTimeoutSeconds=h.timeout,
            HealthyThresholdCount=h.healthy, UnhealthyThresholdCount=h.unhealthy,
            Matcher=elb.Matcher(HttpCode=h.codes),
            TargetGroupAttributes=[elb.TargetGroupAttribute(Key="deregistration_delay.timeout_seconds", Value="30")],
            Tags=ctx.tags()))
    return ids


def edge_stack(sp: ServicePlan) -> str:
    """The edge stack of the load balancer that routes to this service (past 100 routes: edge-2, edge-3 ...)."""
    return sp.route.edge if sp.route else "edge"


def listener_rules(ctx: StackContext, sp: ServicePlan, release: ReleasePlan | None) -> list[str]:
    """The production listener rule (and the test rule when traffic shifts); returns the ids the ECS service
    must be created after (the rules the service does not already refer to).

    With two target groups both rules forward to both, weighted 1/0; ECS moves the weights during a release.
    CloudFormation leaves the rules alone afterwards as long as their template does not change."""
    assert sp.route is not None
    path = elb.Condition(Field="path-pattern", PathPatternConfig=elb.PathPatternConfig(Values=[sp.route.path]))
    if release is None or not release.shifts_traffic:
        host = [elb.Condition(Field="host-header", HostHeaderConfig=elb.HostHeaderConfig(Values=[sp.route.host]))
                ] if sp.route.host else []
        ctx.add(elb.ListenerRule(
            "ListenerRule", ListenerArn=ctx.take(edge_stack(sp), "ListenerArn"), Priority=_priority(ctx, sp),
            Conditions=[path, *host],
            Actions=[elb.ListenerRuleAction(Type="forward", TargetGroupArn=Ref("TargetGroup"))]))
        return ["ListenerRule"]
    weighted = elb.ListenerRuleAction(Type="forward", ForwardConfig=elb.ForwardConfig(TargetGroups=[
        elb.TargetGroupTuple(TargetGroupArn=Ref("TargetGroup"), Weight=1),
        elb.TargetGroupTuple(TargetGroupArn=Ref("AlternateTargetGroup"), Weight=0)]))
    ctx.add(elb.ListenerRule("ListenerRule", ListenerArn=ctx.take(edge_stack(sp), "ListenerArn"),
                             Priority=sp.route.priority, Conditions=[path], Actions=[weighted]))
    test = release.test_rule
    assert test is not None
    header = elb.Condition(Field="http-header", HttpHeaderConfig=elb.HttpHeaderConfig(
        HttpHeaderName=test.header, Values=[test.value]))
    ctx.add(elb.ListenerRule("TestListenerRule", ListenerArn=ctx.take(edge_stack(sp), "ListenerArn"),
                             Priority=test.priority, Conditions=[path, header], Actions=[weighted]))
    return []  # the service's AdvancedConfiguration refers to both rules


def _priority(ctx: StackContext, sp: ServicePlan) -> Any:
    """The rule's priority: the plan's, or for a preview the one its deployer picked on the shared listener."""
    assert sp.route is not None
    if ctx.plan.preview is None:
        return sp.route.priority
    if "RulePriority" not in ctx.inputs:
        ctx.inputs["RulePriority"] = StackInput("RulePriority", PREVIEW_PRIORITIES, sp.stack)
        ctx.template.add_parameter(Parameter(
            "RulePriority", Type="Number", MinValue=1, MaxValue=49999,
            Description="this preview's rule priority on its base's listener, picked by the deployer"))
    return Ref("RulePriority")


def load_balancer(ctx: StackContext, sp: ServicePlan, release: ReleasePlan | None) -> ecs.LoadBalancer:
    """The service's load balancer entry: with the alternate group, rules and traffic role when traffic shifts."""
    svc = sp.spec
    extra: dict[str, Any] = {}
    if release is not None and release.shifts_traffic:
        ctx.add(iam.Role("TrafficRole", AssumeRolePolicyDocument=ASSUME_ECS,
                         Description=f"{ctx.plan.prefix} {svc.name}: ECS shifts listener traffic during releases",
                         ManagedPolicyArns=[Sub(ECS_LOAD_BALANCER_POLICY)], Tags=ctx.tags()))
        extra["AdvancedConfiguration"] = ecs.AdvancedConfiguration(
            AlternateTargetGroupArn=Ref("AlternateTargetGroup"), ProductionListenerRule=Ref("ListenerRule"),
            TestListenerRule=Ref("TestListenerRule"), RoleArn=GetAtt("TrafficRole", "Arn"))
    return ecs.LoadBalancer(ContainerName=svc.name, ContainerPort=svc.port, TargetGroupArn=Ref("TargetGroup"),
                            **extra)


def deployment_configuration(ctx: StackContext, sp: ServicePlan) -> ecs.DeploymentConfiguration:
    """The ECS DeploymentConfiguration of the plan's strategy (adds its alarms and hook to the stack)."""
    svc = sp.spec
    release = sp.release
    props: dict[str, Any] = {"MinimumHealthyPercent": svc.min_healthy, "MaximumPercent": svc.max_percent}
    if release is None:
        props["DeploymentCircuitBreaker"] = ecs.DeploymentCircuitBreaker(
            Enable=ctx.plan.env.circuit_breaker, Rollback=ctx.plan.env.circuit_breaker)
        return ecs.DeploymentConfiguration(**props)
    props["Strategy"] = release.ecs_strategy
    if release.shifts_traffic:
        props["BakeTimeInMinutes"] = release.bake_minutes
    else:
        props["DeploymentCircuitBreaker"] = ecs.DeploymentCircuitBreaker(Enable=release.circuit_breaker,
                                                                          Rollback=release.circuit_breaker)
    if release.canary_percent is not None:
        props["CanaryConfiguration"] = ecs.CanaryConfiguration(
            CanaryPercent=release.canary_percent, CanaryBakeTimeInMinutes=release.canary_bake_minutes)
    if release.linear_percent is not None:
        props["LinearConfiguration"] = ecs.LinearConfiguration(
            StepPercent=release.linear_percent, StepBakeTimeInMinutes=release.linear_step_minutes)
    if release.alarms:
        refs = target_group_refs(ctx, sp)
        for alarm in release.alarms:
            ctx.add(deployment_alarm(ctx, alarm, refs))
        props["Alarms"] = ecs.DeploymentAlarms(AlarmNames=[a.name for a in release.alarms], Enable=True,
                                               Rollback=True)
    if release.smoke is not None:
        props["LifecycleHooks"] = [smoke_hook(ctx, sp)]
    return ecs.DeploymentConfiguration(**props)


def target_group_refs(ctx: StackContext, sp: ServicePlan) -> dict[str, Any]:
    """What '@tg', '@tg-alternate' and '@alb' stand for in a service stack's alarm dimensions."""
    refs = {"@tg": GetAtt("TargetGroup", "TargetGroupFullName"),
            "@alb": ctx.take(edge_stack(sp), "LoadBalancerFullName")}
    if sp.release is not None and sp.release.shifts_traffic:
        refs["@tg-alternate"] = GetAtt("AlternateTargetGroup", "TargetGroupFullName")
    return refs


def deployment_alarm(ctx: StackContext, alarm: AlarmPlan, refs: dict[str, Any]) -> cloudwatch.Alarm:
    """An alarm on a target-group metric (named when other resources refer to it, as ECS's rollback alarms);
    with ``combine`` it covers both target groups."""
    topic = ctx.take("platform", ctx.plan.alarm_output(alarm.severity))
    common: dict[str, Any] = {
        **({"AlarmName": alarm.name} if alarm.name else {}),
        "AlarmDescription": alarm.description, "EvaluationPeriods": alarm.periods,
        "Threshold": alarm.threshold, "ComparisonOperator": alarm.comparison, "TreatMissingData": alarm.treat_missing,
        "AlarmActions": [topic], "OKActions": [topic]}

    def dims(tg: str) -> list[cloudwatch.MetricDimension]:
        values = {**alarm.dimensions, "TargetGroup": tg}
        return [cloudwatch.MetricDimension(Name=k, Value=refs[v] if v.startswith("@") else v)
                for k, v in sorted(values.items())]

    if not alarm.combine:
        return cloudwatch.Alarm(logical_id("alarm", alarm.key), Namespace=alarm.namespace, MetricName=alarm.metric,
                                Dimensions=dims("@tg"), Statistic=alarm.statistic, Period=alarm.period, **common)
    queries = [cloudwatch.MetricDataQuery(
        Id=qid, ReturnData=False, MetricStat=cloudwatch.MetricStat(
            Metric=cloudwatch.Metric(Namespace=alarm.namespace, MetricName=alarm.metric, Dimensions=dims(tg)),
            Period=alarm.period, Stat=alarm.statistic))
        for qid, tg in (("primary", "@tg"), ("alternate", "@tg-alternate"))]
    queries.append(cloudwatch.MetricDataQuery(Id="both", Expression=f"{alarm.combine}([primary, alternate])",
                                              Label=f"{alarm.metric} of both target groups", ReturnData=True))
    return cloudwatch.Alarm(logical_id("alarm", alarm.key), Metrics=queries, **common)


def smoke_hook(ctx: StackContext, sp: ServicePlan) -> ecs.DeploymentLifecycleHook:
    """The smoke Lambda function, its log group and roles; returns the lifecycle hook that calls it."""
    release = sp.release
    assert release is not None and release.smoke is not None and release.test_rule is not None
    smoke, test = release.smoke, release.test_rule
    key = {"KmsKeyId": key_arn(ctx)} if ctx.plan.customer_key else {}
    keep = "Retain" if sp.retain_logs else "Delete"  # as the service's own logs: evidence outlives the stack
    ctx.add(logs.LogGroup("SmokeLogGroup", LogGroupName=smoke.log_group, RetentionInDays=smoke.log_retention, **key,
                          DeletionPolicy=keep, UpdateReplacePolicy=keep))
    log_arn = Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:" + smoke.log_group + ":*")
    ctx.add(iam.Role(
        "SmokeRole", AssumeRolePolicyDocument=ASSUME_LAMBDA,
        Description=f"{ctx.plan.prefix} {sp.spec.name} smoke check: its own logs, its network interfaces",
        Policies=[iam.Policy(PolicyName="logs", PolicyDocument={"Version": "2012-10-17", "Statement": [{
            "Sid": "OwnLogs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [log_arn]}, {
            # Lambda places the function in the private subnets through network interfaces of its own.
            "Sid": "VpcAccess", "Effect": "Allow", "Action": [
                "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses"],
            "Resource": [Sub("arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:*")]}, {
            "Sid": "SeeInterfaces", "Effect": "Allow", "Action": ["ec2:DescribeNetworkInterfaces"],
            "Resource": ["*"]}, *([{
                "Sid": "DecryptVariables", "Effect": "Allow", "Action": ["kms:Decrypt"],
                "Resource": [key_arn(ctx)]}] if ctx.plan.customer_key else [])]})],
        Tags=ctx.tags()))
    # The check runs in the private subnets (out through NAT to the environment's URL, as a user would)
    # with a group that only opens the web ports outward.
    ctx.add(ec2.SecurityGroup(
        "SmokeSecurityGroup", VpcId=ctx.take("network", "VpcId"),
        GroupDescription=f"{ctx.plan.prefix} {sp.spec.name} smoke check: HTTP(S) out only",
        SecurityGroupEgress=[ec2.SecurityGroupRule(IpProtocol="tcp", FromPort=p, ToPort=p, CidrIp="0.0.0.0/0",
                                                   Description=f"the environment's URL ({p})") for p in (443, 80)],
        Tags=ctx.tags()))
    ctx.add(awslambda.Function(
        "SmokeFunction", FunctionName=smoke.function_name, Runtime=smoke.runtime, Handler="index.handler",
        Role=GetAtt("SmokeRole", "Arn"), Timeout=smoke.timeout, MemorySize=128,
        Description=f"{ctx.plan.prefix} {sp.spec.name}: GET {smoke.path} on the new version before it takes traffic",
        Code=awslambda.Code(ZipFile=SMOKE_CODE),
        Environment=awslambda.Environment(Variables={
            "SMOKE_URL": Join("", [ctx.take(edge_stack(sp), "Url"), smoke.path]),
            "TEST_HEADER": test.header, "TEST_VALUE": test.value}),
        LoggingConfig=awslambda.LoggingConfig(LogGroup=Ref("SmokeLogGroup")),
        VpcConfig=awslambda.VPCConfig(SubnetIds=ctx.take("network", "PrivateSubnets", as_list=True),
                                      SecurityGroupIds=[Ref("SmokeSecurityGroup")]),
        ReservedConcurrentExecutions=1,  # one check at a time: ECS calls it once per release
        **({"KmsKeyArn": key_arn(ctx)} if ctx.plan.customer_key else {}),
        Metadata=scanner_skips("smoke-function"),
        Tags=ctx.tags()))
    ctx.add(iam.Role(
        "HookRole", AssumeRolePolicyDocument=ASSUME_ECS,
        Description=f"{ctx.plan.prefix} {sp.spec.name}: ECS calls the smoke check during releases",
        Policies=[iam.Policy(PolicyName="invoke-smoke", PolicyDocument={"Version": "2012-10-17", "Statement": [{
            "Sid": "InvokeSmoke", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
            "Resource": [GetAtt("SmokeFunction", "Arn")]}]})],
        Tags=ctx.tags()))
    return ecs.DeploymentLifecycleHook(HookTargetArn=GetAtt("SmokeFunction", "Arn"), RoleArn=GetAtt("HookRole", "Arn"),
                                       TargetType="AWS_LAMBDA", LifecycleStages=[smoke.stage])
