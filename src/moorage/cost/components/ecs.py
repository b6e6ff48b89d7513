"""ECS on Fargate: services (desired count, autoscaling range, Spot split), scheduled tasks, one-off jobs."""

from __future__ import annotations

import re
from dataclasses import dataclass

from moorage.cfn.values import mentions, to_number
from moorage.cost.context import PricingContext, Resource
from moorage.cost.model import LineItem

DAYS_PER_MONTH = 730.0 / 24.0
WEEKS_PER_MONTH = DAYS_PER_MONTH / 7.0


@dataclass
class TaskSize:
    """What one Fargate task is billed on."""

    vcpu: float
    gb: float
    arch: str  # x86 | arm
    extra_storage_gb: float
    os: str


def task_size(ctx: PricingContext, owner: Resource, ref: object) -> TaskSize | str:
    """The size of the task definition ``ref`` points at, or the reason it cannot be known."""
    td = ctx.referenced(owner, ref)
    if td is None or td.type != "AWS::ECS::TaskDefinition":
        return "the task definition is not in this template"
    compat = td.prop("RequiresCompatibilities") or []
    cpu, memory = _cpu(td.prop("Cpu")), _memory(td.prop("Memory"))
    if cpu is None or memory is None:
        if "FARGATE" not in compat:
            return "not a Fargate task definition (EC2 capacity is priced with the instances)"
        return "task Cpu/Memory are not literals"
    platform = td.prop("RuntimePlatform") or {}
    arch = "arm" if str(platform.get("CpuArchitecture", "X86_64")).upper() == "ARM64" else "x86"
    os_family = str(platform.get("OperatingSystemFamily", "LINUX")).upper()
    storage = to_number((td.prop("EphemeralStorage") or {}).get("SizeInGiB")) or 20.0
    return TaskSize(cpu, memory, arch, max(0.0, storage - 20.0), os_family)


def _cpu(value: object) -> float | None:
    if isinstance(value, str) and "vcpu" in value.lower():
        return to_number(value.lower().replace("vcpu", ""))
    units = to_number(value)
    return None if units is None else units / 1024.0


def _memory(value: object) -> float | None:
    if isinstance(value, str) and "gb" in value.lower():
        return to_number(value.lower().replace("gb", ""))
    mib = to_number(value)
    return None if mib is None else mib / 1024.0


def split_capacity(strategy: list[dict[str, object]] | None, tasks: float) -> tuple[float, float]:
    """(on-demand tasks, Spot tasks) for ``tasks`` under a capacity provider strategy (base first, then weights)."""
    if not strategy:
        return tasks, 0.0
    remaining = tasks
    spot = regular = 0.0
    for item in strategy:
        base = min(remaining, to_number(item.get("Base")) or 0.0)
        if str(item.get("CapacityProvider")) == "FARGATE_SPOT":
            spot += base
        else:
            regular += base
        remaining -= base
    weights = {str(i.get("CapacityProvider")): to_number(i.get("Weight")) or 0.0 for i in strategy}
    total = sum(weights.values())
    if remaining > 0 and total > 0:
        spot += remaining * weights.get("FARGATE_SPOT", 0.0) / total
        regular += remaining * (total - weights.get("FARGATE_SPOT", 0.0)) / total
    elif remaining > 0:
        regular += remaining
    return regular, spot


def fargate_items(ctx: PricingContext, res: Resource, size: TaskSize, hours: float, *, spot: bool = False,
                  low_hours: float | None = None, high_hours: float | None = None, label: str = "",
                  assumption: bool = False, note: str = "") -> list[LineItem]:
    """vCPU-hours, GB-hours (and extra ephemeral storage) for ``hours`` task-hours of ``size``."""
    if size.os != "LINUX":
        return [ctx.unknown(res, f"Fargate {size.os.lower()} tasks", "not priced: only Linux Fargate rates are "
                             "in the catalog (Windows adds a per-vCPU license fee)")]
    kind = f"{'Spot, ' if spot else ''}{size.arch}{', ' + label if label else ''}"
    prefix = "fargate.spot" if spot else "fargate"

    def scaled(per_task: float, h: float | None) -> float | None:
        return None if h is None else per_task * h

    items = [
        ctx.charge(res, f"Fargate vCPU-hours ({kind})", size.vcpu * hours, "vCPU-hour",
                   f"{prefix}.vcpu_hour.{size.arch}", low_quantity=scaled(size.vcpu, low_hours),
                   high_quantity=scaled(size.vcpu, high_hours), assumption=assumption, note=note),
        ctx.charge(res, f"Fargate GB-hours ({kind})", size.gb * hours, "GB-hour", f"{prefix}.gb_hour.{size.arch}",
                   low_quantity=scaled(size.gb, low_hours), high_quantity=scaled(size.gb, high_hours),
                   assumption=assumption, note=note),
    ]
    if size.extra_storage_gb:
        items.append(ctx.charge(res, "Fargate ephemeral storage beyond 20 GB", size.extra_storage_gb * hours,
                                "GB-hour", "fargate.storage_gb_hour",
                                low_quantity=scaled(size.extra_storage_gb, low_hours),
                                high_quantity=scaled(size.extra_storage_gb, high_hours), assumption=assumption))
    return items


