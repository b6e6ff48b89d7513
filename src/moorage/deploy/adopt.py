"""Adopting the resources a destroy kept (``deploy --adopt-retained``): a CloudFormation IMPORT change set
brings each kept secret, log group, repository and bucket into its new stack under the logical id the
template gives it; the deploy's usual UPDATE then creates everything else.

An IMPORT change set may only add the imported resources (each with a DeletionPolicy, which moorage's
kept resources have: that is why they were kept) and may not add or change outputs; its template is the
deployed one (or nothing, for a stack that does not exist yet) plus the imported resources. The emulator
(moto) has no IMPORT change sets: adoption is not emulated there.
"""

from __future__ import annotations

import re
from typing import Any

from moorage.cfn import resource_bodies
from moorage.data.aws import primary_identifier
from moorage.deploy.retained import Leftover

NOT_EMULATED = ("adoption is not emulated: the local emulator (moto) has no CloudFormation IMPORT change sets; "
                "remove the kept resources with the commands below, or adopt them on AWS")


def resource_to_import(lf: Leftover, arn: str | None = None) -> dict[str, Any]:
    """One ``ResourcesToImport`` entry: the type, the logical id the new template gives it, and the identifier
    CloudFormation imports it by (the type's primary identifier: a secret's ``Id`` is its ARN, a log group's
    ``LogGroupName``, a repository's ``RepositoryName``, a bucket's ``BucketName``)."""
    key = primary_identifier(lf.resource_type)
    if key is None:
        raise ValueError(f"{lf.resource_type} cannot be imported (no primary identifier)")
    value = arn if key == "Id" else lf.name
    if not value:
        raise ValueError(f"{lf.logical_id}: importing a {lf.resource_type} needs its ARN")
    return {"ResourceType": lf.resource_type, "LogicalResourceId": lf.logical_id,
            "ResourceIdentifier": {key: value}}


def _references(value: Any) -> set[str]:
    """Logical ids and parameters ``value`` names through ``Ref``, ``Fn::GetAtt`` or ``Fn::Sub``."""
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "Ref" and isinstance(v, str):
                out.add(v)
            elif k == "Fn::GetAtt":
                out.add(v[0] if isinstance(v, list) and v else str(v).split(".")[0])
            elif k == "Fn::Sub":
                text = v[0] if isinstance(v, list) and v else v
                local = set(v[1]) if isinstance(v, list) and len(v) > 1 and isinstance(v[1], dict) else set()
                out |= {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", str(text))} - local
                out |= _references(v[1] if isinstance(v, list) and len(v) > 1 else None)
            else:
                out |= _references(v)
    elif isinstance(value, list):
        for v in value:
            out |= _references(v)
    return out


def import_template(template: dict[str, Any], logical_ids: set[str],
                    deployed: dict[str, Any] | None = None) -> dict[str, Any]:
    """The template of the IMPORT change set: the deployed stack (or an empty one) plus the resources
    ``logical_ids`` of the new ``template``; no new outputs (CloudFormation refuses them in an import).

    Raises ``ValueError`` when an imported resource names a resource the import template would not have
    (it would have to be created in the same operation, which an import cannot do)."""
    new = resource_bodies(template)
    base = dict(deployed or {})
    resources = {**resource_bodies(base), **{lid: new[lid] for lid in sorted(logical_ids)}}
    for lid in sorted(logical_ids):
        if new[lid].get("DeletionPolicy") not in ("Retain", "RetainExceptOnCreate", "Snapshot"):
            raise ValueError(f"{lid} has no DeletionPolicy Retain; CloudFormation imports only kept resources")
    known = set(resources) | set(template.get("Parameters") or {})
    for lid in sorted(logical_ids):
        missing = {r for r in _references(new[lid]) if not r.startswith("AWS::")} - known
        if missing:
            raise ValueError(f"{lid} refers to {', '.join(sorted(missing))}, which this stack does not have yet; "
                             "an import cannot create it")
    out: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    for section in ("Parameters", "Conditions", "Mappings"):
        if template.get(section):
            out[section] = template[section]
    if base.get("Outputs"):
        out["Outputs"] = base["Outputs"]
    return out
