"""Resources with fixed names that a destroy keeps (DeletionPolicy Retain/Snapshot) and that block a redeploy.

A new stack cannot create a secret, log group, repository or bucket whose name already exists; CloudFormation
fails mid-deploy (``ResourceExistsException``). The deploy looks for them before anything changes and refuses
with the list and the way out; the destroy summary names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from moorage.cfn import resource_bodies
from moorage.deploy.session import Target

# resource type -> (the property that fixes its name, the AWS service that holds it)
FIXED_NAMES: dict[str, tuple[str, str]] = {
    "AWS::SecretsManager::Secret": ("Name", "secretsmanager"),
    "AWS::Logs::LogGroup": ("LogGroupName", "logs"),
    "AWS::ECR::Repository": ("RepositoryName", "ecr"),
    "AWS::S3::Bucket": ("BucketName", "s3"),
}


@dataclass(frozen=True)
class Leftover:
    """A kept resource whose fixed name a stack of the deploy would create again."""

    stack: str
    logical_id: str
    resource_type: str
    name: str
    region: str

    def render(self) -> str:
        """One line for a terminal."""
        return (f"{self.stack}: {self.logical_id} ({self.resource_type}) would be created as {self.name}, "
                f"which exists (kept by an earlier destroy)")

    def to_json(self) -> dict[str, str]:
        """A JSON-able form."""
        return dict(self.__dict__)


def removal(resource_type: str, name: str, region: str, target: Target) -> str:
    """The command that removes a kept resource (with what to save first, where it holds something), aimed at
    ``target`` (on the emulator, its endpoint: never the user's real account)."""
    if resource_type == "AWS::SecretsManager::Secret":
        save = target.aws(f"secretsmanager get-secret-value --secret-id {name}", region)
        delete = target.aws(f"secretsmanager delete-secret --secret-id {name} --force-delete-without-recovery", region)
        return f"save its value first ({save}), then {delete}"
    if resource_type == "AWS::Logs::LogGroup":
        return target.aws(f"logs delete-log-group --log-group-name {name}", region)
    if resource_type == "AWS::ECR::Repository":
        return target.aws(f"ecr delete-repository --repository-name {name} --force", region)
    if resource_type == "AWS::S3::Bucket":
        return f"copy what you need, then {target.aws(f's3 rb s3://{name} --force', region)}"
    return f"delete {name}"


def fixed_name(resource: dict[str, Any]) -> str | None:
    """The literal name a template gives this resource, or None (a generated or computed name never collides)."""
    prop = FIXED_NAMES.get(str(resource.get("Type", "")))
    if prop is None:
        return None
    name = (resource.get("Properties") or {}).get(prop[0])
    return name if isinstance(name, str) else None


def exists(target: Target, region: str, resource_type: str, name: str) -> bool:
    """True when a resource of this type and name exists in the account."""
    service = FIXED_NAMES[resource_type][1]
    client = target.client(service, region)
    try:
        if service == "secretsmanager":
            client.describe_secret(SecretId=name)
        elif service == "logs":
            groups = client.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
            return any(g["logGroupName"] == name for g in groups)
        elif service == "ecr":
            client.describe_repositories(repositoryNames=[name])
        else:
            client.head_bucket(Bucket=name)
    except ClientError:
        return False
    return True


def secret_arn(target: Target, region: str, name: str) -> str:
    """The ARN of the secret named ``name`` (what CloudFormation imports a secret by)."""
    return str(target.client("secretsmanager", region).describe_secret(SecretId=name)["ARN"])


def leftovers(target: Target, manifest: dict[str, Any], templates: dict[str, dict[str, Any]],
              added: dict[str, set[str]]) -> list[Leftover]:
    """The resources each stack would create (``added``: stack key -> logical ids) whose fixed name exists."""
    found = []
    for stack in manifest["stacks"]:
        bodies = resource_bodies(templates[stack["key"]])
        for logical in sorted(added.get(stack["key"], set())):
            resource = dict(bodies.get(logical, {}))
            name = fixed_name(resource)
            if name is None:
                continue
            region = target.region_for(stack["region"])
            if exists(target, region, resource["Type"], name):
                found.append(Leftover(stack["name"], logical, resource["Type"], name, region))
    return found


def refusal(found: list[Leftover], target: Target) -> str:
    """What stops the deploy and the way out, in plain words, with commands aimed at ``target`` (on AWS,
    adopting them is a way out too; on the emulator it is not emulated)."""
    lines = [f.render() for f in found]
    if not target.local:
        lines.append("    fix: adopt them into the new stacks (a CloudFormation import keeps their data and values): "
                     "rerun with --adopt-retained; or remove them:")
    lines.append("    fix: these were kept on purpose (DeletionPolicy Retain) when the environment was destroyed; "
                 "a new stack cannot create them under the same name. Remove each (nothing has changed yet):")
    lines.extend(f"      {removal(f.resource_type, f.name, f.region, target)}" for f in found)
    lines.append("    then deploy again (a removed secret gets a new value: set it again where it must keep the old)")
    return "\n".join(lines)
