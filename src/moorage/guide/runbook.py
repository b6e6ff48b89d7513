"""Runbook and troubleshooting: each task as the moorage command and the equivalent `aws` CLI commands.

Every `aws` command names resources the templates create (stacks, the cluster, log groups, secrets,
database and cache identifiers, task families). Names CloudFormation chooses (an ECS service's name,
a target group's ARN) are read from the stack's outputs in the command itself.
"""

from __future__ import annotations

import shlex

from moorage.guide.document import Code, Para, Section, Table
from moorage.guide.facts import secret_source, task_family
from moorage.guide.inputs import GuideInput
from moorage.plan.model import Plan, ServicePlan
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
    """Deploy, release, roll back, scale, logs, jobs, restore a database, rotate a secret."""
    plan, env = gi.plan, gi.plan.env
    r = f"--region {env.region}"
    spec, e = shlex.quote(str(gi.spec)), env.env  # pasted into a shell: the path is quoted
    cluster = plan.cluster_name
    subs: list[Section] = []
    deploy_cmds = [f"aws cloudformation describe-stacks {r if not s.region else '--region ' + s.region} "
                   f"--stack-name {s.name} --query \"Stacks[0].StackStatus\"" for s in plan.stacks]
    subs.append(Section("deploy", "Deploy", [
        Para("Review the change first, then deploy. moorage creates one change set per stack in dependency order, "
             "waits for each, and refuses to replace a database, cache or bucket unless told to."),
        Code(f"moorage diff {spec} --env {e}\nmoorage deploy {spec} --env {e}"),
        Para("Follow it with the aws CLI (status of each stack, in deploy order):"),
        Code("\n".join(deploy_cmds))]))
    ex = _example(plan)
    if ex:
        name = ex.spec.name
        svc_var = f"SERVICE={stack_output(plan, ex.stack, 'ServiceName')}"
        family = task_family(gi.synth, ex.stack) or name
        subs.append(Section("release", "Release a new version", [
            Para(f"Change the image tag of the service in `{spec}` (for example `{name}`), review and deploy. "
                 f"ECS replaces tasks {ex.spec.min_healthy}%-{ex.spec.max_percent}% at a time"
                 + (" and rolls back by itself when new tasks fail to become healthy." if env.circuit_breaker
                    else "; this environment has no automatic rollback (circuit breaker off).")),
            Code(f"moorage diff {spec} --env {e}\nmoorage deploy {spec} --env {e}\nmoorage status {spec} --env {e}"),
            Para("Watch the rollout with the aws CLI:"),
            Code(f"{svc_var}\n"
                 f"aws ecs describe-services {r} --cluster {cluster} --services \"$SERVICE\" "
                 "--query \"services[0].deployments\"\n"
                 f"aws ecs wait services-stable {r} --cluster {cluster} --services \"$SERVICE\"")]))
        subs.append(Section("rollback", "Roll back", [
            Para("Deploy the previous version of the spec (for example `git revert` the release commit), so the "
                 "templates and what runs agree:"),
            Code(f"git revert HEAD\nmoorage deploy {spec} --env {e}"),
            Para("In an emergency, point the service at the previous task definition revision directly; the next "
                 "`moorage deploy` puts the spec's version back:"),
            Code(f"{svc_var}\n"
                 f"aws ecs list-task-definitions {r} --family-prefix {family} --sort DESC --max-items 3\n"
                 f"aws ecs update-service {r} --cluster {cluster} --service \"$SERVICE\" "
                 f"--task-definition {family}:PREVIOUS_REVISION")]))
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
            Para("The aws CLI equivalent (until the next deploy):"),
            Code(f"{svc_var}\n{scale_aws}")]))
    log_cmds = [f"aws logs tail {sp.log_group} {r} --follow --since 15m" for sp in plan.services.values()]
    exec_blocks: list[Para | Code] = []
    execs = [sp for sp in _long_running(plan) if sp.spec.exec]
    if execs:
        sp = execs[0]
        exec_blocks = [Para(f"A shell in a running task of `{sp.spec.name}` (ECS Exec is on; sessions are logged to "
                            f"`{plan.exec_log_group}`):"),
                       Code(f"SERVICE={stack_output(plan, sp.stack, 'ServiceName')}\n"
                            f"TASK=$(aws ecs list-tasks {r} --cluster {cluster} --service-name \"$SERVICE\" "
                            "--query \"taskArns[0]\" --output text)\n"
                            f"aws ecs execute-command {r} --cluster {cluster} --task \"$TASK\" "
                            f"--container {sp.spec.name} --interactive --command /bin/sh")]
    else:
        exec_blocks = [Para(f"Shells into tasks (ECS Exec) are off in this environment (profile {env.profile}).")]
    subs.append(Section("logs", "Logs and shells", [
        Para("`moorage status` lists the stacks, services, running images and the URL. Logs, per service:"),
        Code(f"moorage status {spec} --env {e}\n" + "\n".join(log_cmds)), *exec_blocks]))
    jobs = [sp for sp in plan.services.values() if sp.spec.kind == "job"]
    if jobs:
        sp = jobs[0]
        subnets = stack_output(plan, "network", "PrivateSubnets")
        group = stack_output(plan, "network", sg_id(sp.security_group or ""))
        subs.append(Section("jobs", "Run a job by hand", [
            Para(f"`moorage deploy` runs {', '.join(f'`{j.spec.name}`' for j in jobs)} before it updates the "
                 f"services. To run `{sp.spec.name}` alone:"),
            Code(f"aws ecs run-task {r} --cluster {cluster} --launch-type FARGATE "
                 f"--task-definition {task_family(gi.synth, sp.stack)} --network-configuration "
                 f"\"awsvpcConfiguration={{subnets=[{subnets}],securityGroups=[{group}],assignPublicIp=DISABLED}}\"")]))
    subs += _restore(gi) + _rotate(gi)
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


