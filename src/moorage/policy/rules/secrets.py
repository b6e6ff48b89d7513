"""Secrets: never in plain text in task definitions, resource properties, secrets or SSM parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN, as_bool, as_list, dig, has_dynamic_reference, is_intrinsic, walk
from moorage.policy.checks import Outcome, facts, issue, rule
from moorage.policy.rules.common import container_path, containers
from moorage.policy.secret_values import assignments, credentials_in, named_secret, secret_name
from moorage.policy.secret_values import trivial as _trivial


def plain_text(r: Resource, value: Any) -> str | None:
    """Why ``value`` exposes a secret in the template, or None when it does not (or cannot be told)."""
    if value is None or has_dynamic_reference(value):
        return None
    if isinstance(value, str):
        return "is written in the template"
    if is_intrinsic(value) and "Ref" in value and isinstance(value["Ref"], str):
        params = r.index.templates[r.stack].get("Parameters") or {}
        param = params.get(value["Ref"]) if isinstance(params, Mapping) else None
        if isinstance(param, Mapping) and as_bool(param.get("NoEcho")) is not True:
            return f"comes from parameter {value['Ref']}, which is not NoEcho"
    return None


@rule("MOO-SEC-001")
def no_plain_environment(r: Resource) -> Outcome:
    out = []
    for i, container, name in containers(r):
        for j, env in enumerate(as_list(container.get("Environment"))):
            var, value = dig(env, "Name"), dig(env, "Value")
            path = container_path(i, "Environment", j)
            if has_dynamic_reference(value):
                out.append(issue(f"{name}: {var} resolves a secret into plain text in the task definition", *path))
            elif isinstance(var, str) and secret_name().search(var) and isinstance(value, str) and not _trivial(value):
                out.append(issue(f"{name}: {var} looks like a secret and is a plain environment value", *path))
    return out


def _paths(value: Any, path: str) -> list[tuple[Any, tuple[str | int, ...]]]:
    """Values at ``a.b`` / ``a[].b`` under a resource's properties, with their paths."""
    found: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    for part in path.split("."):
        many = part.endswith("[]")
        key = part[:-2] if many else part
        step: list[tuple[Any, tuple[str | int, ...]]] = []
        for node, where in found:
            child = dig(node, key)
            if many:
                step += [(item, (*where, key, k)) for k, item in enumerate(as_list(child))]
            elif child is not None:
                step.append((child, (*where, key)))
        found = step
    return found


@rule("MOO-SEC-002")
def no_plain_passwords(r: Resource) -> Outcome:
    paths = facts()["secret_properties"].get(r.type, [])
    hits = [(v, p) for path in paths for v, p in _paths(r.props, path)]
    if not hits:
        return None
    if r.flag("ManageMasterUserPassword"):
        return []
    out = []
    for value, path in hits:
        why = plain_text(r, value)
        if why:
            out.append(issue(f"{'.'.join(str(p) for p in path)} {why}", "Properties", *path))
    return out


@rule("MOO-SEC-003")
def secret_not_in_template(r: Resource) -> Outcome:
    value = r.get("SecretString")
    why = plain_text(r, value)
    if why is None or (isinstance(value, str) and not value.strip()):
        return []
    return [issue(f"SecretString {why}", "Properties", "SecretString")]


@rule("MOO-SEC-004")
def no_secrets_in_ssm_strings(r: Resource) -> Outcome:
    name = r.value("Name")
    label = name if isinstance(name, str) else r.id
    if not secret_name().search(label.replace("/", "_").replace("-", "_")):
        return None
    value = r.get("Value")
    if r.value("Type") in ("String", "StringList", None) and isinstance(value, str) and not _trivial(value):
        return [issue(f"parameter {label} looks like a secret and is stored unencrypted", "Properties", "Value")]
    return []


