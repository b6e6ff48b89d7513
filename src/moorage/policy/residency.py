"""Data residency: which regions a residency allows, and where each resource sends copies of data.

Presets are jurisdictions defined by country from AWS's published region locations
(``data/regions.yaml``): ``uae`` is me-central-1 only, because me-south-1 is in Bahrain.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN, arn_region, as_list, dig
from moorage.data import load_data
from moorage.data.regions import is_region, preset_regions, residency_presets
from moorage.errors import Diagnostic, InputError
from moorage.policy.checks import facts


def allowed_regions(residency: str | Sequence[str]) -> list[str]:
    """The regions of a preset (``uae``, ``eu``, ...), or a validated comma-separated / listed set of regions."""
    if isinstance(residency, str) and residency in residency_presets():
        return preset_regions(residency)
    items = [r.strip() for r in (residency.split(",") if isinstance(residency, str) else residency) if r.strip()]
    unknown = [r for r in items if not is_region(r)]
    if unknown or not items:
        presets = ", ".join(residency_presets())
        raise InputError([Diagnostic("error", f"unknown residency {', '.join(unknown) or residency!r}", None,
                                     f"give a preset ({presets}) or AWS regions, e.g. me-central-1,eu-west-1")])
    return sorted(set(items))


def describe_region(region: str) -> str:
    """``me-south-1 (Middle East (Bahrain), BH)``."""
    info = load_data("regions")["regions"].get(region)
    return f"{region} ({info['name']}, {info['country']})" if info else region


def stores_data(resource_type: str) -> bool:
    """True for resource types that hold application data (databases, buckets, logs, queues, secrets...)."""
    return resource_type in facts()["data_types"]


@dataclass(frozen=True)
class Destination:
    """Somewhere a resource copies or sends data; ``region`` is ``None`` when it cannot be told."""

    what: str  # "replication destination", "automated backup copy", ...
    region: str | None
    path: tuple[str | int, ...]
    target: str = ""  # the destination as written (ARN, bucket, logical id)


def destinations(res: Resource) -> list[Destination]:
    """Every other place ``res`` replicates, copies or delivers data to."""
    finder = _FINDERS.get(res.type)
    return list(finder(res)) if finder else []


def _region_of(res: Resource, value: Any) -> tuple[str | None, str]:
    """(region, description) of an ARN, a literal region or a reference to a resource of the set."""
    target = res.target(value)
    if target is not None:
        return target.region, f"{target.stack}/{target.id}"
    if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
        value = value["Fn::Sub"].replace("${AWS::Region}", res.region)
    literal = res.resolve(value)
    if literal is UNKNOWN or not isinstance(literal, str):
        return None, str(value)
    if literal.startswith("arn:"):
        region = arn_region(literal)
        return (region if region and "${" not in region else None), literal
    return literal, literal


def _literal_region(res: Resource, value: Any, what: str, path: tuple[str | int, ...]) -> Iterator[Destination]:
    region = res.resolve(value)
    if value is not None:
        yield Destination(what, region if isinstance(region, str) else None, path, str(region))


def _s3(res: Resource) -> Iterator[Destination]:
    for i, rule in enumerate(as_list(res.get("ReplicationConfiguration", "Rules"))):
        path = ("Properties", "ReplicationConfiguration", "Rules", i, "Destination")
        bucket = dig(rule, "Destination", "Bucket")
        target = res.target(bucket)
        if target is not None:
            yield Destination("replication destination", target.region, path, f"{target.stack}/{target.id}")
            continue
        # A bucket ARN has no region; a replica KMS key must live in the destination's region, and has one.
        key = dig(rule, "Destination", "EncryptionConfiguration", "ReplicaKmsKeyID")
        region = _region_of(res, key)[0] if key is not None else None
        yield Destination("replication destination", region, path, str(res.resolve(bucket)))


def _rds_instance(res: Resource) -> Iterator[Destination]:
    yield from _literal_region(res, res.get("AutomaticBackupReplicationRegion"), "automated backup copy",
                               ("Properties", "AutomaticBackupReplicationRegion"))
    yield from _replica_source(res, ("SourceDBInstanceIdentifier", "SourceDBClusterIdentifier"))


def _rds_cluster(res: Resource) -> Iterator[Destination]:
    yield from _replica_source(res, ("ReplicationSourceIdentifier", "SourceDBClusterIdentifier"))


def _replica_source(res: Resource, props: tuple[str, ...]) -> Iterator[Destination]:
    for prop in props:
        value = res.get(prop)
        if value is None:
            continue
        target = res.target(value)
        literal = res.resolve(value)
        region: str | None
        if target is not None:
            region, written = target.region, f"{target.stack}/{target.id}"
        elif isinstance(literal, str) and literal.startswith("arn:"):
            region, written = arn_region(literal), literal
        elif isinstance(literal, str):  # a plain identifier: same region unless SourceRegion says otherwise
            region, written = res.text("SourceRegion") or res.region, literal
        else:
            region, written = res.text("SourceRegion"), str(value)
        yield Destination("source of this replica", region, ("Properties", prop), written)


def _secret(res: Resource) -> Iterator[Destination]:
    for i, replica in enumerate(as_list(res.get("ReplicaRegions"))):
        yield from _literal_region(res, dig(replica, "Region"), "secret replica",
                                   ("Properties", "ReplicaRegions", i, "Region"))


def _efs(res: Resource) -> Iterator[Destination]:
    for i, dest in enumerate(as_list(res.get("ReplicationConfiguration", "Destinations"))):
        value = dig(dest, "Region")
        if value is None and isinstance(dig(dest, "AvailabilityZoneName"), str):
            value = str(dig(dest, "AvailabilityZoneName"))[:-1]
        yield from _literal_region(res, value, "file system replica",
                                   ("Properties", "ReplicationConfiguration", "Destinations", i))


def _ecr_replication(res: Resource) -> Iterator[Destination]:
    for i, rule in enumerate(as_list(res.get("ReplicationConfiguration", "Rules"))):
        for j, dest in enumerate(as_list(dig(rule, "Destinations"))):
            yield from _literal_region(res, dig(dest, "Region"), "image replica",
                                       ("Properties", "ReplicationConfiguration", "Rules", i, "Destinations", j))


def _dynamodb_global(res: Resource) -> Iterator[Destination]:
    for i, replica in enumerate(as_list(res.get("Replicas"))):
        yield from _literal_region(res, dig(replica, "Region"), "table replica", ("Properties", "Replicas", i))


def _elasticache_global(res: Resource) -> Iterator[Destination]:
    for i, member in enumerate(as_list(res.get("Members"))):
        yield from _literal_region(res, dig(member, "ReplicationGroupRegion"), "global datastore member",
                                   ("Properties", "Members", i))


def _backup_plan(res: Resource) -> Iterator[Destination]:
    for i, rule in enumerate(as_list(res.get("BackupPlan", "BackupPlanRule"))):
        for j, copy in enumerate(as_list(dig(rule, "CopyActions"))):
            region, target = _region_of(res, dig(copy, "DestinationBackupVaultArn"))
            path = ("Properties", "BackupPlan", "BackupPlanRule", i, "CopyActions", j)
            yield Destination("backup copy", region, path, target)


def _task_definition(res: Resource) -> Iterator[Destination]:
    for i, container in enumerate(as_list(res.get("ContainerDefinitions"))):
        value = dig(container, "LogConfiguration", "Options", "awslogs-region")
        if value is not None:
            yield from _literal_region(res, value, f"container {dig(container, 'Name') or i} logs",
                                       ("Properties", "ContainerDefinitions", i, "LogConfiguration"))


def _arn_destination(prop: str, what: str) -> Any:
    def find(res: Resource) -> Iterator[Destination]:
        for i, value in enumerate(as_list(res.get(prop))):
            region, target = _region_of(res, value)
            yield Destination(what, region, ("Properties", prop, i) if isinstance(res.get(prop), list)
                              else ("Properties", prop), target)
    return find


def _cloudfront(res: Resource) -> Iterator[Destination]:
    bucket = res.get("DistributionConfig", "Logging", "Bucket")
    if bucket is None:
        return
    target = res.target(bucket)
    region = target.region if target is not None else None
    literal = res.resolve(bucket)
    if region is None and isinstance(literal, str) and ".s3." in literal and not literal.endswith(".s3.amazonaws.com"):
        region = literal.split(".s3.")[1].split(".")[0]  # bucket.s3.eu-west-1.amazonaws.com
    yield Destination("access log bucket", region, ("Properties", "DistributionConfig", "Logging"), str(literal))


_FINDERS: dict[str, Any] = {
    "AWS::S3::Bucket": _s3,
    "AWS::RDS::DBInstance": _rds_instance,
    "AWS::RDS::DBCluster": _rds_cluster,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::EFS::FileSystem": _efs,
    "AWS::ECR::ReplicationConfiguration": _ecr_replication,
    "AWS::DynamoDB::GlobalTable": _dynamodb_global,
    "AWS::ElastiCache::GlobalReplicationGroup": _elasticache_global,
    "AWS::Backup::BackupPlan": _backup_plan,
    "AWS::ECS::TaskDefinition": _task_definition,
    "AWS::Logs::SubscriptionFilter": _arn_destination("DestinationArn", "log subscription destination"),
    "AWS::WAFv2::LoggingConfiguration": _arn_destination("LogDestinationConfigs", "WAF log destination"),
    "AWS::CloudFront::Distribution": _cloudfront,
}
