"""AppSpec + environment -> EnvSpec: every value decided, every decision with its reason."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from moorage import kinds
from moorage.data import load_data
from moorage.data.aws import concrete_version, majors
from moorage.data.regions import preset_regions
from moorage.debug_flags import debug_setting
from moorage.errors import Diagnostic, InputError, Location
from moorage.resolve.clients import service_client_signs
from moorage.resolve.release import ResolvedRelease, resolve_release
from moorage.spec.fargate import nearest_size
from moorage.spec.load import LoadedApp, spec_for_environment
from moorage.spec.models import (
    Alarms,
    AppSpec,
    Build,
    Cdn,
    ContainerCheck,
    CorsRule,
    Domain,
    HealthCheck,
    LifecycleRule,
    Previews,
    Profile,
    ScaleToZero,
    Scaling,
    ServiceKind,
    Sidecar,
    Tiering,
    UserPool,
    Volume,
)
from moorage.spec.source import KeyPath, SourceMap


@dataclass(frozen=True)
class Decision:
    """One choice the tool made, and why."""

    topic: str
    value: str
    reason: str


@dataclass
class ResolvedService:
    """A service with every setting decided for one environment."""

    name: str
    kind: ServiceKind
    image: str | None
    build: Build | None
    port: int | None
    route: str | None
    health: HealthCheck | None
    container_check: ContainerCheck | None
    cpu: int
    memory: int
    arch: Literal["x86_64", "arm64"]
    desired: int
    scaling: Scaling | None
    command: list[str] | None
    entrypoint: list[str] | None
    workdir: str | None
    user: str | None
    env: dict[str, str]
    secret_env: dict[str, str]
    uses: list[str]
    spot: bool
    schedule: str | None
    volumes: list[Volume]
    sidecars: dict[str, Sidecar]
    stop_timeout: int | None
    readonly_root: bool
    min_healthy: int
    max_percent: int
    config: list[str] = field(default_factory=list)
    tracing: str | None = None
    exec: bool = False
    extra_ports: list[int] = field(default_factory=list)  # reached at its Cloud Map host, never routed
    release: ResolvedRelease | None = None  # None: a job or scheduled task (no ECS service)
    reversible: bool = False  # a before-deploy job whose migration a rollback may go back over
    scale_to_zero: ScaleToZero | None = None  # no tasks outside these working hours (non-production)


@dataclass
class ResolvedDatabase:
    """A database with every setting decided for one environment."""

    name: str
    engine: str
    family: Literal["postgres", "mysql"]
    aurora: bool
    version: str
    major: str
    port: int
    parameter_family: str
    scheme: str
    dbname: str
    username: str
    instance: str
    storage: int
    max_storage: int
    storage_type: str
    iops: int | None
    replicas: int
    parameters: dict[str, str]
    multi_az: bool
    backup_days: int
    deletion_protection: bool
    performance_insights: bool
    snapshot_on_delete: bool
    extensions: list[str]
    schemas: list[str]
    managed_password: bool = False
    monitoring_interval: int = 0
    backup_region: str | None = None
    proxy: bool = False
    replica_instance: str = ""  # the read replicas' class ("" without replicas)
    backup_window: str | None = None  # None: RDS picks one
    maintenance_window: str | None = None
    rotate_days: int | None = None  # days between password rotations (None: RDS's default or no rotation)
    rotate_generated: bool = False  # the spec sets rotate_days on a generated password: moorage rotates it


@dataclass
class ResolvedCache:
    """A cache with every setting decided for one environment."""

    name: str
    engine: str
    version: str
    port: int
    parameter_family: str
    node_type: str
    nodes: int
    cluster_mode: bool
    shards: int
    backup_days: int
    failover: bool
    snapshot_on_delete: bool
    client: str | None = None
    rotate_days: int | None = None  # days between AUTH-token rotation reminders


@dataclass
class ResolvedBucket:
    """A bucket with every setting decided for one environment."""

    name: str
    versioning: bool
    lifecycle: list[LifecycleRule]
    cors: list[CorsRule]
    public: bool
    access: dict[str, str]
    retain: bool
    tiering: Tiering | None = None
    access_logs: bool = False  # server access logs to the environment's log bucket


@dataclass
class ResolvedSecret:
    """A secret for one environment (never its value)."""

    name: str
    generate: bool
    length: int
    description: str
    external: str | None
    rotate_days: int | None = None
    previous: bool = False  # NAME_PREVIOUS is injected from its AWSPREVIOUS version
    rotation_function: str | None = None  # the user's Lambda that Secrets Manager runs every rotate_days


@dataclass
class EnvSpec:
    """Everything one environment of the app needs, decided."""

    app: str
    env: str
    profile: Profile
    region: str
    residency: list[str]
    cidr: str
    azs: int
    nat: Literal["none", "single", "per-az"]
    flow_logs: bool
    domain: Domain | None
    log_retention: int
    waf: bool
    access_logs: bool
    alarm_level: Literal["none", "basic", "full"]
    alarm_emails: list[str]
    alarm_topic_arn: str | None
    dashboard: bool
    container_insights: bool
    budget_monthly: float | None
    budget_emails: list[str]
    circuit_breaker: bool
    tags: dict[str, str]
    services: dict[str, ResolvedService]
    databases: dict[str, ResolvedDatabase]
    caches: dict[str, ResolvedCache]
    buckets: dict[str, ResolvedBucket]
    secrets: dict[str, ResolvedSecret]
    decisions: list[Decision] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    customer_key: bool = False
    cdn: Cdn | None = None
    config: dict[str, str] = field(default_factory=dict)
    registry_keep: int = 10
    registry_scan: bool = True
    registry_services: Literal["built", "all"] = "built"
    user_pools: dict[str, UserPool] = field(default_factory=dict)
    previews: Previews | None = None  # the spec's `previews:`: this environment may be a preview's base
    alarms: Alarms = field(default_factory=Alarms)  # destinations, severities and thresholds (plan.observability)
    # The kinds' items this environment carries as the spec gives them, by block (``queues`` ...): every kind of
    # the registry without a resolved field above. ``env.queues`` reads ``env.blocks["queues"]``.
    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: SourceMap | None = field(default=None, repr=False, compare=False)  # where each key came from

    def locate(self, path: tuple[str | int, ...]) -> Location | None:
        """Where ``path`` (e.g. ``("services", "api", "uses")``) is in the spec, for later stages' errors."""
        return self.source.locate(path) if self.source else None

    if not TYPE_CHECKING:  # typed code reads env.blocks; the kinds' block names are a convenience
        def __getattr__(self, name: str) -> Any:
            blocks = self.__dict__.get("blocks") or {}
            if name in blocks:
                return blocks[name]
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def stateful_retained(self) -> bool:
        """True when stateful resources are snapshotted/retained on delete (all but dev)."""
        return self.profile != "dev"


