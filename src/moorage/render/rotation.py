"""Rotation stack: when RDS rotates a database's managed password, the services that read it are redeployed
(ECS injects secrets when a task starts). An EventBridge rule on Secrets Manager's RotationSucceeded starts a
state machine that calls ecs:UpdateService with forceNewDeployment for each of them; no function code.
What no function rotates (cache AUTH tokens, app secrets with ``rotate_days``) gets an EventBridge Scheduler
schedule that sends a reminder to the warning alarm topic every N days."""

from __future__ import annotations

import json
from typing import Any

from troposphere import GetAtt, Ref, Sub, events, iam, logs, scheduler, stepfunctions

from moorage.plan.bootstrap_sql import DatabaseUser
from moorage.plan.model import PasswordRotationPlan, ReminderPlan, RestartPlan, TokenRotationPlan
from moorage.plan.naming import logical_id
from moorage.render.alarm_topics import TOPIC_KEY
from moorage.render.context import StackContext
from moorage.render.data import cache_out, db_out, db_user_out, secret_out
from moorage.render.keys import key_arn
from moorage.render.network import group_ref


def _assume(service: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": f"{service}.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def render_rotation(ctx: StackContext) -> None:
    """Fill the rotation stack: per database whose password RDS rotates, a rule and a state machine that
    redeploys its readers; per cache with ``rotate_days``, a schedule and a state machine that rotates its AUTH
    token; the reminders."""
    for restart in ctx.plan.rotation_restarts:
        _restart(ctx, restart)
    for rotation in ctx.plan.token_rotations:
        _token_rotation(ctx, rotation)
    for password in ctx.plan.password_rotations:
        _password_rotation(ctx, password)
    if ctx.plan.rotation_reminders:
        _reminders(ctx, ctx.plan.rotation_reminders)


def _key_statements(ctx: StackContext) -> list[dict[str, Any]]:
    """What a rotation machine needs of the environment's keys: the secrets' customer key (through Secrets
    Manager only) and the warning topic's key, each where it exists."""
    out: list[dict[str, Any]] = []
    if ctx.plan.customer_key:
        out.append({"Sid": "SecretKey", "Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                    "Resource": key_arn(ctx), "Condition": {"StringEquals": {
                        "kms:ViaService": Sub("secretsmanager.${AWS::Region}.amazonaws.com")}}})
    if ctx.plan.alarm_topic_encrypted("warning"):
        out.append({"Sid": "TopicKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": [ctx.take("platform", f"{TOPIC_KEY}Arn")]})
    return out


def _reminders(ctx: StackContext, reminders: list[ReminderPlan]) -> None:
    """One schedule per reminder, publishing its message to the warning topic through one role (Scheduler
    calls its target with a role, which is given the alarm topic key moorage encrypts its topics with)."""
    plan = ctx.plan
    topic = ctx.take("platform", plan.alarm_output("warning"))
    statements: list[dict[str, Any]] = [{"Effect": "Allow", "Action": ["sns:Publish"], "Resource": [topic]}]
    if plan.alarm_topic_encrypted("warning"):
        # The topic is encrypted with the platform's alarm topic key: publishing needs a data key from it.
        statements.append({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                           "Resource": [ctx.take("platform", f"{TOPIC_KEY}Arn")]})
    ctx.add(iam.Role(
        "ReminderRole", AssumeRolePolicyDocument=_assume("scheduler"),
        Description=f"{plan.prefix}: send rotation reminders to the warning alarm topic",
        Policies=[iam.Policy(PolicyName="remind", PolicyDocument={"Version": "2012-10-17", "Statement": statements})],
        Tags=ctx.tags()))
    for r in reminders:
        ctx.add(scheduler.Schedule(
            logical_id("remind", r.key), Name=ctx.name("remind", r.key),
            Description=f"{plan.prefix}: rotation reminder ({r.key})"[:512],
            ScheduleExpression=f"rate({r.days} days)", State="ENABLED",
            FlexibleTimeWindow=scheduler.FlexibleTimeWindow(Mode="OFF"),
            Target=scheduler.Target(Arn=topic, RoleArn=GetAtt("ReminderRole", "Arn"), Input=r.message,
                                    RetryPolicy=scheduler.RetryPolicy(MaximumRetryAttempts=3))))


