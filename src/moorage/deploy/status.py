"""What is deployed: stacks, services with their running image, the URL, the last deploy."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from moorage import kinds
from moorage.data import load_data
from moorage.deploy.alarms import AlarmStatus, alarm_status
from moorage.deploy.images import pushed_image
from moorage.deploy.repair import diagnose
from moorage.deploy.session import Target
from moorage.deploy.stacks import read_stack
from moorage.plan.naming import logical_id

if TYPE_CHECKING:
    from moorage.plan import Plan

NOT_DEPLOYED = "not deployed"
DEPLOYED = "deployed"  # its stack created it and outputs it (a kind moorage reads no live state of)
EXISTING = "existing"  # the spec references one that exists already (`existing:`): not moorage's to deploy


@dataclass
class ServiceStatus:
    """One ECS service."""

    name: str  # the spec's name
    running: int
    desired: int
    image: str
    task_definition: str
    rollout: str
    ecs_service: str = ""  # the physical name

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return dict(self.__dict__)


@dataclass
class DataStoreStatus:
    """One item of a kind (database, cache, bucket, queue ...), by its name in the spec."""

    kind: str  # db | cache, or the kind's name in kinds.yaml (bucket, queue, user_pool ...)
    name: str  # the spec's name
    engine: str  # e.g. "Aurora PostgreSQL"; for other kinds what holds it (S3, SQS ...)
    identifier: str  # the physical id
    state: str  # what RDS / ElastiCache report (available, creating ...), DEPLOYED, EXISTING or NOT_DEPLOYED

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return dict(self.__dict__)

    def render(self) -> str:
        """``db: main (Aurora PostgreSQL) available``, ``bucket: uploads (S3) deployed: app-prod-uploads``."""
        named = f": {self.identifier}" if self.kind not in ("db", "cache") and self.identifier else ""
        return f"{self.kind}: {self.name} ({self.engine}) {self.state}{named}"


@dataclass
class EnvStatus:
    """The deployed state of one environment."""

    app: str
    environment: str
    stacks: list[dict[str, Any]] = field(default_factory=list)
    services: list[ServiceStatus] = field(default_factory=list)
    data_stores: list[DataStoreStatus] = field(default_factory=list)
    alarms: list[AlarmStatus] = field(default_factory=list)
    url: str | None = None
    last_deploy: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def deployed(self) -> bool:
        """True when at least one stack exists."""
        return any(s["status"] != "NOT_DEPLOYED" for s in self.stacks)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {"app": self.app, "environment": self.environment, "stacks": self.stacks, "url": self.url,
                "services": [s.to_json() for s in self.services], "last_deploy": self.last_deploy,
                "data_stores": [d.to_json() for d in self.data_stores],
                "alarms": [a.to_json() for a in self.alarms],
                "problems": self.problems}


def environment_status(target: Target, manifest: dict[str, Any],
                       image_tags: dict[str, str] | None = None, plan: Plan | None = None) -> EnvStatus:
    """Read stacks and ECS services of one environment (and, given its ``plan``, its databases and caches).

    ``image_tags`` (service -> the tag of its current build context, :func:`~moorage.deploy.images.build_tag`)
    adds a problem for each built service that runs another image.
    """
    status = EnvStatus(manifest["app"], manifest["environment"])
    outputs: dict[str, dict[str, str]] = {}
    latest = None
    for stack in manifest["stacks"]:
        cf = target.client("cloudformation", stack["region"])
        state = read_stack(cf, stack["name"])
        if state is None:
            status.stacks.append({"key": stack["key"], "name": stack["name"], "status": "NOT_DEPLOYED",
                                  "updated": None, "commit": None})
            continue
        outputs[stack["key"]] = state.outputs
        updated = state.updated.isoformat() if state.updated else None
        status.stacks.append({"key": stack["key"], "name": stack["name"], "status": state.status,
                              "updated": updated, "commit": state.tags.get("moorage:commit")})
        if updated and (latest is None or updated > latest):
            latest = updated
        problem = diagnose(state, aim=target.aim(str(manifest["environment"])),
                           aws=partial(target.aws, region=stack["region"]))
        if problem is not None:
            status.problems.append(problem.render())
    status.last_deploy = latest
    status.url = outputs.get("edge", {}).get("Url")
    cluster = outputs.get("platform", {}).get("ClusterName")
    if manifest.get("preview"):
        from moorage.deploy.previews import preview_cluster_and_url, stray_stacks, why_stray

        cluster, status.url = preview_cluster_and_url(target, manifest)  # its base's cluster and load balancer
        for name in stray_stacks(target, manifest):  # still running (and billed) until a deploy deletes it
            state = read_stack(target.client("cloudformation", manifest["region"]), name)
            status.stacks.append({"key": "not-in-plan", "name": name, "status": state.status if state else "GONE",
                                  "updated": state.updated.isoformat() if state and state.updated else None,
                                  "commit": state.tags.get("moorage:commit") if state else None})
            status.problems.append(
                f"{name}: deployed, but no longer in preview {manifest['environment']}'s plan "
                f"({why_stray(manifest, name)}); the next deploy deletes it: moorage deploy "
                f"{target.aim(str(manifest['environment']), manifest['preview']['of'])}")
        plan = None  # its data stores are its base's: `status --env BASE` shows them
    names = {o["ServiceName"]: k.removeprefix("svc-") for k, o in outputs.items()
             if k.startswith("svc-") and o.get("ServiceName")}
    if cluster and names:
        status.services = _services(target.client("ecs", manifest["region"]), cluster, names)
    if plan is not None and status.deployed:
        status.data_stores = data_store_status(target, plan, outputs)
    if status.deployed:
        status.alarms = alarm_status(target, manifest)
    if image_tags and status.services:
        status.problems.extend(_stale_images(target, manifest, status.services, image_tags))
    return status


def data_store_status(target: Target, plan: Plan,
                      outputs: dict[str, dict[str, str]] | None = None) -> list[DataStoreStatus]:
    """The plan's databases and caches by their spec names, with the state RDS and ElastiCache report; then the
    items of every other kind in the registry (buckets, queues ...), from the outputs of the stacks holding them."""
    out = _database_and_cache_status(target, plan)
    for k in kinds.registry().values():
        if k.block in ("databases", "caches"):
            continue
        attribute = next((a for a in ("name", "id", "url", "arn") if a in k.attributes and a not in k.literal), None)
        for name, item in sorted((getattr(plan.env, k.block, None) or {}).items()):
            if getattr(item, "existing", None):
                out.append(DataStoreStatus(k.name, name, k.managed_by, str(item.existing), EXISTING))
                continue
            held = (outputs or {}).get(plan.home(k.home, name), {})
            value = held.get(logical_id(k.home, name, attribute), "") if attribute else ""
            out.append(DataStoreStatus(k.name, name, k.managed_by, value, DEPLOYED if value else NOT_DEPLOYED))
    return out


def _database_and_cache_status(target: Target, plan: Plan) -> list[DataStoreStatus]:
    if not plan.databases and not plan.caches:
        return []
    engines = load_data("profiles")["engines"]
    region = plan.env.region
    out = []
    if plan.databases:
        rds = target.client("rds", region)
        for name, db in sorted(plan.databases.items()):
            out.append(DataStoreStatus("db", name, engines[db.spec.engine]["label"], db.identifier,
                                       _rds_state(rds, db.identifier, db.spec.aurora)))
    if plan.caches:
        elasticache = target.client("elasticache", region)
        for name, cache in sorted(plan.caches.items()):
            out.append(DataStoreStatus("cache", name, engines[cache.spec.engine]["label"], cache.identifier,
                                       _cache_state(elasticache, cache.identifier)))
    return out


def _rds_state(rds: Any, identifier: str, aurora: bool) -> str:
    try:
        if aurora:
            return str(rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]["Status"])
        return str(rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]["DBInstanceStatus"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("DBClusterNotFoundFault", "DBInstanceNotFound"):
            return NOT_DEPLOYED
        raise


def _cache_state(elasticache: Any, identifier: str) -> str:
    try:
        groups = elasticache.describe_replication_groups(ReplicationGroupId=identifier)["ReplicationGroups"]
        return str(groups[0]["Status"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ReplicationGroupNotFoundFault":
            return NOT_DEPLOYED
        raise


def _stale_images(target: Target, manifest: dict[str, Any], services: list[ServiceStatus],
                  image_tags: dict[str, str]) -> list[str]:
    ecr = target.client("ecr", manifest["region"])
    repos = manifest.get("repositories") or {}
    problems = []
    for service, tag in sorted(image_tags.items()):
        repo = repos.get(service, f"{manifest['app']}/{service}")
        running = next((s.image for s in services if f"/{repo}:" in s.image or f"/{repo}@" in s.image), None)
        if running is None:
            continue
        current = f"/{repo}:{tag}" in running or (
            "@sha256:" in running and running.split("@", 1)[1] in (pushed_image(ecr, repo, tag, True) or ""))
        if not current:
            problems.append(f"{service} runs {running}, not the image of its build context as it is now ({tag}): "
                            "deploy to update it")
    return problems


def _services(ecs: Any, cluster: str, names: dict[str, str]) -> list[ServiceStatus]:
    """Each ECS service (``names``: physical name -> spec name) with its counts, image and rollout."""
    out = []
    physical = sorted(names, key=names.__getitem__)
    for i in range(0, len(physical), 10):
        for svc in ecs.describe_services(cluster=cluster, services=physical[i:i + 10]).get("services", []):
            task_def = svc.get("taskDefinition", "")
            image = ""
            if task_def:
                containers = ecs.describe_task_definition(taskDefinition=task_def)["taskDefinition"].get(
                    "containerDefinitions", [])
                image = ", ".join(c.get("image", "") for c in containers)
            deployments = svc.get("deployments", [])
            rollout = deployments[0].get("rolloutState", deployments[0].get("status", "")) if deployments else ""
            out.append(ServiceStatus(names.get(svc["serviceName"], svc["serviceName"]), int(svc.get("runningCount", 0)),
                                     int(svc.get("desiredCount", 0)), image, task_def.rsplit("/", 1)[-1], rollout,
                                     svc["serviceName"]))
    return out