def profile_for(env: str, explicit: str | None, where: Location | None = None) -> tuple[Profile, str]:
    """The profile for an environment name, with the reason."""
    if explicit:
        return explicit, "set in environments." + env + ".profile"  # type: ignore[return-value]
    names = load_data("profiles")["names"]
    if env.lower() in names:
        return names[env.lower()], f"environment name {env!r}"
    raise InputError([Diagnostic(
        "error", f"cannot tell the profile of environment {env!r}", where,
        f"add `profile: dev|staging|prod` under environments.{env}")])


def resolve_environment(loaded: LoadedApp, env: str) -> EnvSpec:
    """Decide every value for environment ``env``; raise InputError for env-specific mistakes."""
    app, smap = spec_for_environment(loaded, env)
    override = app.environments[env]
    profile, why_profile = profile_for(env, override.profile, smap.locate(("environments", env)))
    defaults = load_data("profiles")["profiles"][profile]
    decisions: list[Decision] = [Decision("profile", profile, why_profile)]
    warnings: list[Diagnostic] = []

    def decide(topic: str, given: Any, default: Any, why: str) -> Any:
        if given is not None:
            decisions.append(Decision(topic, _show(given), "set in the spec"))
            return given
        decisions.append(Decision(topic, _show(default), f"profile {profile}: {why}"))
        return default

    _check_forbidden_env(app, env, profile, smap)
    region = app.region
    residency = _residency_regions(app)
    _check_region_in_residency(app, residency, smap)
    azs, nat, flow_logs = _network(app, defaults["network"], decide, smap)
    retention = decide("logs.retention", app.logs.retention, defaults["logs"]["retention"], "log retention days")

    services = {name: _service(name, svc, profile, defaults, decide, warnings, smap)
                for name, svc in app.services.items()}
    for name, rs in services.items():
        rs.release = resolve_release(name, rs.kind, bool(rs.route), profile, app.deploy, app.services[name].deploy,
                                     lambda t, v, r: decisions.append(Decision(t, v, r)))
        rs.reversible = app.services[name].reversible
    databases = {name: _database(name, db, app, profile, defaults, decide, smap)
                 for name, db in app.databases.items()}
    caches = {name: _cache(name, c, profile, defaults, decide, warnings, smap) for name, c in app.caches.items()}
    warnings += _undeclared_cluster_clients(caches, services, smap)
    _check_backup_regions(app, databases, residency, smap)
    _check_rotation_functions(app, smap)
    buckets = {name: _bucket(name, b, app, profile, defaults, decide) for name, b in app.buckets.items()}
    secrets = _secrets(app, env, decisions)
    for name, db in databases.items():
        decisions.append(Decision(
            f"databases.{name}.password", f"managed by RDS (rotated every {db.rotate_days or 7} days)"
            if db.managed_password
            else f"generated into Secrets Manager (rotated every {db.rotate_days} days)" if db.rotate_generated
            else "generated once into Secrets Manager",
            "password: managed" if db.managed_password else "rotate_days set in the spec" if db.rotate_generated
            else "set rotate_days (or `password: managed`) to rotate it"))
    encryption = decide("encryption.key", app.encryption.key, defaults["encryption"]["key"],
                        "a customer-managed rotating key for secrets, logs, images, buckets, databases and caches"
                        if defaults["encryption"]["key"] == "customer"
                        else "AWS-managed keys (set encryption.key: customer for your own rotating key)")
    cdn = app.cdn_spec
    warnings += _secrets_to_set(app, env, smap)
    domain = _environment_domain(app, env, profile, override, decisions, warnings, smap)
    _check_cdn(app, domain, residency, decisions, smap)

    alarm_level = defaults["alarms"]
    if alarm_level != "none" and not app.alarms.emails and not app.alarms.topic_arn and app.alarms.critical.empty:
        warnings.append(Diagnostic("warning", "alarms have no recipient: they go to an SNS topic nobody reads",
                                   smap.locate(("alarms",)), "set alarms.email or alarms.topic_arn"))
    edge = defaults["edge"]
    routed = any(s.route for s in services.values())
    decisions.append(Decision("edge.waf", str(edge["waf"] and routed).lower(),
                              f"profile {profile}: " + ("WAF with AWS managed rules on the public ALB"
                                                         if edge["waf"] else "no WAF outside production")))
    # moorage:deployment names this app's environment alone: the budget filters its costs on it.
    tags = {"moorage:app": app.name, "moorage:environment": env, "moorage:deployment": f"{app.name}-{env}",
            **app.tags, **override.tags}
    _check_aws_limits(app, env, override.tags, smap)
    return EnvSpec(
        app=app.name, env=env, profile=profile, region=region, residency=residency, cidr=app.network.cidr,
        azs=azs, nat=nat, flow_logs=flow_logs, domain=domain, log_retention=retention,
        waf=bool(edge["waf"]) and routed, access_logs=bool(edge["access_logs"]) and routed,
        alarm_level=alarm_level, alarm_emails=list(app.alarms.emails), alarm_topic_arn=app.alarms.topic_arn,
        alarms=app.alarms,
        dashboard=bool(defaults["dashboard"]), container_insights=bool(defaults["container_insights"]),
        budget_monthly=app.budget.monthly if app.budget else None,
        budget_emails=app.budget.emails if app.budget else [],
        circuit_breaker=app.deploy.circuit_breaker, tags=tags, services=services, databases=databases,
        caches=caches, buckets=buckets, secrets=secrets, decisions=decisions, warnings=warnings,
        customer_key=encryption == "customer", cdn=cdn, config={k: _env_text(v) for k, v in app.config.items()},
        registry_keep=app.registry.keep, registry_scan=app.registry.scan,
        registry_services=app.registry.services, user_pools=dict(app.user_pools),
        previews=app.previews,
        blocks={k.block: dict(getattr(app, k.block)) for k in kinds.registry().values()
                if k.block not in EnvSpec.__dataclass_fields__},
        source=smap,
    )


