"""Classify what a deploy would change, per resource: add, modify, replace or remove.

The classification compares the deployed template and parameters with the new ones, resolving
``Ref`` to parameters so that a changed input shows up as a changed property. A changed type or a
changed create-only property (cfn-lint's provider schemas) is a replacement. On real AWS the change
set's own ``Replacement`` verdict is merged in (:func:`merge_change_set`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from moorage.cfn.sections import resource_bodies, resources_of
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
    #: why ``--allow-replace`` lets this stateful change through (set by :func:`blocking`; "" when it does not)
    allowed: str = ""
    #: a removal that looks like a rename: the added resource of the same type in the same stack
    renamed_to: str = ""
    #: the database or cache (its logical id) this generated credential belongs to ("" none; :func:`credential_owner`)
    owner: str = ""
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
        if self.renamed_to:
            text += f" ({self.rename_hint()})"
        return text

    def rename_hint(self) -> str:
        """``looks like a rename of database db to maindb ...`` for a removal beside an added resource of its type."""
        if not self.renamed_to:
            return ""
        old, new = spec_item(self.logical_id), spec_item(self.renamed_to)
        if old and new and old[0] == new[0]:
            what = f"{old[0]} {old[2]} to {new[2]} ({old[1]}.{old[2]} -> {old[1]}.{new[2]})"
        else:
            what = f"{self.logical_id} to {self.renamed_to}"
        return (f"looks like a rename of {what}: a rename creates a new, empty one and deletes this one; keep the "
                "old key to keep it, or snapshot it and restore into the new one")

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {"logical_id": self.logical_id, "type": self.resource_type, "action": self.action,
                "properties": self.properties, "replaced_by": self.replaced_by, "stateful": self.stateful,
                "loses_data": self.loses_data, "breaks_credentials": self.credentials,
                "major_upgrade": self.major_upgrade, "impossible": self.impossible,
                "values": [v.to_json() for v in self.values], "allowed": self.allowed,
                "renamed_to": self.renamed_to}


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
    items = data_items(old_template, new_template)
    for change in out:
        change.owner = credential_owner(change.logical_id, items)
    _pair_renames(out)
    return out


def _pair_renames(changes: list[ResourceChange]) -> None:
    """Mark a stateful removal as a likely rename when exactly one resource of its type is added beside it."""
    for gone in (c for c in changes if c.action == "remove" and c.stateful):
        added = [c for c in changes if c.action == "add" and c.resource_type == gone.resource_type]
        if len(added) == 1:
            gone.renamed_to = added[0].logical_id


def spec_item(logical_id: str) -> tuple[str, str, str] | None:
    """(kind, spec block, name) of the data item a logical id belongs to (``DbMain`` -> database, databases,
    main), read back from the kinds registry's ``home`` prefixes; None for other resources. The name is the
    logical id's rest in lower case, which is the spec key for the usual one-word names."""
    from moorage.kinds import registry
    from moorage.plan.naming import logical_id as lid_of

    for kind in registry().values():
        prefix = lid_of(kind.home)
        rest = logical_id[len(prefix):]
        if logical_id.startswith(prefix) and rest[:1].isupper():
            return kind.name.replace("_", " "), kind.block, rest.lower()
    return None


def data_items(*templates: Any) -> frozenset[str]:
    """The logical ids of the databases and caches in ``templates`` (``DbMain``, ``CacheSessions``), read through
    the cfn reader: a resource of a kind that generates credentials for its items (the kinds registry's
    ``secret_output``) whose type takes a password or token (``policy_facts.yaml`` ``secret_properties``)."""
    from moorage.data import load_data
    from moorage.kinds import registry

    owning = {k.name.replace("_", " ") for k in registry().values() if k.secret_output}
    keyed = set(load_data("policy_facts")["secret_properties"])
    return frozenset(r.lid for t in templates for r in resources_of(t)
                     if r.type in keyed and (item := spec_item(r.lid)) is not None and item[0] in owning)


def credential_owner(logical_id: str, items: Collection[str]) -> str:
    """The database or cache of ``items`` (logical ids, :func:`data_items`) that ``logical_id`` is a generated
    credential of ("" none): the longest item it starts with, followed by a credential's own suffix. With
    databases ``db`` and ``dburl``, ``DbDburlSecret`` is ``dburl``'s; with ``db`` alone it is ``db``'s URL secret."""
    lid = logical_id.lower()
    for item in sorted(items, key=len, reverse=True):
        if lid != item.lower() and lid.startswith(item.lower()) and _CREDENTIALS.fullmatch(lid[len(item):]):
            return item
    return ""


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
        change.impossible, change.ways_out = _custom_named(new["Type"], old_props, new_props, name)
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


def _custom_named(resource_type: str, old: dict[str, Any], new: dict[str, Any], name: str = "") -> tuple[str, str]:
    """Why a replacement cannot happen when the template names the resource and keeps its name (CloudFormation
    creates the new one before deleting the old, and one name cannot exist twice), and the ways out."""
    prop = name_property(resource_type)
    if not prop or not new.get(prop) or old.get(prop) != new.get(prop):
        return "", ""  # unnamed, or renamed: the new one can exist beside the old one
    return (f"custom-named: AWS cannot replace it in place, even with --allow-replace (CloudFormation cannot "
            f"update a stack when a custom-named resource requires replacing; {prop} is set)", _ways_out(name))


