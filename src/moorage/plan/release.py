"""Release plans: a service's ECS deployment strategy and what it needs around it (second target group,
test listener rule, rollback alarms, smoke hook), each decision with its reason."""

from __future__ import annotations

from moorage.data import load_data
from moorage.plan.model import (
    AlarmPlan,
    DatabasePlan,
    ListenerTestRule,
    ReleasePlan,
    RestartPlan,
    RouteRule,
    SmokeHook,
    SnapshotPlan,
)
from moorage.plan.naming import physical_name
from moorage.plan.rotation import long_running_readers
from moorage.resolve.environment import Decision, EnvSpec, ResolvedService


def release_plan(env: EnvSpec, svc: ResolvedService, route: RouteRule | None,
                 decisions: list[Decision]) -> ReleasePlan | None:
    """The release plan of one service (None for jobs and scheduled tasks)."""
    rel = svc.release
    if rel is None:
        return None
    data = load_data("releases")
    prefix = f"{env.app}-{env.env}"
    plan = ReleasePlan(strategy=rel.strategy, ecs_strategy=data["strategies"][rel.strategy],
                       circuit_breaker=rel.circuit_breaker, bake_minutes=rel.bake_minutes)
    if rel.canary:
        plan.canary_percent, plan.canary_bake_minutes = rel.canary.percent, rel.canary.bake_minutes
    if rel.linear:
        plan.linear_percent, plan.linear_step_minutes = rel.linear.percent, rel.linear.step_minutes
    topic = f"services.{svc.name}.release"
    if route is not None:
        for signal in rel.rollback_on:
            s = data["signals"][signal]
            plan.alarms.append(AlarmPlan(
                f"Rollback{signal.title()}", f"{svc.name} release: {s['says']} (rolls the release back)",
                "AWS/ApplicationELB", s["metric"], {"TargetGroup": "@tg", "LoadBalancer": "@alb"}, s["statistic"],
                float(s["threshold"]), s["comparison"], int(s["periods"]), 60, "notBreaching",
                name=physical_name(prefix, svc.name, "rollback", signal, limit=255),
                combine=s["combine"] if rel.shifts_traffic else None))
        if plan.alarms:
            decisions.append(Decision(f"{topic}.alarms", ", ".join(a.name or "" for a in plan.alarms),
                                      "DeploymentConfiguration.Alarms with Rollback: ECS watches them during the "
                                      "release and puts the previous version back when one fires"))
    if rel.shifts_traffic and route is not None:
        # A header rule on the production listener, not a second listener on a test port: nothing more is
        # opened on the public load balancer and the same certificate serves it. The route priorities step by
        # 10, so priority - 5 is free and sits just before the service's own rule.
        plan.test_rule = ListenerTestRule(str(data["test_header"]), svc.name, route.priority - 5)
        decisions.append(Decision(
            f"{topic}.test_listener", f"{route.path} with header {data['test_header']}: {svc.name} "
            f"(priority {route.priority - 5})",
            "a header rule on the production listener rather than a test port: no extra port open on the public "
            "load balancer, same certificate; the header is no secret, it only reaches the release candidate"))
        decisions.append(Decision(f"{topic}.target_groups", "primary + alternate",
                                  "ECS registers the new version in the alternate target group and shifts the "
                                  "listener rules' weights, through an infrastructure role it assumes"))
    if rel.smoke and plan.test_rule is not None:
        smoke = data["smoke"]
        name = physical_name(prefix, svc.name, "smoke", limit=64)
        plan.smoke = SmokeHook(rel.smoke, name, f"/aws/lambda/{name}", str(smoke["stage"]), str(smoke["runtime"]),
                               int(smoke["timeout_seconds"]), env.log_retention)
        decisions.append(Decision(f"{topic}.smoke", f"{rel.smoke} at {smoke['stage']}",
                                  "a Lambda hook calls the test listener rule after test traffic moved and before "
                                  "production traffic does; any status but 2xx/3xx fails it and ECS rolls back"))
    return plan


def watch_both_target_groups(alarms: list[AlarmPlan], release: ReleasePlan | None) -> None:
    """With two target groups either may hold the serving version: target-group alarms watch both at once
    (otherwise the idle group's "no healthy host" would alarm after every swap)."""
    if release is None or not release.shifts_traffic:
        return
    for alarm in alarms:
        if "@tg" in alarm.dimensions.values():
            alarm.combine = "SUM" if alarm.statistic in ("Sum", "Minimum") else "MAX"


def migration_snapshots(env: EnvSpec, databases: dict[str, DatabasePlan], jobs: list[str],
                        decisions: list[Decision]) -> list[SnapshotPlan]:
    """A snapshot of each database a before-deploy job uses, taken before it runs (the profile says where)."""
    wanted = bool(load_data("profiles")["profiles"][env.profile]["migrations"]["snapshot"])
    out = []
    for job in jobs:
        used = [d for d in env.services[job].uses if d in databases]
        if not used:
            continue
        decisions.append(Decision(
            f"services.{job}.snapshot", ("a snapshot of " + ", ".join(used) + " before it runs") if wanted
            else "none", f"profile {env.profile}: " + ("a failed migration can be restored from the snapshot "
                                                       "named after its release" if wanted
                                                       else "no snapshot before migrations outside staging/prod")))
        if wanted:
            out += [SnapshotPlan(job, d, databases[d].identifier, databases[d].spec.aurora) for d in used]
    return out


def rotation_restarts(env: EnvSpec, decisions: list[Decision]) -> list[RestartPlan]:
    """For each database whose password RDS rotates, the long-running services that read it: ECS injects a
    secret when a task starts, so they get a forced new deployment when the rotation succeeds."""
    out = []
    for name, db in sorted(env.databases.items()):
        if not db.managed_password:
            continue
        readers = long_running_readers(env, name)
        if readers:
            out.append(RestartPlan(name, readers))
            decisions.append(Decision(
                f"databases.{name}.rotation", "redeploy " + ", ".join(readers) + " when RDS rotates the password",
                "tasks read the password once, at start: RotationSucceeded starts a forced new deployment of each"))
    return out