def _restart(ctx: StackContext, r: RestartPlan) -> None:
    plan = ctx.plan
    if r.kind == "secret":
        stem, name, what = logical_id("rotate", "secret", r.name.lower()), ctx.name("rotate", "secret", r.name), \
            f"secret {r.name}"
        secret = ctx.take(plan.home("secret", r.name), secret_out(r.name))
        rotated_by = "its rotation function"
    else:
        stem, name, what = logical_id("rotate", r.name), ctx.name("rotate", r.name), f"database {r.name}"
        secret = ctx.take(plan.home("db", r.name), db_out(r.name, "secret"))
        rotated_by = "RDS"
    cluster, names = _services(ctx, r.services)
    states: dict[str, Any] = {}
    for i, service in enumerate(r.services):
        states[f"Redeploy{i}"] = {
            "Type": "Task", "Comment": f"force a new deployment of {service}",
            "Resource": "arn:aws:states:::aws-sdk:ecs:updateService",
            "Parameters": {"Cluster": "${Cluster}", "Service": f"${{Svc{i}}}", "ForceNewDeployment": True},
            **({"Next": f"Redeploy{i + 1}"} if i + 1 < len(r.services) else {"End": True})}
    statements = [{"Sid": "Redeploy", "Effect": "Allow", "Action": ["ecs:UpdateService"],
                   "Resource": _service_arns(cluster, names)}]
    logs_under = f"rotation/{r.name}" if r.kind == "database" else f"rotation/secret-{r.name}"
    reads = f"database {r.name}'s password" if r.kind == "database" else what
    _machine(ctx, stem, name, logs_under, f"redeploy the services that read {reads}", statements,
             {"Comment": f"{plan.prefix}: {what} rotated: redeploy its readers",
              "StartAt": "Redeploy0", "States": states}, {"Cluster": cluster, **names}, policy="redeploy",
             carries_secret=False)
    ctx.add(iam.Role(
        f"{stem}RuleRole", AssumeRolePolicyDocument=_assume("events"),
        Description=f"{plan.prefix}: start the redeploy of {what}'s readers",
        Policies=[iam.Policy(PolicyName="start", PolicyDocument={"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["states:StartExecution"], "Resource": [Ref(f"{stem}Machine")]}]})],
        Tags=ctx.tags()))
    ctx.add(events.Rule(
        f"{stem}Rule", Description=f"{plan.prefix}: {rotated_by} rotated {reads}",
        State="ENABLED",
        EventPattern={"source": ["aws.secretsmanager"], "detail-type": ["AWS Service Event via CloudTrail"],
                      "detail": {"eventSource": ["secretsmanager.amazonaws.com"], "eventName": ["RotationSucceeded"],
                                 "additionalEventData": {"SecretId": [secret]}}},
        Targets=[events.Target(Id="redeploy", Arn=Ref(f"{stem}Machine"), RoleArn=GetAtt(f"{stem}RuleRole", "Arn"))]))


def _services(ctx: StackContext, services: list[str]) -> tuple[Any, dict[str, Any]]:
    """The cluster name and, as ``Svc0``, ``Svc1``..., the ECS service names of ``services`` (stack parameters)."""
    plan = ctx.plan
    cluster = ctx.take("platform", "ClusterName")
    return cluster, {f"Svc{i}": ctx.take(plan.services[s].stack, "ServiceName",
                                         parameter=logical_id(s, "service", "name"))
                     for i, s in enumerate(services)}


def _service_arns(cluster: Any, names: dict[str, Any]) -> list[Any]:
    return [Sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/${C}/${S}", C=cluster, S=ref)
            for ref in names.values()]


def machine_arn(name: str) -> Any:
    """The ARN of state machine ``name`` built from its name (a Ref to the machine from its own role would be a
    dependency cycle)."""
    return Sub(f"arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:stateMachine:{name}")


def history_key_statement(ctx: StackContext, name: str, sid: str) -> dict[str, Any]:
    """Use of the customer key for state machine ``name``'s data only (the encryption context Step Functions
    sends): its role reads and writes its execution data, whoever starts it encrypts the input."""
    return {"Sid": sid, "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": key_arn(ctx),
            "Condition": {"StringEquals": {"kms:EncryptionContext:aws:states:stateMachineArn": machine_arn(name)}}}


def _machine(ctx: StackContext, stem: str, name: str, logs_under: str, purpose: str,
             statements: list[dict[str, Any]], definition: dict[str, Any], variables: dict[str, Any],
             policy: str = "rotate", carries_secret: bool = True) -> None:
    """State machine ``{stem}Machine`` running ``definition`` (``${Var}`` substituted from ``variables`` at deploy
    time), its role (``statements`` plus log delivery and tracing) and its log group (errors only, without
    execution data: the states carry credentials). ``carries_secret`` with a customer key: the definition and
    the execution history are encrypted with that key, so reading the history needs kms:Decrypt on it."""
    plan = ctx.plan
    encrypted = carries_secret and plan.customer_key
    if encrypted:
        statements = [*statements, history_key_statement(ctx, name, "HistoryKey")]
    group = f"/moorage/{plan.app}/{plan.env.env}/{logs_under}"
    key = {"KmsKeyId": key_arn(ctx)} if plan.customer_key else {}
    keep = "Retain" if plan.keep_on_delete else "Delete"  # as every log group: evidence outlives the stack
    ctx.add(logs.LogGroup(f"{stem}Logs", LogGroupName=group, RetentionInDays=plan.env.log_retention, **key,
                          DeletionPolicy=keep, UpdateReplacePolicy=keep))
    ctx.add(iam.Role(
        f"{stem}MachineRole", AssumeRolePolicyDocument=_assume("states"), Description=f"{plan.prefix}: {purpose}",
        Policies=[iam.Policy(PolicyName=policy, PolicyDocument={"Version": "2012-10-17", "Statement": [
            *statements,
            # Step Functions' log delivery is set up through these account-level calls (no resource ARNs).
            {"Sid": "Logs", "Effect": "Allow", "Action": [
                "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups"], "Resource": "*"},
            {"Sid": "Trace", "Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords",
                                                          "xray:GetSamplingRules", "xray:GetSamplingTargets"],
             "Resource": "*"}]})],
        Tags=ctx.tags()))
    ctx.add(stepfunctions.StateMachine(
        f"{stem}Machine", StateMachineName=name, StateMachineType="STANDARD",
        RoleArn=GetAtt(f"{stem}MachineRole", "Arn"),
        # A string with Sub rather than Definition + DefinitionSubstitutions: the emulator reads only this form.
        DefinitionString=Sub(json.dumps(definition, sort_keys=True), **variables),
        LoggingConfiguration=stepfunctions.LoggingConfiguration(
            Level="ERROR", IncludeExecutionData=False, Destinations=[stepfunctions.LogDestination(
                CloudWatchLogsLogGroup=stepfunctions.CloudWatchLogsLogGroup(
                    LogGroupArn=GetAtt(f"{stem}Logs", "Arn")))]),
        TracingConfiguration=stepfunctions.TracingConfiguration(Enabled=True),
        **({"EncryptionConfiguration": stepfunctions.EncryptionConfiguration(
            Type="CUSTOMER_MANAGED_KMS_KEY", KmsKeyId=key_arn(ctx),
            KmsDataKeyReusePeriodSeconds=HISTORY_KEY_REUSE_SECONDS)} if encrypted else {}),
        Tags=ctx.tags()))


# How long Step Functions reuses a data key of the customer key before asking KMS again (60-900; AWS's default).
HISTORY_KEY_REUSE_SECONDS = 300
def _schedule_role(ctx: StackContext, stem: str, machine: str, purpose: str) -> None:
    """The role ``{stem}ScheduleRole`` EventBridge Scheduler starts ``{stem}Machine`` with; with a customer key it
    may also encrypt the execution's input with that key (an encrypted machine's caller must)."""
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": [Ref(f"{stem}Machine")]}]
    if ctx.plan.customer_key:
        statements.append(history_key_statement(ctx, machine, "InputKey"))
    ctx.add(iam.Role(
        f"{stem}ScheduleRole", AssumeRolePolicyDocument=_assume("scheduler"),
        Description=f"{ctx.plan.prefix}: {purpose}",
        Policies=[iam.Policy(PolicyName="start", PolicyDocument={"Version": "2012-10-17", "Statement": statements})],
        Tags=ctx.tags()))


_SDK = "arn:aws:states:::aws-sdk:"
# The AUTH token: 64 letters and digits (ElastiCache takes 16-128 printable characters without @ " /; no
# punctuation keeps it safe inside the rediss:// URL).
TOKEN_LENGTH = 64
POLL_SECONDS = 30  # between checks of the replication group and of the readers' rollouts (the schedule's input)


def _sdk(action: str, parameters: dict[str, Any], next_state: str, retry: bool = False,
         **extra: Any) -> dict[str, Any]:
    """An ``aws-sdk`` task (``service:action``) that hands a failure to ``Notify`` (a message to the warning
    topic, then the execution fails); ``retry``: first tried again 4 times, 2 to 16 s apart."""
    again = {"Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 4,
                        "BackoffRate": 2.0}]} if retry else {}
    return {"Type": "Task", "Resource": _SDK + action, "Parameters": parameters, "ResultPath": None,
            **extra, **again, "Next": next_state,
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Notify"}]}


def _notify(message: str, subject: str) -> dict[str, Any]:
    """The states a failure goes to: a message to the warning topic (``${Topic}``), then the execution fails."""
    return {"Notify": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Next": "Failed",
                       "Parameters": {"TopicArn": "${Topic}", "Subject": subject[:100], "Message": message}},
            "Failed": {"Type": "Fail", "Error": "RotationFailed", "Cause": "see the message sent by Notify"}}


