"""EnvSpec -> Plan: stacks of typed resources and the wiring between them."""

from __future__ import annotations

import dataclasses

from moorage.data import load_data
from moorage.data.aws import resource_available
from moorage.errors import Diagnostic
from moorage.kinds import data_stack_purpose
from moorage.plan.bootstrap import (
    bootstrap_decisions,
    bootstrap_environment,
    bootstrap_job,
    bootstrap_job_name,
    database_users,
    needs_bootstrap,
    with_user_credentials,
)
from moorage.plan.edge import edge_plans
from moorage.plan.layout import (
    Budget,
    shard_data,
    shard_key,
    shard_observability,
    shard_registry,
    shard_security,
)
from moorage.plan.model import (
    AlarmPlan,
    BucketPlan,
    CachePlan,
    Choice,
    DatabasePlan,
    EdgePlan,
    PasswordRotationPlan,
    Plan,
    RestartPlan,
    SecretPlan,
    ServicePlan,
    StackPlan,
    TokenRotationPlan,
    VolumePlan,
)
from moorage.plan.naming import physical_name
from moorage.plan.network import network_plan
from moorage.plan.observability import (
    alarm_topics,
    health_check_alarms,
    health_topics,
    ignored_threshold_decisions,
    service_alarms,
    shared_alarms,
    storage_alarm_decisions,
    topic_key,
)
from moorage.plan.release import migration_snapshots, release_plan, rotation_restarts, watch_both_target_groups
from moorage.plan.rotation import (
    password_rotations,
    rotation_days,
    rotation_reminders,
    secret_restarts,
    token_rotations,
)
from moorage.plan.scaling import backlog_steps
from moorage.plan.security import (
    cache_sg,
    check_rule_counts,
    database_sg,
    security_groups,
    service_sg,
    volume_sg,
)
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
    edges = edge_plans(env, decisions)
    edge = edges[0] if edges else None
    groups = security_groups(env, edges)
    warnings_extra += check_rule_counts(env, groups)
    services = _service_plans(env, bootstraps, edges, retain, decisions)
    databases, caches, buckets, volumes, secrets_plan = _data_plans(env, retain, decisions)
    every = env.registry_services == "all"
    repositories = {n: f"{env.app}/{env.env}/{n}" for n, s in env.services.items()
                    if (s.build and not s.image) or (every and n not in bootstraps)}
    parameters = {n: f"/{env.app}/{env.env}/{n}" for n in sorted(env.config)}
    advanced = _advanced_parameters(env, decisions)
    has_data = bool(databases or caches or buckets or any(v.persistent for v in volumes) or secrets_plan
                    or parameters or any(not p.existing for p in env.user_pools.values()) or any(env.blocks.values()))
    stacks = _base_stacks(env, repositories, has_data, any(d.spec.managed_password for d in databases.values()),
                          edge, buckets, decisions)
    stacks += _service_stacks(prefix, services, bootstraps, repositories, has_data, env.customer_key)
    alarms = shared_alarms(env, edges, {n: d.identifier for n, d in databases.items()},
                           {n: c.identifier for n, c in caches.items()})
    decisions += storage_alarm_decisions(env) + ignored_threshold_decisions(env)
    stacks += _closing_stacks(env, services, edges, bool(alarms), decisions, warnings_extra)
    migrations = sorted(n for n, sp in services.items() if sp.spec.kind == "job" and n not in bootstraps)
    restarts = rotation_restarts(env, decisions) + secret_restarts(env, decisions)
    reminders = rotation_reminders(env, decisions)
    redeployed = {n for r in restarts for n in r.services}  # one stack parameter each: a shared budget
    tokens, token_reminders = token_rotations(env, caches, decisions, redeployed)
    reminders += token_reminders
    passwords = password_rotations(env, databases, decisions, redeployed)
    topics, topic_decisions = alarm_topics(env)
    health = health_check_alarms(env, edges)
    healths = health_topics(env, topics, health)
    stacks += _rotation_and_health_stacks(env, services, edges, restarts, bool(reminders), health, decisions,
                                          topic_decisions, tokens, passwords)
    plan = Plan(
        env=env, stacks=stacks, network=network, security_groups=groups, edge=edge, services=services,
        databases=databases, caches=caches, buckets=buckets, volumes=volumes, secrets=secrets_plan,
        alarms=alarms, namespace=f"{env.app}.internal", cluster_name=prefix,
        keep_on_delete=Choice(retain, f"profile {env.profile}: " + ("logs, secrets, repositories and user pools "
                              "are kept when their stack is deleted" if retain else "throwaway environment")),
        spot_keeps_base=Choice(env.profile == "prod", f"profile {env.profile}: " + (
            "one task stays on regular Fargate so a Spot reclaim never takes a service to zero"
            if env.profile == "prod" else "every task of a spot service may run on Spot")),
        production_guards=Choice(env.profile == "prod", f"profile {env.profile}: " + (
            "images deploy by digest; destroy asks for the app name" if env.profile == "prod"
            else "images deploy by tag; destroy asks a yes")),
        decisions=decisions,
        warnings=list(env.warnings) + warnings_extra, repositories=repositories, parameters=parameters,
        advanced_parameters=advanced,
        exec_log_group=f"/moorage/{env.app}/{env.env}/exec" if any(s.exec for s in env.services.values()) else None,
        edges=edges, alarm_topics=topics, health_alarms=health, health_topics=healths,
        alarm_topic_key=topic_key(topics), health_topic_key=topic_key(healths),
        migration_snapshots=migration_snapshots(env, databases, migrations, decisions), migration_jobs=migrations,
        rotation_restarts=restarts, rotation_reminders=reminders, token_rotations=tokens,
        password_rotations=passwords,
    )
    _spread(plan)
    return plan


