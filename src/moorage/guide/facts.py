"""What the guide reads from the synthesized templates: physical names behind stack outputs and resources.

The plan holds most names; the few a renderer derives (credential secrets, task families) are read back
from the templates rather than derived again here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moorage import kinds
from moorage.cfn import SetIndex, output_value, template_set_of
from moorage.plan.model import SecretValue
from moorage.render import Synth
from moorage.render.data import db_user_out, kind_out


def template_index(synth: Synth) -> SetIndex:
    """The synthesized templates as one set, read through :mod:`moorage.cfn`."""
    tset = template_set_of(synth)
    return SetIndex(tset, tset.profile or "")


def output_resource(synth: Synth, stack: str, output: str) -> Mapping[str, Any] | None:
    """The resource a stack output refers to (``{"Ref": id}`` outputs only)."""
    index = template_index(synth)
    value = output_value(index.templates.get(stack), output)
    if not (isinstance(value, dict) and isinstance(value.get("Ref"), str)):
        return None
    found = index.resources.get((stack, value["Ref"]))
    return found.body if found else None


def resource_property(synth: Synth, stack: str, logical_id: str, prop: str) -> str | None:
    """A literal property of a resource, or None when it is absent or not a literal."""
    found = template_index(synth).resources.get((stack, logical_id))
    value = found.get(prop) if found else None
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
    secrets = [r for r in template_index(synth).resources.values() if r.type == "AWS::SecretsManager::Secret"]
    return sorted(name for name in (r.get("Name") for r in secrets) if isinstance(name, str))
