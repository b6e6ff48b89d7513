"""CloudWatch alarms (dashboards are native to moto)."""

from __future__ import annotations

from typing import Any

from moorage.emulator.adapters.base import ApiResource, short_name, tags
from moorage.emulator.shapes import api_kwargs


class Alarm(ApiResource):
    """``AWS::CloudWatch::Alarm``: Ref is the alarm name."""

    TYPE = "AWS::CloudWatch::Alarm"
    SERVICE = "cloudwatch"
    NAME_PROPERTY = "AlarmName"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        alarm = short_name(name, 255)
        client.put_metric_alarm(**api_kwargs(client, "PutMetricAlarm", props,
                                             extra={"AlarmName": alarm, "Tags": tags(props)}))
        arn = client.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["AlarmArn"]
        return alarm, {"Arn": arn}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if props.get("AlarmName", old.name) != old.name:
            return None
        client.put_metric_alarm(**api_kwargs(client, "PutMetricAlarm", props, extra={"AlarmName": old.physical_id}))
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_alarms(AlarmNames=[self.physical_id])
