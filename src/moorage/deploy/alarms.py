"""The deployed environment's CloudWatch alarms as CloudWatch reports them: state, what each watches (a metric,
or metric math over its metrics) and its threshold. Read for ``moorage status``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from moorage.deploy.session import Target

ALARM_TYPE = "AWS::CloudWatch::Alarm"
_BATCH = 100  # DescribeAlarms takes at most 100 names


@dataclass
class AlarmStatus:
    """One alarm of one of the environment's stacks."""

    stack: str  # the manifest's stack key
    key: str  # its logical id
    name: str  # the alarm's name
    state: str  # OK | ALARM | INSUFFICIENT_DATA, or "missing" when its stack lists it and CloudWatch does not
    watches: str  # "AWS/ECS CPUUtilization Average", or "100*m1/m2 (m1 = AWS/... HTTPCode_Target_5XX_Count Sum ...)"
    threshold: str  # "> 1" ...

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return dict(self.__dict__)

    def render(self) -> str:
        """``alarm AlarmTarget5xxRate (svc-web) ALARM: 100*m1/m2 (...) > 1``."""
        return f"alarm {self.key} ({self.stack}) {self.state}: {self.watches} {self.threshold}"


_COMPARISONS = {"GreaterThanThreshold": ">", "GreaterThanOrEqualToThreshold": ">=", "LessThanThreshold": "<",
                "LessThanOrEqualToThreshold": "<="}


def what_it_watches(alarm: dict[str, Any]) -> str:
    """One line for what a ``DescribeAlarms`` entry watches: its metric, or its expression over its metrics."""
    metrics = alarm.get("Metrics") or []
    if not metrics:
        return f"{alarm.get('Namespace', '?')} {alarm.get('MetricName', '?')} {alarm.get('Statistic', '?')}"
    stats = [f"{q['Id']} = {q['MetricStat']['Metric'].get('Namespace', '?')} "
             f"{q['MetricStat']['Metric'].get('MetricName', '?')} {q['MetricStat'].get('Stat', '?')}"
             for q in metrics if q.get("MetricStat")]
    expression = next((q["Expression"] for q in metrics if q.get("Expression") and q.get("ReturnData", True)), "?")
    return f"{expression} ({', '.join(stats)})"


def alarm_summary(alarms: list[AlarmStatus]) -> str:
    """``alarms: 12 (1 ALARM, 11 OK)``."""
    counts: dict[str, int] = {}
    for a in alarms:
        counts[a.state] = counts.get(a.state, 0) + 1
    order = sorted(counts, key=lambda s: (s == "OK", s))
    return f"alarms: {len(alarms)}" + (f" ({', '.join(f'{counts[s]} {s}' for s in order)})" if alarms else "")


def alarm_status(target: Target, manifest: dict[str, Any]) -> list[AlarmStatus]:
    """Every alarm the environment's deployed stacks hold, as CloudWatch reports it (stack by stack)."""
    out = []
    for stack in manifest["stacks"]:
        cf = target.client("cloudformation", stack["region"])
        try:
            resources = [r for page in cf.get_paginator("list_stack_resources").paginate(StackName=stack["name"])
                         for r in page["StackResourceSummaries"]]
        except ClientError as exc:
            if "does not exist" in str(exc):
                continue  # not deployed: the stack table says so
            raise
        alarms = {r["PhysicalResourceId"]: r["LogicalResourceId"] for r in resources
                  if r["ResourceType"] == ALARM_TYPE and r.get("PhysicalResourceId")}
        if not alarms:
            continue
        cw = target.client("cloudwatch", stack["region"])
        names = sorted(alarms)
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(names), _BATCH):
            pages = cw.get_paginator("describe_alarms").paginate(AlarmNames=names[i:i + _BATCH],
                                                                 AlarmTypes=["MetricAlarm"])
            found.update({a["AlarmName"]: a for page in pages for a in page["MetricAlarms"]})
        for name in names:
            a = found.get(name)
            if a is None:
                out.append(AlarmStatus(stack["key"], alarms[name], name, "missing", "-", "-"))
                continue
            threshold = f"{_COMPARISONS.get(a.get('ComparisonOperator', ''), '?')} {a.get('Threshold', 0):g}"
            out.append(AlarmStatus(stack["key"], alarms[name], name, a.get("StateValue", "?"), what_it_watches(a),
                                   threshold))
    return out
