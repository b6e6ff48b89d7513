"""What CloudFormation does to a resource when a property changes, and which types hold data.

Both come from cfn-lint's data: a property listed in a type's ``createOnlyProperties`` cannot be
changed in place (CloudFormation replaces the resource), and ``StatefulResources.json`` lists the
types whose replacement or removal loses data.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from moorage.data.aws import replacing_paths

#: Types that hold data besides cfn-lint's list (a bucket with objects, a file system, a secret value).
EXTRA_STATEFUL = frozenset({"AWS::EFS::FileSystem", "AWS::SecretsManager::Secret", "AWS::S3::Bucket",
                            "AWS::Logs::LogGroup", "AWS::ElastiCache::ReplicationGroup"})


@lru_cache(maxsize=1)
def _stateful_types() -> frozenset[str]:
    text = resources.files("cfnlint").joinpath("data/AdditionalSpecs/StatefulResources.json").read_text("utf-8")
    return frozenset(json.loads(text)["ResourceTypes"]) | EXTRA_STATEFUL


def is_stateful(resource_type: str) -> bool:
    """True when replacing or removing a resource of this type loses data."""
    return resource_type in _stateful_types()


def replacing_properties(resource_type: str, old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The changed create-only properties (nested paths as ``A.B``) that force a replacement."""
    return replacing_paths(resource_type, old, new)


def credential_consequences(resource_type: str, changed: list[str]) -> dict[str, str]:
    """Of the ``changed`` top-level properties of a ``resource_type``, those that break the credentials
    reaching it (a regenerated secret, a new master user, a new auth token or key), with the consequence."""
    from moorage.data import load_data

    table = (load_data("credential_changes") or {}).get(resource_type) or {}
    return {prop: str(table[prop]) for prop in changed if prop in table}
