"""The guide's reference sections: overview, decisions, services, data, variables, access, alarms, cost, checklist.

Every fact comes from the plan, the templates, the cost report or the policy report (``GuideInput``).
"""

from __future__ import annotations

import shlex
from typing import Any

from moorage import kinds
from moorage.cost.report import estimate_phrase, rows, summary_lines
from moorage.data import load_data
from moorage.guide.document import Bullets, Checklist, Para, Section, Table
from moorage.guide.facts import secret_names, secret_source, template_index
from moorage.guide.inputs import GuideInput
from moorage.plan.model import AlarmPlan, EnvRef, PlainValue, Plan, ServicePlan
from moorage.plan.naming import logical_id
from moorage.render.data import bucket_out, kind_out


def guide_facts() -> dict[str, Any]:
    """``data/guide.yaml``: alarm first checks and recovery objectives."""
    data: dict[str, Any] = load_data("guide")
    return data


def tasks_text(sp: ServicePlan) -> str:
    """``2-10 at 70% CPU``, ``1`` or ``before each deploy``."""
    svc = sp.spec
    if svc.kind == "job":
        return "runs before each deploy"
    if svc.kind == "scheduled":
        return f"1 per run, {svc.schedule}"
    if svc.scaling:
        target = f" at {svc.scaling.cpu}% CPU" if svc.scaling.cpu else ""
        return f"{svc.scaling.min}-{svc.scaling.max}{target}"
    return str(svc.desired)


def overview(gi: GuideInput) -> Section:
    """What this environment is, where, what it costs, and its stacks in deploy order."""
    plan, env = gi.plan, gi.plan.env
    url = f"https://{plan.edge.domain}" if plan.edge and plan.edge.domain else (
        "the load balancer's DNS name (stack output `LoadBalancerDnsName`)" if plan.edge else "no public entry")
    facts = [
        ["app / environment", f"`{plan.app}` / `{env.env}` (profile {env.profile})"],
        ["region", f"`{env.region}`" + (f"; data may live in {', '.join(env.residency)}" if env.residency else "")],
        ["public address", url if not url.startswith("https") else f"`{url}`"],
        ["ECS cluster", f"`{plan.cluster_name}`"],
        ["service discovery", f"`{plan.namespace}` (Cloud Map, private DNS)"],
        ["monthly estimate", _estimate(gi)],
        ["policy check", _policy_summary(gi)],
    ]
    stacks = [[f"`{s.name}`", s.purpose, f"`{s.region or env.region}`", ", ".join(s.depends_on) or "-"]
              for s in plan.stacks]
    blocks: list[Any] = [Table(["what", "value"], facts),
                         Para(f"{len(plan.stacks)} CloudFormation stacks, deployed in this order "
                              "(each after the stacks it reads from):"),
                         Table(["stack", "holds", "region", "after"], stacks)]
    if plan.warnings:
        blocks.append(Para("Warnings from planning:"))
        blocks.append(Bullets([w.render() for w in plan.warnings]))
    return Section("overview", "Overview", blocks)


def _estimate(gi: GuideInput) -> str:
    return estimate_phrase(gi.cost) + ("; see Cost" if gi.cost.unknown else "")


def _policy_summary(gi: GuideInput) -> str:
    counts = gi.report.counts()
    found = ", ".join(f"{n} {sev}" for sev, n in counts.items() if n and sev != "suppressed")
    return (f"{found} finding(s)" if found else "no open findings") + (
        f", {counts['suppressed']} suppressed" if counts["suppressed"] else "")


def decisions(plan: Plan) -> Section:
    """Every decision with its reason, as `moorage plan` prints them."""
    return Section("decisions", "Decisions and why", [
        Para("What moorage chose for this environment, and the reason. Change a choice in the spec; "
             "`moorage plan` shows the same list."),
        Table(["what", "chosen", "because"], [[f"`{d.topic}`", d.value, d.reason] for d in plan.decisions])])