def _scaling(ctx: PricingContext, service: Resource) -> tuple[float, float] | None:
    for st in ctx.resources("AWS::ApplicationAutoScaling::ScalableTarget"):
        if st.stack != service.stack or str(st.prop("ServiceNamespace", "")) != "ecs":
            continue
        if mentions(st.props.get("ResourceId"), service.lid):
            low, high = st.number("MinCapacity"), st.number("MaxCapacity")
            if low is not None and high is not None:
                return low, high
    return None


def price_service(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """An ECS service: desired count x task size x 730 h, on Fargate and/or Fargate Spot."""
    launch = str(res.prop("LaunchType", "") or "")
    strategy = res.prop("CapacityProviderStrategy")
    if launch in ("EC2", "EXTERNAL") or (strategy and not all(
            str(i.get("CapacityProvider")) in ("FARGATE", "FARGATE_SPOT") for i in strategy)):
        return [ctx.free(res, "runs on EC2 capacity: the instances are priced where they are defined")]
    size = task_size(ctx, res, res.props.get("TaskDefinition"))
    if isinstance(size, str):
        return [ctx.unknown(res, "Fargate tasks", size)]
    scaling = _scaling(ctx, res)
    desired = res.number("DesiredCount")
    note = ""
    if desired is None:
        if "DesiredCount" in res.props:
            return [ctx.unknown(res, "Fargate tasks", "DesiredCount is not a literal")]
        desired = scaling[0] if scaling else 1.0
        note = "no DesiredCount: " + ("the scaling minimum" if scaling else "CloudFormation's default of 1")
    if scaling:
        note = "; ".join(n for n in (note, f"autoscaling {scaling[0]:g}-{scaling[1]:g} tasks: low/high "
                                     "are the range") if n)
    items: list[LineItem] = []
    regular, spot = split_capacity(strategy, desired)
    for count, is_spot in ((regular, False), (spot, True)):
        if count <= 0 and not (scaling and split_capacity(strategy, scaling[1])[1 if is_spot else 0] > 0):
            continue
        low = high = None
        if scaling:
            low = split_capacity(strategy, scaling[0])[1 if is_spot else 0] * ctx.hours
            high = split_capacity(strategy, scaling[1])[1 if is_spot else 0] * ctx.hours
        items += fargate_items(ctx, res, size, count * ctx.hours, spot=is_spot, low_hours=low, high_hours=high,
                               label=f"{count:g} task{'s' if count != 1 else ''}", note=note)
    network = (res.prop("NetworkConfiguration") or {}).get("AwsvpcConfiguration") or {}
    if str(network.get("AssignPublicIp", "DISABLED")).upper() == "ENABLED":
        items.append(ctx.charge(res, "public IPv4 address per task", desired * ctx.hours, "IP-hour",
                                "vpc.public_ipv4_hour",
                                low_quantity=scaling[0] * ctx.hours if scaling else None,
                                high_quantity=scaling[1] * ctx.hours if scaling else None))
    return items


def runs_per_month(expression: str) -> float | None:
    """How often an EventBridge schedule fires per month (rate() exactly, cron() approximately)."""
    expression = expression.strip()
    rate = re.fullmatch(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)", expression)
    if rate:
        minutes = {"minute": 1, "hour": 60, "day": 1440}[rate.group(2).rstrip("s")] * int(rate.group(1))
        return 730.0 * 60.0 / minutes
    cron = re.fullmatch(r"cron\((.+)\)", expression)
    if not cron:
        return None
    fields = cron.group(1).split()
    if len(fields) != 6:
        return None
    minute, hour, dom, month, dow, _year = fields
    per_day = _count(minute, 60) * _count(hour, 24)
    if dom not in ("*", "?"):
        days = _count(dom, 31) * 1.0
    elif dow not in ("*", "?"):
        days = _count(dow, 7, names=("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")) * WEEKS_PER_MONTH
    else:
        days = DAYS_PER_MONTH
    months = 1.0 if month in ("*", "?") else _count(month, 12) / 12.0
    return per_day * days * months


def _count(field: str, span: int, names: tuple[str, ...] = ()) -> int:
    if field in ("*", "?"):
        return span
    total = 0
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = max(1, int(step_text)) if step_text.isdigit() else 1
        if part in ("*", ""):
            total += max(1, span // step)
        elif step > 1 and part.isdigit():
            total += len(range(int(part), span, step))
        elif "-" in part:
            a, b = (_index(x, names) for x in part.split("-", 1))
            total += max(1, (b - a) // step + 1) if a is not None and b is not None else 1
        else:
            total += 1
    return total


def _index(token: str, names: tuple[str, ...]) -> int | None:
    token = token.upper()
    if token in names:
        return names.index(token)
    return int(token) if token.isdigit() else None


def price_schedule(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """An EventBridge rule: free itself; a rule that starts ECS tasks prices those runs."""
    items: list[LineItem] = [ctx.free(res, "EventBridge scheduled rules have no charge")]
    for tgt in res.prop("Targets") or []:
        ecs = tgt.get("EcsParameters") if isinstance(tgt, dict) else None
        if not ecs:
            continue
        size = task_size(ctx, res, ecs.get("TaskDefinitionArn"))
        if isinstance(size, str):
            items.append(ctx.unknown(res, "scheduled Fargate tasks", size))
            continue
        runs = runs_per_month(str(res.prop("ScheduleExpression", "") or ""))
        if runs is None:
            items.append(ctx.unknown(res, "scheduled Fargate tasks", "not a schedule (event pattern): "
                                     "runs per month unknown"))
            continue
        minutes, assumed = ctx.use("scheduled_task_minutes", res)
        count = to_number(ecs.get("TaskCount")) or 1.0
        hours = runs * count * max(minutes, 1.0) / 60.0
        spot = any(str(i.get("CapacityProvider")) == "FARGATE_SPOT" for i in ecs.get("CapacityProviderStrategy") or [])
        items += fargate_items(ctx, res, size, hours, spot=spot, label=f"{runs:.0f} runs x {minutes:g} min",
                               assumption=assumed)
    return items


def price_task_definition(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A task definition is priced where it runs; one nothing runs is a one-off job (e.g. a migration)."""
    runners = ("AWS::ECS::Service", "AWS::Events::Rule", "AWS::Scheduler::Schedule", "AWS::StepFunctions::StateMachine")
    for other in ctx.resources():
        if other.stack == res.stack and other.lid != res.lid and other.type in runners and mentions(other.props,
                                                                                                    res.lid):
            return [ctx.free(res, f"priced on {other.lid}, which runs it")]
    size = task_size(ctx, res, {"Ref": res.lid})
    if isinstance(size, str):
        return [ctx.free(res, f"no service runs it; {size}")]
    deploys, a1 = ctx.use("deploys_per_month", res)
    minutes, a2 = ctx.use("job_minutes", res)
    hours = deploys * max(minutes, 1.0) / 60.0
    return fargate_items(ctx, res, size, hours, label=f"one-off job, {deploys:g} runs x {minutes:g} min",
                         assumption=a1 or a2, note="no service or schedule runs this task definition: priced "
                         "as a job run once per deploy")


# The metric names Container Insights (standard) publishes for ECS, from the CloudWatch documentation
# (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/appinsights-metrics-ecs.html); the instance_*
# metrics exist only for EC2 capacity.
CONTAINER_INSIGHTS_METRICS = ("ContainerInstanceCount", "CpuUtilized", "CpuReserved", "DeploymentCount",
                              "DesiredTaskCount", "MemoryUtilized", "MemoryReserved", "NetworkRxBytes",
                              "NetworkTxBytes", "PendingTaskCount", "RunningTaskCount", "ServiceCount",
                              "StorageReadBytes", "StorageWriteBytes", "TaskCount", "TaskSetCount")


def price_cluster(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """An ECS cluster is free; Container Insights bills its metrics as CloudWatch custom metrics.

    AWS publishes no per-cluster price: what is billed is the metrics (and performance log events) it emits.
    The metric count is bounded from above: every documented metric name for the cluster and for each service
    and task family (one dimension set each), priced as custom metrics.
    """
    items = [ctx.free(res, "no charge for an ECS cluster")]
    settings = res.prop("ClusterSettings") or []
    insights = next((str(s.get("Value", "")).lower() for s in settings
                     if isinstance(s, dict) and s.get("Name") == "containerInsights"), "disabled")
    if insights == "enabled":
        services = list(ctx.resources("AWS::ECS::Service"))  # the set's services (cluster refs cross stacks)
        sets = 1 + 2 * len(services)
        items.append(ctx.charge(
            res, "Container Insights metrics (upper bound)", float(len(CONTAINER_INSIGHTS_METRICS) * sets),
            "metric-month", "cloudwatch.metric_month",
            note=f"at most {len(CONTAINER_INSIGHTS_METRICS)} documented metric names x {sets} dimension sets "
                 f"(the cluster, and each of {len(services)} services and its task family)"))
        gb, assumed = ctx.use("container_insights_log_gb", res)
        items.append(ctx.charge(res, "Container Insights performance log events", gb, "GB", "logs.ingest_gb",
                                assumption=assumed, note="/aws/ecs/containerinsights/<cluster>/performance"))
    elif insights == "enhanced":
        items.append(ctx.unknown(res, "Container Insights (enhanced observability) metrics",
                                 "not priced: enhanced observability adds per-task and per-container metrics "
                                 "whose number depends on the tasks running"))
    return items


# The resource types this module prices (collected by moorage.cost.components).
PRICERS = {
    "AWS::ECS::Service": price_service,
    "AWS::ECS::TaskDefinition": price_task_definition,
    "AWS::ECS::Cluster": price_cluster,
    "AWS::Events::Rule": price_schedule,
}