def _rotate(gi: GuideInput) -> list[Section]:
    plan = gi.plan
    r = f"--region {plan.env.region}"
    cluster = plan.cluster_name
    out = []
    for name, sec in plan.secrets.items():
        if sec.spec.external:
            continue
        readers = [sp for sp in _long_running(plan) if any(v.kind == "app-secret" and v.target == name
                                                          for v in sp.secrets.values())]
        cmds = [f"aws secretsmanager put-secret-value {r} --secret-id {sec.secret_name} --secret-string "
                f"\"$(aws secretsmanager get-random-password {r} --password-length {sec.spec.length} "
                "--exclude-punctuation --query RandomPassword --output text)\""]
        for sp in readers:
            cmds.append(f"aws ecs update-service {r} --cluster {cluster} --service "
                        f"\"{stack_output(plan, sp.stack, 'ServiceName')}\" --force-new-deployment")
        out.append(Section(f"rotate-{name.lower()}", f"Rotate secret {name}", [
            Para("moorage never reads or prints secret values, so rotation is done with the aws CLI: put a new "
                 "value, then restart the services that read it ("
                 + (", ".join(f"`{sp.spec.name}`" for sp in readers) or "none running") + ")."),
            Code("\n".join(cmds))]))
    return out


def troubleshooting(gi: GuideInput) -> Section:
    """Common failures and the commands that find the cause."""
    plan, env = gi.plan, gi.plan.env
    r = f"--region {env.region}"
    cluster = plan.cluster_name
    spec, e = shlex.quote(str(gi.spec)), env.env  # pasted into a shell: the path is quoted
    first = plan.stacks[-1]
    subs = [Section("ts-stuck", "A deploy failed or a stack is stuck", [
        Para("Read the failing stack's events (any stack of the Overview); `--repair` continues a failed rollback "
             "or removes an empty failed stack before deploying again."),
        Code(f"aws cloudformation describe-stack-events --region {first.region or env.region} "
             f"--stack-name {first.name} --max-items 25\n"
             f"moorage deploy {spec} --env {e} --repair")])]
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
                 f"aws logs tail {ex.log_group} {r} --since 30m")]))
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