def _service_plans(env: EnvSpec, bootstraps: dict[str, str], edges: list[EdgePlan], retain: bool,
                   decisions: list[Decision]) -> dict[str, ServicePlan]:
    """Each service's environment, permissions, route, alarms and release."""
    routes = {r.service: r for e in edges for r in e.routes}
    services: dict[str, ServicePlan] = {}
    for name, svc in env.services.items():
        if name in bootstraps:
            plain, secrets = bootstrap_environment(env, bootstraps[name])
        else:
            plain, secrets = service_environment(env, svc)
            with_user_credentials(env, name, secrets, plain)
        route = routes.get(name)
        services[name] = ServicePlan(
            spec=svc, stack=f"svc-{name}", security_group=service_sg(name), env=plain, secrets=secrets,
            permissions=task_permissions(env, svc), discovery=svc.port is not None, route=route,
            alarms=service_alarms(env, svc), log_group=f"/moorage/{env.app}/{env.env}/{name}", retain_logs=retain,
            release=release_plan(env, svc, route, decisions),
            scaling_steps=backlog_steps(svc.scaling.min, svc.scaling.max, svc.scaling.per_task)
            if svc.scaling and svc.scaling.per_task else [],
        )
        watch_both_target_groups(services[name].alarms, services[name].release)
        if svc.spot:
            decisions.append(Decision(f"services.{name}.capacity", "FARGATE_SPOT",
                                      "spot: true (interruptible, about 70% cheaper)"))
    return services


def _advanced_parameters(env: EnvSpec, decisions: list[Decision]) -> set[str]:
    """Config values the standard tier cannot hold (over 4 KB): Advanced tier parameters, each a decision
    (resolve refused anything over the Advanced tier's 8 KB)."""
    limit = load_data("aws_limits")["ssm_parameter_value"]
    out = set()
    for name, value in sorted(env.config.items()):
        size = len(value.encode())
        if size > limit:
            out.add(name)
            decisions.append(Decision(f"config.{name}.tier", "Advanced", f"{size:,} bytes, over the standard tier's "
                                      f"{limit:,}; an advanced parameter is billed per parameter-month"))
    return out


