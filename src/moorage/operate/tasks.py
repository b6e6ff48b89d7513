"""One-off tasks: the service's task definition, network, secrets and role, with another command."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moorage.operate.deployed import Deployed, DeployedService, not_deployed_error
from moorage.operate.logs import LogLine


class TaskFailed(RuntimeError):
    """AWS (or the emulator) refused to start the task, or it did not stop in time."""


@dataclass
class TaskRun:
    """A one-off task: where it runs and how it ended."""

    service: str
    task_arn: str
    task_definition: str
    network: dict[str, Any]
    command: list[str]
    status: str = "PROVISIONING"
    exit_code: int | None = None
    reason: str = ""
    log_stream: str = ""
    logs: list[LogLine] = field(default_factory=list)

    @property
    def task_id(self) -> str:
        """The short task id (the last part of its ARN)."""
        return self.task_arn.rsplit("/", 1)[-1]

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {"service": self.service, "task_arn": self.task_arn, "task_id": self.task_id,
                "task_definition": self.task_definition, "network": self.network, "command": self.command,
                "status": self.status, "exit_code": self.exit_code, "reason": self.reason,
                "log_stream": self.log_stream}


def task_network(deployed: Deployed, service: DeployedService) -> dict[str, Any]:
    """The service's own ``networkConfiguration`` (from its ECS service, or the stacks for jobs)."""
    from moorage.deploy.jobs import task_network as from_outputs

    if service.ecs_service:
        found = deployed.client("ecs").describe_services(cluster=deployed.require_cluster(),
                                                         services=[service.ecs_service]).get("services", [])
        if found and found[0].get("networkConfiguration"):
            return dict(found[0]["networkConfiguration"])
    return from_outputs(deployed.outputs, service.name)


def start_task(deployed: Deployed, service: DeployedService, command: list[str]) -> TaskRun:
    """Start one task of ``service``'s task definition, running ``command`` instead of its own."""
    cluster = deployed.require_cluster()
    if not service.task_definition:
        raise not_deployed_error(deployed)
    network = task_network(deployed, service)
    overrides = {"containerOverrides": [{"name": service.name, "command": command}]} if command else {}
    started = deployed.client("ecs").run_task(
        cluster=cluster, taskDefinition=service.task_definition, launchType="FARGATE", count=1,
        startedBy="moorage-run", networkConfiguration=network, overrides=overrides)
    if started.get("failures") or not started.get("tasks"):
        failure = (started.get("failures") or [{}])[0]
        raise TaskFailed(f"the task of {service.name} did not start: {failure.get('reason', 'no task returned')}")
    arn = started["tasks"][0]["taskArn"]
    run = TaskRun(service.name, arn, service.task_definition, network, command)
    # the awslogs driver's stream: <prefix>/<container>/<task id>; the prefix is the service name
    run.log_stream = f"{service.name}/{service.name}/{run.task_id}"
    return run


def _new_lines(deployed: Deployed, service: DeployedService, run: TaskRun, token: str | None) -> str | None:
    if not service.log_group:
        return token
    logs = deployed.client("logs")
    kwargs: dict[str, Any] = {"logGroupName": service.log_group, "logStreamName": run.log_stream,
                              "startFromHead": True}
    while True:
        if token:
            kwargs["nextToken"] = token
        try:
            page = logs.get_log_events(**kwargs)
        except logs.exceptions.ResourceNotFoundException:
            return token  # the stream appears with the container's first line
        events = page.get("events", [])
        run.logs.extend(LogLine(int(e["timestamp"]), service.name, run.log_stream, str(e["message"]).rstrip("\n"))
                        for e in events)
        following = page.get("nextForwardToken")
        if not events or following == token:
            return following
        token = following


def wait_task(deployed: Deployed, service: DeployedService, run: TaskRun,
              on_line: Callable[[LogLine], None] = lambda _line: None, poll: float = 3.0,
              timeout: float = 3600.0, sleep: Callable[[float], None] = time.sleep) -> TaskRun:
    """Poll until the task stops, passing each new log line to ``on_line``; fills status and exit code."""
    ecs = deployed.client("ecs")
    cluster = deployed.require_cluster()
    token: str | None = None
    deadline = time.monotonic() + timeout
    while True:
        tasks = ecs.describe_tasks(cluster=cluster, tasks=[run.task_arn]).get("tasks", [])
        shown = len(run.logs)
        token = _new_lines(deployed, service, run, token)
        for line in run.logs[shown:]:
            on_line(line)
        task = tasks[0] if tasks else {}
        run.status = str(task.get("lastStatus", "UNKNOWN"))
        if run.status == "STOPPED":
            container = next((c for c in task.get("containers", []) if c.get("name") == service.name), None)
            code = container.get("exitCode") if container else None
            run.exit_code = int(code) if code is not None else None
            run.reason = str(task.get("stoppedReason", "") or (container or {}).get("reason", ""))
            shown = len(run.logs)
            _new_lines(deployed, service, run, token)
            for line in run.logs[shown:]:
                on_line(line)
            return run
        if time.monotonic() > deadline:
            stop = deployed.target.aws(f"ecs stop-task --cluster {cluster} --task {run.task_id}",
                                       deployed.region)
            raise TaskFailed(f"task {run.task_id} still {run.status} after {timeout / 60:.0f} min; "
                             f"it keeps running (stop it: {stop})")
        sleep(poll)