def services(gi: GuideInput) -> Section:
    """Services: image, size, count and scaling, route, health path, release strategy."""
    plan = gi.plan
    table = []
    for name, sp in plan.services.items():
        svc = sp.spec
        image = f"`{svc.image}`" if svc.image else (
            f"built from `{svc.build.context if svc.build else '.'}`, "
            f"pushed to ECR `{plan.repositories.get(name, '')}`")
        route = f"`{sp.route.path}`" if sp.route else ("private, `" + f"{name}.{plan.namespace}:{svc.port}`"
                                                        if svc.port else "none")
        health = f"`{svc.health.path}`" if svc.health and sp.route else (
            "container check" if svc.container_check else "-")
        strategy = "one-off task" if svc.kind in ("job", "scheduled") else (
            f"rolling, {svc.min_healthy}%-{svc.max_percent}%"
            + (", circuit breaker rolls back" if plan.env.circuit_breaker else ""))
        if svc.spot:
            strategy += ", Fargate Spot"
        table.append([f"`{name}`", svc.kind, image, f"{svc.cpu} CPU / {svc.memory} MiB, {svc.arch}",
                      tasks_text(sp), route, health, strategy])
    return Section("services", "Services", [
        Para("CPU in units of 1/1024 vCPU. Tasks run in the private subnets without public addresses."),
        Table(["service", "kind", "image", "size", "tasks", "route", "health", "release"], table)])


def _recovery_db(plan: Plan, name: str) -> list[list[str]]:
    rec = guide_facts()["recovery"]
    db = plan.databases[name]
    d = db.spec
    rpo = rec["database_pitr_rpo"].format(days=d.backup_days) if d.backup_days else rec["database_no_backup_rpo"]
    rto = rec["database_multi_az_rto"] if d.multi_az or (d.aurora and d.replicas) else rec["database_single_az_rto"]
    storage = "Aurora (grows by itself)" if d.aurora else f"{d.storage}-{d.max_storage} GiB {d.storage_type}"
    return [
        ["identifier", f"`{db.identifier}`"], ["engine", f"{d.engine} {d.version}"],
        ["instance", f"{d.instance}" + (f" + {d.replicas} replica(s)" if d.replicas else "")],
        ["storage", storage], ["multi-AZ", "yes" if d.multi_az else "no"],
        ["database / user", f"`{d.dbname}` / `{d.username}`"],
        ["connections", f"port {d.port}, TLS" + (", through an RDS Proxy" if d.proxy else "")],
        ["backups", f"{d.backup_days} days" + (f", copied to {d.backup_region}" if d.backup_region else "")],
        ["deletion protection", "yes" if d.deletion_protection else "no"],
        ["on delete or replace", "final snapshot" if db.retain else "deleted with the stack"],
        ["recovery point (RPO)", rpo], ["recovery time (RTO)", rto + "; " + rec["database_restore_rto"]],
    ]


def _recovery_cache(plan: Plan, name: str) -> list[list[str]]:
    rec = guide_facts()["recovery"]
    cache = plan.caches[name]
    c = cache.spec
    rpo = rec["cache_snapshot_rpo"].format(days=c.backup_days) if c.backup_days else rec["cache_no_snapshot_rpo"]
    return [
        ["identifier", f"`{cache.identifier}`"], ["engine", f"{c.engine} {c.version}"],
        ["nodes", f"{c.nodes} x {c.node_type}" + (f", {c.shards} shards" if c.cluster_mode else "")],
        ["connections", f"port {c.port}, TLS and an auth token"],
        ["automatic failover", "yes" if c.failover else "no"],
        ["recovery point (RPO)", rpo],
        ["recovery time (RTO)", rec["cache_failover_rto"] if c.failover else rec["cache_single_rto"]],
    ]


