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
    task_def = _output(outputs, f"svc-{service}", "TaskDefinitionArn")
    return _run_task(target, ecs, manifest, outputs, service, task_def, {}, poll, timeout)


# The variable a migration tool reads to print what it would apply, and apply nothing (docs/operations.md).
DRY_RUN_VARIABLE = "MOORAGE_MIGRATIONS_DRY_RUN"


def dry_run_job(target: Target, manifest: dict[str, Any], outputs: dict[str, dict[str, str]], service: str,
                image: str | None, poll: float = 5.0, timeout: float = 3600.0) -> str:
    """Run job ``service`` once with ``MOORAGE_MIGRATIONS_DRY_RUN=1`` and the image this release would deploy,
    on a temporary revision of its deployed task definition (deregistered afterwards): no stack changes."""
    ecs = target.client("ecs", manifest["region"])
    deployed = ecs.describe_task_definition(
        taskDefinition=_output(outputs, f"svc-{service}", "TaskDefinitionArn"))["taskDefinition"]
    containers = deployed["containerDefinitions"]
    main = next((c for c in containers if c["name"] == service), containers[0])
    if image:
        main["image"] = image
    keep = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
            "placementConstraints", "requiresCompatibilities", "cpu", "memory", "runtimePlatform", "ephemeralStorage")
    temporary = ecs.register_task_definition(
        **{k: deployed[k] for k in keep if k in deployed},
        tags=[{"key": "moorage:purpose", "value": "migrations-dry-run"}])["taskDefinition"]["taskDefinitionArn"]
    overrides = {"containerOverrides": [{"name": main["name"],
                                         "environment": [{"name": DRY_RUN_VARIABLE, "value": "1"}]}]}
    try:
        line = _run_task(target, ecs, manifest, outputs, service, temporary, overrides, poll, timeout)
    finally:
        ecs.deregister_task_definition(taskDefinition=temporary)
    return line.replace(f"job {service}:", f"job {service} (dry run, {DRY_RUN_VARIABLE}=1, image "
                                             f"{main['image']}):", 1)


def job_logs_hint(target: Target, manifest: dict[str, Any], service: str) -> str:
    """How to read a failed job's logs, aimed at the environment the deploy went to (``--env``, ``--local`` ...)."""
    base = (manifest.get("preview") or {}).get("of")
    return "see its logs: " + target.command("logs", str(manifest["environment"]), "--service", service,
                                             preview_of=base)


def _run_task(target: Target, ecs: Any, manifest: dict[str, Any], outputs: dict[str, dict[str, str]], service: str,
              task_def: str, overrides: dict[str, Any], poll: float, timeout: float) -> str:
    hint = job_logs_hint(target, manifest, service)
    cluster = _output(outputs, "platform", "ClusterName")
    try:
        started = ecs.run_task(
            cluster=cluster, taskDefinition=task_def, launchType="FARGATE", count=1,
            startedBy="moorage-deploy", networkConfiguration=task_network(outputs, service),
            **({"overrides": overrides} if overrides else {}))
    except ClientError as exc:
        if target.local:
            code = exc.response['Error'].get('Code')
            return f"job {service}: not run: the emulator cannot start this task ({code})"
        raise RuntimeError(f"job {service} could not start: {exc}") from exc
    if started.get("failures"):
        state = target.command("status", str(manifest["environment"]),
                               preview_of=(manifest.get("preview") or {}).get("of"))
        raise RuntimeError(f"job {service} could not start: {started['failures'][0].get('reason')}; "
                           f"its state: {state}")
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
            raise RuntimeError(f"job {service} failed: {reason}; {hint}")
        time.sleep(poll)
    raise RuntimeError(f"job {service} still running after {timeout / 60:.0f} min; {hint}")
