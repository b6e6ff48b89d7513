"""ECS Exec: a shell (or a command) in a running task, through AWS's Session Manager plugin."""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from typing import Any

from moorage.errors import Diagnostic, InputError
from moorage.operate.deployed import Deployed, DeployedService

PLUGIN = "session-manager-plugin"
GUIDE = "https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html"
_INSTALL = {
    "linux": "curl -o session-manager-plugin.deb "
             "https://s3.amazonaws.com/session-manager-downloads/plugin/latest/ubuntu_64bit/session-manager-plugin.deb"
             " && sudo dpkg -i session-manager-plugin.deb   (Debian/Ubuntu; RPM and arm64 builds: see the guide)",
    "darwin": "brew install --cask session-manager-plugin",
    "win32": "download and run https://s3.amazonaws.com/session-manager-downloads/plugin/latest/windows/"
             "SessionManagerPluginSetup.exe",
}


@dataclass(frozen=True)
class ExecTarget:
    """The task and container a session opens in."""

    service: str
    cluster: str
    task_arn: str
    container: str
    runtime_id: str
    command: str

    @property
    def task_id(self) -> str:
        """The short task id."""
        return self.task_arn.rsplit("/", 1)[-1]


def install_hint(platform: str | None = None) -> str:
    """How to install the Session Manager plugin on this (or ``platform``'s) system."""
    platform = platform or sys.platform
    key = next((k for k in _INSTALL if platform.startswith(k)), "linux")
    return f"install AWS's Session Manager plugin: {_INSTALL[key]}; then check with `{PLUGIN} --version` ({GUIDE})"


def plugin_path() -> str | None:
    """The Session Manager plugin on PATH, or None."""
    return shutil.which(PLUGIN)


def require_plugin() -> str:
    """The Session Manager plugin's path; an error saying exactly how to install it when it is missing."""
    found = plugin_path()
    if found is None:
        raise InputError([Diagnostic("error", "the Session Manager plugin is not installed (ECS Exec needs it)",
                                     None, install_hint())])
    return found


def exec_target(deployed: Deployed, service: DeployedService, task: str | None, command: str) -> ExecTarget:
    """The running task to open ``command`` in; refuses (with the reason) when the service disallows exec."""
    cluster = deployed.require_cluster()
    if not service.ecs_service:
        raise InputError([Diagnostic(
            "error", f"{service.name} is a {service.kind}: it has no long-running tasks to open a shell in", None,
            f"start a one-off task instead: "
            f"{deployed.command('run', '--service', service.name, '--', 'sh')}")])
    ecs = deployed.client("ecs")
    described = ecs.describe_services(cluster=cluster, services=[service.ecs_service]).get("services", [])
    if not described or not described[0].get("enableExecuteCommand"):
        raise InputError([Diagnostic(
            "error", f"ECS Exec is off for {service.name} in {deployed.environment}", None,
            f"allow it in the spec (environments.{deployed.environment}.services.{service.name}.exec: true, or "
            f"services.{service.name}.exec: true) and deploy; prod keeps it off unless set")])
    if task:
        tasks = ecs.describe_tasks(cluster=cluster, tasks=[task]).get("tasks", [])
        if not tasks or _family(tasks[0].get("taskDefinitionArn", "")) != _family(service.task_definition or ""):
            raise InputError([Diagnostic("error", f"no task {task} of {service.name} in cluster {cluster}", None,
                                         "omit --task to pick a running task of the service")])
    else:
        arns = ecs.list_tasks(cluster=cluster, serviceName=service.ecs_service, desiredStatus="RUNNING")["taskArns"]
        described = ecs.describe_tasks(cluster=cluster, tasks=arns[:100]).get("tasks", []) if arns else []
        family = _family(service.task_definition or "")
        tasks = [t for t in described if _family(t.get("taskDefinitionArn", "")) == family]
        if not tasks:
            emulated = " (the emulator runs no containers)" if deployed.target.local else ""
            raise InputError([Diagnostic(
                "error", f"{service.name} has no running task to open a shell in{emulated}", None,
                f"see its state: {deployed.command('status')}")])
    found = tasks[0]
    container: dict[str, Any] = next((c for c in found.get("containers", []) if c.get("name") == service.name), {})
    return ExecTarget(service.name, cluster, found["taskArn"], service.name, str(container.get("runtimeId", "")),
                      command)


def _family(task_definition: str) -> str:
    """``hello-dev-web`` of ``arn:...:task-definition/hello-dev-web:3``."""
    return task_definition.rsplit("/", 1)[-1].split(":", 1)[0]


def session_command(target: ExecTarget, session: dict[str, Any], region: str, profile: str | None,
                    endpoint: str) -> list[str]:
    """The plugin's command line for a session ``execute_command`` opened (as the AWS CLI runs it)."""
    ssm_target = {"Target": f"ecs:{target.cluster}_{target.task_id}_{target.runtime_id}"}
    return [PLUGIN, json.dumps(session), region, "StartSession", profile or "", json.dumps(ssm_target), endpoint]


def open_session(deployed: Deployed, target: ExecTarget, profile: str | None) -> list[str]:
    """Ask ECS for an interactive session; returns the plugin command that attaches to it."""
    ecs = deployed.client("ecs")
    response = ecs.execute_command(cluster=target.cluster, task=target.task_arn, container=target.container,
                                   command=target.command, interactive=True)
    return session_command(target, response["session"], deployed.region, profile, ecs.meta.endpoint_url)
