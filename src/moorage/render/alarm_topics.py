"""The alarm topics of the platform stack and their subscribers: e-mail, HTTPS webhooks, PagerDuty, and Slack /
Microsoft Teams channels through AWS Chatbot. The plan (``Plan.alarm_topics``) decides who hears what."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Ref, Sub, chatbot, cloudwatch, iam, kms, sns

from moorage.plan.model import TopicPlan
from moorage.plan.naming import logical_id
from moorage.render.context import StackContext
from moorage.render.scanners import scanner_skips

TOPIC_KEY = "AlarmTopicKey"  # the customer-managed key of the stack's alarm topics

_ASSUME_CHATBOT = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "chatbot.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def render_alarm_topics(ctx: StackContext, topics: list[TopicPlan] | None = None) -> dict[str, Any]:
    """Each topic (or the existing one) with its subscriptions, its ARN given as the topic's output; the ARNs
    by severity. ``topics``: the plan's alarm topics unless given (the health stack's)."""
    own = topics is None
    topics = ctx.plan.alarm_topics if topics is None else topics
    key = ctx.plan.alarm_topic_key if own else ctx.plan.health_topic_key
    if any(t.slack or t.teams for t in topics):
        # Chatbot only relays notifications: read-only CloudWatch, and its guardrail caps what members can run.
        ctx.add(iam.Role(
            "ChatbotRole", AssumeRolePolicyDocument=_ASSUME_CHATBOT,
            Description=f"{ctx.plan.prefix}: AWS Chatbot posts alarms to chat channels",
            Policies=[iam.Policy(PolicyName="notifications", PolicyDocument={"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["cloudwatch:Describe*", "cloudwatch:List*", "cloudwatch:GetMetricData",
                                               "cloudwatch:GetMetricStatistics"],
                 "Resource": "*"}]})],
            Tags=ctx.tags()))
    if key:
        _topic_key(ctx)
    arns = {}
    for topic in topics:
        arns[topic.severity] = _topic(ctx, topic, bool(key))
        ctx.give(topic.output, arns[topic.severity])
    return arns


def topic_key_policy() -> dict[str, Any]:
    """The alarm topics' key policy: the account administers the key; CloudWatch alarms of this account (and
    EventBridge rules) encrypt the messages they publish to the topics. The AWS-managed ``alias/aws/sns`` key
    cannot be used: its policy cannot be changed to let cloudwatch.amazonaws.com use it, so alarms would fail to
    publish without an error anywhere but the alarm's history."""
    use = ["kms:Decrypt", "kms:GenerateDataKey*"]
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "AccountAdministers", "Effect": "Allow",
         "Principal": {"AWS": Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "CloudWatchAlarmsPublish", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": use, "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")}}},
        # EventBridge's KMS requests carry no aws:SourceAccount (its documentation says not to condition on it:
        # every event would be dropped); the grant only lets it encrypt messages to these topics.
        {"Sid": "EventBridgePublish", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
         "Action": use, "Resource": "*"},
    ]}


def _topic_key(ctx: StackContext) -> None:
    """The key the stack's alarm topics are encrypted with (rotated yearly, kept when the stack goes, as every
    moorage key: MOO-KMS-003)."""
    ctx.add(kms.Key(
        TOPIC_KEY, Description=f"{ctx.plan.prefix}: alarm topics ({ctx.stack.key} stack)",
        EnableKeyRotation=True, KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT",
        KeyPolicy=topic_key_policy(), Tags=ctx.tags(), DeletionPolicy="Retain", UpdateReplacePolicy="Retain"))
    # Roles that publish to the topics (rotation reminders through Scheduler) need the key in their own policy.
    ctx.give(f"{TOPIC_KEY}Arn", GetAtt(TOPIC_KEY, "Arn"))


