"""Observability stack: load balancer, database and cache alarms; the dashboard; the budget."""

from __future__ import annotations

import json
from typing import Any

from troposphere import Sub, budgets, cloudwatch

from moorage.plan.naming import logical_id
from moorage.plan.observability import cache_member
from moorage.render.context import StackContext
from moorage.render.release import edge_stack
from moorage.render.service import alarm_resource


def render_observability(ctx: StackContext) -> None:
    """Fill an observability stack (``observability``, or ``-2`` ... when the plan spread alarms and dashboards)."""
    plan = ctx.plan
    alarms = [a for a in plan.alarms if plan.homes.get(f"alarm:{a.key}", "observability") == ctx.stack.key]
    refs: dict[str, Any] = {}
    if plan.edge and any("@alb" in a.dimensions.values() for a in alarms):
        refs["@alb"] = ctx.take("edge", "LoadBalancerFullName")
    for e in plan.edges[1:]:
        if any(f"@alb:{e.key}" in a.dimensions.values() for a in alarms):
            refs[f"@alb:{e.key}"] = ctx.take(e.key, "LoadBalancerFullName",
                                             parameter=logical_id(e.key, "LoadBalancerFullName"))
    for alarm in alarms:
        ctx.add(alarm_resource(ctx, alarm, refs))
    if plan.env.dashboard:
        part = ctx.stack.key.rsplit("-", 1)[-1] if ctx.stack.key[-1].isdigit() else ""
        ctx.add(cloudwatch.Dashboard("Dashboard", DashboardName=ctx.name("overview", *([part] if part else [])),
                                     DashboardBody=_dashboard(ctx)))


def render_budget(ctx: StackContext) -> None:
    """Fill the budget stack: a monthly cost budget with 80% actual and 100% forecast alerts."""
    env = ctx.plan.env
    if not env.budget_monthly:
        return
    subscribers = [budgets.Subscriber(SubscriptionType="EMAIL", Address=e) for e in sorted(env.budget_emails)]
    notes = [("ACTUAL", 80.0), ("FORECASTED", 100.0)]
    ctx.add(budgets.Budget(
        "Budget",
        Budget=budgets.BudgetData(
            BudgetName=ctx.name("monthly"), BudgetType="COST", TimeUnit="MONTHLY",
            BudgetLimit=budgets.Spend(Amount=float(env.budget_monthly), Unit="USD"),
            # Cost allocation tags must be activated in the billing console to be filterable.
            CostFilters={"TagKeyValue": [f"user:moorage:deployment${ctx.plan.prefix}"]}),
        NotificationsWithSubscribers=[budgets.NotificationWithSubscribers(
            Notification=budgets.Notification(NotificationType=kind, ComparisonOperator="GREATER_THAN",
                                              Threshold=pct, ThresholdType="PERCENTAGE"),
            Subscribers=subscribers) for kind, pct in notes] if subscribers else []))
    ctx.give("BudgetName", ctx.name("monthly"))


