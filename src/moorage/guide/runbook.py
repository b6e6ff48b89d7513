"""Runbook and troubleshooting: each task as the moorage command and the equivalent `aws` CLI commands.

Every `aws` command names resources the templates create (stacks, the cluster, log groups, secrets,
database and cache identifiers, task families). Names CloudFormation chooses (an ECS service's name,
a target group's ARN) are read from the stack's outputs in the command itself.
"""

from __future__ import annotations

import shlex

from moorage.guide.document import Block, Code, Para, Section, Table
from moorage.guide.facts import secret_source, task_family
from moorage.guide.inputs import GuideInput
from moorage.plan.model import Plan, SecretPlan, ServicePlan
from moorage.render.network import sg_id


def stack_output(plan: Plan, stack_key: str, output: str) -> str:
    """A shell command substitution that reads one output of one stack."""
    st = plan.stack(stack_key)
    return (f'$(aws cloudformation describe-stacks --region {st.region or plan.env.region} --stack-name {st.name} '
            f'--query "Stacks[0].Outputs[?OutputKey==\'{output}\'].OutputValue" --output text)')


def _long_running(plan: Plan) -> list[ServicePlan]:
    return [sp for sp in plan.services.values() if sp.spec.kind in ("web", "service", "worker")]


def _example(plan: Plan) -> ServicePlan | None:
    running = _long_running(plan)
    routed = [sp for sp in running if sp.route]
    return (routed or running or [None])[0]  # type: ignore[list-item]


def service_reference(gi: GuideInput) -> Table:
    """Per service: the real names every command below uses."""
    plan = gi.plan
    rows = []
    for name, sp in plan.services.items():
        rows.append([f"`{name}`", f"`{plan.stack(sp.stack).name}`", f"`{task_family(gi.synth, sp.stack) or '-'}`",
                     f"`{sp.log_group}`", "stack output `ServiceName`" if sp.spec.kind in ("web", "service", "worker")
                     else "-"])
    return Table(["service", "stack", "task family", "log group", "ECS service name"], rows)


