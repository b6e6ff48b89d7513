"""Classify what a deploy would change, per resource: add, modify, replace or remove.

The classification compares the deployed template and parameters with the new ones, resolving
``Ref`` to parameters so that a changed input shows up as a changed property. A changed type or a
changed create-only property (cfn-lint's provider schemas) is a replacement. On real AWS the change
set's own ``Replacement`` verdict is merged in (:func:`merge_change_set`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from moorage.cfn.sections import resource_bodies
from moorage.cfn.values import resolve_parameters
from moorage.deploy.changed_values import ValueChange, value_changes
from moorage.deploy.schema import (
    advanced_to_standard,
    credential_consequences,
    is_stateful,
    major_downgrade,
    major_upgrade,
    name_property,
    replacing_properties,
)

Action = Literal["add", "modify", "replace", "remove"]


@dataclass
class ResourceChange:
    """One resource's change."""

    logical_id: str
    resource_type: str
    action: Action
    properties: list[str] = field(default_factory=list)  # changed top-level properties
    replaced_by: list[str] = field(default_factory=list)  # the ones that force a replacement
    deletion_policy: str = "Delete"
    #: changed property -> how the change breaks the credentials that reach the resource (see
    #: ``data/credential_changes.yaml``); such a change is stateful although nothing is replaced.
    credentials: dict[str, str] = field(default_factory=dict)
    #: a database's major version upgrade (``"postgres 15.7 -> 16.3"``): downtime, no way back; deploy
    #: refuses it without ``--allow-major-upgrade``.
    major_upgrade: str = ""
    #: why AWS cannot make this change at all (a major version downgrade, the replacement of a custom-named
    #: resource, an Advanced -> Standard SSM parameter); deploy refuses it whatever the flags.
    impossible: str = ""
    #: the ways out of an impossible change
    ways_out: str = ""
    #: the values people review, old -> new (an image, an environment variable, a count; never a secret value)
    values: list[ValueChange] = field(default_factory=list)
    #: the deployed and new properties (resolved), for a verdict AWS's change set adds later
    before: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    after: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def stateful(self) -> bool:
        """True when the resource holds data."""
        return is_stateful(self.resource_type)

    @property
    def loses_data(self) -> bool:
        """A replacement or removal of a stateful resource that its DeletionPolicy does not keep."""
        if not self.stateful or self.action not in ("replace", "remove"):
            return False
        return not (self.action == "remove" and self.deletion_policy in ("Retain", "Snapshot"))

    @property
    def breaks_credentials(self) -> bool:
        """A change that leaves the resource in place but breaks the credentials that reach it."""
        return self.action in ("modify", "replace") and bool(self.credentials)

    @property
    def dangerous(self) -> bool:
        """A stateful change: it loses data or breaks credentials; deploy refuses it unless allowed."""
        return self.loses_data or self.breaks_credentials

    def consequence(self) -> str:
        """What this change does to data or credentials, in words ("" when nothing)."""
        if self.impossible:
            return self.impossible
        if self.loses_data:
            return "it holds data, which would be lost"
        if self.major_upgrade and not self.credentials:
            return (f"major version upgrade ({self.major_upgrade}): the database is offline while RDS upgrades it, "
                    "and the upgrade cannot be rolled back (only restored from a snapshot)")
        return "; ".join(f"{prop} changed: {why}" for prop, why in sorted(self.credentials.items()))

    def describe(self) -> str:
        """One line: ``replace DbDb (AWS::RDS::DBInstance): DBName``."""
        text = f"{self.action} {self.logical_id} ({self.resource_type})"
        props = self.replaced_by if self.action == "replace" and self.replaced_by else self.properties
        if props:
            text += ": " + ", ".join(props)
        return text

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {"logical_id": self.logical_id, "type": self.resource_type, "action": self.action,
                "properties": self.properties, "replaced_by": self.replaced_by, "stateful": self.stateful,
                "loses_data": self.loses_data, "breaks_credentials": self.credentials,
                "major_upgrade": self.major_upgrade, "impossible": self.impossible,
                "values": [v.to_json() for v in self.values]}


def classify(old_template: dict[str, Any] | None, old_params: dict[str, str], new_template: dict[str, Any],
             new_params: dict[str, str]) -> list[ResourceChange]:
    """Every resource change between a deployed stack and a new template (``old_template`` None: a new stack)."""
    old = resource_bodies(old_template)
    new = resource_bodies(new_template)
    out: list[ResourceChange] = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            out.append(ResourceChange(name, new[name]["Type"], "add"))
            continue
        if name not in new:
            out.append(ResourceChange(name, old[name]["Type"], "remove",
                                      deletion_policy=old[name].get("DeletionPolicy", "Delete")))
            continue
        change = _compare(name, resolve_parameters(old[name], old_params), resolve_parameters(new[name], new_params))
        if change is not None:
            out.append(change)
    return out