def _dashboard(ctx: StackContext) -> Sub:
    plan = ctx.plan
    variables: dict[str, Any] = {"Cluster": ctx.take("platform", "ClusterName")}
    widgets: list[dict[str, Any]] = []

    def widget(title: str, metrics: list[list[Any]], stat: str = "Average") -> None:
        n = len(widgets)
        widgets.append({"type": "metric", "x": (n % 2) * 12, "y": (n // 2) * 6, "width": 12, "height": 6,
                        "properties": {"title": title, "region": "${AWS::Region}", "stat": stat, "period": 300,
                                       "metrics": metrics}})

    running = [s for s in plan.services.values() if s.spec.kind in ("web", "service", "worker")
               and plan.homes.get(f"dash:{s.spec.name}", "observability") == ctx.stack.key]
    for i, sp in enumerate(running):
        variables[f"Svc{i}"] = ctx.take(sp.stack, "ServiceName", parameter=logical_id(sp.spec.name, "service", "name"))
    cpu = [["AWS/ECS", "CPUUtilization", "ClusterName", "${Cluster}", "ServiceName", f"${{Svc{i}}}"]
           for i in range(len(running))]
    mem = [["AWS/ECS", "MemoryUtilization", "ClusterName", "${Cluster}", "ServiceName", f"${{Svc{i}}}"]
           for i in range(len(running))]
    if cpu:
        widget("Service CPU %", cpu)
        widget("Service memory %", mem)
    if running and plan.env.container_insights:
        # Container Insights publishes task counts, deployments and network per service.
        def insight(metric: str) -> list[list[Any]]:
            return [["ECS/ContainerInsights", metric, "ClusterName", "${Cluster}", "ServiceName", f"${{Svc{i}}}"]
                    for i in range(len(running))]
        widget("Running tasks", insight("RunningTaskCount"))
        widget("Deployments in progress", insight("DeploymentCount"), "Maximum")
        widget("Service network in (bytes)", insight("NetworkRxBytes"), "Sum")
        widget("Service network out (bytes)", insight("NetworkTxBytes"), "Sum")
    for i, sp in enumerate(s for s in running if s.route and s.spec.port and s.spec.health):
        # Each routed service's own 5XX and response time, on its target group.
        variables[f"Tg{i}"] = ctx.take(sp.stack, "TargetGroupFullName",
                                       parameter=logical_id(sp.spec.name, "target", "group"))
        variables[f"Lb{i}"] = _load_balancer(ctx, edge_stack(sp))
        dims = ["TargetGroup", f"${{Tg{i}}}", "LoadBalancer", f"${{Lb{i}}}"]
        widget(f"{sp.spec.name}: 5XX and response time",
               [["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", *dims, {"stat": "Sum"}],
                ["AWS/ApplicationELB", "TargetResponseTime", *dims, {"stat": "Average", "yAxis": "right"}]])
    if plan.edge and ctx.stack.key == "observability":
        variables["Alb"] = ctx.take("edge", "LoadBalancerFullName")
        widget("Requests", [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", "${Alb}"]], "Sum")
        widget("Latency (s)", [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", "${Alb}"]])
        widget("5XX", [["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", "${Alb}"],
                       ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", "${Alb}"]], "Sum")
    for name, db in plan.databases.items() if ctx.stack.key == "observability" else ():
        dim = "DBClusterIdentifier" if db.spec.aurora else "DBInstanceIdentifier"
        storage = [] if db.spec.aurora else [["AWS/RDS", "FreeStorageSpace", dim, db.identifier, {"yAxis": "right"}]]
        widget(f"Database {name}", [["AWS/RDS", "CPUUtilization", dim, db.identifier],
                                    ["AWS/RDS", "DatabaseConnections", dim, db.identifier], *storage])
    for name, cache in plan.caches.items() if ctx.stack.key == "observability" else ():
        member = cache_member(cache.identifier, cache.spec.cluster_mode)
        widget(f"Cache {name}", [["AWS/ElastiCache", "EngineCPUUtilization", "CacheClusterId", member],
                                 ["AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "CacheClusterId", member],
                                 ["AWS/ElastiCache", "NetworkBytesIn", "CacheClusterId", member, {"yAxis": "right"}],
                                 ["AWS/ElastiCache", "NetworkBytesOut", "CacheClusterId", member, {"yAxis": "right"}]])
    return Sub(json.dumps({"widgets": widgets}, sort_keys=True), **variables)


def _load_balancer(ctx: StackContext, edge: str) -> Any:
    """The full name of load balancer ``edge`` (a parameter named as render_observability names it)."""
    if edge == "edge":
        return ctx.take("edge", "LoadBalancerFullName")
    return ctx.take(edge, "LoadBalancerFullName", parameter=logical_id(edge, "LoadBalancerFullName"))
