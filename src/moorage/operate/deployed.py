"""What a deploy left behind, by spec name: the cluster, each service's ECS names and log group, secret ARNs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moorage.errors import Diagnostic, InputError, OperationalError

if TYPE_CHECKING:  # boto3 and troposphere load only when a command runs (fast startup)
    from moorage.deploy.session import Target
    from moorage.render import Synth


@dataclass(frozen=True)
class DeployedService:
    """One service of the spec as deployed."""

    name: str
    kind: str  # web | service | worker | scheduled | job
    stack: str
    ecs_service: str | None  # None for jobs and scheduled tasks: they have no long-running ECS service
    task_definition: str | None
    log_group: str | None
    secrets: tuple[str, ...] = ()  # app secrets it reads


@dataclass
class Deployed:
    """One deployed environment, as its stacks' outputs describe it."""

    app: str
    environment: str
    region: str
    target: Target
    cluster: str | None
    services: dict[str, DeployedService] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    url: str | None = None
    preview_of: str | None = None  # the base environment, when this is a preview

    def command(self, verb: str, *extra: str) -> str:
        """``moorage VERB`` aimed at this environment as the user reached it (``--env``, ``--preview-of``,
        ``--local`` ...), for hints."""
        return self.target.command(verb, self.environment, *extra, preview_of=self.preview_of)

    def client(self, service: str) -> Any:
        """A boto3 client in the environment's region."""
        return self.target.client(service, self.region)

    def service(self, name: str) -> DeployedService:
        """The deployed service ``name``; a located 'did you mean' error when the spec has none."""
        if name in self.services:
            return self.services[name]
        raise InputError([unknown_name("service", name, list(self.services), "--service")])

    def require_cluster(self) -> str:
        """The ECS cluster; an error saying how to deploy when the platform stack is missing."""
        if not self.cluster:
            raise not_deployed_error(self)
        return self.cluster


def unknown_name(what: str, name: str, known: list[str], option: str) -> Diagnostic:
    """'no service named X' with a 'did you mean' and the known names."""
    close = difflib.get_close_matches(name, known, n=1)
    hint = (f"did you mean {close[0]!r}? " if close else "") + (f"known: {', '.join(known)}" if known
                                                                else f"the spec declares no {what}s")
    return Diagnostic("error", f"no {what} named {name!r} in the spec ({option})", None, hint)


def not_deployed(deployed: Deployed) -> Diagnostic:
    """The error for an operation on an environment that is not deployed."""
    return Diagnostic("error", f"{deployed.app}/{deployed.environment} is not deployed"
                      + (" on the local emulator" if deployed.target.local else ""), None,
                      f"deploy it first: {deployed.command('deploy')}")


class NotDeployed(OperationalError):
    """The environment a command works on is not deployed: exit 1 (not bad usage); read-only views say
    "nothing deployed" with the same hint and exit 0 instead."""


def not_deployed_error(deployed: Deployed) -> NotDeployed:
    """:func:`not_deployed` as the error a command raises."""
    said = not_deployed(deployed)
    return NotDeployed(said.message, said.hint or "")


def deployed_environment(target: Target, synth: Synth) -> Deployed:
    """Read the outputs of the environment's stacks; services keyed by their spec names."""
    from moorage.deploy.stacks import read_stack

    manifest, plan = synth.manifest, synth.plan
    outputs: dict[str, dict[str, str]] = {}
    names = {s["key"]: s["name"] for s in manifest["stacks"]}
    for stack in manifest["stacks"]:
        state = read_stack(target.client("cloudformation", stack["region"]), stack["name"])
        if state is not None and state.deployed:
            outputs[stack["key"]] = state.outputs
    deployed = Deployed(app=manifest["app"], environment=manifest["environment"], region=manifest["region"],
                        target=target, cluster=outputs.get("platform", {}).get("ClusterName"), outputs=outputs,
                        url=outputs.get("edge", {}).get("Url"),
                        preview_of=(manifest.get("preview") or {}).get("of"))
    if manifest.get("preview"):
        from moorage.deploy.previews import preview_cluster_and_url

        deployed.cluster, deployed.url = preview_cluster_and_url(target, manifest)
    for name, sp in plan.services.items():
        out = outputs.get(sp.stack, {})
        secrets = tuple(sorted({v.target for v in sp.secrets.values() if v.kind == "app-secret"}))
        deployed.services[name] = DeployedService(
            name=name, kind=sp.spec.kind, stack=names.get(sp.stack, sp.stack), ecs_service=out.get("ServiceName"),
            task_definition=out.get("TaskDefinitionArn"), log_group=out.get("LogGroupName") or None,
            secrets=secrets)
    return deployed