def runbook(gi: GuideInput) -> Section:
    """Deploy, release, roll back, scale, logs, jobs, restore a database, rotate secrets and credentials.

    Each task is a moorage command where moorage has one; `aws` commands only where it has none (scaling until
    the next deploy, a database restore, ECS task events, rotating a secret your own function rotates).
    """
    plan, env = gi.plan, gi.plan.env
    r = f"--region {env.region}"
    spec, e = shlex.quote(str(gi.spec)), env.env  # pasted into a shell: the path is quoted
    cluster = plan.cluster_name
    subs: list[Section] = []
    subs.append(Section("deploy", "Deploy", [
        Para("Review the change first, then deploy. moorage creates one change set per stack in dependency order, "
             "waits for each, refuses to replace a database, cache or bucket unless told to, and records the "
             "release. `moorage status` shows each stack's state, the running images and the URL."),
        Code(f"moorage diff {spec} --env {e}\nmoorage deploy {spec} --env {e}\nmoorage status {spec} --env {e}")]))
    ex = _example(plan)
    if ex:
        name = ex.spec.name
        subs.append(Section("release", "Release a new version", [
            Para(f"Change the image tag of the service in `{spec}` (for example `{name}`), review and deploy. "
                 f"ECS replaces tasks {ex.spec.min_healthy}%-{ex.spec.max_percent}% at a time"
                 + (" and rolls back by itself when new tasks fail to become healthy." if env.circuit_breaker
                    else "; this environment has no automatic rollback (circuit breaker off).")),
            Code(f"moorage diff {spec} --env {e}\nmoorage deploy {spec} --env {e}\nmoorage status {spec} --env {e}")]))
        subs.append(Section("rollback", "Roll back", [
            Para("Every deploy is recorded as a release (when, who, commit, images, outcome). List them, then put "
                 "the services back on a release's task definitions and images (by default the release before "
                 "the current one; `--to` names another, `--service` limits it to one service). Databases, caches "
                 "and buckets are not touched: a migration is not undone."),
            Code(f"moorage history {spec} --env {e}\nmoorage rollback {spec} --env {e}\n"
                 f"moorage rollback {spec} --env {e} --service {name} --to RELEASE"),
            Para("Then revert the change in the spec too (for example `git revert` the release commit): the next "
                 "`moorage deploy` releases what the spec says.")]))
        scaling = ex.spec.scaling
        scale_aws = (f"aws application-autoscaling register-scalable-target {r} --service-namespace ecs "
                     f"--scalable-dimension ecs:service:DesiredCount --resource-id \"service/{cluster}/$SERVICE\" "
                     f"--min-capacity {scaling.min} --max-capacity {scaling.max}") if scaling else (
            f"aws ecs update-service {r} --cluster {cluster} --service \"$SERVICE\" --desired-count 2")
        subs.append(Section("scale", "Scale", [
            Para(f"Set `environments.{e}.services.{name}.scaling` (min, max, cpu) or `replicas` in the spec and "
                 f"deploy. `{name}` runs {ex.spec.desired} task(s) now"
                 + (f", scaling {scaling.min}-{scaling.max}." if scaling else ".")),
            Code(f"moorage deploy {spec} --env {e}"),
            Para("moorage has no command that scales without a deploy; in an emergency, the aws CLI (until the "
                 "next deploy puts the spec's numbers back):"),
            Code(f"SERVICE={stack_output(plan, ex.stack, 'ServiceName')}\n{scale_aws}")]))
    services = list(plan.services)
    log_cmds = [f"moorage logs {spec} --env {e} --since 15m"]
    if services:
        log_cmds.append(f"moorage logs {spec} --env {e} --service {services[0]} --follow")
    exec_blocks: list[Para | Code] = []
    execs = [sp for sp in _long_running(plan) if sp.spec.exec]
    if execs:
        sp = execs[0]
        exec_blocks = [Para(f"A shell in a running task of `{sp.spec.name}` (ECS Exec is on; sessions are logged to "
                            f"`{plan.exec_log_group}`):"),
                       Code(f"moorage exec {spec} --env {e} --service {sp.spec.name}")]
    else:
        exec_blocks = [Para(f"Shells into tasks (ECS Exec) are off in this environment (profile {env.profile}).")]
    subs.append(Section("logs", "Logs and shells", [
        Para("The services' logs merged in time order (`--service` for one service, `--follow` to keep "
             "printing, `--filter ERROR` for a CloudWatch filter pattern); the log groups are in the table above."),
        Code("\n".join(log_cmds)), *exec_blocks]))
    jobs = [sp for sp in plan.services.values() if sp.spec.kind == "job"]
    if jobs:
        sp = jobs[0]
        subs.append(Section("jobs", "Run a job by hand", [
            Para(f"`moorage deploy` runs {', '.join(f'`{j.spec.name}`' for j in jobs)} before it updates the "
                 f"services. To run `{sp.spec.name}` alone, with its task definition, network, secrets and role "
                 "(`-- COMMAND` runs another command in it):"),
            Code(f"moorage run {spec} --env {e} --service {sp.spec.name}")]))
    subs += _restore(gi) + _rotate(gi) + _credentials(gi)
    return Section("runbook", "Runbook", [
        Para("Every command names this environment's real resources. Names CloudFormation chooses itself are "
             "read from stack outputs inside the command."),
        service_reference(gi)], subs)