def _compare(name: str, old: dict[str, Any], new: dict[str, Any]) -> ResourceChange | None:
    policy = new.get("DeletionPolicy", "Delete")
    if old.get("Type") != new.get("Type"):
        return ResourceChange(name, new["Type"], "replace", ["Type"], ["Type"], deletion_policy=policy)
    old_props, new_props = old.get("Properties") or {}, new.get("Properties") or {}
    changed = sorted(k for k in set(old_props) | set(new_props) if old_props.get(k) != new_props.get(k))
    others = sorted(k for k in set(old) | set(new) if k not in ("Properties", "Type") and old.get(k) != new.get(k))
    if not changed and not others:
        return None
    replaced = replacing_properties(new["Type"], old_props, new_props)
    action: Action = "replace" if replaced else "modify"
    change = ResourceChange(name, new["Type"], action, changed + others, replaced, deletion_policy=policy,
                            credentials=credential_consequences(new["Type"], changed),
                            major_upgrade="" if replaced else major_upgrade(new["Type"], old_props, new_props),
                            values=value_changes(new["Type"], old_props, new_props),
                            before=old_props, after=new_props)
    if replaced:
        change.impossible, change.ways_out = _custom_named(new["Type"], old_props, new_props)
    elif downgrade := major_downgrade(new["Type"], old_props, new_props):
        change.impossible = f"downgrade: RDS cannot downgrade ({downgrade})"
        change.ways_out = ("keep the deployed major version, or restore a snapshot into a new database (a new "
                           "name) running the older version and point the app at it")
    elif advanced_to_standard(new["Type"], old_props, new_props):
        change.impossible = ("Advanced -> Standard tier: AWS cannot turn an advanced SSM parameter back into a "
                             "standard one")
        change.ways_out = ("keep the value over 4 KB, or remove the config value (deploy), then add it back "
                           "(deploy) so the parameter is created anew")
    return change


def _custom_named(resource_type: str, old: dict[str, Any], new: dict[str, Any]) -> tuple[str, str]:
    """Why a replacement cannot happen when the template names the resource and keeps its name (CloudFormation
    creates the new one before deleting the old, and one name cannot exist twice), and the ways out."""
    prop = name_property(resource_type)
    if not prop or not new.get(prop) or old.get(prop) != new.get(prop):
        return "", ""  # unnamed, or renamed: the new one can exist beside the old one
    return (f"custom-named: AWS cannot replace it in place, even with --allow-replace (CloudFormation cannot "
            f"update a stack when a custom-named resource requires replacing; {prop} is set)",
            f"give it a new name ({prop}) so the new one is created beside the old one, or snapshot it, destroy "
            "it and restore the snapshot under the new settings")


def merge_change_set(changes: list[ResourceChange], described: dict[str, Any]) -> list[ResourceChange]:
    """Fold a real change set's verdicts (``describe_change_set``) into ``changes``.

    AWS knows replacements that depend on values only it can resolve (``Replacement: True`` or
    ``Conditional``); those upgrade a modify to a replace. Resources only AWS reports are added.
    """
    by_id = {c.logical_id: c for c in changes}
    for item in described.get("Changes", []):
        rc = item.get("ResourceChange") or {}
        logical = rc.get("LogicalResourceId", "")
        action = {"Add": "add", "Remove": "remove", "Modify": "modify"}.get(rc.get("Action", ""), "modify")
        if rc.get("Replacement") in ("True", "Conditional") and action == "modify":
            action = "replace"
        props = sorted({d.get("Target", {}).get("Name", "") for d in rc.get("Details", [])} - {""})
        current = by_id.get(logical)
        if current is None:
            rtype = rc.get("ResourceType", "")
            by_id[logical] = ResourceChange(logical, rtype, action, props,  # type: ignore[arg-type]
                                            props if action == "replace" else [],
                                            credentials=credential_consequences(rtype, props))
        elif action == "replace" and current.action == "modify":
            current.action = "replace"
            current.replaced_by = current.replaced_by or props or current.properties
            current.impossible, current.ways_out = _custom_named(current.resource_type, current.before,
                                                                 current.after)
    return [by_id[k] for k in sorted(by_id)]


def blocking(changes: list[ResourceChange], allowed: set[str], allow_major: bool = False) -> list[ResourceChange]:
    """Stateful changes (data lost, credentials broken) not allowed by ``--allow-replace NAME``, and
    major database upgrades unless ``allow_major`` (``--allow-major-upgrade``), and changes AWS cannot make
    (``impossible``) whatever the flags."""
    return [c for c in changes if (c.dangerous and not allows(allowed, c.logical_id))
            or (c.major_upgrade and not allow_major) or c.impossible]


_PREFIXES = ("db", "cache", "bucket", "secret", "efs", "fs")


def allows(allowed: set[str], logical_id: str) -> bool:
    """True when ``allowed`` names ``logical_id`` (``DbDb``, ``dbdb`` or the spec name ``db``)."""
    names = {a.lower().replace("-", "").replace("_", "") for a in allowed}
    lid = logical_id.lower()
    if lid in names or "*" in names:
        return True
    return any(lid.startswith(p) and lid[len(p):] in names for p in _PREFIXES)
