"""What the guide reads from the synthesized templates: physical names behind stack outputs and resources.

The plan holds most names; the few a renderer derives (credential secrets, task families) are read back
from the templates rather than derived again here.
"""

from __future__ import annotations

from typing import Any

from moorage import kinds
from moorage.plan.model import SecretValue
from moorage.render import Synth
from moorage.render.data import db_user_out, kind_out


def output_resource(synth: Synth, stack: str, output: str) -> dict[str, Any] | None:
    """The resource a stack output refers to (``{"Ref": id}`` outputs only)."""
    tpl = synth.templates.get(stack, {})
    value = tpl.get("Outputs", {}).get(output, {}).get("Value")
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        res = tpl.get("Resources", {}).get(value["Ref"])
        return res if isinstance(res, dict) else None
    return None


def resource_property(synth: Synth, stack: str, logical_id: str, prop: str) -> str | None:
    """A literal property of a resource, or None when it is absent or not a literal."""
    res = synth.templates.get(stack, {}).get("Resources", {}).get(logical_id, {})
    value = res.get("Properties", {}).get(prop)
    return value if isinstance(value, str) else None


def task_family(synth: Synth, stack: str) -> str | None:
    """The task definition family of a service stack."""
    return resource_property(synth, stack, "TaskDefinition", "Family")


def secret_source(synth: Synth, value: SecretValue) -> tuple[str, str]:
    """(where, name) of an injected value: ("Secrets Manager", name), ("SSM parameter", name) or similar."""
    plan = synth.plan
    if value.kind == "config":
        return "SSM parameter", plan.parameters[value.target]
    if value.kind == "app-secret":
        secret = plan.secrets[value.target]
        return "Secrets Manager", secret.spec.external or secret.secret_name
    if value.kind == "database-user":  # a service's own login: DB/SERVICE
        db, service = value.target.split("/", 1)
        out = db_user_out(db, service, "url" if value.attribute == "url" else "secret")
    else:
        out = kind_out(value.kind, value.target,
                       "url" if value.attribute == "url" else str(kinds.kind(value.kind).secret_output))
    res = output_resource(synth, "data", out)
    name = res.get("Properties", {}).get("Name") if res else None
    key = "" if value.attribute in (None, "url") else f" (JSON key {value.attribute})"
    if isinstance(name, str):
        return "Secrets Manager", name + key
    return "Secrets Manager", f"managed by RDS: stack output {out} of the data stack{key}"


def secret_names(synth: Synth) -> list[str]:
    """Every Secrets Manager secret name the templates create."""
    names = []
    for tpl in synth.templates.values():
        for res in tpl.get("Resources", {}).values():
            if res.get("Type") == "AWS::SecretsManager::Secret":
                name = res.get("Properties", {}).get("Name")
                if isinstance(name, str):
                    names.append(name)
    return sorted(names)
