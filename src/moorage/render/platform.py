"""Platform stack: ECS cluster, Cloud Map namespace, the shared execution role, the alarm topic."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Ref, Sub, ecs, iam, logs, servicediscovery

from moorage.plan.model import Plan
from moorage.render.alarm_topics import render_alarm_topics
from moorage.render.context import StackContext
from moorage.render.data import db_out
from moorage.render.keys import key_arn

ASSUME_ECS_TASKS = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def render_platform(ctx: StackContext) -> None:
    """Fill the platform stack."""
    plan = ctx.plan
    env = plan.env
    cluster: dict[str, Any] = {}
    if plan.exec_log_group:
        # ECS Exec sessions are logged (encrypted with the environment's key when it has one).
        key = {"KmsKeyId": key_arn(ctx)} if plan.customer_key else {}
        ctx.add(logs.LogGroup("ExecLogGroup", LogGroupName=plan.exec_log_group, RetentionInDays=env.log_retention,
                              **key, **_kept(plan)))
        cluster["Configuration"] = ecs.ClusterConfiguration(ExecuteCommandConfiguration=ecs.ExecuteCommandConfiguration(
            Logging="OVERRIDE", **key, LogConfiguration=ecs.ExecuteCommandLogConfiguration(
                CloudWatchLogGroupName=Ref("ExecLogGroup"), CloudWatchEncryptionEnabled=plan.customer_key)))
    ctx.add(ecs.Cluster(
        "Cluster", ClusterName=plan.cluster_name,
        ClusterSettings=[ecs.ClusterSetting(Name="containerInsights",
                                            Value="enabled" if env.container_insights else "disabled")],
        Tags=ctx.tags(), **cluster))
    ctx.add(ecs.ClusterCapacityProviderAssociations(
        "ClusterCapacityProviders", Cluster=Ref("Cluster"), CapacityProviders=["FARGATE", "FARGATE_SPOT"],
        DefaultCapacityProviderStrategy=[ecs.CapacityProviderStrategy(CapacityProvider="FARGATE", Weight=1)]))
    ctx.add(servicediscovery.PrivateDnsNamespace(
        "Namespace", Name=plan.namespace, Vpc=ctx.take("network", "VpcId"),
        Description=f"{plan.prefix} private service names", Tags=ctx.tags()))
    ctx.add(iam.Role("ExecutionRole", AssumeRolePolicyDocument=ASSUME_ECS_TASKS,
                     Description=f"{plan.prefix}: pull images, write logs, read this environment's secrets",
                     Policies=[iam.Policy(PolicyName="execution", PolicyDocument=_execution_policy(ctx))],
                     Tags=ctx.tags()))
    render_alarm_topics(ctx)
    if any(s.spec.schedule for s in plan.services.values()):
        ctx.add(iam.Role(
            "SchedulerRole",
            AssumeRolePolicyDocument={"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            Description=f"{plan.prefix}: start scheduled tasks",
            Policies=[iam.Policy(PolicyName="run-tasks", PolicyDocument={"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "ecs:RunTask",
                 "Resource": Sub(f"arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:"
                                 f"task-definition/{plan.prefix}-*"),
                 "Condition": {"ArnLike": {"ecs:cluster": GetAtt("Cluster", "Arn")}}},
                # CloudFormation names the task and execution roles after their stacks: {app}-{env}-...
                {"Effect": "Allow", "Action": "iam:PassRole",
                 "Resource": Sub(f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{plan.prefix}-*"),
                 "Condition": {"StringLike": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}]})],
            Tags=ctx.tags()))
        ctx.give("SchedulerRoleArn", GetAtt("SchedulerRole", "Arn"))
    ctx.give("ClusterName", Ref("Cluster"))
    ctx.give("ClusterArn", GetAtt("Cluster", "Arn"))
    ctx.give("NamespaceId", GetAtt("Namespace", "Id"))
    ctx.give("ExecutionRoleArn", GetAtt("ExecutionRole", "Arn"))


def _execution_policy(ctx: StackContext) -> dict[str, Any]:
    plan = ctx.plan
    account = "arn:${{AWS::Partition}}:{svc}:${{AWS::Region}}:${{AWS::AccountId}}"
    statements: list[dict[str, Any]] = [
        # GetAuthorizationToken has no resource-level permissions: "*" is the only valid resource.
        {"Sid": "EcrToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Sid": "EcrPull", "Effect": "Allow",
         "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
         "Resource": Sub(account.format(svc="ecr") + f":repository/{plan.app}/*")},
        {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": Sub(account.format(svc="logs") + f":log-group:/moorage/{plan.app}/{plan.env.env}/*")},
    ]
    secrets = [Sub(account.format(svc="secretsmanager") + f":secret:{plan.app}/{plan.env.env}/*")]
    secrets += sorted(s.spec.external for s in plan.secrets.values() if s.spec.external)  # type: ignore[misc]
    secrets += [ctx.take(plan.home("db", n), db_out(n, "secret")) for n, d in sorted(plan.databases.items())
                if d.spec.managed_password]
    statements.append({"Sid": "Secrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                       "Resource": secrets})
    if plan.parameters:
        statements.append({"Sid": "Config", "Effect": "Allow", "Action": "ssm:GetParameters",
                           "Resource": Sub(account.format(svc="ssm") + f":parameter/{plan.app}/{plan.env.env}/*")})
    if plan.customer_key:
        statements.append({"Sid": "Key", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn(ctx)})
    return {"Version": "2012-10-17", "Statement": statements}


def _kept(plan: Plan) -> dict[str, str]:
    """DeletionPolicy and UpdateReplacePolicy of what outlives its stack (``plan.keep_on_delete``)."""
    keep = "Retain" if plan.keep_on_delete else "Delete"
    return {"DeletionPolicy": keep, "UpdateReplacePolicy": keep}