def _check_rotation_functions(app: AppSpec, smap: SourceMap) -> None:
    """A secret's rotation function must be in the environment's region: Secrets Manager invokes it there."""
    for name, secret in app.secrets.items():
        fn = secret.rotation_function
        region = fn.split(":")[3] if fn and fn.count(":") >= 6 else None
        if region and region != app.region:
            raise InputError([Diagnostic(
                "error", f"secrets.{name}.rotation_function is in {region}, this environment in {app.region}",
                smap.locate(("secrets", name, "rotation_function")),
                f"Secrets Manager calls a rotation function in the secret's region: deploy the function to "
                f"{app.region} and name that ARN")])


def _check_region_in_residency(app: AppSpec, residency: list[str], smap: SourceMap) -> None:
    if residency and app.region not in residency:
        raise InputError([Diagnostic(
            "error", f"region {app.region} is outside the residency {app.residency!r} ({', '.join(residency)})",
            smap.locate(("region",)), "choose an allowed region or change residency")])


def _network(app: AppSpec, net: dict[str, Any], decide: Any, smap: SourceMap) -> tuple[int, Any, bool]:
    """(AZs, NAT, flow logs) of the VPC: the profile's, within what the region offers."""
    region = app.region
    region_azs = load_data("regions")["regions"][region]["azs"]
    if app.network.azs is None and net["azs"] > region_azs:
        azs = decide("network.azs", None, region_azs, f"{region} has only {region_azs} Availability Zones")
    else:
        azs = decide("network.azs", app.network.azs, net["azs"], "spread over this many Availability Zones")
    if azs > region_azs:
        raise InputError([Diagnostic("error", f"{region} has {region_azs} AZs, not {azs}",
                                     smap.locate(("network", "azs")), f"use network.azs: {region_azs}")])
    nat = decide("network.nat", app.network.nat, net["nat"],
                 "one NAT per AZ so losing an AZ does not cut egress" if net["nat"] == "per-az"
                 else "one shared NAT gateway keeps cost down")
    if nat == "none" and app.services:
        # Tasks get no public IP and moorage plans no interface endpoints: without NAT nothing can pull images.
        raise InputError([Diagnostic(
            "error", "network.nat: none leaves the private subnets without a way out: tasks could not pull their "
            "images or reach Secrets Manager and CloudWatch Logs", smap.locate(("network", "nat")),
            "use nat: single (one shared NAT gateway) or per-az")])
    flow_logs = decide("network.flow_logs", app.network.flow_logs, net["flow_logs"], "VPC flow logs")
    return azs, nat, flow_logs


