"""Per-service stack: task definition, ECS service, target group and route, discovery, scaling, alarms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from troposphere import GetAtt, Join, Parameter, Ref, Sub, applicationautoscaling, cloudwatch, ecs, events, iam, logs
from troposphere import servicediscovery as sd

from moorage import kinds
from moorage.plan.model import AlarmPlan, EnvRef, PlainValue, SecretValue, ServicePlan
from moorage.plan.naming import logical_id
from moorage.plan.scaling import backlog_steps as queue_steps  # noqa: F401 - its name before the plan decided it
from moorage.render.context import StackContext, StackInput
from moorage.render.data import bucket_out, db_user_out, kind_out, secret_out, volume_out
from moorage.render.keys import key_arn
from moorage.render.network import group_ref, render_rules
from moorage.render.platform import ASSUME_ECS_TASKS
from moorage.render.release import (
    deployment_alarm,
    deployment_configuration,
    listener_rules,
    load_balancer,
    target_group_refs,
    target_groups,
)


def render_service(ctx: StackContext, sp: ServicePlan) -> None:
    """Fill one service's stack."""
    svc = sp.spec
    log_group = ctx.add(logs.LogGroup(
        "LogGroup", LogGroupName=sp.log_group, RetentionInDays=ctx.plan.env.log_retention,
        **({"KmsKeyId": key_arn(ctx)} if ctx.plan.customer_key else {}),
        DeletionPolicy="Retain" if sp.retain_logs else "Delete",
        UpdateReplacePolicy="Retain" if sp.retain_logs else "Delete"))
    _task_role(ctx, sp)
    container = _container(ctx, sp, log_group)
    volumes = []
    for vol in (v for v in ctx.plan.volumes if v.service == svc.name):
        if vol.persistent:
            volumes.append(ecs.Volume(Name=vol.key, EFSVolumeConfiguration=ecs.EFSVolumeConfiguration(
                FilesystemId=ctx.take(ctx.plan.home("volume", vol.key), volume_out(vol.key)),
                TransitEncryption="ENABLED")))
        else:
            volumes.append(ecs.Volume(Name=vol.key))  # task storage: writable even with a read-only root
    sidecars = [_sidecar(name, car, log_group) for name, car in sorted(svc.sidecars.items())]
    if svc.tracing == "xray" and "xray-daemon" not in svc.sidecars:
        sidecars.append(_sidecar("xray-daemon", XRAY_SIDECAR, log_group))
    ctx.add(ecs.TaskDefinition(
        "TaskDefinition", Family=ctx.name(svc.name), Cpu=str(svc.cpu), Memory=str(svc.memory),
        NetworkMode="awsvpc", RequiresCompatibilities=["FARGATE"],
        RuntimePlatform=ecs.RuntimePlatform(CpuArchitecture="ARM64" if svc.arch == "arm64" else "X86_64",
                                            OperatingSystemFamily="LINUX"),
        ExecutionRoleArn=ctx.take("platform", "ExecutionRoleArn"), TaskRoleArn=GetAtt("TaskRole", "Arn"),
        ContainerDefinitions=[container, *sidecars], **({"Volumes": volumes} if volumes else {}),
        Tags=ctx.tags(**{"moorage:service": svc.name})))
    ctx.give("TaskDefinitionArn", Ref("TaskDefinition"))
    ctx.give("LogGroupName", Ref(log_group))
    if svc.kind == "job":
        # the role a password rotation passes when it runs this job (the bootstrap job) itself
        ctx.give("TaskRoleArn", GetAtt("TaskRole", "Arn"))
        render_rules(ctx, ctx.plan.placed_rules.get(ctx.stack.key, []))
        return  # run by the deployer before each deploy (manifest: before_deploy_jobs)
    render_rules(ctx, ctx.plan.placed_rules.get(ctx.stack.key, []))
    network = ecs.AwsvpcConfiguration(Subnets=ctx.take("network", "PrivateSubnets", as_list=True),
                                      SecurityGroups=[group_ref(ctx, sp.security_group or "")],
                                      AssignPublicIp="DISABLED")
    if svc.kind == "scheduled":
        _schedule(ctx, sp, network)
    else:
        _service(ctx, sp, network)


def _value(ctx: StackContext, sp: ServicePlan, value: PlainValue) -> Any:
    parts = [p if isinstance(p, str) else _ref_value(ctx, p) for p in value.parts]
    if len(parts) == 1:
        return parts[0]
    return Join("", parts)


