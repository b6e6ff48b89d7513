"""Edge and account-level resources: WAF web ACLs, ACM certificates, budgets, SNS subscriptions,
Application Auto Scaling."""

from __future__ import annotations

from typing import Any

from moorage.emulator import runtime
from moorage.emulator.adapters.base import ApiResource, short_name, tags
from moorage.emulator.shapes import api_kwargs


class WebACL(ApiResource):
    """``AWS::WAFv2::WebACL``: Ref is ``name|id|scope``; attributes Arn and Id."""

    TYPE = "AWS::WAFv2::WebACL"
    SERVICE = "wafv2"
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        acl_name = short_name(name, 128)
        clean = {k: v for k, v in props.items() if k != "Tags"}
        kwargs = api_kwargs(client, "CreateWebACL", clean, extra={"Name": acl_name})
        if props.get("Tags"):
            kwargs["Tags"] = tags(props)
        summary = client.create_web_acl(**kwargs)["Summary"]
        scope = str(props.get("Scope", "REGIONAL"))
        return f"{acl_name}|{summary['Id']}|{scope}", {"Arn": summary["ARN"], "Id": summary["Id"]}

    def remove(self, client: Any) -> None:
        name, acl_id, scope = self.physical_id.split("|")
        token = client.get_web_acl(Name=name, Id=acl_id, Scope=scope)["LockToken"]
        client.delete_web_acl(Name=name, Id=acl_id, Scope=scope, LockToken=token)


class WebACLAssociation(ApiResource):
    """``AWS::WAFv2::WebACLAssociation``."""

    TYPE = "AWS::WAFv2::WebACLAssociation"
    SERVICE = "wafv2"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        client.associate_web_acl(WebACLArn=str(props["WebACLArn"]), ResourceArn=str(props["ResourceArn"]))
        return f"{props['ResourceArn']}|{props['WebACLArn']}", {}

    def remove(self, client: Any) -> None:
        client.disassociate_web_acl(ResourceArn=str(self.props["ResourceArn"]))


class LoggingConfiguration(ApiResource):
    """``AWS::WAFv2::LoggingConfiguration``: Ref is the web ACL's ARN."""

    TYPE = "AWS::WAFv2::LoggingConfiguration"
    SERVICE = "wafv2"
    PUT_KEYS = ("ResourceArn",)

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        kwargs = api_kwargs(client, "PutLoggingConfiguration", {"LoggingConfiguration": props})
        client.put_logging_configuration(**kwargs)
        return str(props["ResourceArn"]), {"ResourceArn": str(props["ResourceArn"])}

    def remove(self, client: Any) -> None:
        client.delete_logging_configuration(ResourceArn=self.physical_id)


class Certificate(ApiResource):
    """``AWS::CertificateManager::Certificate``: Ref is the ARN (validation is not emulated: issued at once)."""

    TYPE = "AWS::CertificateManager::Certificate"
    SERVICE = "acm"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        kwargs: dict[str, Any] = {"DomainName": str(props["DomainName"]),
                                  "ValidationMethod": str(props.get("ValidationMethod", "DNS"))}
        if props.get("SubjectAlternativeNames"):
            kwargs["SubjectAlternativeNames"] = list(props["SubjectAlternativeNames"])
        if props.get("Tags"):
            kwargs["Tags"] = tags(props)
        arn: str = client.request_certificate(**kwargs)["CertificateArn"]
        return arn, {}

    def remove(self, client: Any) -> None:
        client.delete_certificate(CertificateArn=self.physical_id)


class Budget(ApiResource):
    """``AWS::Budgets::Budget``: Ref is the budget name."""

    TYPE = "AWS::Budgets::Budget"
    SERVICE = "budgets"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        budget = dict(props["Budget"])
        budget.setdefault("BudgetName", short_name(name, 100))
        kwargs = api_kwargs(client, "CreateBudget",
                            {"Budget": budget, "NotificationsWithSubscribers": props.get("NotificationsWithSubscribers",
                                                                                         [])},
                            extra={"AccountId": runtime.ACCOUNT_ID})
        client.create_budget(**kwargs)
        return str(budget["BudgetName"]), {}

    def remove(self, client: Any) -> None:
        client.delete_budget(AccountId=runtime.ACCOUNT_ID, BudgetName=self.physical_id)