def _check_backup_regions(app: AppSpec, databases: dict[str, Any], residency: list[str], smap: SourceMap) -> None:
    """Backup copies stay inside the residency, and go to another region than the database's."""
    for name, db in databases.items():
        if db.backup_region and residency and db.backup_region not in residency:
            raise InputError([Diagnostic(
                "error", f"database {name} would copy its backups to {db.backup_region}, outside the residency "
                f"{app.residency!r} ({', '.join(residency)})", smap.locate(("databases", name, "backup_region")),
                "copy backups to a region of the residency, or drop backup_region")])
        if db.backup_region == app.region:
            raise InputError([Diagnostic("error", f"backup_region {app.region} is the database's own region",
                                         smap.locate(("databases", name, "backup_region")),
                                         "name another region, or drop backup_region")])


def _bucket(name: str, b: Any, app: AppSpec, profile: str, defaults: dict[str, Any], decide: Any) -> ResolvedBucket:
    access: dict[str, str] = {s: b.access.get(s, "readwrite") for s, svc in app.services.items() if name in svc.uses}
    return ResolvedBucket(
        name, decide(f"buckets.{name}.versioning", b.versioning, defaults["bucket"]["versioning"],
                     "object versioning"),
        list(b.lifecycle), list(b.cors), b.public, access, retain=profile != "dev", tiering=b.tiering,
        access_logs=decide(f"buckets.{name}.access_logs", b.access_logs, defaults["bucket"]["access_logs"],
                           "S3 server access logs to a log bucket"))


def _secrets(app: AppSpec, env: str, decisions: list[Decision]) -> dict[str, ResolvedSecret]:
    """The app's secrets; a rotation period is a manual rotation, said as a decision."""
    for name, s in app.secrets.items():
        if s.rotate_days and s.rotation_function:
            decisions.append(Decision(
                f"secrets.{name}.rotation", f"every {s.rotate_days} days by {s.rotation_function}",
                "a rotation schedule on the secret runs your function; its readers are redeployed when it succeeds"))
        elif s.rotate_days and s.external:
            decisions.append(Decision(
                f"secrets.{name}.rotation", "none by moorage (an existing secret)",
                f"rotate_days {s.rotate_days} is not acted on: {name} references {s.external}, which moorage does "
                "not own; rotate it where it is managed (no reminder is scheduled)"))
        elif s.rotate_days:
            how = (f"`moorage secrets rotate {name} --env {env} --restart`" if s.generate else
                   f"issue a new value with the provider, then {_set_secret_hint(name, env)}")
            decisions.append(Decision(
                f"secrets.{name}.rotation", f"manual every {s.rotate_days} days",
                f"Secrets Manager rotates only what it has a rotation function for; a reminder names the step: {how}"))
    return {name: ResolvedSecret(name, s.generate, s.length, _secret_description(app.name, name, s), s.external,
                                 s.rotate_days, s.previous, s.rotation_function)
            for name, s in app.secrets.items()}


def _secrets_to_set(app: AppSpec, env: str, smap: SourceMap) -> list[Diagnostic]:
    """A warning for each secret that starts with a random value the user must replace."""
    return [Diagnostic("warning", f"secret {name} starts with a random value: set the real one after the first deploy",
                       smap.locate(("secrets", name)),
                       _set_secret_hint(name, env))
            for name, s in app.secrets.items() if not s.generate and not s.external]


def _set_secret_hint(name: str, env: str) -> str:
    # moorage's own command, not a plain `aws ...` one: resolve does not know the target (a pasted `aws` command
    # from a --local run would act on the real account), `secrets set` is aimed by the same options as the deploy
    # (--local, --profile), and it reads the value from stdin, never from the command line.
    return (f"set it: `moorage secrets set --env {env} {name}` (with the --local/--profile/--region of the "
            "deploy; the value is read from stdin)")


def _check_cdn(app: AppSpec, domain: Domain | None, residency: list[str], decisions: list[Decision],
               smap: SourceMap) -> None:
    """CloudFront needs a Route 53 domain and no residency (it serves from edge locations worldwide)."""
    cdn = app.cdn_spec
    if cdn is None:
        return
    if residency:
        raise InputError([Diagnostic(
            "error", f"CloudFront serves and logs from edge locations worldwide, outside the residency "
            f"{app.residency!r}", smap.locate(("cdn",)),
            "serve from the regional load balancer (drop cdn), or drop residency")])
    if domain is None or domain.zone_id is None:
        raise InputError([Diagnostic(
            "error", "cdn needs a domain with a Route 53 zone_id: CloudFront's certificate and the origin "
            "name are validated there", smap.locate(("cdn",)), "set domain: {name: ..., zone_id: Z...}")])
    decisions.append(Decision("cdn", f"CloudFront ({cdn.price_class})",
                              "set in the spec; the load balancer is reached at origin." + domain.name))