def data_stores(gi: GuideInput) -> Section:
    """Databases, caches, buckets, file systems, secrets and parameters, with what their settings imply."""
    plan = gi.plan
    rec = guide_facts()["recovery"]
    subs: list[Section] = []
    for name in plan.databases:
        subs.append(Section(f"db-{name}", f"Database {name}", [Table(["setting", "value"], _recovery_db(plan, name))]))
    for name in plan.caches:
        subs.append(Section(f"cache-{name}", f"Cache {name}", [Table(["setting", "value"],
                                                                     _recovery_cache(plan, name))]))
    if plan.buckets:
        rows_ = []
        for name, b in plan.buckets.items():
            s = b.spec
            access = ", ".join(f"{svc} {mode}" for svc, mode in sorted(s.access.items())) or "-"
            rows_.append([f"`{name}`", f"`{bucket_out(name, 'name')}`", "yes" if s.versioning else "no",
                          "public read" if s.public else "private",
                          access, rec["bucket_versioned"] if s.versioning else rec["bucket_unversioned"]])
        subs.append(Section("buckets", "Buckets", [
            Para(f"CloudFormation names the buckets: each name is an output of `{plan.stack('data').name}`."),
            Table(["bucket", "name in output", "versioning", "access", "services", "recovery"], rows_)]))
    if plan.volumes:
        subs.append(Section("volumes", "File systems and task storage", [Table(
            ["service", "path", "kind"],
            [[f"`{v.service}`", f"`{v.path}`",
              "EFS, survives tasks" if v.persistent else "task storage, lost with the task"] for v in plan.volumes])]))
    secret_rows = []
    readers: dict[str, list[str]] = {}
    for sname, sp in plan.services.items():
        for value in sp.secrets.values():
            _, where = secret_source(gi.synth, value)
            readers.setdefault(where, [])
            if sname not in readers[where]:
                readers[where].append(sname)
    for sec in plan.secrets.values():
        spec = sec.spec
        origin = "existing (given by ARN)" if spec.external else ("generated by Secrets Manager" if spec.generate
                                                                  else "set by you after the first deploy")
        where = spec.external or sec.secret_name
        rotation = ("where it is managed" if spec.external else
                    f"every {spec.rotate_days} days by your function" if spec.rotation_function else
                    f"by hand, reminded every {spec.rotate_days} days (see Runbook)" if spec.rotate_days else
                    "by hand (see Runbook)")
        secret_rows.append([f"`{where}`", origin, rotation,
                            ", ".join(readers.get(where, [])) or "-"])
    listed = {sec.spec.external or sec.secret_name for sec in plan.secrets.values()}
    for where in sorted(set(secret_names(gi.synth)) | {w for w in readers if not w.startswith("/")}):
        if where not in listed:
            secret_rows.append([f"`{where}`", "generated with its database or cache (credentials or URL)",
                                "with the data store", ", ".join(readers.get(where, [])) or "-"])
    if secret_rows:
        subs.append(Section("secrets", "Secrets", [
            Para("Values are never written into templates, this guide or logs: tasks receive them from Secrets "
                 "Manager when they start."),
            Table(["secret", "value", "rotation", "read by"], secret_rows)]))
    if plan.parameters:
        subs.append(Section("parameters", "Parameters (SSM)", [Table(
            ["parameter", "read by"],
            [[f"`{p}`", ", ".join(sorted(n for n, sp in plan.services.items() if k in sp.spec.config)) or "-"]
             for k, p in plan.parameters.items()])]))
    return Section("data", "Data stores", [Para(
        "Recovery objectives are what the settings imply, from AWS's documentation; rehearse a restore to know "
        "yours. Sources: " + ", ".join(f"`{s}`" for s in rec["sources"]))], subs)


def _plain(gi: GuideInput, value: PlainValue) -> tuple[str, str]:
    texts: list[str] = []
    sources: list[str] = []
    plan = gi.plan
    for part in value.parts:
        if isinstance(part, str):
            texts.append(part)
            continue
        texts.append(_ref_text(plan, part, sources))
    if not sources:
        return "literal", f"`{''.join(texts)}`"
    return "wiring: " + ", ".join(sources), f"`{''.join(texts)}`"


