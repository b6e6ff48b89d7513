"""What CloudFormation does to a resource when a property changes, and which types hold data.

Both come from cfn-lint's data: a property listed in a type's ``createOnlyProperties`` cannot be
changed in place (CloudFormation replaces the resource), and ``StatefulResources.json`` lists the
types whose replacement or removal loses data.
"""

from __future__ import annotations

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


def major_upgrade(resource_type: str, old: dict[str, Any], new: dict[str, Any]) -> str:
    """``"15.7 -> 16.3"`` when a database's EngineVersion changes major version on the same engine, else ""
    (a minor version change is routine; an engine change is a replacement, see :func:`replacing_properties`)."""
    engine, before, after = new.get("Engine"), old.get("EngineVersion"), new.get("EngineVersion")
    if resource_type not in ENGINE_BOUND or old.get("Engine") != engine or before == after:
        return ""
    if not (isinstance(engine, str) and isinstance(before, str) and isinstance(after, str)):
        return ""  # an unresolved value: CloudFormation's change set has the last word
    if major_version(engine, before) == major_version(engine, after):
        return ""
    return f"{engine} {before} -> {after}"


def credential_consequences(resource_type: str, changed: list[str]) -> dict[str, str]:
    """Of the ``changed`` top-level properties of a ``resource_type``, those that break the credentials
    reaching it (a regenerated secret, a new master user, a new auth token or key), with the consequence."""
    from moorage.data import load_data

    table = (load_data("credential_changes") or {}).get(resource_type) or {}
    return {prop: str(table[prop]) for prop in changed if prop in table}
