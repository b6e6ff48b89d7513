"""ECS task definitions, services, clusters and scheduled tasks."""

from __future__ import annotations

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN, as_bool, as_list, dig
from moorage.debug_flags import debug_setting
from moorage.policy.checks import Outcome, facts, issue, params, rule
from moorage.policy.rules.common import container_path, containers


@rule("MOO-ECS-001")
def not_privileged(r: Resource) -> Outcome:
    return [issue(f"{name} runs privileged", *container_path(i, "Privileged"))
            for i, c, name in containers(r) if as_bool(r.resolve(c.get("Privileged")))]


@rule("MOO-ECS-002")
def no_dangerous_capabilities(r: Resource) -> Outcome:
    dangerous = set(facts()["dangerous_capabilities"])
    out = []
    for i, c, name in containers(r):
        added = [str(x) for x in as_list(dig(c, "LinuxParameters", "Capabilities", "Add")) if isinstance(x, str)]
        bad = sorted(x for x in added if x.upper().removeprefix("CAP_") in dangerous)
        if bad:
            out.append(issue(f"{name} adds {', '.join(bad)}", *container_path(i, "LinuxParameters")))
    return out


@rule("MOO-ECS-003")
def read_only_root(r: Resource) -> Outcome:
    return [issue(f"{name} has a writable root filesystem", *container_path(i))
            for i, c, name in containers(r)
            if as_bool(r.resolve(c.get("ReadonlyRootFilesystem"))) is not True
            and r.resolve(c.get("ReadonlyRootFilesystem")) is not UNKNOWN]


def _public_ip(r: Resource, value: object, path: tuple[str | int, ...], what: str) -> list:
    return [issue(f"{what} gets a public IP (AssignPublicIp ENABLED)", *path)] \
        if r.resolve(value) == "ENABLED" else []


@rule("MOO-ECS-004")
def no_public_ip(r: Resource) -> Outcome:
    if r.type == "AWS::Events::Rule":
        targets = [(i, t) for i, t in enumerate(as_list(r.get("Targets"))) if dig(t, "EcsParameters") is not None]
        if not targets:
            return None
        out = []
        for i, t in targets:
            value = dig(t, "EcsParameters", "NetworkConfiguration", "AwsVpcConfiguration", "AssignPublicIp")
            out += _public_ip(r, value, ("Properties", "Targets", i), f"scheduled task {dig(t, 'Id') or i + 1}")
        return out
    value = r.get("NetworkConfiguration", "AwsvpcConfiguration", "AssignPublicIp")
    return _public_ip(r, value, ("Properties", "NetworkConfiguration"), "the service's tasks")


def image_problem(image: str) -> str | None:
    """Why an image reference is not pinned, or None when it has a version tag or a digest."""
    if "@sha256:" in image or "@sha512:" in image:
        return None
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return "has no tag (pulls latest)"
    tag = name.rsplit(":", 1)[1]
    return "uses the latest tag" if tag.lower() in ("latest", "") else None


@rule("MOO-ECS-005")
def pinned_images(r: Resource) -> Outcome:
    out = []
    for i, c, name in containers(r):
        image = r.resolve(c.get("Image"))
        if isinstance(image, str) and (problem := image_problem(image)):
            out.append(issue(f"{name}: image {image} {problem}", *container_path(i, "Image")))
    return out


@rule("MOO-ECS-006")
def separate_roles(r: Resource) -> Outcome:
    task, execution = r.get("TaskRoleArn"), r.get("ExecutionRoleArn")
    if task is None or execution is None:
        return []
    same = task == execution
    a, b = r.target(task), r.target(execution)
    if a is not None and b is not None:
        same = a.key == b.key
    return [issue("the task role is also the execution role", "Properties", "TaskRoleArn")] if same else []


@rule("MOO-ECS-007")
def logs_configured(r: Resource) -> Outcome:
    return [issue(f"{name} has no LogConfiguration: its output is lost", *container_path(i))
            for i, c, name in containers(r) if c.get("LogConfiguration") is None]


@rule("MOO-ECS-008")
def health_checks(r: Resource) -> Outcome:
    balancers = [(i, lb) for i, lb in enumerate(as_list(r.get("LoadBalancers"))) if isinstance(lb, dict)]
    if not balancers:
        return None
    out = []
    for i, lb in balancers:
        group = r.target(lb.get("TargetGroupArn"))
        if group is not None and group.flag("HealthCheckEnabled") is False:
            out.append(issue(f"target group {group.id} has its health check disabled", "Properties",
                             "LoadBalancers", i))
    return out


@rule("MOO-ECS-009")
def circuit_breaker(r: Resource) -> Outcome:
    if r.value("DeploymentController", "Type") in ("CODE_DEPLOY", "EXTERNAL"):
        return None  # CodeDeploy and external controllers roll back on their own
    if r.value("DeploymentConfiguration", "Strategy") in ("BLUE_GREEN", "CANARY", "LINEAR"):
        return None  # the old version keeps production traffic until the new one is healthy; ECS rolls back
    base = ("DeploymentConfiguration", "DeploymentCircuitBreaker")
    off = [k for k in ("Enable", "Rollback") if r.flag(*base, k) is not True and r.value(*base, k) is not UNKNOWN]
    return [issue(f"deployment circuit breaker: {', '.join(off)} not true", "Properties",
                  "DeploymentConfiguration")] if off else []