def _ref_value(ctx: StackContext, ref: EnvRef) -> Any:
    plan = ctx.plan
    if ref.kind == "service":
        target = plan.services[ref.target]
        other = target.spec
        host = f"{target.discovery_name or other.name}.{plan.namespace}"
        return {"host": host, "port": str(other.port), "url": f"http://{host}:{other.port}"}[ref.attribute]
    if ref.kind == "user_pool":
        pool = plan.env.user_pools[ref.target]
        if pool.existing:
            literal = {"arn": pool.existing, "id": pool.existing.rsplit("/", 1)[-1], "client_id": pool.client_id or ""}
            return literal[ref.attribute]
    registered = kinds.kind(ref.kind)
    setting = registered.literal.get(ref.attribute)
    if setting == "@region":
        return Ref("AWS::Region")
    if setting:
        value = getattr(getattr(plan.env, registered.block)[ref.target], setting)
        if value:
            return value
    return ctx.take(plan.home(registered.home, ref.target), kind_out(ref.kind, ref.target, ref.attribute))


def _secret_value(ctx: StackContext, value: SecretValue) -> Any:
    if value.kind == "config":
        return Sub("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
                   + ctx.plan.parameters[value.target])
    if value.kind == "app-secret":
        external = ctx.plan.secrets[value.target].spec.external
        arn = external or ctx.take(ctx.plan.home("secret", value.target), secret_out(value.target))
        # ECS reads a version stage as ARN:json-key:version-stage:version-id
        return Sub("${S}::" + value.stage + ":", S=arn) if value.stage else arn
    if value.kind == "database-user":
        db, service = value.target.split("/", 1)
        db_home = ctx.plan.home("db", db)
        if value.attribute == "url":
            return ctx.take(db_home, db_user_out(db, service, "url"))
        return Sub("${S}:" + str(value.attribute) + "::", S=ctx.take(db_home, db_user_out(db, service, "secret")))
    registered = kinds.kind(value.kind)
    home = ctx.plan.home(registered.home, value.target)
    if value.attribute == "url":
        return ctx.take(home, kind_out(value.kind, value.target, "url"))
    holder = ctx.take(home, kind_out(value.kind, value.target, str(registered.secret_output)))
    return Sub("${S}:" + str(value.attribute) + "::", S=holder)


def _container(ctx: StackContext, sp: ServicePlan, log_group: logs.LogGroup) -> ecs.ContainerDefinition:
    svc = sp.spec
    image: Any = svc.image
    if not image:
        ctx.template.add_parameter(Parameter("Image", Type="String",
                                             Description=f"image built from {svc.build.context if svc.build else ''}"))
        ctx.inputs["Image"] = StackInput("Image", "build", svc.name)
        image = Ref("Image")
    props: dict[str, Any] = {
        "Name": svc.name, "Image": image, "Essential": True,
        "Environment": [ecs.Environment(Name=k, Value=_value(ctx, sp, v)) for k, v in sp.env.items()],
        "Secrets": [ecs.Secret(Name=k, ValueFrom=_secret_value(ctx, v)) for k, v in sp.secrets.items()],
        "LogConfiguration": ecs.LogConfiguration(LogDriver="awslogs", Options={
            "awslogs-group": Ref(log_group), "awslogs-region": Ref("AWS::Region"), "awslogs-stream-prefix": svc.name}),
        "ReadonlyRootFilesystem": svc.readonly_root,
    }
    if svc.port:
        props["PortMappings"] = [ecs.PortMapping(ContainerPort=p, Protocol="tcp")
                                 for p in [svc.port, *svc.extra_ports]]
    if svc.container_check:
        c = svc.container_check
        props["HealthCheck"] = ecs.HealthCheck(Command=c.command, Interval=c.interval, Timeout=c.timeout,
                                               Retries=c.retries, StartPeriod=c.start_period)
    for key, value in (("Command", svc.command), ("EntryPoint", svc.entrypoint), ("WorkingDirectory", svc.workdir),
                       ("User", svc.user), ("StopTimeout", svc.stop_timeout)):
        if value:
            props[key] = value
    mounts = [ecs.MountPoint(SourceVolume=v.key, ContainerPath=v.path, ReadOnly=v.readonly)
              for v in ctx.plan.volumes if v.service == svc.name]
    if mounts:
        props["MountPoints"] = mounts
    for key in ("Environment", "Secrets"):
        if not props[key]:
            del props[key]
    return ecs.ContainerDefinition(**props)