class Subscription(ApiResource):
    """``AWS::SNS::Subscription``: Ref is the subscription ARN."""

    TYPE = "AWS::SNS::Subscription"
    SERVICE = "sns"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        arn: str = client.subscribe(TopicArn=str(props["TopicArn"]), Protocol=str(props["Protocol"]),
                                    Endpoint=str(props.get("Endpoint", "")), ReturnSubscriptionArn=True)[
            "SubscriptionArn"]
        return arn, {"Arn": arn}

    def remove(self, client: Any) -> None:
        client.unsubscribe(SubscriptionArn=self.physical_id)


class ScalableTarget(ApiResource):
    """``AWS::ApplicationAutoScaling::ScalableTarget``: Ref is ``resource|dimension|namespace``."""

    TYPE = "AWS::ApplicationAutoScaling::ScalableTarget"
    SERVICE = "application-autoscaling"
    PUT_KEYS = ("ResourceId", "ScalableDimension", "ServiceNamespace")

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        client.register_scalable_target(**api_kwargs(client, "RegisterScalableTarget", props))
        target = {k: props[k] for k in cls.PUT_KEYS}
        # RegisterScalableTarget has no scheduled actions: each is its own PutScheduledAction, as on AWS.
        wanted = {a["ScheduledActionName"] for a in props.get("ScheduledActions", [])}
        for old in client.describe_scheduled_actions(ServiceNamespace=target["ServiceNamespace"],
                                                     ResourceId=target["ResourceId"])["ScheduledActions"]:
            if old["ScheduledActionName"] not in wanted:
                client.delete_scheduled_action(ScheduledActionName=old["ScheduledActionName"], **target)
        for action in props.get("ScheduledActions", []):
            client.put_scheduled_action(**api_kwargs(client, "PutScheduledAction", {**action, **target}))
        pid = f"{props['ResourceId']}|{props['ScalableDimension']}|{props['ServiceNamespace']}"
        return pid, {}

    def remove(self, client: Any) -> None:
        resource, dimension, namespace = self.physical_id.split("|")
        for old in client.describe_scheduled_actions(ServiceNamespace=namespace, ResourceId=resource)[
                "ScheduledActions"]:
            client.delete_scheduled_action(ScheduledActionName=old["ScheduledActionName"], ServiceNamespace=namespace,
                                           ResourceId=resource, ScalableDimension=dimension)
        client.deregister_scalable_target(ServiceNamespace=namespace, ResourceId=resource,
                                          ScalableDimension=dimension)


class ScalingPolicy(ApiResource):
    """``AWS::ApplicationAutoScaling::ScalingPolicy``: Ref is the policy ARN."""

    TYPE = "AWS::ApplicationAutoScaling::ScalingPolicy"
    SERVICE = "application-autoscaling"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        values = dict(props)
        target = str(values.pop("ScalingTargetId", ""))
        if target:
            resource, dimension, namespace = target.split("|")
            values.update(ResourceId=resource, ScalableDimension=dimension, ServiceNamespace=namespace)
        values.setdefault("PolicyName", short_name(name, 256))
        out = client.put_scaling_policy(**api_kwargs(client, "PutScalingPolicy", values))
        values["PolicyARN"] = out["PolicyARN"]
        return str(out["PolicyARN"]), {"Arn": out["PolicyARN"], "_values": values}

    def remove(self, client: Any) -> None:
        values = self.attributes["_values"]
        client.delete_scaling_policy(PolicyName=values["PolicyName"], ServiceNamespace=values["ServiceNamespace"],
                                     ResourceId=values["ResourceId"], ScalableDimension=values["ScalableDimension"])
