"""What CloudFormation does to a resource when a property changes, and which types hold data.

Both come from cfn-lint's data: a property listed in a type's ``createOnlyProperties`` cannot be
changed in place (CloudFormation replaces the resource), and ``StatefulResources.json`` lists the
types whose replacement or removal loses data.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from moorage.data.aws import major_version, replacing_paths, stateful_types

#: Types that hold data besides cfn-lint's list (a bucket with objects, a file system, a secret value).
EXTRA_STATEFUL = frozenset({"AWS::EFS::FileSystem", "AWS::SecretsManager::Secret", "AWS::S3::Bucket",
                            "AWS::Logs::LogGroup", "AWS::ElastiCache::ReplicationGroup"})


@lru_cache(maxsize=1)
def _stateful_types() -> frozenset[str]:
    return stateful_types() | EXTRA_STATEFUL  # read as a file: importing cfn-lint costs ~1 s


def is_stateful(resource_type: str) -> bool:
    """True when replacing or removing a resource of this type loses data."""
    return resource_type in _stateful_types()


#: Database types whose engine RDS cannot change in place (postgres -> mysql is a new database: the data does
#: not follow), although the provider schema lets CloudFormation try an in-place update.
ENGINE_BOUND = frozenset({"AWS::RDS::DBInstance", "AWS::RDS::DBCluster"})


def replacing_properties(resource_type: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The changed create-only properties (nested paths as ``A.B``) that force a replacement."""
    paths = replacing_paths(resource_type, old, new)
    if resource_type in ENGINE_BOUND and old.get("Engine") != new.get("Engine") and "Engine" not in paths:
        paths = sorted([*paths, "Engine"])
    return paths


def _major_step(resource_type: str, old: dict[str, Any], new: dict[str, Any]) -> tuple[str, int]:
    """``("postgres 15.7 -> 16.3", +1)`` for a major version change on the same engine (-1: a downgrade),
    ``("", 0)`` for none, a minor change or an unresolved value."""
    engine, before, after = new.get("Engine"), old.get("EngineVersion"), new.get("EngineVersion")
    if resource_type not in ENGINE_BOUND or old.get("Engine") != engine or before == after:
        return "", 0
    if not (isinstance(engine, str) and isinstance(before, str) and isinstance(after, str)):
        return "", 0  # an unresolved value: CloudFormation's change set has the last word
    old_major, new_major = major_version(engine, before), major_version(engine, after)
    if old_major == new_major:
        return "", 0
    def key(v: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", v))
    return f"{engine} {before} -> {after}", 1 if key(new_major) > key(old_major) else -1


def major_upgrade(resource_type: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    """``"15.7 -> 16.3"`` when a database's EngineVersion goes up a major version on the same engine, else ""
    (a minor version change is routine; an engine change is a replacement, see :func:`replacing_properties`;
    a downgrade is :func:`major_downgrade`)."""
    text, step = _major_step(resource_type, old, new)
    return text if step > 0 else ""


def major_downgrade(resource_type: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    """``"postgres 15.19 -> 14.24"`` when a database's EngineVersion goes down a major version: RDS cannot
    downgrade a database in place, whatever the flags, so deploy refuses it."""
    text, step = _major_step(resource_type, old, new)
    return text if step < 0 else ""


def advanced_to_standard(resource_type: str, old: dict[str, Any], new: dict[str, Any]) -> bool:
    """True when an SSM parameter deployed in the Advanced tier would go back to Standard (no ``Tier``):
    AWS cannot turn an advanced parameter into a standard one, so the update would fail."""
    return (resource_type == "AWS::SSM::Parameter" and old.get("Tier") == "Advanced"
            and new.get("Tier", "Standard") == "Standard")


def name_property(resource_type: str) -> str | None:
    """The property that sets a resource's physical name (``DBInstanceIdentifier``, ``BucketName``), or None:
    the table of the types moorage renders (data/name_properties.yaml, the emulator's answer too)."""
    from moorage.data import load_data

    table = load_data("name_properties")
    if resource_type in table:
        return table[resource_type] or None
    # a type moorage never renders (a template from elsewhere): the emulator's models know more types
    from moorage.emulator.engine import name_property as emulated  # loads moto (~1 s): only for such a type

    return emulated(resource_type)


def credential_consequences(resource_type: str, changed: list[str]) -> dict[str, str]:
    """Of the ``changed`` top-level properties of a ``resource_type``, those that break the credentials
    reaching it (a regenerated secret, a new master user, a new auth token or key), with the consequence."""
    from moorage.data import load_data

    table = (load_data("credential_changes") or {}).get(resource_type) or {}
    return {prop: str(table[prop]) for prop in changed if prop in table}