# The X-Ray daemon, pinned (never :latest); it finds its region from the task metadata.
XRAY_DAEMON = "public.ecr.aws/xray/aws-xray-daemon:3.3.14"


@dataclass(frozen=True)
class _Container:
    """A sidecar moorage adds itself (the fields of a spec sidecar that ``_sidecar`` reads)."""

    image: str
    port: int | None = None
    protocol: str = "tcp"
    cpu: int = 32
    memory: int = 64
    essential: bool = False
    env: dict[str, str] = field(default_factory=dict)
    command: list[str] | None = None


XRAY_SIDECAR = _Container(image=XRAY_DAEMON, port=2000, protocol="udp", memory=64)


def _sidecar(name: str, car: Any, log_group: logs.LogGroup) -> ecs.ContainerDefinition:
    props: dict[str, Any] = {
        "Name": name, "Image": car.image, "Essential": car.essential, "Cpu": car.cpu, "MemoryReservation": car.memory,
        "LogConfiguration": ecs.LogConfiguration(LogDriver="awslogs", Options={
            "awslogs-group": Ref(log_group), "awslogs-region": Ref("AWS::Region"), "awslogs-stream-prefix": name}),
    }
    if car.port:
        props["PortMappings"] = [ecs.PortMapping(ContainerPort=car.port, Protocol=car.protocol)]
    if car.env:
        props["Environment"] = [ecs.Environment(Name=k, Value=str(v)) for k, v in sorted(car.env.items())]
    if car.command:
        props["Command"] = car.command
    return ecs.ContainerDefinition(**props)


def _task_role(ctx: StackContext, sp: ServicePlan) -> None:
    statements = []
    for perm in sp.permissions:
        resources = []
        for res in perm.resources:
            kind, _, name = res.partition(":")
            if res == "*":
                resources.append("*")
            elif res == "key":
                resources.append(key_arn(ctx))
            elif res == "exec-logs":
                resources.append(Sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                                     f"{ctx.plan.exec_log_group}:*"))
            elif kind == "user-pool":
                resources.append(_ref_value(ctx, EnvRef("user_pool", name, "arn")))
            elif kind in ("bucket", "bucket-objects"):
                arn = ctx.take(ctx.plan.home("bucket", name), bucket_out(name, "arn"))
                resources.append(Sub("${A}/*", A=arn) if kind == "bucket-objects" else arn)
            else:  # "<kind>:NAME": that resource's ARN output
                resources.append(_ref_value(ctx, EnvRef(kind, name, "arn")))
        statements.append({"Sid": perm.sid, "Effect": "Allow", "Action": list(perm.actions), "Resource": resources})
    policies = [iam.Policy(PolicyName="uses", PolicyDocument={"Version": "2012-10-17", "Statement": statements})] \
        if statements else []
    ctx.add(iam.Role("TaskRole", AssumeRolePolicyDocument=ASSUME_ECS_TASKS,
                     Description=f"{ctx.plan.prefix} {sp.spec.name}: only what its `uses` needs",
                     Tags=ctx.tags(), **({"Policies": policies} if policies else {})))


def _service(ctx: StackContext, sp: ServicePlan, network: ecs.AwsvpcConfiguration) -> None:
    svc = sp.spec
    cluster = ctx.take("platform", "ClusterName")
    props: dict[str, Any] = {}
    depends = []
    if sp.route and svc.port and svc.health:
        target_groups(ctx, sp, sp.release)
        depends += listener_rules(ctx, sp, sp.release)
        props["LoadBalancers"] = [load_balancer(ctx, sp, sp.release)]
        props["HealthCheckGracePeriodSeconds"] = svc.health.grace
        ctx.give("TargetGroupArn", Ref("TargetGroup"))
        ctx.give("TargetGroupFullName", GetAtt("TargetGroup", "TargetGroupFullName"), "for the dashboard")
    if sp.discovery:
        ctx.add(sd.Service(
            "Discovery", Name=sp.discovery_name or svc.name, NamespaceId=ctx.take("platform", "NamespaceId"),
            DnsConfig=sd.DnsConfig(DnsRecords=[sd.DnsRecord(Type="A", TTL=10)], RoutingPolicy="MULTIVALUE"),
            HealthCheckCustomConfig=sd.HealthCheckCustomConfig(FailureThreshold=1)))
        props["ServiceRegistries"] = [ecs.ServiceRegistry(RegistryArn=GetAtt("Discovery", "Arn"))]
    props.update(_capacity(sp, ecs.CapacityProviderStrategyItem, keep_base=bool(ctx.plan.spot_keeps_base)))
    ctx.add(ecs.Service(
        "Service", Cluster=cluster, TaskDefinition=Ref("TaskDefinition"), DesiredCount=svc.desired,
        NetworkConfiguration=ecs.NetworkConfiguration(AwsvpcConfiguration=network),
        DeploymentConfiguration=deployment_configuration(ctx, sp),
        PropagateTags="SERVICE", EnableECSManagedTags=True, EnableExecuteCommand=svc.exec,
        Tags=ctx.tags(**{"moorage:service": svc.name}),
        **props, **({"DependsOn": depends} if depends else {})))
    ctx.give("ServiceName", GetAtt("Service", "Name"))
    if svc.scaling or svc.scale_to_zero:
        _scaling(ctx, sp, cluster)
    for alarm in sp.alarms:
        _alarm(ctx, sp, alarm, cluster)


