"""EventBridge Scheduler: schedules (moto has the API, not the CloudFormation type). The emulator keeps the
schedule and its target; it never fires it (no clock runs in the emulator)."""

from __future__ import annotations

from typing import Any

from moorage.emulator.adapters.base import ApiResource


def _target(props: dict[str, Any]) -> dict[str, Any]:
    target = dict(props.get("Target") or {})
    out: dict[str, Any] = {"Arn": str(target["Arn"]), "RoleArn": str(target["RoleArn"])}
    if "Input" in target:
        out["Input"] = str(target["Input"])
    retry = target.get("RetryPolicy") or {}
    if "MaximumRetryAttempts" in retry:
        out["RetryPolicy"] = {"MaximumRetryAttempts": int(retry["MaximumRetryAttempts"])}
    return out


def _kwargs(props: dict[str, Any], name: str) -> dict[str, Any]:
    window = props.get("FlexibleTimeWindow") or {"Mode": "OFF"}
    kwargs: dict[str, Any] = {
        "Name": name, "ScheduleExpression": str(props["ScheduleExpression"]),
        "FlexibleTimeWindow": {"Mode": str(window.get("Mode", "OFF")),
                               **({"MaximumWindowInMinutes": int(window["MaximumWindowInMinutes"])}
                                  if "MaximumWindowInMinutes" in window else {})},
        "Target": _target(props), "State": str(props.get("State", "ENABLED"))}
    for key in ("Description", "GroupName", "ScheduleExpressionTimezone"):
        if props.get(key):
            kwargs[key] = str(props[key])
    return kwargs


class Schedule(ApiResource):
    """``AWS::Scheduler::Schedule``: Ref is the name, ``Arn`` its ARN."""

    TYPE = "AWS::Scheduler::Schedule"
    SERVICE = "scheduler"
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        arn: str = client.create_schedule(**_kwargs(props, name))["ScheduleArn"]
        return name, {"Arn": arn}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if props.get("Name", old.name) != old.name:
            return None
        client.update_schedule(**_kwargs(props, old.name))
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_schedule(Name=self.physical_id)