def _ref_text(plan: Plan, ref: EnvRef, sources: list[str]) -> str:
    if ref.kind == "service":
        other = plan.services[ref.target].spec
        host = f"{other.name}.{plan.namespace}"
        sources.append(f"service {ref.target} (Cloud Map)")
        return {"host": host, "port": str(other.port), "url": f"http://{host}:{other.port}"}[ref.attribute]
    registered = kinds.kind(ref.kind)
    setting = registered.literal.get(ref.attribute)
    if setting == "@region":
        sources.append("the stack's region")
        return plan.env.region
    if setting:
        sources.append(f"{ref.kind} {ref.target}")
        return str(getattr(getattr(plan.env, registered.block)[ref.target], setting))
    out = kind_out(ref.kind, ref.target, ref.attribute)
    sources.append(f"output {out} of {plan.stack('data').name}")
    return "{" + out + "}"


def variables(gi: GuideInput) -> Section:
    """Per service: each environment variable and where its value comes from."""
    subs = []
    for name, sp in gi.plan.services.items():
        table = []
        for var, value in sp.env.items():
            source, shown = _plain(gi, value)
            table.append([f"`{var}`", source, shown])
        for var, secret in sp.secrets.items():
            where, ref = secret_source(gi.synth, secret)
            table.append([f"`{var}`", where, f"`{ref}`"])
        table.sort(key=lambda r: r[0])
        blocks: list[Any] = [Table(["variable", "source", "value or name"], table)] if table else [
            Para("No environment variables.")]
        subs.append(Section(f"vars-{name}", f"Variables of {name}", blocks))
    return Section("variables", "Environment variables", [Para(
        "Each variable and where its value comes from: a literal, a Secrets Manager secret or SSM parameter "
        "(injected when the task starts; only the name is shown), or wiring to something the service uses.")], subs)


def _matrix(plan: Plan) -> Table:
    cells: dict[tuple[str, str], set[str]] = {}

    def add(src: str, dst: str, rule: Any) -> None:
        port = f"{rule.port}" + (f"-{rule.to_port}" if rule.to_port and rule.to_port != rule.port else "")
        cells.setdefault((src, dst), set()).add(port if rule.protocol == "tcp" else f"{port}/{rule.protocol}")

    for key, group in plan.security_groups.items():
        for rule in group.ingress:
            add("internet" if rule.peer_is_cidr and rule.peer.startswith("0.0.0.0") else rule.peer, key, rule)
        for rule in group.egress:
            add(key, "internet" if rule.peer_is_cidr and rule.peer.startswith("0.0.0.0") else rule.peer, rule)
    names = group_names(plan)
    sources = sorted({s for s, _ in cells}, key=lambda k: (k != "internet", names.get(k, k)))
    targets = sorted({d for _, d in cells}, key=lambda k: (k == "internet", names.get(k, k)))
    body = [[f"`{names.get(s, s)}`", *[", ".join(sorted(cells.get((s, d), set()), key=lambda p: (len(p), p))) or "."
                                       for d in targets]] for s in sources]
    return Table(["from \\ to", *[f"`{names.get(d, d)}`" for d in targets]], body, matrix=True)


def group_names(plan: Plan) -> dict[str, str]:
    """Security group key -> what it protects, as readers know it (``svc-svc-auth`` -> ``svc-auth``)."""
    names = {"alb": "load balancer"}
    names |= {sp.security_group: name for name, sp in plan.services.items() if sp.security_group}
    names |= {d.security_group: f"{name} (database)" for name, d in plan.databases.items()}
    names |= {c.security_group: f"{name} (cache)" for name, c in plan.caches.items()}
    names |= {v.security_group: f"{v.service} files" for v in plan.volumes if v.security_group}
    return names


def _resource_text(resource: Any) -> str:
    if isinstance(resource, str):
        return resource
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        sub = resource["Fn::Sub"]
        return sub if isinstance(sub, str) else str(sub[0])
    if isinstance(resource, dict):
        return "(" + ", ".join(resource) + ")"
    return str(resource)