def _restore(gi: GuideInput) -> list[Section]:
    plan = gi.plan
    r = f"--region {plan.env.region}"
    out = []
    for name, db in plan.databases.items():
        d, ident = db.spec, db.identifier
        # The copy goes into the same subnets and security group, or RDS would put it in the default VPC.
        group = f"GROUP={stack_output(plan, 'network', sg_id(db.security_group))}"
        place = '--db-subnet-group-name "$SUBNET_GROUP" --vpc-security-group-ids "$GROUP"'
        if d.aurora:
            where = (f"SUBNET_GROUP=$(aws rds describe-db-clusters {r} --db-cluster-identifier {ident} "
                     '--query "DBClusters[0].DBSubnetGroup" --output text)')
            snapshots = f"aws rds describe-db-cluster-snapshots {r} --db-cluster-identifier {ident}"
            pitr = (f"aws rds restore-db-cluster-to-point-in-time {r} --source-db-cluster-identifier {ident} "
                    f"--db-cluster-identifier {ident}-restored --use-latest-restorable-time {place}")
            snap = (f"aws rds restore-db-cluster-from-snapshot {r} --snapshot-identifier SNAPSHOT_ID "
                    f"--db-cluster-identifier {ident}-restored --engine {d.engine} {place}")
            instance = (f"aws rds create-db-instance {r} --db-cluster-identifier {ident}-restored "
                        f"--db-instance-identifier {ident}-restored-1 --engine {d.engine} "
                        f"--db-instance-class {d.instance}")
            cmds = [where, group, snapshots, "# either: the latest restorable time", pitr,
                    "# or: a snapshot from the list above", snap, "# then give the restored cluster an instance",
                    instance]
        else:
            where = (f"SUBNET_GROUP=$(aws rds describe-db-instances {r} --db-instance-identifier {ident} "
                     '--query "DBInstances[0].DBSubnetGroup.DBSubnetGroupName" --output text)')
            snapshots = f"aws rds describe-db-snapshots {r} --db-instance-identifier {ident}"
            pitr = (f"aws rds restore-db-instance-to-point-in-time {r} --source-db-instance-identifier {ident} "
                    f"--target-db-instance-identifier {ident}-restored --use-latest-restorable-time {place}")
            snap = (f"aws rds restore-db-instance-from-db-snapshot {r} --db-snapshot-identifier SNAPSHOT_ID "
                    f"--db-instance-identifier {ident}-restored {place}")
            cmds = [where, group, snapshots, "# either: the latest restorable time", pitr,
                    "# or: a snapshot from the list above", snap]
        out.append(Section(f"restore-{name}", f"Restore database {name}", [
            Para("moorage has no restore command: a restore creates a new database next to the old one, which "
                 "moorage will not adopt. Restore into the same subnets and security group, check the data, then "
                 "copy what was lost back (for example with pg_dump/pg_restore or mysqldump) into "
                 f"`{ident}`. Backups are kept {d.backup_days} days"
                 + (f"; the final snapshot taken when `{ident}` is deleted is listed too." if db.retain else ".")),
            Code("\n".join(cmds))]))
    return out


def _readers(plan: Plan, name: str) -> list[ServicePlan]:
    return [sp for sp in _long_running(plan) if any(v.kind == "app-secret" and v.target == name
                                                    for v in sp.secrets.values())]


def _rotate(gi: GuideInput) -> list[Section]:
    """The app secrets grouped by the rotation their kind needs: generated ones get a new random value from
    moorage, a value a provider issued gets a new one from the provider (never a random one), a function's
    rotation is run now, an existing secret is rotated where it is managed."""
    plan = gi.plan
    if not plan.secrets:
        return []
    r = f"--region {plan.env.region}"
    spec, e = shlex.quote(str(gi.spec)), plan.env.env

    def named(secrets: list[SecretPlan]) -> str:
        return ", ".join(f"`{sec.spec.name}`" + (f" (read by {', '.join(f'`{sp.spec.name}`' for sp in rd)})"
                                                  if (rd := _readers(plan, sec.spec.name)) else "")
                         for sec in secrets)

    by_kind: dict[str, list[SecretPlan]] = {}
    for sec in plan.secrets.values():
        s = sec.spec
        kind = ("external" if s.external else "function" if s.rotation_function else
                "generated" if s.generate else "provided")
        by_kind.setdefault(kind, []).append(sec)
    blocks: list[Block] = []
    if "generated" in by_kind:
        blocks += [Para(f"Generated by Secrets Manager: {named(by_kind['generated'])}. moorage gives one a new "
                        "random value of the same length (never printed); `--restart` starts a new deployment of "
                        "the services that read it."),
                   Code("\n".join(f"moorage secrets rotate {spec} {sec.spec.name} --env {e} --restart"
                                  for sec in by_kind["generated"]))]
    if "provided" in by_kind:
        previous = [f"`{sec.spec.name}_PREVIOUS`" for sec in by_kind["provided"] if sec.spec.previous]
        blocks += [Para(f"Values you provide (`generate: false`), such as keys a provider issued: "
                        f"{named(by_kind['provided'])}. A random value would break them: issue a new key with the "
                        "provider (keep the old one valid), set it from the hidden prompt or stdin (never the "
                        "command line) with `--restart`, check that the new tasks run, then revoke the old key at "
                        "the provider."
                        + (f" The services also read the value before it ({', '.join(previous)}), so what was "
                           "signed with the old one keeps working until you revoke it." if previous else "")),
                   Code("\n".join([f"moorage secrets set {spec} {sec.spec.name} --env {e} --restart"
                                   for sec in by_kind["provided"]]
                                  + [f"moorage status {spec} --env {e}", "# then revoke the old key at the provider"]))]
    if "function" in by_kind:
        blocks += [Para(f"Rotated by your function: {named(by_kind['function'])}. Secrets Manager runs it on the "
                        "schedule and moorage redeploys the readers when it succeeds. moorage has no command that "
                        "runs your function; to rotate now, with the aws CLI:"),
                   Code("\n".join(f"aws secretsmanager rotate-secret {r} --secret-id {sec.secret_name}"
                                  for sec in by_kind["function"]))]
    if "external" in by_kind:
        blocks.append(Para(f"Existing secrets moorage does not own: {named(by_kind['external'])}. Rotate them where "
                           "they are managed; the services read the new value when their tasks restart (the next "
                           "`moorage deploy`)."))
    reminded = [f"`{sec.spec.name}` every {sec.spec.rotate_days} days" for sec in plan.secrets.values()
                if sec.spec.rotate_days and not sec.spec.rotation_function and not sec.spec.external]
    if reminded:
        blocks.append(Para("A reminder goes to the warning alarm destination when a rotation is due: "
                           + ", ".join(reminded) + "."))
    return [Section("rotate-secrets", "Rotate secrets", blocks)]


