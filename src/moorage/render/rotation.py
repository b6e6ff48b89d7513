"""Rotation stack: when RDS rotates a database's managed password, the services that read it are redeployed
(ECS injects secrets when a task starts). An EventBridge rule on Secrets Manager's RotationSucceeded starts a
state machine that calls ecs:UpdateService with forceNewDeployment for each of them; no function code.
What no function rotates (cache AUTH tokens, app secrets with ``rotate_days``) gets an EventBridge Scheduler
schedule that sends a reminder to the warning alarm topic every N days."""

from __future__ import annotations

import json
from typing import Any

from troposphere import GetAtt, Ref, Sub, events, iam, logs, scheduler, stepfunctions

from moorage.plan.model import ReminderPlan, RestartPlan
from moorage.plan.naming import logical_id
from moorage.render.alarm_topics import TOPIC_KEY
from moorage.render.context import StackContext
from moorage.render.data import db_out
from moorage.render.keys import key_arn


def _assume(service: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": f"{service}.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def render_rotation(ctx: StackContext) -> None:
    """Fill the rotation stack: per database, a rule, a state machine and their roles."""
    for restart in ctx.plan.rotation_restarts:
        _restart(ctx, restart)
    if ctx.plan.rotation_reminders:
        _reminders(ctx, ctx.plan.rotation_reminders)


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
    stem = logical_id("rotate", r.database)
    cluster = ctx.take("platform", "ClusterName")
    secret = ctx.take(plan.home("db", r.database), db_out(r.database, "secret"))
    names = {f"Svc{i}": ctx.take(plan.services[s].stack, "ServiceName", parameter=logical_id(s, "service", "name"))
             for i, s in enumerate(r.services)}
    states: dict[str, Any] = {}
    for i, service in enumerate(r.services):
        states[f"Redeploy{i}"] = {
            "Type": "Task", "Comment": f"force a new deployment of {service}",
            "Resource": "arn:aws:states:::aws-sdk:ecs:updateService",
            "Parameters": {"Cluster": "${Cluster}", "Service": f"${{Svc{i}}}", "ForceNewDeployment": True},
            **({"Next": f"Redeploy{i + 1}"} if i + 1 < len(r.services) else {"End": True})}
    group = f"/moorage/{plan.app}/{plan.env.env}/rotation/{r.database}"
    key = {"KmsKeyId": key_arn(ctx)} if plan.customer_key else {}
    keep = "Retain" if plan.keep_on_delete else "Delete"  # as every log group: evidence outlives the stack
    ctx.add(logs.LogGroup(f"{stem}Logs", LogGroupName=group, RetentionInDays=plan.env.log_retention, **key,
                          DeletionPolicy=keep, UpdateReplacePolicy=keep))
    service_arns = [Sub("arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/${C}/${S}",
                        C=cluster, S=ref) for ref in names.values()]
    ctx.add(iam.Role(
        f"{stem}MachineRole", AssumeRolePolicyDocument=_assume("states"),
        Description=f"{plan.prefix}: redeploy the services that read database {r.database}'s password",
        Policies=[iam.Policy(PolicyName="redeploy", PolicyDocument={"Version": "2012-10-17", "Statement": [
            {"Sid": "Redeploy", "Effect": "Allow", "Action": ["ecs:UpdateService"], "Resource": service_arns},
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
        f"{stem}Machine", StateMachineName=ctx.name("rotate", r.database), StateMachineType="STANDARD",
        RoleArn=GetAtt(f"{stem}MachineRole", "Arn"),
        # A string with Sub rather than Definition + DefinitionSubstitutions: the emulator reads only this form.
        DefinitionString=Sub(json.dumps({"Comment": f"{plan.prefix}: database {r.database} rotated: redeploy its "
                                         "readers", "StartAt": "Redeploy0", "States": states}, sort_keys=True),
                             Cluster=cluster, **names),
        LoggingConfiguration=stepfunctions.LoggingConfiguration(
            Level="ERROR", IncludeExecutionData=False, Destinations=[stepfunctions.LogDestination(
                CloudWatchLogsLogGroup=stepfunctions.CloudWatchLogsLogGroup(
                    LogGroupArn=GetAtt(f"{stem}Logs", "Arn")))]),
        TracingConfiguration=stepfunctions.TracingConfiguration(Enabled=True),
        Tags=ctx.tags()))
    ctx.add(iam.Role(
        f"{stem}RuleRole", AssumeRolePolicyDocument=_assume("events"),
        Description=f"{plan.prefix}: start the redeploy of database {r.database}'s readers",
        Policies=[iam.Policy(PolicyName="start", PolicyDocument={"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["states:StartExecution"], "Resource": [Ref(f"{stem}Machine")]}]})],
        Tags=ctx.tags()))
    ctx.add(events.Rule(
        f"{stem}Rule", Description=f"{plan.prefix}: RDS rotated database {r.database}'s password",
        State="ENABLED",
        EventPattern={"source": ["aws.secretsmanager"], "detail-type": ["AWS Service Event via CloudTrail"],
                      "detail": {"eventSource": ["secretsmanager.amazonaws.com"], "eventName": ["RotationSucceeded"],
                                 "additionalEventData": {"SecretId": [secret]}}},
        Targets=[events.Target(Id="redeploy", Arn=Ref(f"{stem}Machine"), RoleArn=GetAtt(f"{stem}RuleRole", "Arn"))]))