def _environment_domain(app: AppSpec, env: str, profile: str, override: Any, decisions: list[Decision],
                        warnings: list[Diagnostic], smap: SourceMap) -> Domain | None:
    """The public name of this environment: the app's in prod, ``<env>.<domain>`` elsewhere unless overridden."""
    domain = app.domain_spec
    if domain is None:
        return None
    if override.domain is None and profile != "prod":
        # One DNS record per environment: two environments claiming one name would take it from each other.
        domain = Domain(name=f"{env}.{domain.name}", zone_id=domain.zone_id, health=domain.health)
        decisions.append(Decision("domain", domain.name, f"profile {profile}: each environment gets its own name "
                                  "under the app's domain (set environments.<env>.domain to choose another)"))
    if domain.zone_id is None and domain.certificate_arn is None:
        warnings.append(Diagnostic(
            "warning", f"the certificate for {domain.name} waits for a DNS validation record added by hand",
            smap.locate(("domain",)), "set domain.zone_id (Route 53 hosted zone) and moorage validates it for you"))
    return domain


def _show(value: Any) -> str:
    if value is None:  # "no autoscaling", "no limit": said in words, never Python's None
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Scaling):
        return value.describe()
    return str(value)


def _words(value: list[str] | str | None) -> list[str] | None:
    if value is None:
        return None
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]


def _service(name: str, svc: Any, profile: str, defaults: dict[str, Any], decide: Any,
             warnings: list[Diagnostic], smap: SourceMap) -> ResolvedService:
    d = defaults["service"]
    kind = svc.derived_kind
    if svc.cpu is None and svc.memory is None:
        cpu, memory = d["cpu"], d["memory"]
        decide(f"services.{name}.size", None, f"{cpu} cpu / {memory} MiB", "default task size")
    else:
        cpu, memory = nearest_size(svc.cpu, svc.memory)
        decide(f"services.{name}.size", f"{cpu} cpu / {memory} MiB", None, "")
    long_running = kind in ("web", "service", "worker")
    scaling = None
    min_healthy, max_percent = d["deployment"]["min_healthy"], d["deployment"]["max_percent"]
    if long_running and svc.singleton:
        # Two copies of a scheduler run every job twice: one task, stopped before its replacement starts.
        scaling = decide(f"services.{name}.scaling", None, None, "singleton: never autoscales")
        desired = decide(f"services.{name}.replicas", None, 1, "singleton: exactly one task")
        min_healthy, max_percent = 0, 100
        decide(f"services.{name}.rollout", None, "min 0% / max 100%",
               "singleton: the old task stops before the new one starts")
    elif long_running:
        default_scaling = Scaling(**d["scaling"]) if d["scaling"] else None
        if svc.scaling is None and svc.replicas is not None and default_scaling is not None:
            # replicas is the count the team asked for: the profile scales up from it, never below it.
            default_scaling = default_scaling.model_copy(update={
                "min": svc.replicas, "max": max(default_scaling.max, svc.replicas)})
        scaling = decide(f"services.{name}.scaling", svc.scaling, default_scaling,
                         ("target-tracking autoscaling" + (f" from replicas: {svc.replicas}"
                                                           if svc.replicas is not None else ""))
                         if default_scaling else "no autoscaling")
        default_desired = scaling.min if scaling else d["replicas"]
        desired = decide(f"services.{name}.replicas", svc.replicas,
                         max(default_desired, 1) if scaling else default_desired, "running tasks")
        if scaling and not scaling.min <= desired <= scaling.max:
            desired = max(scaling.min, min(desired, scaling.max))
    else:
        desired = 0
    if long_running and not svc.singleton:
        min_healthy, max_percent = _rollout(name, svc, profile, min_healthy, max_percent, decide, smap)
    scale_to_zero = _scale_to_zero(name, svc, profile, decide, smap) if long_running else None
    for vol in svc.volumes:
        if not vol.persistent:
            warnings.append(Diagnostic(
                "warning", f"{vol.path} is ephemeral: Fargate task storage is lost when the task stops",
                smap.locate(("services", name, "volumes")), "set persistent: true to keep it on EFS"))
    image = svc.image
    if image and profile == "prod" and (image.endswith(":latest") or ":" not in image.rsplit("/", 1)[-1]) \
            and "@sha256:" not in image:
        warnings.append(Diagnostic("warning", f"image {image!r} is not pinned to a tag or digest in production",
                                   smap.locate(("services", name, "image")),
                                   "pin a version tag or digest so a redeploy runs what was tested"))
    build = Build(context=svc.build) if isinstance(svc.build, str) else svc.build
    env = {k: _env_text(v) for k, v in svc.env.items()}
    for key in env:
        if key.startswith(BUILD_TIME_PREFIXES):
            warnings.append(Diagnostic(
                "warning", f"{key} is read when the front end is built, not when the container runs",
                smap.locate(("services", name, "env", key)),
                "pass it as a build arg (build.args) so it reaches the bundle"))
    if svc.exec and profile == "prod":
        warnings.append(Diagnostic("warning", f"ECS Exec is on for {name} in production: anyone allowed "
                                   "ecs:ExecuteCommand gets a shell in it", smap.locate(("services", name, "exec")),
                                   "keep exec for dev and staging"))
    readonly = svc.readonly_root if svc.readonly_root is not None else False
    return ResolvedService(
        name=name, kind=kind, image=image, build=build, port=svc.port, route=svc.route,
        health=svc.health_check or (HealthCheck() if svc.route else None), container_check=svc.healthcheck,
        cpu=cpu, memory=memory, arch=svc.arch, desired=desired, scaling=scaling,
        command=_words(svc.command), entrypoint=_words(svc.entrypoint), workdir=svc.workdir, user=svc.user,
        env=env, secret_env=svc.secret_env, uses=list(svc.uses), spot=svc.spot, schedule=svc.schedule,
        volumes=list(svc.volumes), sidecars=dict(svc.sidecars), stop_timeout=svc.stop_timeout,
        readonly_root=readonly, min_healthy=min_healthy, max_percent=max_percent, config=list(svc.config),
        tracing=svc.tracing, extra_ports=list(svc.ports), scale_to_zero=scale_to_zero,
        exec=decide(f"services.{name}.exec", svc.exec, bool(d["exec"]),
                    "ECS Exec for debugging" if d["exec"] else "no interactive shells into tasks"),
    )