def _ways_out(logical_id: str) -> str:
    """The ways out of a replacement a custom name blocks, in spec terms where the resource is a spec item."""
    item = spec_item(logical_id)
    if item is None:
        return ("give it a new name so the new one is created beside the old one, or snapshot it, destroy it and "
                "restore the snapshot under the new settings")
    kind, block, name = item
    return (f"keep the {kind}'s settings as deployed; or rename the {kind} in the spec ({block}.{name} -> a new "
            f"key, e.g. {block}.{name}2, with the new settings): the new {kind} is created beside the old one, "
            f"empty, and the old one is deleted, so snapshot it first, restore the snapshot into the new one and "
            f"deploy with --allow-replace {name}; or snapshot it, destroy the environment and restore the "
            "snapshot under the new settings")


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
                                                                 current.after, current.logical_id)
    return [by_id[k] for k in sorted(by_id)]


def blocking(changes: list[ResourceChange], allowed: set[str], allow_major: bool = False) -> list[ResourceChange]:
    """Stateful changes (data lost, credentials broken) not allowed by ``--allow-replace NAME``, and
    major database upgrades unless ``allow_major`` (``--allow-major-upgrade``), and changes AWS cannot make
    (``impossible``) whatever the flags. Each stateful change a name allows gets its ``allowed`` reason."""
    for c in changes:
        c.allowed = allowed_by(allowed, c.logical_id, c.owner) if c.dangerous and "*" not in allowed else ""
    return [c for c in changes if (c.dangerous and not allows(allowed, c.logical_id, c.owner))
            or (c.major_upgrade and not allow_major) or c.impossible]


_PREFIXES = ("db", "cache", "bucket", "secret", "efs", "fs")
#: what render/data.py calls the credentials it generates for a database or cache, after the item's logical id
#: (``DbMainSecret``, ``DbMainUrlSecret``, ``DbMainUserWebSecret``, ``CacheSessionsToken``); tests/deploy/
#: test_allow_replace.py checks every secret of a rendered data stack is matched
_CREDENTIALS = re.compile(r"(secret|urlsecret|token|tokenurlsecret|user[a-z0-9]+(url)?secret)")


def allows(allowed: set[str], logical_id: str, owner: str = "") -> bool:
    """True when ``allowed`` names ``logical_id`` (``DbDb``, ``dbdb`` or the spec name ``db``), or names
    ``owner``, the database or cache the generated credential ``logical_id`` belongs to (:func:`credential_owner`;
    ``--allow-replace db`` covers ``DbDbSecret``)."""
    return bool(allowed_by(allowed, logical_id, owner))


def allowed_by(allowed: set[str], logical_id: str, owner: str = "") -> str:
    """Which ``--allow-replace`` lets ``logical_id`` change ("" none), and why when it names its ``owner`` (the
    database or cache it is a generated credential of, :func:`credential_owner`; "" when it is none's)."""
    names = {a.lower().replace("-", "").replace("_", ""): a for a in allowed}
    lid = logical_id.lower()
    if lid in names or "*" in names:
        return f"--allow-replace {names.get(lid, '*')}"
    for p in _PREFIXES:
        if lid.startswith(p) and lid[len(p):] in names:
            return f"--allow-replace {names[lid[len(p):]]}"
    item = spec_item(owner) if owner else None
    if item is None:
        return ""
    kind, _, name = item
    for norm, given in names.items():  # the owner's spec name (db) or its logical id (DbDb)
        if norm in (name, owner.lower()):
            return f"--allow-replace {given} (a credential generated for {kind} {given}: it is replaced with it)"
    return ""


def allow_names(changes: list[ResourceChange]) -> list[str]:
    """The fewest ``--allow-replace`` names that let ``changes`` through: a data item's spec name (``db``) for the
    item itself, which covers the credentials generated for it; the logical id for anything else."""
    names: list[str] = []
    for c in sorted(changes, key=lambda c: (len(c.logical_id), c.logical_id)):  # an owner before its credentials
        if any(allows({n}, c.logical_id, c.owner) for n in names):
            continue
        if c.resource_type == "AWS::SecretsManager::Secret":  # an app secret by its spec name (STRIPE_KEY)
            secret = secret_name(c.logical_id) if not c.owner else None
            names.append(secret if secret and allows({secret}, c.logical_id) else c.logical_id)
            continue
        item = spec_item(c.logical_id)
        names.append(item[2] if item and allows({item[2]}, c.logical_id) else c.logical_id)
    return sorted(names)


def secret_name(logical_id: str, suffix: str = "") -> str | None:
    """The spec name of the app secret a logical id (or with ``suffix``, e.g. ``Arn``, an output) is rendered from
    (``SecretStripeKey`` -> ``STRIPE_KEY``, the inverse of ``plan.naming.logical_id("secret", name)``); None when
    it is no secret's. Its words come back upper-cased and joined by ``_``: the name ``--allow-replace`` takes."""
    if suffix:
        if not logical_id.endswith(suffix):
            return None
        logical_id = logical_id[:-len(suffix)]
    words = re.findall(r"[A-Z][a-z0-9]*|[0-9]+", logical_id[len("Secret"):])
    if not logical_id.startswith("Secret") or not words or "".join(words) != logical_id[len("Secret"):]:
        return None
    return "_".join(words).upper()