@rule("MOO-ECS-010")
def container_insights(r: Resource) -> Outcome:
    for setting in as_list(r.get("ClusterSettings")):
        if r.resolve(dig(setting, "Name")) == "containerInsights" and \
                r.resolve(dig(setting, "Value")) in ("enabled", "enhanced", UNKNOWN):
            return []
    return [issue("Container Insights is off", "Properties")]


@rule("MOO-ECS-011")
def two_tasks(r: Resource) -> Outcome:
    if r.value("SchedulingStrategy") == "DAEMON":
        return None
    if _singleton(r):
        return []  # one task by design (a scheduler): a second copy would run every job twice
    minimum = int(params("MOO-ECS-011")["min_tasks"])
    scaling = [t.number("MinCapacity") for t in r.referrers("AWS::ApplicationAutoScaling::ScalableTarget")]
    if scaling:
        low = min((n for n in scaling if n is not None), default=minimum)
        return [issue(f"autoscaling allows {low} task(s)", "Properties")] if low < minimum else []
    if r.get("DesiredCount") is not None and r.number("DesiredCount") is None:
        return []
    count = r.number("DesiredCount")
    count = 1 if count is None else count
    return [issue(f"runs {count} task(s)", "Properties")] if count < minimum else []


def _singleton(r: Resource) -> bool:
    """One task that never runs beside a second copy, even during a rollout (MaximumPercent 100)."""
    deployment = r.get("DeploymentConfiguration")
    count = r.number("DesiredCount")
    return count in (None, 1) and not r.referrers("AWS::ApplicationAutoScaling::ScalableTarget") and \
        str(r.resolve(dig(deployment, "MaximumPercent"))) == "100"


@rule("MOO-ECS-012")
def no_host_namespaces(r: Resource) -> Outcome:
    return [issue(f"{prop} is host", "Properties", prop)
            for prop in ("NetworkMode", "PidMode", "IpcMode") if r.value(prop) == "host"]


@rule("MOO-ECS-013")
def no_exec(r: Resource) -> Outcome:
    return [issue("EnableExecuteCommand is true", "Properties", "EnableExecuteCommand")] \
        if r.flag("EnableExecuteCommand") else []


_RESERVED_PREFIXES = ("aws", "ecs", "fargate")


def _provider_names(r: Resource) -> list[tuple[int, object]]:
    return [(i, r.resolve(dig(item, "CapacityProvider"))) for i, item in
            enumerate(as_list(r.get("CapacityProviderStrategy")))]


def _cluster_providers(cluster: Resource) -> set[str] | None:
    """Capacity provider names a cluster offers (its own list and associations), None when unknown."""
    names: list[object] = [cluster.resolve(x) for x in as_list(cluster.get("CapacityProviders"))]
    for assoc in cluster.referrers("AWS::ECS::ClusterCapacityProviderAssociations"):
        target = assoc.target(assoc.get("Cluster"))
        if target is not None and target.key == cluster.key:
            names += [assoc.resolve(x) for x in as_list(assoc.get("CapacityProviders"))]
            default = as_list(assoc.get("DefaultCapacityProviderStrategy"))
            names += [assoc.resolve(dig(s, "CapacityProvider")) for s in default]
    if any(not isinstance(n, str) for n in names):
        return None
    return {str(n) for n in names}


@rule("MOO-ECS-015")
def capacity_providers_fit(r: Resource) -> Outcome:
    if r.type == "AWS::ECS::CapacityProvider":
        name = r.value("Name")
        if isinstance(name, str) and name.lower().startswith(_RESERVED_PREFIXES):
            return [issue(f"capacity provider named {name}: names starting with aws, ecs or fargate are reserved; "
                          "FARGATE and FARGATE_SPOT are built in and cannot be backed by an Auto Scaling group",
                          "Properties", "Name")]
        return []
    strategy = _provider_names(r)
    if not strategy:
        return None
    out = []
    if r.get("LaunchType") is not None:
        out.append(issue("sets both LaunchType and CapacityProviderStrategy: ECS refuses the service",
                         "Properties", "LaunchType"))
    cluster = r.target(r.get("Cluster"))
    offered = _cluster_providers(cluster) if cluster is not None else None
    if offered is not None:
        for i, name in strategy:
            if isinstance(name, str) and name not in offered:
                out.append(issue(f"uses capacity provider {name}, which cluster {cluster.id if cluster else ''} "
                                 f"does not offer ({', '.join(sorted(offered)) or 'none'})",
                                 "Properties", "CapacityProviderStrategy", i))
    return out


@rule("MOO-ECS-016")
def no_debug_settings(r: Resource) -> Outcome:
    if r.type == "AWS::SSM::Parameter":
        name = r.value("Name")
        value = r.value("Value")
        if not isinstance(name, str):
            return None
        var = name.rsplit("/", 1)[-1]
        return [issue(f"parameter {name} sets {var}={value}", "Properties", "Value")] \
            if debug_setting(var, value) else []
    out = []
    for i, c, cname in containers(r):
        for j, env in enumerate(as_list(c.get("Environment"))):
            var, value = dig(env, "Name"), r.resolve(dig(env, "Value"))
            if isinstance(var, str) and debug_setting(var, value):
                out.append(issue(f"{cname}: {var}={value} turns on debug mode", *container_path(i, "Environment", j)))
    return out