def _data_plans(env: EnvSpec, retain: bool, decisions: list[Decision]) -> tuple[
        dict[str, DatabasePlan], dict[str, CachePlan], dict[str, BucketPlan], list[VolumePlan], dict[str, SecretPlan]]:
    """Databases, caches, buckets, persistent volumes and secrets, with their physical names."""
    prefix = f"{env.app}-{env.env}"
    databases = {n: DatabasePlan(d, physical_name(prefix, n, limit=63), database_sg(n), retain or d.deletion_protection,
                                 database_users(env, n) if needs_bootstrap(d) else [], rotation_days(env, n, decisions))
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
    return databases, caches, buckets, volumes, secrets_plan


def _base_stacks(env: EnvSpec, repositories: dict[str, str], has_data: bool, managed: bool, edge: EdgePlan | None,
                 buckets: dict[str, BucketPlan], decisions: list[Decision]) -> list[StackPlan]:
    """The stacks every service stands on: key, network, registry, data, platform, edge and CDN."""
    prefix = f"{env.app}-{env.env}"
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
    every = env.registry_services == "all"
    if repositories:
        stacks.append(StackPlan("registry", f"{prefix}-registry", "ECR repositories of services built from source"
                                if not every else "ECR repositories, one per service", list(keys)))
        decisions.append(Decision("registry", f"{len(repositories)} repositories, keep {env.registry_keep} images",
                                  "scan on push, immutable tags, untagged images expire after 7 days"
                                  + ("; registry.services: all: one per service, for images a CI pushes"
                                     if every else "")))
    if has_data:
        stacks.append(StackPlan("data", f"{prefix}-data", data_stack_purpose(),
                                ["network", *keys]))
    stacks.append(StackPlan("platform", f"{prefix}-platform", "ECS cluster, service discovery, roles, alarm topic",
                            ["network", *keys] + (["data"] if managed else [])))
    if edge:
        # One log bucket per environment: when the data stack has one (bucket access logs), the ALB logs there too.
        edge.logs_in_data = edge.access_logs and any(b.spec.access_logs for b in buckets.values())
        stacks.append(StackPlan("edge", f"{prefix}-edge", "load balancer, listeners, certificate, WAF",
                                ["network", *(["data"] if edge.logs_in_data else [])]))
    if edge and env.cdn:
        # CloudFront takes certificates from us-east-1 only; the distribution itself is global.
        stacks.append(StackPlan("cdn", f"{prefix}-cdn", "CloudFront distribution, its certificate and DNS name",
                                ["edge"], None if env.region == "us-east-1" else "us-east-1"))
    return stacks


def _service_stacks(prefix: str, services: dict[str, ServicePlan], bootstraps: dict[str, str],
                    repositories: dict[str, str], has_data: bool, customer_key: bool) -> list[StackPlan]:
    """One stack per service, after what it stands on, the before-deploy jobs and its database's bootstrap."""
    keys = ["keys"] if customer_key else []
    jobs = [sp.stack for sp in services.values() if sp.spec.kind == "job"]
    stacks = []
    for name, sp in services.items():
        deps = ["network", "platform"] + (["data"] if has_data else []) + ([sp.route.edge] if sp.route else []) + keys
        if sp.spec.kind != "job":
            # Before-deploy jobs gate the release: no service stack deploys before they ran and succeeded.
            deps += jobs
        if name in repositories:
            deps.append("registry")  # its image is pushed to a repository of the registry stack first (_spread)
        if name not in bootstraps:
            # the bootstrap of each database it uses runs first (before the migrations)
            deps += [f"svc-{job}" for job, db in bootstraps.items() if db in sp.spec.uses]
        stacks.append(StackPlan(sp.stack, physical_name(prefix, "svc", name, limit=128),
                                f"{sp.spec.kind} {name}", deps))
    return stacks


def _rotation_and_health_stacks(env: EnvSpec, services: dict[str, ServicePlan], edges: list[EdgePlan],
                                restarts: list[RestartPlan], reminders: bool, health: list[AlarmPlan],
                                decisions: list[Decision], topic_decisions: list[Decision],
                                tokens: list[TokenRotationPlan],
                                passwords: list[PasswordRotationPlan]) -> list[StackPlan]:
    """The stack that redeploys services when RDS rotates a password, rotates cache AUTH tokens and reminds of
    manual rotations, and the Route 53 health-check alarms."""
    prefix = f"{env.app}-{env.env}"
    stacks = []
    if restarts or reminders or tokens or passwords:
        purpose = " and ".join(["redeploys services when RDS rotates a password"]
                               * any(r.kind == "database" for r in restarts)
                               + ["redeploys services when a function rotates a secret"]
                               * any(r.kind == "secret" for r in restarts)
                               + ["rotates cache AUTH tokens"] * bool(tokens)
                               + ["rotates generated database passwords"] * bool(passwords)
                               + ["reminds to rotate what no function rotates"] * reminders)
        readers = sorted({n for r in restarts for n in r.services} | {n for t in tokens for n in t.services}
                         | {n for p in passwords for n in p.services})
        stacks.append(StackPlan("rotation", f"{prefix}-rotation", purpose,
                                ["platform"] + ["data"] * bool(restarts or tokens or passwords)
                                + [services[n].stack for n in readers]))
    decisions += topic_decisions
    if health:
        # Route 53 publishes health-check metrics in us-east-1 only: their alarms live there.
        stacks.append(StackPlan("health", f"{prefix}-health", "Route 53 health-check alarms",
                                ["platform"] + [e.key for e in edges if e.health_path],
                                None if env.region == "us-east-1" else "us-east-1"))
        decisions.append(Decision("alarms.health_check", f"{len(health)} alarm(s) in us-east-1",
                                  "Route 53 health-check metrics exist only in us-east-1"
                                  + ("" if env.region == "us-east-1" else
                                     "; a topic there with the same destinations")))
    return stacks


def _closing_stacks(env: EnvSpec, services: dict[str, ServicePlan], edges: list[EdgePlan], alarms: bool,
                    decisions: list[Decision], warnings: list[Diagnostic]) -> list[StackPlan]:
    """The budget (where CloudFormation has the type) and the alarms and dashboard, after everything else."""
    prefix = f"{env.app}-{env.env}"
    stacks = []
    if env.budget_monthly:
        # Budgets are account-wide billing objects; where CloudFormation lacks the type, us-east-1 holds it.
        region = env.region if resource_available(env.region, "AWS::Budgets::Budget") else "us-east-1"
        stacks.append(StackPlan("budget", f"{prefix}-budget", "monthly cost budget and alerts", [],
                                None if region == env.region else region))
        decisions.append(Decision("budget.region", region, "same region as the app" if region == env.region else
                                  f"CloudFormation has no AWS::Budgets::Budget in {env.region}; budgets are "
                                  "account-wide and hold no application data"))
        if not env.budget_emails:
            warnings.append(Diagnostic("warning", "budget has no email: nobody hears when it is exceeded",
                                       None, "set budget.email"))
    if alarms or env.dashboard:
        deps = ["platform"] + [e.key for e in edges] + [sp.stack for sp in services.values()]
        stacks.append(StackPlan("observability", f"{prefix}-observability", "alarms and dashboard", deps))
    return stacks


def _spread(plan: Plan) -> None:
    """Split stacks that would pass CloudFormation's limits (plan.layout) and order the new ones."""
    budget = Budget.load()
    prefix = plan.prefix

    def insert_after(anchor: str, new: list[StackPlan]) -> None:
        at = next(i for i, s in enumerate(plan.stacks) if s.key == anchor) + 1
        plan.stacks[at:at] = new

    def widen(dep: str, keys: list[str]) -> None:
        # Stacks that came after ``dep`` now come after each of its parts.
        for s in plan.stacks:
            if dep in s.depends_on and s.key not in keys:
                s.depends_on = s.depends_on + [k for k in keys if k not in s.depends_on]

    if len(plan.edges) > 1:
        insert_after("edge", [StackPlan(e.key, f"{prefix}-{e.key}", f"load balancer {e.key.rsplit('-', 1)[-1]}: "
                                        "listeners, certificate, WAF", ["network"]) for e in plan.edges[1:]])
    security = shard_security(plan, budget)
    if security:
        insert_after("network", [StackPlan(k, f"{prefix}-{k}", f"security groups, part {i + 1} of {len(security)}",
                                           ["network"]) for i, k in enumerate(security)])
        plan.decisions.append(Decision("network.security_groups", f"{len(security)} security stacks",
                                       "one network stack would pass CloudFormation's 500 resources / 200 outputs: "
                                       "groups are spread by owner, each service's rules live in its own stack"))
        for e in plan.edges:
            plan.stack(e.key).depends_on.append(plan.home("sg", e.security_group))
        for s in plan.stacks:
            if s.key == "data" or s.key == "platform":
                s.depends_on += [k for k in security if k not in s.depends_on]
        for sp in plan.services.values():
            needed = {plan.home("sg", sp.security_group or "")}
            needed |= {plan.home("sg", k) for pr in plan.placed_rules.get(sp.stack, [])
                       for k in (pr.group, pr.rule.peer)}
            plan.stack(sp.stack).depends_on += sorted(needed)
    data = shard_data(plan, budget)
    if len(data) > 1:
        base = plan.stack("data")
        base.purpose += f" (part 1 of {len(data)})"
        insert_after("data", [StackPlan(k, f"{prefix}-{k}", f"{data_stack_purpose()} "
                                        f"(part {i + 2} of {len(data)})", list(base.depends_on))
                              for i, k in enumerate(data[1:])])
        widen("data", data)
        plan.decisions.append(Decision("data.stacks", f"{len(data)} data stacks",
                                       "one data stack would pass CloudFormation's limits"))
    registry = shard_registry(plan, budget)
    if len(registry) > 1:
        base = plan.stack("registry")
        base.purpose += f" (part 1 of {len(registry)})"
        insert_after("registry", [StackPlan(k, f"{prefix}-{k}", f"ECR repositories of services built from source "
                                            f"(part {i + 2} of {len(registry)})", list(base.depends_on))
                                  for i, k in enumerate(registry[1:])])
        for name, sp in plan.services.items():
            deps = plan.stack(sp.stack).depends_on
            if "registry" in deps:
                # a service waits for the one registry stack that holds its repository
                deps[deps.index("registry")] = plan.home("repo", name)
        plan.decisions.append(Decision("registry.stacks", f"{len(registry)} registry stacks",
                                       "one registry stack would pass CloudFormation's 200 outputs / 500 resources"))
    running = [n for n, sp in plan.services.items() if sp.spec.kind in ("web", "service", "worker")]
    obs = shard_observability(plan, plan.alarms, running if plan.env.dashboard else [], budget)
    if obs:
        at = next(i for i, s in enumerate(plan.stacks) if s.key == "observability")
        edges = [e.key for e in plan.edges]
        plan.stacks[at:at + 1] = [
            StackPlan(shard_key("observability", i), f"{prefix}-{shard_key('observability', i)}",
                      f"alarms and dashboard, part {i + 1} of {len(obs)}",
                      ["platform", *edges, *(plan.services[k[5:]].stack for k in chunk if k.startswith("dash:"))])
            for i, chunk in enumerate(obs)]
        plan.decisions.append(Decision("observability.stacks", f"{len(obs)} observability stacks",
                                       f"a dashboard per {load_data('cloudformation')['shard']['dashboard_services']} "
                                       "services; alarms spread under CloudFormation's limits"))
