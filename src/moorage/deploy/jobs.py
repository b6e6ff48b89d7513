"""``run: before-deploy`` jobs (migrations): run once, after their task definition is deployed and
before the services of the same wave update."""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from moorage.deploy.session import Target


def _output(outputs: dict[str, dict[str, str]], stack: str, name: str) -> str:
    value = outputs.get(stack, {}).get(name)
    if not value:
        raise RuntimeError(f"stack {stack} has no output {name}")
    return value


def _security_group(outputs: dict[str, dict[str, str]], service: str) -> str:
    wanted = "sgsvc" + service.replace("-", "").replace("_", "").lower()
    # The network stack holds the groups, or security, security-2 ... past CloudFormation's limits.
    for stack in sorted(outputs, key=lambda k: (k != "network", k)):
        if stack == "network" or stack.startswith("security"):
            for key, value in outputs[stack].items():
                if key.lower() == wanted:
                    return value
    raise RuntimeError(f"no network or security stack has a security group output for {service}")


def task_network(outputs: dict[str, dict[str, str]], service: str) -> dict[str, Any]:
    """The ``networkConfiguration`` a task of ``service`` runs with: private subnets, its security group."""
    subnets = _output(outputs, "network", "PrivateSubnets").split(",")
    return {"awsvpcConfiguration": {"subnets": subnets, "assignPublicIp": "DISABLED",
                                    "securityGroups": [_security_group(outputs, service)]}}


def run_job(target: Target, manifest: dict[str, Any], outputs: dict[str, dict[str, str]], service: str,
            poll: float = 5.0, timeout: float = 3600.0) -> str:
    """Run job ``service`` to completion; returns a line to report; raises RuntimeError when it fails."""
    ecs = target.client("ecs", manifest["region"])
    cluster = _output(outputs, "platform", "ClusterName")
    task_def = _output(outputs, f"svc-{service}", "TaskDefinitionArn")
    try:
        started = ecs.run_task(
            cluster=cluster, taskDefinition=task_def, launchType="FARGATE", count=1,
            startedBy="moorage-deploy",
            networkConfiguration=task_network(outputs, service))
    except ClientError as exc:
        if target.local:
            code = exc.response['Error'].get('Code')
            return f"job {service}: not run: the emulator cannot start this task ({code})"
        raise RuntimeError(f"job {service} could not start: {exc}") from exc
    if started.get("failures"):
        raise RuntimeError(f"job {service} could not start: {started['failures'][0].get('reason')}")
    task_arn = started["tasks"][0]["taskArn"]
    if target.local:
        return f"job {service}: task started ({task_arn.rsplit('/', 1)[-1]}); the emulator does not run containers"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = ecs.describe_tasks(cluster=cluster, tasks=[task_arn])["tasks"][0]
        if task.get("lastStatus") == "STOPPED":
            codes = [c.get("exitCode") for c in task.get("containers", [])]
            if all(code == 0 for code in codes):
                return f"job {service}: finished (exit 0)"
            reason = task.get("stoppedReason", "") or "; ".join(
                f"{c.get('name')}: exit {c.get('exitCode')} {c.get('reason', '')}" for c in task.get("containers", []))
            raise RuntimeError(f"job {service} failed: {reason} (logs: moorage status, CloudWatch group of {service})")
        time.sleep(poll)
    raise RuntimeError(f"job {service} still running after {timeout / 60:.0f} min")