def _symbolic(resource: str) -> str:
    kind, _, name = resource.partition(":")
    return {"bucket": f"bucket {name}", "bucket-objects": f"objects in bucket {name}",
            "user-pool": f"user pool {name}", "key": "the environment's KMS key",
            "exec-logs": "the ECS Exec log group", "*": "*"}.get(kind, resource)


def access(gi: GuideInput) -> Section:
    """Subnets, who can reach what (security groups) and what each role may do (IAM)."""
    plan = gi.plan
    subnets = [[s.tier, str(s.az + 1), f"`{s.cidr}`"] for s in plan.network.subnets]
    net = plan.network
    iam_rows: list[list[str]] = []
    execution = template_index(gi.synth).resources.get(("platform", "ExecutionRole"))
    for policy in (execution.get("Policies") if execution else None) or []:
        for st in policy.get("PolicyDocument", {}).get("Statement", []):
            actions = st.get("Action")
            actions = actions if isinstance(actions, list) else [actions]
            res = st.get("Resource")
            res = res if isinstance(res, list) else [res]
            iam_rows.append(["execution role (all tasks)", ", ".join(f"`{a}`" for a in actions),
                             ", ".join(f"`{_resource_text(r)}`" for r in res)])
    for name, sp in plan.services.items():
        if not sp.permissions:
            iam_rows.append([f"task role of {name}", "nothing: no AWS API access", "-"])
        for perm in sp.permissions:
            iam_rows.append([f"task role of {name}", ", ".join(f"`{a}`" for a in perm.actions),
                             ", ".join(_symbolic(r) for r in perm.resources)])
    return Section("access", "Network and access", [], [
        Section("subnets", "Subnets", [
            Para(f"VPC `{net.cidr}` over {net.azs} Availability Zones; {net.nat_gateways} NAT gateway(s)"
                 + ("; VPC flow logs kept " + str(net.flow_log_retention) + " days" if net.flow_logs else "")
                 + ". Public: load balancer and NAT; private: tasks; isolated: data, no route to the internet."),
            Table(["tier", "AZ", "CIDR"], subnets)]),
        Section("security-groups", "Who can reach what", [
            Para("Security groups: the port a row may open to a column (TCP unless marked); `.` means no path. "
                 "`internet` is 0.0.0.0/0. Everything not listed is refused."),
            _matrix(plan)]),
        Section("iam", "What each role may do", [
            Para("The execution role pulls images, writes logs and reads the secrets and parameters the tasks "
                 "declare; each task role holds only what its service's `uses` needs."),
            Table(["role", "may", "on"], iam_rows)]),
    ])


def alarm_stack(plan: Plan, alarm: AlarmPlan) -> str:
    """The stack (physical name) holding an alarm."""
    for sp in plan.services.values():
        if any(a is alarm for a in service_alarms(sp)):
            return plan.stack(sp.stack).name
    if any(a is alarm for a in plan.health_alarms):
        return plan.stack("health").name
    return plan.stack("observability").name


def all_alarms(plan: Plan) -> list[tuple[str, AlarmPlan]]:
    """(owner, alarm) for every alarm: a service's name, or ``shared``."""
    out = [(name, a) for name, sp in plan.services.items() for a in service_alarms(sp)]
    return out + [("shared", a) for a in plan.alarms + plan.health_alarms]


def service_alarms(sp: ServicePlan) -> list[AlarmPlan]:
    """A service's own alarms and its release's rollback alarms."""
    return sp.alarms + (sp.release.alarms if sp.release is not None else [])