def _credentials(gi: GuideInput) -> list[Section]:
    """What rotates each database's password and each cache's AUTH token, as the plan decided it."""
    plan = gi.plan
    if not plan.databases and not plan.caches:
        return []
    restarts = {p.name: p.services for p in plan.rotation_restarts if p.kind == "database"}
    passwords = {p.database: p for p in plan.password_rotations}
    tokens = {t.cache: t for t in plan.token_rotations}
    reminders = {m.key: m for m in plan.rotation_reminders}
    rows = []
    for name, db in plan.databases.items():
        if db.rotation_days:
            how = f"RDS rotates the password it manages every {db.rotation_days} days"
            if restarts.get(name):
                how += "; moorage redeploys " + ", ".join(restarts[name]) + " when it succeeds"
        elif name in passwords:
            p = passwords[name]
            how = (f"a state machine of the rotation stack sets a new password every {p.days} days, stores it and "
                   "the URL, " + (f"runs job {p.job} for the per-service users, " if p.job else "")
                   + "and redeploys " + (", ".join(p.services) or "no service"))
        else:
            how = ("not rotated: set `rotate_days` on the database (or `password: managed`) so the password, the "
                   "URL secret and the services change together")
        rows.append([f"database `{name}`", how])
    for name in plan.caches:
        if name in tokens:
            t = tokens[name]
            how = (f"a state machine of the rotation stack adds a new AUTH token every {t.days} days, stores it, "
                   "redeploys " + (", ".join(t.services) or "no service") + ", then drops the old token")
        elif f"cache-{name}" in reminders:
            how = f"a reminder to the warning alarm destination: {reminders[f'cache-{name}'].message}"
        else:
            how = "not rotated: set `rotate_days` on the cache to rotate its AUTH token"
        rows.append([f"cache `{name}`", how])
    return [Section("rotate-credentials", "Database and cache credentials", [
        Para("moorage creates these credentials with their data store; nothing in them is set by hand, and a "
             "rotation must go through what rotates them here, so the stored URL and the running services agree."),
        Table(["credential of", "rotation"], rows)])]