def _capacity(sp: ServicePlan, item: Any, keep_base: bool = False) -> dict[str, Any]:
    """LaunchType, or the Fargate Spot capacity-provider strategy for ``spot`` services."""
    if not sp.spec.spot:
        return {"LaunchType": "FARGATE"}
    strategy = [item(CapacityProvider="FARGATE_SPOT", Weight=1)]
    if keep_base:
        # Keep one task on regular Fargate so a Spot reclaim never takes the service to zero.
        strategy.insert(0, item(CapacityProvider="FARGATE", Base=1, Weight=0))
    return {"CapacityProviderStrategy": strategy}


def _scaling(ctx: StackContext, sp: ServicePlan, cluster: Ref) -> None:
    sc, off = sp.spec.scaling, sp.spec.scale_to_zero
    # Without autoscaling the target pins the task count; it exists for the scheduled actions.
    low, high = (sc.min, sc.max) if sc else (sp.spec.desired, sp.spec.desired)
    actions = {}
    if off:
        actions["ScheduledActions"] = [
            applicationautoscaling.ScheduledAction(
                ScheduledActionName=ctx.name(sp.spec.name, "stop"), Schedule=off.stop_cron, Timezone=off.timezone,
                ScalableTargetAction=applicationautoscaling.ScalableTargetAction(MinCapacity=0, MaxCapacity=0)),
            applicationautoscaling.ScheduledAction(
                ScheduledActionName=ctx.name(sp.spec.name, "start"), Schedule=off.start_cron, Timezone=off.timezone,
                ScalableTargetAction=applicationautoscaling.ScalableTargetAction(MinCapacity=low, MaxCapacity=high))]
    ctx.add(applicationautoscaling.ScalableTarget(
        "ScalableTarget", MinCapacity=low, MaxCapacity=high, ServiceNamespace="ecs",
        ScalableDimension="ecs:service:DesiredCount",
        ResourceId=Join("/", ["service", cluster, GetAtt("Service", "Name")]), **actions))
    if sc is None:
        return
    if sc.queue and sc.per_task:
        _queue_scaling(ctx, sp, sc.queue, sc.per_task)
    for metric, target in (("ECSServiceAverageCPUUtilization", sc.cpu),
                           ("ECSServiceAverageMemoryUtilization", sc.memory)):
        if target is None:
            continue
        name = "Cpu" if "CPU" in metric else "Memory"
        ctx.add(applicationautoscaling.ScalingPolicy(
            f"Scale{name}", PolicyName=ctx.name(sp.spec.name, name.lower()), PolicyType="TargetTrackingScaling",
            ScalingTargetId=Ref("ScalableTarget"),
            TargetTrackingScalingPolicyConfiguration=applicationautoscaling.TargetTrackingScalingPolicyConfiguration(
                TargetValue=float(target), ScaleInCooldown=sc.scale_in_cooldown,
                ScaleOutCooldown=sc.scale_out_cooldown,
                PredefinedMetricSpecification=applicationautoscaling.PredefinedMetricSpecification(
                    PredefinedMetricType=metric))))