BUILD_TIME_PREFIXES = ("REACT_APP_", "NEXT_PUBLIC_", "VITE_")


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _database(name: str, db: Any, app: AppSpec, profile: str, defaults: dict[str, Any], decide: Any,
              smap: SourceMap) -> ResolvedDatabase:
    d = defaults["database"]
    engine_info = load_data("profiles")["engines"][db.engine]
    wanted = db.version or engine_info["version"]
    version = concrete_version(db.engine, wanted)
    if version is None:
        raise InputError([Diagnostic(
            "error", f"{db.engine} {wanted} cannot be created on RDS", smap.locate(("databases", name, "version")),
            "available major versions: " + ", ".join(majors(db.engine)))])
    decide(f"databases.{name}.version", None, version,
           f"newest {db.engine} {wanted} release RDS can create") if version != wanted else \
        decide(f"databases.{name}.version", version, None, "")
    major = version.split(".")[0] if db.family == "postgres" else ".".join(version.split(".")[:2])
    instance = decide(f"databases.{name}.instance", db.instance, d["instance"][db.engine], "instance class")
    if db.aurora and instance in load_data("profiles")["aurora_unsupported_classes"]:
        raise InputError([Diagnostic("error", f"Aurora does not run on {instance}",
                                     smap.locate(("databases", name, "instance")),
                                     "use db.t4g.medium or larger, or engine postgres/mysql")])
    io2 = db.storage_type == "io2"
    storage = 0 if db.aurora else decide(f"databases.{name}.storage", db.storage,
                                         max(d["storage"], 100) if io2 else d["storage"],
                                         "GiB allocated (io2 starts at 100)" if io2 else "GiB allocated")
    if io2 and storage < 100:
        raise InputError([Diagnostic("error", f"io2 storage starts at 100 GiB, not {storage}",
                                     smap.locate(("databases", name, "storage")), "set storage: 100 or more")])
    max_storage = 0 if db.aurora else decide(f"databases.{name}.max_storage", db.max_storage,
                                            max(d["max_storage"], storage + 1), "storage autoscaling ceiling")
    multi_az = decide(f"databases.{name}.multi_az", db.multi_az, d["multi_az"],
                      "a standby in a second AZ" if d["multi_az"] else "single AZ")
    dbname = db.name or re.sub(r"[^A-Za-z0-9_]", "_", app.name)
    return ResolvedDatabase(
        name=name, engine=db.engine, family=db.family, aurora=db.aurora, version=version, major=major,
        port=engine_info["port"], parameter_family=engine_info["family"].format(major=major),
        scheme=engine_info["scheme"], dbname=dbname, username=db.username, instance=instance,
        storage=storage, max_storage=max_storage,
        storage_type="aurora" if db.aurora else (db.storage_type or d["storage_type"]), iops=db.iops,
        replicas=db.replicas, parameters=_db_parameters(name, db, engine_info, decide), multi_az=multi_az,
        backup_days=decide(f"databases.{name}.backup_days", db.backup_days, d["backup_days"], "backup retention"),
        deletion_protection=decide(f"databases.{name}.deletion_protection", db.deletion_protection,
                                   d["deletion_protection"], "deletion protection"),
        performance_insights=decide(f"databases.{name}.performance_insights", db.performance_insights,
                                    d["performance_insights"], "Performance Insights"),
        snapshot_on_delete=bool(d["snapshot_on_delete"]), extensions=list(db.extensions),
        schemas=list(db.schemas), managed_password=db.password == "managed",
        monitoring_interval=decide(f"databases.{name}.monitoring_interval", db.monitoring_interval,
                                   d["monitoring_interval"], "enhanced monitoring (OS metrics) every N seconds"),
        backup_region=db.backup_region,
        replica_instance=decide(f"databases.{name}.replica_instance", db.replica_instance, instance,
                                "read replicas run on the primary's class") if db.replicas else "",
        backup_window=_window(decide(f"databases.{name}.backup_window", db.backup_window, RDS_PICKS,
                                     "a daily 30-minute window in the region's default block")),
        maintenance_window=_window(decide(f"databases.{name}.maintenance_window", db.maintenance_window, RDS_PICKS,
                                          "a weekly 30-minute window in the region's default block")),
        proxy=decide(f"databases.{name}.proxy", True if db.proxy else None, False,
                     "services connect to the database directly"),
        rotate_days=decide(f"databases.{name}.rotate_days", db.rotate_days, d["rotate_days"],
                           "days between password rotations" if d["rotate_days"] else "no rotation schedule"),
        rotate_generated=db.password == "generated" and db.rotate_days is not None,
    )