def troubleshooting(gi: GuideInput) -> Section:
    """Common failures and the commands that find the cause."""
    plan, env = gi.plan, gi.plan.env
    r = f"--region {env.region}"
    cluster = plan.cluster_name
    spec, e = shlex.quote(str(gi.spec)), env.env  # pasted into a shell: the path is quoted
    events = [f"aws cloudformation describe-stack-events --region {st.region or env.region} --stack-name {st.name} "
              "--max-items 25" for st in plan.stacks]
    subs = [Section("ts-stuck", "A deploy failed or a stack is stuck", [
        Para("`moorage status` shows which stack failed; moorage has no command for a stack's events, so read "
             "them with the aws CLI (the stacks in deploy order). `--repair` continues a failed rollback or "
             "removes an empty failed stack before deploying again."),
        Code("\n".join([f"moorage status {spec} --env {e}", *events, f"moorage deploy {spec} --env {e} --repair"]))])]
    ex = _example(plan)
    if ex:
        svc_var = f"SERVICE={stack_output(plan, ex.stack, 'ServiceName')}"
        subs.append(Section("ts-tasks", "Tasks stop or never become healthy", [
            Para(f"The stopped tasks' reason first: `ResourceInitializationError` means a secret or parameter could "
                 f"not be read, `CannotPullContainerError` a wrong image or no route out, exit codes come from the "
                 f"app (read its log). Example for `{ex.spec.name}`:"),
            Code(f"{svc_var}\n"
                 f"aws ecs describe-services {r} --cluster {cluster} --services \"$SERVICE\" "
                 "--query \"services[0].events[:10]\"\n"
                 f"TASK=$(aws ecs list-tasks {r} --cluster {cluster} --service-name \"$SERVICE\" --desired-status "
                 "STOPPED --query \"taskArns[0]\" --output text)\n"
                 f"aws ecs describe-tasks {r} --cluster {cluster} --tasks \"$TASK\" "
                 "--query \"tasks[0].[stoppedReason,containers[].reason]\"\n"
                 f"moorage logs {spec} --env {e} --service {ex.spec.name} --since 30m")]))
        if ex.route:
            subs.append(Section("ts-502", "The site answers 502 or 503", [
                Para("The load balancer has no healthy target: check the targets' health and the health path "
                     f"(`{ex.spec.health.path if ex.spec.health else '/'}`), which must answer within the timeout."),
                Code(f"aws elbv2 describe-target-health {r} --target-group-arn "
                     f"\"{stack_output(plan, ex.stack, 'TargetGroupArn')}\"")]))
    users = [(sp, u) for sp in _long_running(plan) for u in sp.spec.uses if u in plan.databases]
    if users:
        sp, db = users[0]
        dbp = plan.databases[db]
        secret_names = sorted({secret_source_name(gi, sp, db)} - {""})
        cmds = [f"aws ec2 describe-security-groups {r} --group-ids "
                f"\"{stack_output(plan, 'network', sg_id(dbp.security_group))}\" "
                "--query \"SecurityGroups[0].IpPermissions\""]
        cmds += [f"aws secretsmanager describe-secret {r} --secret-id {n}" for n in secret_names]
        cmds.append(f"aws rds describe-db-{'clusters' if dbp.spec.aurora else 'instances'} {r} "
                    f"--db-{'cluster' if dbp.spec.aurora else 'instance'}-identifier {dbp.identifier} "
                    f"--query \"{'DBClusters' if dbp.spec.aurora else 'DBInstances'}[0].Status\"")
        subs.append(Section("ts-db", "A service cannot reach its database", [
            Para(f"Only services that `use` a database may reach it (see Who can reach what). For `{sp.spec.name}` "
                 f"and `{db}`: the database's security group, the connection secret and the database's state. "
                 "Connections must use TLS."),
            Code("\n".join(cmds))]))
    subs.append(Section("ts-cost", "The bill is higher than the estimate", [
        Para("Compare with the estimate and its assumptions (usage such as requests, data out and log volume is "
             "assumed unless given); NAT data processing and logs are the usual surprises."),
        Code(f"moorage cost {spec} --env {e}\nmoorage cost {spec} --all")]))
    return Section("troubleshooting", "Troubleshooting", [], subs)


def secret_source_name(gi: GuideInput, sp: ServicePlan, used: str) -> str:
    """The Secrets Manager name a service reads for a database it uses, or ``""``."""
    for value in sp.secrets.values():
        if value.kind == "database" and value.target == used:
            where, name = secret_source(gi.synth, value)
            return name if where == "Secrets Manager" and " " not in name else ""
    return ""
