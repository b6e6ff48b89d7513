"""EnvSpec -> Plan: stacks of typed resources and the wiring between them."""

from __future__ import annotations

import dataclasses

from moorage.data.aws import resource_available
from moorage.errors import Diagnostic
from moorage.plan.bootstrap import (
    bootstrap_decisions,
    bootstrap_environment,
    bootstrap_job,
    bootstrap_job_name,
    database_users,
    needs_bootstrap,
    with_user_credentials,
)
from moorage.plan.edge import edge_plan
from moorage.plan.model import (
    BucketPlan,
    CachePlan,
    DatabasePlan,
    Plan,
    SecretPlan,
    ServicePlan,
    StackPlan,
    VolumePlan,
)
from moorage.plan.naming import physical_name
from moorage.plan.network import network_plan
from moorage.plan.observability import service_alarms, shared_alarms
from moorage.plan.security import cache_sg, database_sg, security_groups, service_sg, volume_sg
from moorage.plan.wiring import service_environment, task_permissions
from moorage.resolve.environment import Decision, EnvSpec

__all__ = ["build_plan", "Plan"]


def build_plan(env: EnvSpec) -> Plan:
    """Everything to build for ``env``, split into stacks that deploy in order."""
    bootstraps = {bootstrap_job_name(n): n for n, d in env.databases.items() if needs_bootstrap(d)}
    if bootstraps:
        # The bootstrap jobs are services of the plan like any other (task definition, security group, logs).
        env = dataclasses.replace(env, services={**{j: bootstrap_job(env, db) for j, db in bootstraps.items()},
                                                 **env.services})
    decisions = list(env.decisions)
    for db_name in bootstraps.values():
        decisions += bootstrap_decisions(env, db_name)
    warnings_extra: list[Diagnostic] = []
    prefix = f"{env.app}-{env.env}"
    retain = env.profile != "dev"
    network = network_plan(env)
    decisions.append(Decision("network.subnets", f"{len(network.subnets)} subnets over {network.azs} AZs",
                              "public (load balancer, NAT), private (tasks), isolated (data, no internet route)"))
    edge = edge_plan(env, decisions)
    groups = security_groups(env)
    services: dict[str, ServicePlan] = {}
    for name, svc in env.services.items():
        if name in bootstraps:
            plain, secrets = bootstrap_environment(env, bootstraps[name])
        else:
            plain, secrets = service_environment(env, svc)
            with_user_credentials(env, name, secrets, plain)
        route = next((r for r in edge.routes if r.service == name), None) if edge else None
        services[name] = ServicePlan(
            spec=svc, stack=f"svc-{name}", security_group=service_sg(name), env=plain, secrets=secrets,
            permissions=task_permissions(env, svc), discovery=svc.port is not None, route=route,
            alarms=service_alarms(env, svc), log_group=f"/moorage/{env.app}/{env.env}/{name}", retain_logs=retain,
        )
        if svc.spot:
            decisions.append(Decision(f"services.{name}.capacity", "FARGATE_SPOT",
                                      "spot: true (interruptible, about 70% cheaper)"))
    databases = {n: DatabasePlan(d, physical_name(prefix, n, limit=63), database_sg(n), retain or d.deletion_protection,
                                 database_users(env, n) if needs_bootstrap(d) else [])
                 for n, d in env.databases.items()}
    caches = {n: CachePlan(c, physical_name(prefix, n, limit=40), cache_sg(n), retain)
              for n, c in env.caches.items()}
    buckets = {n: BucketPlan(b) for n, b in env.buckets.items()}
    volumes = [VolumePlan(f"{name}-{i + 1}", name, v.path, v.readonly, v.persistent,
                          volume_sg(name) if v.persistent else None, retain)
               for name, svc in env.services.items() for i, v in enumerate(svc.volumes)]
    secrets_plan = {n: SecretPlan(s, f"{env.app}/{env.env}/{n}") for n, s in env.secrets.items()}
    for name, db in databases.items():
        decisions.append(Decision(
            f"databases.{name}.on_delete", "snapshot" if db.retain else "delete",
            "stateful data is snapshotted before deletion or replacement" if db.retain
            else f"profile {env.profile}: throwaway data"))

    keys = ["keys"] if env.customer_key else []
    stacks = []
    if env.customer_key:
        stacks.append(StackPlan("keys", f"{prefix}-keys", "customer-managed KMS key", []))
        decisions.append(Decision("encryption.key", f"alias/{prefix}",
                                  "one customer-managed key with yearly rotation encrypts databases, caches, buckets, "
                                  "secrets, file systems, registries and logs"))
    # The network stack's flow-log group is encrypted with the key too, so the key comes first.
    stacks.append(StackPlan("network", f"{prefix}-network", "VPC, subnets, NAT, security groups",
                            list(keys)))
    repositories = {n: f"{env.app}/{env.env}/{n}" for n, s in env.services.items() if s.build and not s.image}
    if repositories:
        stacks.append(StackPlan("registry", f"{prefix}-registry", "ECR repositories of services built from source",
                                list(keys)))
        decisions.append(Decision("registry", f"{len(repositories)} repositories, keep {env.registry_keep} images",
                                  "scan on push, immutable tags, untagged images expire after 7 days"))
    parameters = {n: f"/{env.app}/{env.env}/{n}" for n in sorted(env.config)}
    created_pools = [n for n, p in env.user_pools.items() if not p.existing]
    has_data = bool(databases or caches or buckets or any(v.persistent for v in volumes) or secrets_plan
                    or parameters or created_pools)
    if has_data:
        stacks.append(StackPlan("data", f"{prefix}-data", "databases, caches, buckets, secrets, file systems",
                                ["network", *keys]))
    managed = any(d.spec.managed_password for d in databases.values())
    stacks.append(StackPlan("platform", f"{prefix}-platform", "ECS cluster, service discovery, roles, alarm topic",
                            ["network", *keys] + (["data"] if managed else [])))
    if edge:
        stacks.append(StackPlan("edge", f"{prefix}-edge", "load balancer, listeners, certificate, WAF",
                                ["network"]))
    if edge and env.cdn:
        # CloudFront takes certificates from us-east-1 only; the distribution itself is global.
        stacks.append(StackPlan("cdn", f"{prefix}-cdn", "CloudFront distribution, its certificate and DNS name",
                                ["edge"], None if env.region == "us-east-1" else "us-east-1"))
    exec_log_group = f"/moorage/{env.app}/{env.env}/exec" if any(s.exec for s in env.services.values()) else None
    for name, sp in services.items():
        deps = ["network", "platform"] + (["data"] if has_data else []) + (["edge"] if sp.route else []) + keys
        if name in repositories:
            deps.append("registry")  # its image is pushed to a repository of the registry stack first
        if name not in bootstraps:
            # the bootstrap of each database it uses runs first (before the migrations)
            deps += [f"svc-{job}" for job, db in bootstraps.items() if db in sp.spec.uses]
        stacks.append(StackPlan(sp.stack, physical_name(prefix, "svc", name, limit=128),
                                f"{sp.spec.kind} {name}", deps))
    alarms = shared_alarms(env, edge, {n: d.identifier for n, d in databases.items()},
                           {n: c.identifier for n, c in caches.items()})
    if env.budget_monthly:
        # Budgets are account-wide billing objects; where CloudFormation lacks the type, us-east-1 holds it.
        region = env.region if resource_available(env.region, "AWS::Budgets::Budget") else "us-east-1"
        stacks.append(StackPlan("budget", f"{prefix}-budget", "monthly cost budget and alerts", [],
                                None if region == env.region else region))
        decisions.append(Decision("budget.region", region, "same region as the app" if region == env.region else
                                  f"CloudFormation has no AWS::Budgets::Budget in {env.region}; budgets are "
                                  "account-wide and hold no application data"))
        if not env.budget_emails:
            warnings_extra.append(Diagnostic("warning", "budget has no email: nobody hears when it is exceeded",
                                             None, "set budget.email"))
    if alarms or env.dashboard:
        deps = ["platform"] + (["edge"] if edge else []) + [sp.stack for sp in services.values()]
        stacks.append(StackPlan("observability", f"{prefix}-observability", "alarms and dashboard", deps))
    return Plan(
        env=env, stacks=stacks, network=network, security_groups=groups, edge=edge, services=services,
        databases=databases, caches=caches, buckets=buckets, volumes=volumes, secrets=secrets_plan,
        alarms=alarms, namespace=f"{env.app}.internal", cluster_name=prefix, decisions=decisions,
        warnings=list(env.warnings) + warnings_extra, repositories=repositories, parameters=parameters,
        exec_log_group=exec_log_group,
    )