def _queue_scaling(ctx: StackContext, sp: ServicePlan, queue: str, per_task: int) -> None:
    """Step scaling to an exact task count from the queue's depth: the alarm stays in ALARM (depth >= 0), so
    Application Auto Scaling re-applies the step matching the current depth every minute."""
    steps = [applicationautoscaling.StepAdjustment(
        MetricIntervalLowerBound=lower, ScalingAdjustment=tasks,
        **({"MetricIntervalUpperBound": upper} if upper is not None else {}))
        for lower, upper, tasks in sp.scaling_steps]
    ctx.add(applicationautoscaling.ScalingPolicy(
        "ScaleQueue", PolicyName=ctx.name(sp.spec.name, "queue"), PolicyType="StepScaling",
        ScalingTargetId=Ref("ScalableTarget"),
        StepScalingPolicyConfiguration=applicationautoscaling.StepScalingPolicyConfiguration(
            AdjustmentType="ExactCapacity", Cooldown=60, MetricAggregationType="Maximum", StepAdjustments=steps)))
    name = ctx.take(ctx.plan.home("queue", queue), kind_out("queue", queue, "name"))
    ctx.add(cloudwatch.Alarm(
        "QueueDepth", AlarmDescription=f"{sp.spec.name}: tasks follow queue {queue} ({per_task} messages a task)",
        Namespace="AWS/SQS", MetricName="ApproximateNumberOfMessagesVisible",
        Dimensions=[cloudwatch.MetricDimension(Name="QueueName", Value=name)], Statistic="Maximum", Period=60,
        EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="ignore", AlarmActions=[Ref("ScaleQueue")]))


def alarm_resource(ctx: StackContext, alarm: AlarmPlan, refs: dict[str, Any]) -> cloudwatch.Alarm:
    """A CloudWatch alarm from the plan, '@' dimension values replaced from ``refs``."""
    topic = ctx.take("platform", ctx.plan.alarm_output(alarm.severity))
    dims = [cloudwatch.MetricDimension(Name=k, Value=refs[v] if v.startswith("@") else v)
            for k, v in sorted(alarm.dimensions.items())]
    common: dict[str, Any] = {
        "AlarmDescription": alarm.description, "EvaluationPeriods": alarm.periods, "Threshold": alarm.threshold,
        "ComparisonOperator": alarm.comparison, "TreatMissingData": alarm.treat_missing,
        "AlarmActions": [topic], "OKActions": [topic]}
    if alarm.expression:
        queries = [cloudwatch.MetricDataQuery(
            Id=qid, ReturnData=False, MetricStat=cloudwatch.MetricStat(
                Metric=cloudwatch.Metric(Namespace=alarm.namespace, MetricName=metric, Dimensions=dims),
                Period=alarm.period, Stat=alarm.statistic))
            for qid, metric in (("m1", alarm.metric), ("m2", alarm.rate_of)) if metric]
        queries.append(cloudwatch.MetricDataQuery(Id="e1", Expression=alarm.expression, ReturnData=True,
                                                  Label=alarm.label or f"{alarm.metric} % of {alarm.rate_of}"))
        return cloudwatch.Alarm(logical_id("alarm", alarm.key), Metrics=queries, **common)
    return cloudwatch.Alarm(
        logical_id("alarm", alarm.key), Namespace=alarm.namespace, MetricName=alarm.metric, Dimensions=dims,
        Statistic=alarm.statistic, Period=alarm.period, **common)


def _alarm(ctx: StackContext, sp: ServicePlan, alarm: AlarmPlan, cluster: Ref) -> None:
    refs: dict[str, Any] = {"@cluster": cluster, "@service": GetAtt("Service", "Name")}
    if "@tg" in alarm.dimensions.values():
        refs.update(target_group_refs(ctx, sp))
    if alarm.combine:
        ctx.add(deployment_alarm(ctx, alarm, refs))
        return
    ctx.add(alarm_resource(ctx, alarm, refs))


def _schedule(ctx: StackContext, sp: ServicePlan, network: ecs.AwsvpcConfiguration) -> None:
    ctx.add(events.Rule(
        "Schedule", Description=f"{ctx.plan.prefix} {sp.spec.name}", ScheduleExpression=sp.spec.schedule,
        State="ENABLED", Targets=[events.Target(
            Id=sp.spec.name, Arn=ctx.take("platform", "ClusterArn"), RoleArn=ctx.take("platform", "SchedulerRoleArn"),
            EcsParameters=events.EcsParameters(
                TaskDefinitionArn=Ref("TaskDefinition"), TaskCount=1,
                **_capacity(sp, events.CapacityProviderStrategyItem),
                NetworkConfiguration=events.NetworkConfiguration(AwsVpcConfiguration=events.AwsVpcConfiguration(
                    Subnets=network.Subnets, SecurityGroups=network.SecurityGroups, AssignPublicIp="DISABLED"))))]))