@rule("MOO-SEC-005")
def customer_managed_key(r: Resource) -> Outcome:
    key = r.value("KmsKeyId")
    if key is None or key == "alias/aws/secretsmanager":
        return [issue("encrypted with the default aws/secretsmanager key", "Properties")]
    return []


@rule("MOO-SEC-006")
def credentials_rotate(r: Resource) -> Outcome:
    target_type = r.value("TargetType")
    if target_type is UNKNOWN or not str(target_type).startswith(("AWS::RDS::", "AWS::DocDB::", "AWS::Redshift::")):
        return None
    secret = r.target(r.get("SecretId"))
    if secret is None:
        return None
    for schedule in secret.referrers("AWS::SecretsManager::RotationSchedule"):
        target = schedule.target(schedule.get("SecretId"))
        if target is not None and target.key == secret.key:
            return []
    if any(_sets_master_password(m) and m.referrers("AWS::Scheduler::Schedule")
           for m in secret.referrers("AWS::StepFunctions::StateMachine")):
        return []  # a scheduled state machine that reads this secret and sets the master password rotates it
    return [issue(f"secret {secret.id} of the database never rotates (no RotationSchedule, and no scheduled "
                  "state machine sets the database's master password)")]


def _sets_master_password(machine: Resource) -> bool:
    """True when a state machine's definition calls RDS to set a master user password (a rotation without a
    Lambda function: moorage's generated-password rotation, or a hand-written one of the same shape)."""
    text = " ".join(str(part) for prop in ("DefinitionString", "Definition")
                    for path, node in walk(machine.get(prop)) for part in (*path[-1:], node)
                    if isinstance(part, str))
    return "MasterUserPassword" in text and any(call in text for call in (
        "aws-sdk:rds:modifyDBInstance", "aws-sdk:rds:modifyDBCluster"))


def _where(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path) or "value"


def _user_data(r: Resource) -> tuple[str | int, ...] | None:
    """Path of the resource's user data (instances, launch templates, launch configurations), if any."""
    for path in (("UserData",), ("LaunchTemplateData", "UserData")):
        if dig(r.props, *path) is not None:
            return path
    return None


@rule("MOO-SEC-007")
def no_credential_values(r: Resource) -> Outcome:
    """Credentials recognised by form anywhere in a resource, parameter default or output; by name and
    entropy in scripts (user data), parameter defaults, outputs and Lambda environment variables."""
    out = []
    if r.type == "Parameter":
        default = r.get("Default")
        if isinstance(default, str):
            found = credentials_in(default) or [c for c in [named_secret(r.id, default)] if c]
            out += [issue(f"default of parameter {r.id} holds {c.kind} ({c.masked})", "Default") for c in found]
        return out
    skip = {("SecretString",)} if r.type == "AWS::SecretsManager::Secret" else set()  # MOO-SEC-003's
    for path, value in walk(r.props):
        if not isinstance(value, str) or path in skip or "{{resolve:" in value:
            continue
        found = credentials_in(value)
        if r.type == "Output" and path == ("Value",) and not found:  # a literal value, not a reference
            found = [c for c in [named_secret(r.id, value)] if c]
        out += [issue(f"{_where(path)} holds {c.kind} ({c.masked})", "Properties", *path) for c in found]
    script = _user_data(r)
    if script is not None:
        for path, value in walk(dig(r.props, *script), script):
            if isinstance(value, str):
                for name, assigned in assignments(value):
                    c = named_secret(name, assigned)
                    if c and not credentials_in(assigned):
                        out.append(issue(f"user data sets {name} to {c.masked}", "Properties", *path))
    variables = r.get("Environment", "Variables") if r.type == "AWS::Lambda::Function" else None
    if isinstance(variables, Mapping):
        for name, value in variables.items():
            c = named_secret(str(name), value) if isinstance(value, str) else None
            if c and not credentials_in(value):
                out.append(issue(f"environment variable {name} holds {c.masked}", "Properties", "Environment",
                                 "Variables", str(name)))
    return out