def _topic(ctx: StackContext, t: TopicPlan, encrypted: bool) -> Any:
    if t.existing_arn:
        arn: Any = t.existing_arn
    else:
        topic_name = {"AlarmTopic": "alarms", "WarningTopic": "warning", "HealthTopic": "health-alarms"}.get(
            t.resource, "health-warning")
        # Unencrypted only where nobody is subscribed (Plan.alarm_topic_key): the topic delivers nothing.
        ctx.add(sns.Topic(t.resource, TopicName=ctx.name(topic_name),
                          **({"KmsMasterKeyId": Ref(TOPIC_KEY)} if encrypted else
                             {"Metadata": scanner_skips("unheard-alarm-topic")}), Tags=ctx.tags()))
        arn = Ref(t.resource)
    # The critical topic keeps the names it always had (AlarmEmail1 ...); others are named after the topic.
    stem = "Alarm" if t.resource == "AlarmTopic" else t.resource.removesuffix("Topic")
    for i, email in enumerate(t.emails):
        ctx.add(sns.SubscriptionResource(f"{stem}Email{i + 1}", TopicArn=arn, Protocol="email", Endpoint=email))
    for i, url in enumerate(t.webhooks):
        ctx.add(sns.SubscriptionResource(f"{stem}Webhook{i + 1}", TopicArn=arn, Protocol="https", Endpoint=url))
    if t.pagerduty:
        # PagerDuty's CloudWatch integration reads the whole SNS envelope (raw delivery off).
        ctx.add(sns.SubscriptionResource(f"{stem}PagerDuty", TopicArn=arn, Protocol="https", Endpoint=t.pagerduty))
    guardrail = [Sub("arn:${AWS::Partition}:iam::aws:policy/CloudWatchReadOnlyAccess")]
    for i, slack in enumerate(t.slack):
        ctx.add(chatbot.SlackChannelConfiguration(
            f"{stem}Slack{i + 1}", ConfigurationName=ctx.name(stem.lower(), "slack", str(i + 1)),
            IamRoleArn=GetAtt("ChatbotRole", "Arn"), SlackWorkspaceId=slack.workspace_id,
            SlackChannelId=slack.channel_id, SnsTopicArns=[arn], GuardrailPolicies=guardrail, LoggingLevel="ERROR"))
    for i, teams in enumerate(t.teams):
        ctx.add(chatbot.MicrosoftTeamsChannelConfiguration(
            f"{stem}Teams{i + 1}", ConfigurationName=ctx.name(stem.lower(), "teams", str(i + 1)),
            IamRoleArn=GetAtt("ChatbotRole", "Arn"), TeamId=teams.team_id, TeamsChannelId=teams.channel_url_id,
            TeamsTenantId=teams.tenant_id, SnsTopicArns=[arn], GuardrailPolicies=guardrail, LoggingLevel="ERROR"))
    return arn


def render_health(ctx: StackContext) -> None:
    """Fill the health stack (us-east-1): an alarm per Route 53 health check, to a topic of that region."""
    plan = ctx.plan
    own = render_alarm_topics(ctx, plan.health_topics)
    for alarm in plan.health_alarms:
        if alarm.severity in own:
            topic: Any = own[alarm.severity]
        else:  # the app runs in us-east-1: its own topics
            topic = ctx.take("platform", plan.alarm_output(alarm.severity))
        edge = alarm.dimensions["HealthCheckId"].removeprefix("@health:")
        check = ctx.take(edge, "HealthCheckId", parameter=logical_id(edge, "HealthCheckId"))
        ctx.add(cloudwatch.Alarm(
            logical_id("alarm", alarm.key), AlarmDescription=alarm.description, Namespace=alarm.namespace,
            MetricName=alarm.metric, Dimensions=[cloudwatch.MetricDimension(Name="HealthCheckId", Value=check)],
            Statistic=alarm.statistic, Period=alarm.period, EvaluationPeriods=alarm.periods,
            Threshold=alarm.threshold, ComparisonOperator=alarm.comparison, TreatMissingData=alarm.treat_missing,
            AlarmActions=[topic], OKActions=[topic]))