RDS_PICKS = "chosen by RDS"


def _window(value: str) -> str | None:
    return None if value == RDS_PICKS else value


def _db_parameters(name: str, db: Any, engine_info: dict[str, Any], decide: Any) -> dict[str, str]:
    defaults = {k: str(v) for k, v in engine_info["parameters"].items()}
    given = {k: str(v) for k, v in db.parameters.items()}
    for key, value in defaults.items():
        if key not in given:
            decide(f"databases.{name}.parameters.{key}", None, value,
                   "TLS required for every connection" if key in ("rds.force_ssl", "require_secure_transport")
                   else "slow statements are logged")
    return dict(sorted({**defaults, **given}.items()))


def _cache(name: str, c: Any, profile: str, defaults: dict[str, Any], decide: Any,
           warnings: list[Diagnostic], smap: SourceMap) -> ResolvedCache:
    d = defaults["cache"]
    info = load_data("profiles")["engines"][c.engine]
    nodes = decide(f"caches.{name}.nodes", c.nodes, d["nodes"], "nodes per shard")
    version = c.version or info["version"]
    major = version.split(".")[0]
    family = f"{c.engine}{major}" if c.engine == "valkey" else (f"redis{major}" if major != "6" else "redis6.x")
    needs_single = load_data("profiles")["cluster_mode_off_clients"]
    if c.cluster_mode and c.client and c.client.lower() in needs_single:
        warnings.append(Diagnostic(
            "warning", f"cache {name} has cluster mode on, but {c.client} {needs_single[c.client.lower()]}",
            smap.locate(("caches", name, "cluster_mode")), "set cluster_mode: false (scale with a bigger node type)"))
    return ResolvedCache(
        name=name, engine=c.engine, version=version, port=info["port"], parameter_family=family,
        node_type=decide(f"caches.{name}.node_type", c.node_type, d["node_type"], "node type"),
        nodes=nodes, cluster_mode=c.cluster_mode, shards=c.shards or (2 if c.cluster_mode else 1),
        backup_days=decide(f"caches.{name}.backup_days", c.backup_days, d["backup_days"], "snapshot retention"),
        failover=nodes > 1, snapshot_on_delete=profile != "dev", client=c.client,
        rotate_days=decide(f"caches.{name}.rotate_days", c.rotate_days, d["rotate_days"],
                           "days between AUTH-token rotation reminders" if d["rotate_days"] else "no reminder"),
    )


def _undeclared_cluster_clients(caches: dict[str, ResolvedCache], services: dict[str, ResolvedService],
                                smap: SourceMap) -> list[Diagnostic]:
    """Cluster mode on a cache whose client is not declared, used by a service that looks like a client
    that needs it off (resolve/clients.py)."""
    needs_single = load_data("profiles")["cluster_mode_off_clients"]
    out = []
    for name, cache in caches.items():
        if not cache.cluster_mode or cache.client:
            continue
        for svc in (s for s in services.values() if name in s.uses):
            for client, sign in service_client_signs(svc).items():
                out.append(Diagnostic(
                    "warning", f"cache {name} has cluster mode on, and service {svc.name} looks like it uses "
                    f"{client} ({sign}), which {needs_single[client]}", smap.locate(("caches", name, "cluster_mode")),
                    f"set cluster_mode: false (scale with a bigger node type), or declare `client:` on cache {name} "
                    "if another client connects"))
    return out


def _residency_regions(app: AppSpec) -> list[str]:
    if app.residency is None:
        return []
    if isinstance(app.residency, list):
        return sorted(app.residency)
    return preset_regions(app.residency)


