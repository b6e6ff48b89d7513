"""Facts about AWS that cfn-lint ships and keeps current: engine versions, resource types per region,
the properties whose change replaces a resource.

Reading them from cfn-lint (a pinned dependency) keeps moorage's choices in step with what the
validator accepts, instead of a hand-kept copy that drifts.
"""

from __future__ import annotations

import importlib.util
import json
import re
from functools import cache
from pathlib import Path

# cfn-lint is imported only where its schema manager is needed: importing it costs ~0.6 s (sympy, networkx),
# more than a whole plan. Its data files are read straight from the installed package.
_RDS = ("data", "schemas", "extensions", "aws_rds_dbinstance")


def _cfnlint_file(*parts: str) -> Path:
    spec = importlib.util.find_spec("cfnlint")  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("cfn-lint is not installed")
    return Path(next(iter(spec.submodule_search_locations)), *parts)


@cache
def stateful_types() -> frozenset[str]:
    """The resource types cfn-lint lists as holding data (``StatefulResources.json``)."""
    text = _cfnlint_file("data", "AdditionalSpecs", "StatefulResources.json").read_text(encoding="utf-8")
    return frozenset(json.loads(text)["ResourceTypes"])


def _engine_table(filename: str, branch: str) -> dict[str, list[str]]:
    doc = json.loads(_cfnlint_file(*_RDS, filename).read_text(encoding="utf-8"))
    out: dict[str, list[str]] = {}
    for clause in doc.get("allOf", []):
        props = clause.get("if", {}).get("properties", {})
        engine = props.get("Engine", {}).get("const")
        if not engine:
            continue
        holder = clause["then"] if branch == "then" else clause["if"]
        versions = holder.get("properties", {}).get("EngineVersion", {}).get("enum", [])
        out[engine] = [str(v) for v in versions]
    return out


@cache
def creatable_versions(engine: str) -> tuple[str, ...]:
    """Engine versions a new RDS/Aurora database can be created with (plain releases only)."""
    allowed = _engine_table("engine_version.json", "then").get(engine, [])
    deprecated = set(_engine_table("engine_version_deprecated.json", "if").get(engine, []))
    plain = re.compile(r"^\d+(\.\d+)*$|^\d+\.\d+\.mysql_aurora\.\d+\.\d+\.\d+$")
    return tuple(v for v in allowed if v not in deprecated and plain.match(v))


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", version))


def concrete_version(engine: str, requested: str) -> str | None:
    """The exact version to use: ``requested`` if creatable, else the newest creatable release of that major."""
    versions = creatable_versions(engine)
    if requested in versions and requested.count(".") >= (1 if "mysql" not in engine else 2):
        return requested
    prefix = requested + "."
    matches = [v for v in versions if v.startswith(prefix)]
    if not matches and requested in versions:
        return requested
    return max(matches, key=_key) if matches else None


def major_version(engine: str, version: str) -> str:
    """The major version of an RDS/Aurora ``version``: ``16`` of PostgreSQL 16.4, ``8.0`` of MySQL 8.0.39
    (and of Aurora MySQL 8.0.mysql_aurora.3.05.2)."""
    return version.split(".")[0] if "postgres" in engine else ".".join(version.split(".")[:2])


def majors(engine: str) -> list[str]:
    """Major versions that can be created, for hints."""
    seen = []
    for v in sorted(creatable_versions(engine), key=_key):
        major = major_version(engine, v)
        if major not in seen:
            seen.append(major)
    return seen


@cache
def resource_available(region: str, resource_type: str) -> bool:
    """True when CloudFormation offers ``resource_type`` in ``region``."""
    providers = _cfnlint_file("data", "schemas", "providers")
    listing = providers / f"{region}.json"
    if listing.is_file():  # cfn-lint's per-region type list, read without importing cfn-lint
        return resource_type in json.loads(listing.read_text(encoding="utf-8"))
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER, ResourceNotFoundError

    try:
        PROVIDER_SCHEMA_MANAGER.get_resource_schema(region=region, resource_type=resource_type)
    except ResourceNotFoundError:
        return False
    return True


@cache
def create_only_paths(resource_type: str) -> tuple[tuple[str, ...], ...]:
    """Property paths of ``resource_type`` that cannot change in place (CloudFormation replaces the resource),
    from cfn-lint's provider schemas, e.g. ``("HealthCheckConfig", "Type")``; an array item (``*``) ends a path."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER, ResourceNotFoundError

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region="us-east-1", resource_type=resource_type).schema
    except ResourceNotFoundError:
        return ()
    paths = []
    for path in schema.get("createOnlyProperties", []):
        parts = str(path).split("/")[2:] if str(path).startswith("/properties/") else []
        if "*" in parts:
            parts = parts[:parts.index("*")]
        if parts:
            paths.append(tuple(parts))
    return tuple(paths)


def _at(props: object, path: tuple[str, ...]) -> object:
    for part in path:
        if not isinstance(props, dict):
            return None
        props = props.get(part)
    return props


def replacing_paths(resource_type: str, old: dict[str, object], new: dict[str, object]) -> list[str]:
    """The create-only paths (``A.B``) whose value differs between ``old`` and ``new`` properties."""
    return sorted(".".join(path) for path in create_only_paths(resource_type) if _at(old, path) != _at(new, path))


@cache
def primary_identifier(resource_type: str) -> str | None:
    """The property CloudFormation identifies (and imports) a ``resource_type`` by, from cfn-lint's provider
    schemas (``BucketName`` of ``AWS::S3::Bucket``, ``Id`` - the ARN - of ``AWS::SecretsManager::Secret``)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER, ResourceNotFoundError

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(region="us-east-1", resource_type=resource_type).schema
    except ResourceNotFoundError:
        return None
    ids = [str(p).removeprefix("/properties/") for p in schema.get("primaryIdentifier", [])]
    return ids[0] if len(ids) == 1 else None