def token_definition(t: TokenRotationPlan, prefix: str) -> dict[str, Any]:
    """The state machine that rotates cache ``t.cache``'s AUTH token, with ``${Group}``, ``${Token}``, ``${Url}``,
    ``${Host}``, ``${Port}``, ``${Cluster}``, ``${SvcN}`` and ``${Topic}`` left for the template's Sub.

    ROTATE makes the cache accept the new token besides the old one; once it is ``available`` again the token
    secret and the URL secret get the new value, each reader is redeployed and waited for (until its old
    deployment is gone), and SET makes the new token the only one. A failure anywhere leaves the old token valid
    and tells the warning topic."""
    group = {"ReplicationGroupId": "${Group}"}
    states: dict[str, Any] = {
        "NewToken": _sdk("secretsmanager:getRandomPassword",
                         {"PasswordLength": TOKEN_LENGTH, "ExcludePunctuation": True}, "AddToken",
                         ResultSelector={"token.$": "$.RandomPassword"}, ResultPath="$.new"),
        "AddToken": _sdk("elasticache:modifyReplicationGroup",
                         {**group, "AuthToken.$": "$.new.token", "AuthTokenUpdateStrategy": "ROTATE",
                          "ApplyImmediately": True}, "WaitForToken"),
        "WaitForToken": {"Type": "Wait", "SecondsPath": "$.poll_seconds", "Next": "CheckToken"},
        # Selecting the element, not a field under it: a path ending in [0] is read the same way everywhere.
        "CheckToken": _sdk("elasticache:describeReplicationGroups", group, "TokenReady",
                           ResultSelector={"group.$": "$.ReplicationGroups[0]"}, ResultPath="$.check"),
        # modifying while it applies the token; any other status (deleting, create-failed...) ends the rotation.
        "TokenReady": {"Type": "Choice", "Default": "Notify", "Choices": [
            {"Variable": "$.check.group.Status", "StringEquals": "available", "Next": "StoreToken"},
            {"Or": [{"Variable": "$.check.group.Status", "StringEquals": status} for status in
                    ("modifying", "snapshotting")], "Next": "WaitForToken"}]},
        # The token secret is {"token": ...}, which is exactly $.new.
        "StoreToken": _sdk("secretsmanager:putSecretValue",
                           {"SecretId": "${Token}", "SecretString.$": "States.JsonToString($.new)"}, "StoreUrl"),
        "StoreUrl": _sdk("secretsmanager:putSecretValue",
                         {"SecretId": "${Url}",
                          "SecretString.$": "States.Format('rediss://:{}@${Host}:${Port}', $.new.token)"},
                         "Forget" if t.services else "DropOldToken"),
    }
    n = len(t.services)
    if t.services:
        # The token leaves the state here: the redeploys and the many rollout checks do not carry it (each
        # state's input is in the execution history); ReadToken takes it back from the secret for SET.
        states["Forget"] = {"Type": "Pass", "Parameters": {"poll_seconds.$": "$.poll_seconds"}, "Next": "Redeploy0"}
        states["ReadToken"] = _sdk("secretsmanager:getSecretValue", {"SecretId": "${Token}"}, "DropOldToken",
                                   ResultSelector={"value.$": "States.StringToJson($.SecretString)"},
                                   ResultPath="$.stored")
    for i, service in enumerate(t.services):
        states[f"Redeploy{i}"] = _sdk(
            "ecs:updateService", {"Cluster": "${Cluster}", "Service": f"${{Svc{i}}}", "ForceNewDeployment": True},
            f"Redeploy{i + 1}" if i + 1 < n else "WaitForRollout0", Comment=f"force a new deployment of {service}")
    for i, service in enumerate(t.services):
        after = f"WaitForRollout{i + 1}" if i + 1 < n else "ReadToken"
        states[f"WaitForRollout{i}"] = {"Type": "Wait", "SecondsPath": "$.poll_seconds", "Next": f"CheckRollout{i}"}
        states[f"CheckRollout{i}"] = _sdk(
            "ecs:describeServices", {"Cluster": "${Cluster}", "Services": [f"${{Svc{i}}}"]}, f"RolledOut{i}",
            ResultSelector={"service.$": "$.Services[0]"}, ResultPath="$.check",
            Comment=f"{service}: its old deployment is gone once every task holds the new token")
        states[f"RolledOut{i}"] = {"Type": "Choice", "Default": f"WaitForRollout{i}", "Choices": [
            {"Variable": "$.check.service.Deployments[1]", "IsPresent": False, "Next": after}]}
    # ResultPath "$": the call's (token-free) result replaces the state, so Done's input holds no token.
    states["DropOldToken"] = _sdk("elasticache:modifyReplicationGroup",
                                  {**group, "AuthToken.$": "$.stored.value.token" if t.services else "$.new.token",
                                   "AuthTokenUpdateStrategy": "SET", "ApplyImmediately": True}, "Done",
                                  ResultSelector={"strategy": "SET"}, ResultPath="$")
    states["Done"] = {"Type": "Pass", "Result": {"rotated": True}, "End": True}  # no token in the output
    states.update(_notify(
        f"{prefix}: the rotation of the AUTH token of cache {t.cache} failed. Until the next rotation succeeds "
        "the old token stays valid; the history of the failed execution of this state machine says which step "
        "failed.", f"{prefix}: cache {t.cache} AUTH token rotation failed"))
    return {"Comment": f"{prefix}: rotate cache {t.cache}'s AUTH token", "StartAt": "NewToken",
            "TimeoutSeconds": 6 * 3600, "States": states}