def alarms(gi: GuideInput) -> Section:
    """Alarms, where they notify, and the first thing to check when each fires."""
    plan = gi.plan
    checks = guide_facts()["alarm_checks"]
    if not all_alarms(plan):
        return Section("alarms", "Alarms", [Para(
            f"No alarms in this environment (alarm level `{plan.env.alarm_level}`, profile {plan.env.profile}).")])
    table = []
    for owner, a in all_alarms(plan):
        log_group = plan.services[owner].log_group if owner in plan.services else "the service's log group"
        first = checks.get(f"{a.namespace} {a.metric}", "the metric in CloudWatch, then the logs").format(
            log_group=f"`{log_group}`")
        op = {"GreaterThanThreshold": ">", "LessThanThreshold": "<", "GreaterThanOrEqualToThreshold": ">=",
              "LessThanOrEqualToThreshold": "<="}.get(a.comparison, a.comparison)
        name = a.name or f"{alarm_stack(plan, a)}-{logical_id('alarm', a.key)}"
        table.append([f"`{name}`", owner, a.description,
                      f"{a.statistic} {a.metric} {op} {a.threshold:g}, {a.periods} x {a.period}s", first])
    emails = ", ".join(plan.env.alarm_emails) or "nobody yet (set alarms.email)"
    topic = plan.env.alarm_topic_arn or f"{plan.prefix}-alarms"
    return Section("alarms", "Alarms", [
        Para(f"Alarms notify the SNS topic `{topic}` (subscribed: {emails}) when they fire and when they recover"
             + ("; warnings notify `" + plan.prefix + "-warning` (alarms.warning)"
                if any(t.severity == "warning" for t in plan.alarm_topics) else "")
             + ". CloudFormation names each alarm after its stack and logical id, plus a random suffix: the names "
             "below are prefixes."),
        Table(["alarm", "of", "fires when", "condition", "first thing to check"], table)])


def cost(gi: GuideInput) -> Section:
    """The monthly estimate, with its unknowns and assumptions."""
    report = gi.cost
    table = [[f"`{r[0]}`", *r[1:]] for r in rows(report)]
    blocks: list[Any] = [Bullets([line.strip() for line in summary_lines(report)]),
                         Table(["resource", "component", "quantity", "unit price", "monthly", "note"], table)]
    if report.unknown:
        blocks.append(Para("Not in the total (no sourced price, or a quantity that is not known before deploy):"))
        groups: dict[tuple[str, str], list[str]] = {}
        for i in report.unknown:
            groups.setdefault((i.component or i.type, i.note or i.status), []).append(f"{i.stack}/{i.resource}")
        blocks.append(Table(["component", "why", "resources"],
                            [[comp, why, ", ".join(f"`{r}`" for r in res)] for (comp, why), res in groups.items()]))
    assumed = sorted((u for u in report.usage.values() if u.assumed), key=lambda u: u.key)
    if assumed:
        blocks.append(Para(f"Assumed usage (profile {report.usage_profile}; give real figures with "
                           "`moorage cost --usage usage.yml`): " + ", ".join(f"{u.key} = {u.value:g}"
                                                                             for u in assumed)))
    return Section("cost", "Monthly cost", blocks)


def compliance(gi: GuideInput) -> Section:
    """The compliance checklist ticked from the policy check, and the open findings."""
    items = []
    for item in gi.checklist:
        label = {"pass": "passes", "fail": "FAILS", "manual": "manual", "not-applicable": "not applicable"}[item.status]
        extra = f" ({', '.join(item.failing)})" if item.failing else ""
        note = f": {item.note}" if item.note else ""
        state = "pass" if item.ticked else "fail" if item.status == "fail" else "open"
        items.append((state, f"{item.text}: {label}{extra}{note}"))
    blocks: list[Any] = [
        Para(f"From `moorage check {shlex.quote(str(gi.spec))} --env {gi.plan.env.env}`: ticked items pass on "
             "these templates; manual items are account-level settings to verify by hand."),
        Checklist(items)]
    active = gi.report.active
    if active:
        blocks.append(Para(f"Open findings ({len(active)}):"))
        blocks.append(Table(["severity", "rule", "resource", "finding"],
                            [[str(f.severity), f"`{f.rule}`", f"`{f.stack}/{f.resource}`", f.message]
                             for f in active]))
    if gi.report.suppressed:
        blocks.append(Para(f"{len(gi.report.suppressed)} finding(s) accepted by suppressions in the spec."))
    return Section("compliance", "Compliance checklist", blocks)