def _check_aws_limits(app: AppSpec, env: str, env_tags: dict[str, str], smap: SourceMap) -> None:
    """Values AWS would refuse only at deploy time (``data/aws_limits.yaml``), as located errors now."""
    limits = load_data("aws_limits")
    problems: list[Diagnostic] = []
    for name, value in app.config.items():
        size = len(_env_text(value).encode())
        if size > limits["ssm_parameter_value_advanced"]:  # 4-8 KB take the Advanced tier (the plan decides)
            problems.append(Diagnostic(
                "error", f"config {name} is {size:,} bytes; an SSM parameter holds at most "
                f"{limits['ssm_parameter_value_advanced']:,} (Advanced tier)", smap.locate(("config", name)),
                "keep a large value in a bucket object or a secret and pass its name in config"))
    user_tags = {**app.tags, **env_tags}
    room = limits["tags_per_resource"] - limits["tags_reserved"]
    if len(user_tags) > room:
        block: KeyPath = ("environments", env, "tags") if env_tags else ("tags",)
        problems.append(Diagnostic(
            "error", f"{len(user_tags)} tags; AWS allows {limits['tags_per_resource']} per resource and moorage "
            f"adds up to {limits['tags_reserved']} of its own", smap.locate(block), f"keep at most {room} tags"))
    for key, value in user_tags.items():
        where: KeyPath = ("environments", env, "tags", key) if key in env_tags else ("tags", key)
        if len(key) > limits["tag_key_length"] or len(str(value)) > limits["tag_value_length"]:
            problems.append(Diagnostic(
                "error", f"tag {key[:40]!r} is too long: keys take {limits['tag_key_length']} characters, values "
                f"{limits['tag_value_length']}", smap.locate(where), "shorten it"))
        elif key.lower().startswith("aws:"):
            problems.append(Diagnostic("error", f"tag {key!r}: the aws: prefix is reserved for AWS",
                                       smap.locate(where), "use another prefix"))
    if problems:
        raise InputError(problems)


def _env_names(app: AppSpec) -> list[tuple[str, object, tuple[str | int, ...]]]:
    """Every environment variable a service's containers get: (name, plain value or None, spec path).

    Plain ``env`` of services and their sidecars, ``config:`` names (SSM parameters injected under the
    same name) and ``secrets:`` names; app-level ``config:`` values carry their value.
    """
    out: list[tuple[str, object, tuple[str | int, ...]]] = []
    for sname, svc in app.services.items():
        out += [(var, value, ("services", sname, "env", var)) for var, value in svc.env.items()]
        for car, side in svc.sidecars.items():
            out += [(var, value, ("services", sname, "sidecars", car, "env", var)) for var, value in side.env.items()]
        out += [(var, app.config.get(var), ("services", sname, "config", i)) for i, var in enumerate(svc.config)]
        if isinstance(svc.secrets, dict):
            out += [(var, None, ("services", sname, "secrets", var)) for var in svc.secrets]
        else:
            out += [(var, None, ("services", sname, "secrets", i)) for i, var in enumerate(svc.secrets)]
    out += [(var, value, ("config", var)) for var, value in app.config.items()]
    return out


def _check_forbidden_env(app: AppSpec, env: str, profile: str, smap: SourceMap) -> None:
    """``forbid_env`` names and, in production, debug settings are errors wherever a container gets them."""
    forbidden = set(app.environments[env].forbid_env)
    if profile == "prod":
        forbidden |= set(app.forbid_env)
    problems = []
    for var, value, path in _env_names(app):
        if var in forbidden:
            problems.append(Diagnostic("error", f"{var} must not be set in environment {env!r}", smap.locate(path),
                                       "remove it from this environment"))
        elif profile == "prod" and debug_setting(var, value):
            problems.append(Diagnostic("error", f"{var}={value} turns on debug mode in production ({env!r})",
                                       smap.locate(path), "set it per environment, off in prod"))
    if problems:
        raise InputError(problems)


def _secret_description(app: str, name: str, secret: Any) -> str:
    """The secret's description; one the user sets says so, so nobody takes its first random value for real."""
    text = secret.description or f"{app} {name}"
    return text if secret.generate or secret.external else f"{text}; value set by the user (moorage secrets set)"


def _rollout(name: str, svc: Any, profile: str, min_healthy: int, max_percent: int, decide: Any,
             smap: SourceMap) -> tuple[int, int]:
    """The rolling-update bounds: the service's ``min_healthy_percent`` / ``max_percent``, else the profile's."""
    if svc.min_healthy_percent is not None:
        min_healthy = decide(f"services.{name}.min_healthy_percent", svc.min_healthy_percent, None, "")
    if svc.max_percent is not None:
        max_percent = decide(f"services.{name}.max_percent", svc.max_percent, None, "")
    if min_healthy >= max_percent:
        key = "min_healthy_percent" if svc.min_healthy_percent is not None else "max_percent"
        raise InputError([Diagnostic(
            "error", f"min_healthy_percent {min_healthy} must be below max_percent {max_percent}: ECS could "
            "neither stop an old task nor start a new one", smap.locate(("services", name, key)),
            f"profile {profile} uses {min_healthy}%/{max_percent}% unless the service sets both")])
    return min_healthy, max_percent


def _scale_to_zero(name: str, svc: Any, profile: str, decide: Any, smap: SourceMap) -> ScaleToZero | None:
    """The working hours outside which the service has no tasks; refused in production."""
    if svc.scale_to_zero is None:
        return None
    if profile == "prod":
        raise InputError([Diagnostic(
            "error", f"scale_to_zero takes {name} down every night: production is never switched off",
            smap.locate(("services", name, "scale_to_zero")),
            "set it in the non-production environments only (environments.ENV.services.NAME.scale_to_zero)")])
    z = svc.scale_to_zero
    decide(f"services.{name}.scale_to_zero", f"0 tasks outside {z.outside} {z.timezone}", None, "")
    return z  # type: ignore[no-any-return]