def _token_rotation(ctx: StackContext, t: TokenRotationPlan) -> None:
    """The schedule, state machine and roles that rotate cache ``t.cache``'s AUTH token every ``t.days`` days."""
    plan = ctx.plan
    stem = logical_id("cache", t.cache, "rotation")
    home = plan.home("cache", t.cache)
    token, url = ctx.take(home, cache_out(t.cache, "token")), ctx.take(home, cache_out(t.cache, "url"))
    host, port = ctx.take(home, cache_out(t.cache, "host")), ctx.take(home, cache_out(t.cache, "port"))
    cluster, names = _services(ctx, t.services)
    topic = ctx.take("platform", plan.alarm_output("warning"))
    region = "arn:${AWS::Partition}:elasticache:${AWS::Region}:${AWS::AccountId}"
    statements: list[dict[str, Any]] = [
        {"Sid": "Token", "Effect": "Allow", "Action": ["elasticache:ModifyReplicationGroup",
                                                       "elasticache:DescribeReplicationGroups"],
         # the group and its member clusters (GROUP-001, ...)
         "Resource": [Sub(f"{region}:replicationgroup:{t.identifier}"), Sub(f"{region}:cluster:{t.identifier}-*")]},
        # GetRandomPassword acts on no resource: IAM takes only "*" for it.
        {"Sid": "NewToken", "Effect": "Allow", "Action": ["secretsmanager:GetRandomPassword"], "Resource": "*"},
        {"Sid": "Store", "Effect": "Allow", "Action": ["secretsmanager:PutSecretValue"], "Resource": [token, url]},
        *([{"Sid": "ReadToken", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [token]}]
          if t.services else []),
        {"Sid": "Notify", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": [topic]}]
    statements += _key_statements(ctx)
    if names:
        statements.append({"Sid": "Redeploy", "Effect": "Allow", "Action": ["ecs:UpdateService",
                                                                            "ecs:DescribeServices"],
                           "Resource": _service_arns(cluster, names)})
    variables = {"Group": t.identifier, "Token": token, "Url": url, "Host": host, "Port": port, "Topic": topic,
                 **({"Cluster": cluster, **names} if names else {})}
    _machine(ctx, stem, ctx.name("cache", t.cache, "rotate"), f"rotation/cache-{t.cache}",
             f"rotate cache {t.cache}'s AUTH token and redeploy its readers", statements,
             token_definition(t, plan.prefix), variables)
    _schedule_role(ctx, stem, ctx.name("cache", t.cache, "rotate"),
                   f"start the rotation of cache {t.cache}'s AUTH token")
    ctx.add(scheduler.Schedule(
        f"{stem}Schedule", Name=ctx.name("cache", t.cache, "rotate"),
        Description=f"{plan.prefix}: rotate cache {t.cache}'s AUTH token every {t.days} days"[:512],
        ScheduleExpression=f"rate({t.days} days)", State="ENABLED",
        FlexibleTimeWindow=scheduler.FlexibleTimeWindow(Mode="OFF"),
        Target=scheduler.Target(Arn=Ref(f"{stem}Machine"), RoleArn=GetAtt(f"{stem}ScheduleRole", "Arn"),
                                Input=json.dumps({"poll_seconds": POLL_SECONDS}),
                                RetryPolicy=scheduler.RetryPolicy(MaximumRetryAttempts=3))))


def password_definition(p: PasswordRotationPlan, prefix: str, scheme: str, dbname: str,
                        users: list[DatabaseUser] | None = None) -> dict[str, Any]:
    """The state machine that rotates database ``p.database``'s generated master password, with ``${Database}``,
    ``${Secret}``, ``${Url}``, ``${Host}``, ``${Port}``, ``${Cluster}``, ``${SvcN}`` and ``${Topic}`` left for Sub.

    The new password is first stored as the AWSPENDING version, so a failure before the database has it changes
    nothing; once the database has it, AWSCURRENT moves to that version and the URL secret is rewritten (both
    tried again on errors). Per-service ``users`` (with ``p.job``): each gets a new password in its credentials
    secret (``${UserN}``), the bootstrap job (``${Job}``, ``${Subnets}``, ``${JobGroup}``) runs once and must exit
    0, then each user's URL secret (``${UserUrlN}``) is rewritten. Then the readers are redeployed."""
    users = (users or []) if p.job else []
    modify = ("rds:modifyDBCluster", "DBClusterIdentifier") if p.cluster else \
        ("rds:modifyDBInstance", "DBInstanceIdentifier")
    url = f"{scheme}://{{}}:{{}}@${{Host}}:${{Port}}/{dbname}"
    states: dict[str, Any] = {
        "GetCurrent": _sdk("secretsmanager:getSecretValue", {"SecretId": "${Secret}"}, "NewPassword",
                           ResultSelector={"VersionId.$": "$.VersionId",
                                           "value.$": "States.StringToJson($.SecretString)"},
                           ResultPath="$.current"),
        # letters and digits: safe inside the URL, as the first password
        "NewPassword": _sdk("secretsmanager:getRandomPassword", {"PasswordLength": 32, "ExcludePunctuation": True},
                            "StagePending", ResultSelector={"password.$": "$.RandomPassword"}, ResultPath="$.new"),
        "StagePending": _sdk("secretsmanager:putSecretValue", {
            "SecretId": "${Secret}", "ClientRequestToken.$": "States.UUID()", "VersionStages": ["AWSPENDING"],
            "SecretString.$": "States.JsonToString(States.JsonMerge($.current.value, $.new, false))"},
            "SetPassword", ResultSelector={"VersionId.$": "$.VersionId"}, ResultPath="$.pending"),
        "SetPassword": _sdk(modify[0], {modify[1]: "${Database}", "MasterUserPassword.$": "$.new.password",
                                        "ApplyImmediately": True}, "Promote"),
        "Promote": _sdk("secretsmanager:updateSecretVersionStage", {
            "SecretId": "${Secret}", "VersionStage": "AWSCURRENT", "MoveToVersionId.$": "$.pending.VersionId",
            "RemoveFromVersionId.$": "$.current.VersionId"}, "StoreUrl", retry=True),
        "StoreUrl": _sdk("secretsmanager:putSecretValue", {
            "SecretId": "${Url}",
            "SecretString.$": f"States.Format('{url}', $.current.value.username, $.new.password)"},
            "NewUser0" if users else "Redeploy0" if p.services else "Done", retry=True,
            # ResultPath "$": the stored version replaces the state, so neither password (the old one is in
            # $.current) is carried through the redeploys (each state's input is in the execution history).
            ResultSelector={"url_version.$": "$.VersionId"}, ResultPath="$"),
    }
    states.update(_user_states(users, scheme, dbname, "Redeploy0" if p.services else "Done"))
    for i, service in enumerate(p.services):
        states[f"Redeploy{i}"] = _sdk(
            "ecs:updateService", {"Cluster": "${Cluster}", "Service": f"${{Svc{i}}}", "ForceNewDeployment": True},
            f"Redeploy{i + 1}" if i + 1 < len(p.services) else "Done", retry=True,
            Comment=f"force a new deployment of {service}")
    states["Done"] = {"Type": "Pass", "Result": {"rotated": True}, "End": True}  # no password in the output
    states.update(_notify(
        f"{prefix}: the rotation of the password of database {p.database} failed. If the failed step is "
        "StagePending, NewPassword, GetCurrent or SetPassword, nothing changed. If it is Promote, the database "
        "already has the new password: move AWSCURRENT to the AWSPENDING version of the secret (aws "
        "secretsmanager update-secret-version-stage) and redeploy. If it is StoreUrl or a Redeploy, run the "
        "state machine again. If it is a user's step (NewUser, StoreUser, RunBootstrap, WaitForBootstrap, "
        "CheckBootstrap, BootstrapDone, ReadUser, StoreUserUrl), the master password is rotated; run the state "
        "machine again before the next deploy (the bootstrap job sets each user's password from its secret, which "
        "may already hold a password its URL secret does not). The history of the failed execution says which "
        "step failed.",
        f"{prefix}: database {p.database} password rotation failed"))
    return {"Comment": f"{prefix}: rotate database {p.database}'s generated password", "StartAt": "GetCurrent",
            "TimeoutSeconds": 3600, "States": states}


def _user_states(users: list[DatabaseUser], scheme: str, dbname: str, then: str) -> dict[str, Any]:
    """The per-service users' steps: new passwords stored one by one (each leaves the state once stored), one run
    of the bootstrap job polled until it stops with exit 0, then each URL secret rewritten from its stored
    password (read back, so the job's polling carries no password)."""
    if not users:
        return {}
    n, states = len(users), {}
    for i, u in enumerate(users):
        states[f"NewUser{i}"] = _sdk(
            "secretsmanager:getRandomPassword", {"PasswordLength": 32, "ExcludePunctuation": True}, f"StoreUser{i}",
            # the credentials secret's shape: {"username": ..., "password": ...}
            ResultSelector={"username": u.user, "password.$": "$.RandomPassword"}, ResultPath="$.user",
            Comment=f"a new password for {u.user} ({u.service})")
        states[f"StoreUser{i}"] = _sdk(
            "secretsmanager:putSecretValue",
            {"SecretId": f"${{User{i}}}", "SecretString.$": "States.JsonToString($.user)"},
            f"NewUser{i + 1}" if i + 1 < n else "RunBootstrap",
            ResultSelector={"stored.$": "$.VersionId"}, ResultPath="$")
    states["RunBootstrap"] = _sdk(
        "ecs:runTask", {"Cluster": "${Cluster}", "TaskDefinition": "${Job}", "LaunchType": "FARGATE", "Count": 1,
                        "StartedBy": "moorage-rotation",
                        "NetworkConfiguration": {"AwsvpcConfiguration": {
                            "Subnets.$": "States.StringSplit('${Subnets}', ',')", "SecurityGroups": ["${JobGroup}"],
                            "AssignPublicIp": "DISABLED"}}},
        "WaitForBootstrap", ResultSelector={"task.$": "$.Tasks[0].TaskArn"}, ResultPath="$.job",
        Comment="the bootstrap job sets every user's password from its secret (ALTER ROLE ... PASSWORD)")
    states["WaitForBootstrap"] = {"Type": "Wait", "Seconds": POLL_SECONDS, "Next": "CheckBootstrap"}
    states["CheckBootstrap"] = _sdk(
        "ecs:describeTasks", {"Cluster": "${Cluster}", "Tasks.$": "States.Array($.job.task)"}, "BootstrapDone",
        ResultSelector={"task.$": "$.Tasks[0]"}, ResultPath="$.check", retry=True)
    # The bootstrap job's task has one container (no sidecar): its exit code is the job's.
    states["BootstrapDone"] = {"Type": "Choice", "Default": "WaitForBootstrap", "Choices": [
        {"And": [{"Variable": "$.check.task.LastStatus", "StringEquals": "STOPPED"},
                 {"Variable": "$.check.task.Containers[0].ExitCode", "IsPresent": True},
                 {"Variable": "$.check.task.Containers[0].ExitCode", "NumericEquals": 0}], "Next": "ReadUser0"},
        {"Variable": "$.check.task.LastStatus", "StringEquals": "STOPPED", "Next": "Notify"}]}
    for i, u in enumerate(users):
        states[f"ReadUser{i}"] = _sdk(
            "secretsmanager:getSecretValue", {"SecretId": f"${{User{i}}}"}, f"StoreUserUrl{i}",
            ResultSelector={"value.$": "States.StringToJson($.SecretString)"}, ResultPath="$.user")
        url = f"{scheme}://{u.user}:{{}}@${{Host}}:${{Port}}/{dbname}?options=-csearch_path%3D{u.schema}"
        states[f"StoreUserUrl{i}"] = _sdk(
            "secretsmanager:putSecretValue",
            {"SecretId": f"${{UserUrl{i}}}", "SecretString.$": f"States.Format('{url}', $.user.value.password)"},
            f"ReadUser{i + 1}" if i + 1 < n else then, retry=True,
            ResultSelector={"url_version.$": "$.VersionId"}, ResultPath="$")
    return states


def _user_statements(ctx: StackContext, p: PasswordRotationPlan, users: list[DatabaseUser],
                     cluster: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The role statements and definition variables of the per-service users' steps: their secrets, one run of
    the bootstrap job's task definition, the look-ups of its tasks, and passing its two roles to ECS only."""
    plan = ctx.plan
    if not p.job or not users:
        return [], {}
    home = plan.home("db", p.database)
    job = plan.services[p.job]
    variables: dict[str, Any] = {"Job": ctx.take(job.stack, "TaskDefinitionArn", parameter="BootstrapTaskDefinition"),
                                 "Subnets": ctx.take("network", "PrivateSubnets", parameter="BootstrapSubnets"),
                                 "JobGroup": group_ref(ctx, job.security_group or "")}
    for i, u in enumerate(users):
        variables[f"User{i}"] = ctx.take(home, db_user_out(p.database, u.service, "secret"))
        variables[f"UserUrl{i}"] = ctx.take(home, db_user_out(p.database, u.service, "url"))
    secrets = [variables[f"User{i}"] for i in range(len(users))]
    urls = [variables[f"UserUrl{i}"] for i in range(len(users))]
    roles = [ctx.take(job.stack, "TaskRoleArn", parameter="BootstrapTaskRole"),
             ctx.take("platform", "ExecutionRoleArn")]
    statements: list[dict[str, Any]] = [
        {"Sid": "UserCredentials", "Effect": "Allow",
         "Action": ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"], "Resource": secrets},
        {"Sid": "UserUrls", "Effect": "Allow", "Action": ["secretsmanager:PutSecretValue"], "Resource": urls},
        {"Sid": "Bootstrap", "Effect": "Allow", "Action": ["ecs:RunTask"], "Resource": [variables["Job"]],
         "Condition": {"ArnEquals": {"ecs:cluster": Sub(
             "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/${C}", C=cluster)}}},
        {"Sid": "BootstrapStatus", "Effect": "Allow", "Action": ["ecs:DescribeTasks"],
         "Resource": [Sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task/${C}/*", C=cluster)]},
        {"Sid": "BootstrapRoles", "Effect": "Allow", "Action": ["iam:PassRole"], "Resource": roles,
         "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}]
    return statements, variables


def _password_rotation(ctx: StackContext, p: PasswordRotationPlan) -> None:
    """The schedule, state machine and roles that rotate database ``p.database``'s generated password."""
    plan = ctx.plan
    d = plan.databases[p.database].spec
    stem = logical_id("db", p.database, "rotation")
    home = plan.home("db", p.database)
    secret, url = ctx.take(home, db_out(p.database, "secret")), ctx.take(home, db_out(p.database, "url"))
    host, port = ctx.take(home, db_out(p.database, "host")), ctx.take(home, db_out(p.database, "port"))
    cluster, names = _services(ctx, p.services)
    topic = ctx.take("platform", plan.alarm_output("warning"))
    users = plan.databases[p.database].users if p.job else []
    user_statements, user_variables = _user_statements(ctx, p, users, cluster)
    kind = "cluster" if p.cluster else "db"
    statements: list[dict[str, Any]] = [
        {"Sid": "Password", "Effect": "Allow",
         "Action": ["rds:ModifyDBCluster" if p.cluster else "rds:ModifyDBInstance"],
         "Resource": [Sub(f"arn:${{AWS::Partition}}:rds:${{AWS::Region}}:${{AWS::AccountId}}:{kind}:{p.identifier}")]},
        {"Sid": "NewPassword", "Effect": "Allow", "Action": ["secretsmanager:GetRandomPassword"], "Resource": "*"},
        {"Sid": "Credentials", "Effect": "Allow", "Action": [
            "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue",
            "secretsmanager:UpdateSecretVersionStage"], "Resource": [secret]},
        {"Sid": "Url", "Effect": "Allow", "Action": ["secretsmanager:PutSecretValue"], "Resource": [url]},
        {"Sid": "Notify", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": [topic]}, *user_statements]
    statements += _key_statements(ctx)
    if names:
        statements.append({"Sid": "Redeploy", "Effect": "Allow", "Action": ["ecs:UpdateService"],
                           "Resource": _service_arns(cluster, names)})
    variables = {"Database": p.identifier, "Secret": secret, "Url": url, "Host": host, "Port": port, "Topic": topic,
                 **({"Cluster": cluster, **names} if names or users else {}), **user_variables}
    machine = ctx.name("db", p.database, "rotate")
    _machine(ctx, stem, machine, f"rotation/db-{p.database}",
             f"rotate database {p.database}'s generated password and redeploy its readers", statements,
             password_definition(p, plan.prefix, d.scheme, d.dbname, users), variables)
    _schedule_role(ctx, stem, machine, f"start the rotation of database {p.database}'s password")
    ctx.add(scheduler.Schedule(
        f"{stem}Schedule", Name=machine,
        Description=f"{plan.prefix}: rotate database {p.database}'s password every {p.days} days"[:512],
        ScheduleExpression=f"rate({p.days} days)", State="ENABLED",
        FlexibleTimeWindow=scheduler.FlexibleTimeWindow(Mode="OFF"),
        Target=scheduler.Target(Arn=Ref(f"{stem}Machine"), RoleArn=GetAtt(f"{stem}ScheduleRole", "Arn"),
                                RetryPolicy=scheduler.RetryPolicy(MaximumRetryAttempts=3))))
