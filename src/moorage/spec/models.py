"""The moorage.yml spec: pydantic v2 models (the JSON Schema is exported from these).

These models hold what the user wrote. Defaults that depend on the environment (sizes, counts,
retention, Multi-AZ…) are left as ``None`` here and decided by :mod:`moorage.resolve`, which
records the reason for every decision.
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import quote

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from moorage.data import load_data
from moorage.data.regions import is_region, residency_presets
from moorage.secret_formats import known_tokens
from moorage.spec.fargate import allowed_memory_text, fargate_sizes, is_valid_size
from moorage.url_passwords import URL_PASSWORD


def no_bool(v: Any) -> Any:
    """``v`` unless it is a boolean where a number is expected (pydantic alone would read YAML's ``true`` as 1)."""
    if isinstance(v, bool):
        raise ValueError(f"{str(v).lower()} is a boolean (YAML reads true and false as one), not a number: "
                         "write a number")
    return v


#: A number inside a dict, list or union field: Strict's check sees a field's own value only, so the values
#: inside a container carry the check themselves (their error is then located at their own key or index).
NoBool = BeforeValidator(no_bool)


NAME_PATTERN = r"^[a-z][a-z0-9-]{0,38}[a-z0-9]$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.]*$"  # ECS allows dots (e.g. discovery.type)
Name = Annotated[str, Field(pattern=NAME_PATTERN, description="lower-case letters, digits and '-'")]
EnvName = Annotated[str, Field(pattern=ENV_NAME_PATTERN)]
# What an ALB listener rule takes as a path pattern (else CreateRule fails mid-deploy): '/', then at most 127 of
# A-Z a-z 0-9 _ - . $ / ~ " ' @ : + & and the wildcards * and ? (ELB docs: "Path conditions").
ROUTE_PATTERN = r"^/[A-Za-z0-9_.$/~\"'@:+&*?-]{0,127}$"
Port = Annotated[int, Field(ge=1, le=65535), NoBool]
# PostgreSQL names the bootstrap script writes (quoted): plain lower-case identifiers, extensions may hold "-".
SchemaName = Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,62}$")]
ExtensionName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,62}$")]
Profile = Literal["dev", "staging", "prod"]
EnvValue = str | int | float | bool

# Environment variable names that hold credentials: their values belong in `secrets:`.
SECRET_NAME_RE = re.compile(
    r"(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|PRIVATE_KEY|API_KEY|APIKEY|ACCESS_KEY|CREDENTIALS|_PASS$|^PASS$|"
    r"(?<!TLS)(?<!SSL)_KEY$|^KEY$|WEBHOOK|"
    r"AUTHORIZATION$|AUTH_HEADER$|(?:^|_)JWT$|(?:^|_)BEARER$)", re.I  # a TLS_KEY is usually a file path
)

# Credentials written inside a longer text (a command, a DSN, a URL, any env value): what, and how found.
# A reference (${VAR}, $VAR, {{ db.url }}) in the credential's place is not a credential.
_EMBEDDED_CREDENTIALS = [
    ("a URL with a password", URL_PASSWORD),
    ("a password= setting (libpq DSN)", re.compile(
        r"(?:^|[\s;'\"])(?:password|passwd|pwd)\s*=\s*(?P<v>(?![\s$'\"{])[^\s;'\"]+)", re.I)),
    ("a credential in a URL query", re.compile(
        r"[?&](?:api[_-]?key|key|token|access[_-]?token|secret|password|passwd|auth|sig|signature)="
        r"(?P<v>(?![$&{'\"])[^&\s'\"]+)", re.I)),
    ("user:password after -u/--user", re.compile(
        r"(?:^|\s)(?:-[A-Za-z]*u|--user)[\s=]+['\"]?[^\s:'\"$]+:(?P<v>(?![$\s])[^\s'\"]+)")),
    ("a --password argument", re.compile(
        r"--(?:password|passwd|pass|token|api-key|secret|requirepass)[\s=]+['\"]?(?P<v>(?![$\s-])[^\s'\"]+)", re.I)),
    ("an inline password variable",
     re.compile(r"(?:^|\s)[A-Z_]*(?:PASSWORD|PGPASSWORD|TOKEN|SECRET)=(?P<v>(?![$\s'\"]|$)[^\s'\"]+)")),
    # Sentry-style DSNs: the key is the URL's user part (no password, but a credential all the same).
    ("a key in a URL's user part", re.compile(r"://(?P<v>[0-9A-Za-z]{16,})@")),
]


def embedded_credential(text: str) -> str | None:
    """What kind of credential ``text`` holds in plain text (a password in a URL or DSN, ``curl -u
    user:pass``, a ``?key=`` query, a known token format), or None."""
    found = embedded_credentials(text)
    return found[0][0] if found else None


def embedded_credentials(text: str) -> list[tuple[str, str]]:
    """(what, value) of every credential written in plain text in ``text``, first pattern first."""
    text = text.replace("<redacted>", "$REDACTED")  # a value the compose import already took out
    out: list[tuple[str, str]] = []
    for what, pattern in _EMBEDDED_CREDENTIALS:
        out += [(what, m.group("v")) for m in pattern.finditer(text) if (what, m.group("v")) not in out]
    return out + [found for found in known_tokens(text) if found not in out]


def no_credential_in(text: str | None, where: str, hint: str) -> str | None:
    """``text`` unless it holds a credential in plain text (free text a user writes that is copied into
    ``where``: a template, a report); the error names the kind of credential, never its value."""
    found = embedded_credential(text) if text else None
    if found:
        raise ValueError(f"it holds {found} in plain text, and it is written into {where}: {hint}")
    return text


def _number_not_bool(annotation: Any) -> bool:
    """True when a field of ``annotation`` takes a number but no boolean (pydantic alone would read YAML's
    ``true`` as 1)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _number_not_bool(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        args = get_args(annotation)
        return any(_number_not_bool(a) for a in args) and not any(_takes_bool(a) for a in args)
    return annotation in (int, float)


def _takes_bool(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _takes_bool(get_args(annotation)[0])
    if origin is Literal:
        return any(isinstance(a, bool) for a in get_args(annotation))
    if origin in (Union, types.UnionType):
        return any(_takes_bool(a) for a in get_args(annotation))
    return annotation is bool or annotation is Any


class Strict(BaseModel):
    """Base for every spec model: unknown keys are errors, and a boolean is no number."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, v: Any, info: ValidationInfo) -> Any:
        if isinstance(v, bool) and info.field_name is not None:
            field = cls.model_fields.get(info.field_name)
            if field is not None and _number_not_bool(field.annotation):
                return no_bool(v)
        return v


# --------------------------------------------------------------------------- services


Strategy = Literal["rolling", "blue-green", "canary", "linear"]
RollbackSignal = Literal["5xx", "latency", "unhealthy"]


_PERCENT_TEXT = r"(\d+(?:\.\d+)?)\s*%"


def _percent_of(what: str | None) -> Any:
    """A validator taking a number, or the text 'N%' (and 'N% of WHAT' when ``what`` is given), as N."""
    pattern = re.compile(rf"^\s*{_PERCENT_TEXT}\s*(?:of\s+{what}\s*)?$" if what else rf"^\s*{_PERCENT_TEXT}\s*$")

    def parse(v: Any) -> Any:
        if isinstance(v, str):
            m = pattern.match(v)
            if not m:
                form = f"'N%' or 'N% of {what}'" if what else "'N%'"
                raise ValueError(f"{v!r} is not a percentage: write a number or {form}")
            return float(m[1])
        return v
    return BeforeValidator(parse)


Percent = Annotated[float, _percent_of(None)]
RequestsPercent = Annotated[float, _percent_of("requests")]
#: An integer percent field takes "80%" as 80 too, as an alarm threshold does: Annotated[int, Field(ge=..), N_PERCENT]
#: (the limits before the parser, so the JSON Schema keeps them as minimum/maximum).
N_PERCENT = _percent_of(None)


class CanarySettings(Strict):
    """Canary: this share of production traffic first, then the rest after the bake."""

    percent: Percent = Field(default=10, ge=0.1, le=100, multiple_of=0.1, description="% of traffic first")
    bake_minutes: int = Field(default=10, ge=0, le=1440, description="minutes on the canary share")


class LinearSettings(Strict):
    """Linear: equal steps of production traffic, a bake between steps."""

    percent: Percent = Field(default=10, ge=3, le=100, multiple_of=0.1, description="% of traffic a step")
    step_minutes: int = Field(default=6, ge=0, le=1440, description="minutes between steps")


class Deploy(Strict):
    """How releases roll out (app level; services and environments override any key)."""

    strategy: Strategy = Field(default="rolling", description="rolling | blue-green | canary | linear")
    circuit_breaker: bool = Field(default=True, description="rolling: stop and roll back a release that "
                                                            "never becomes healthy")
    canary: CanarySettings | None = Field(default=None, description="strategy canary: percent, bake_minutes")
    linear: LinearSettings | None = Field(default=None, description="strategy linear: percent, step_minutes")
    bake_minutes: int | None = Field(default=None, ge=0, le=1440,
                                     description="minutes the old version stays up after all traffic moved")
    rollback_on: list[RollbackSignal] | None = Field(
        default=None, description="alarms that stop and revert a release: 5xx, latency, unhealthy")
    smoke: str | None = Field(default=None, pattern=r"^/",
                              description="path checked on the test listener rule before production traffic moves")




class Scaling(Strict):
    """Autoscaling of a service's task count: target tracking on CPU / memory, or on a queue's depth."""

    min: int = Field(ge=0, le=1000, description="fewest tasks")
    max: int = Field(ge=1, le=1000, description="most tasks")
    cpu: Annotated[int, Field(ge=10, le=95), N_PERCENT] | None = Field(
        default=70, description="target average CPU % (off by default with queue)")
    memory: Annotated[int, Field(ge=10, le=95), N_PERCENT] | None = Field(
        default=None, description="target average memory %")
    queue: str | None = Field(default=None, description="a queue the service uses: tasks follow its depth")
    per_task: int | None = Field(default=None, ge=1, le=1_000_000,
                                 description="with queue: visible messages one task handles (default 100)")
    scale_out_cooldown: int = Field(default=60, ge=0, le=3600,
                                    description="seconds after a scale-out before the next one")
    scale_in_cooldown: int = Field(default=300, ge=0, le=3600,
                                   description="seconds after a scale-in before the next one")

    @model_validator(mode="after")
    def _range(self) -> Scaling:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        if self.per_task is not None and self.queue is None:
            raise ValueError("per_task needs queue: the queue whose depth it divides")
        if self.queue is not None:
            self.per_task = self.per_task or 100
            if "cpu" not in self.model_fields_set:
                self.cpu = None  # the queue's depth decides; a CPU target only when asked for
        if self.cpu is None and self.memory is None and self.queue is None:
            raise ValueError("give a cpu or memory target (or a queue)")
        return self

    def describe(self) -> str:
        """The scaling in words, for the environment's decisions: ``1-4 tasks at 60% CPU``."""
        if self.queue:
            return f"{self.min}-{self.max} tasks at {self.per_task} messages a task in queue {self.queue}" + (
                f", {self.cpu}% CPU" if self.cpu is not None else "")
        return f"{self.min}-{self.max} tasks at {self.cpu}% CPU"


_DAY = r"(mon|tue|wed|thu|fri|sat|sun)"
_HOURS = r"([01]\d|2[0-3]):[0-5]\d"


class ScaleToZero(Strict):
    """Scheduled scaling to zero tasks outside working hours (nights and the days not listed)."""

    outside: str = Field(pattern=rf"^{_DAY}(-{_DAY})?(,{_DAY}(-{_DAY})?)* {_HOURS}-{_HOURS}$",
                         description='working hours the service runs, e.g. "mon-fri 07:00-20:00"; zero otherwise')
    timezone: str = Field(default="UTC", description="IANA time zone of those hours, e.g. Asia/Dubai")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import available_timezones

        if v != "UTC" and v not in available_timezones():
            raise ValueError(f"unknown time zone {v!r}: use an IANA name such as Asia/Dubai or Europe/London")
        return v

    @model_validator(mode="after")
    def _hours(self) -> ScaleToZero:
        start, stop = self.outside.split(" ")[1].split("-")
        if start >= stop:
            raise ValueError(f"working hours {start}-{stop} must start before they end (same day)")
        return self

    def _cron(self, at: str) -> str:
        days, hours = self.outside.split(" ")
        hh, mm = hours.split("-")[0 if at == "start" else 1].split(":")
        return f"cron({int(mm)} {int(hh)} ? * {days.upper()} *)"

    @property
    def start_cron(self) -> str:
        """Application Auto Scaling schedule of the start of the working hours."""
        return self._cron("start")

    @property
    def stop_cron(self) -> str:
        """Application Auto Scaling schedule of their end."""
        return self._cron("stop")


class HealthCheck(Strict):
    """The load balancer's HTTP health check for a routed service."""

    path: str = Field(default="/", pattern=r"^/")
    interval: int = Field(default=30, ge=5, le=300)
    timeout: int = Field(default=5, ge=2, le=120)
    healthy: int = Field(default=2, ge=2, le=10)
    unhealthy: int = Field(default=3, ge=2, le=10)
    codes: str = Field(default="200-399", description="HTTP codes that count as healthy")
    grace: int = Field(default=60, ge=0, le=7200, description="seconds ECS waits before acting on it")


class ContainerCheck(Strict):
    """A container health check run by ECS inside the task."""

    command: list[str] = Field(min_length=1, description="CMD / CMD-SHELL form, as in ECS")
    interval: int = Field(default=30, ge=5, le=300)
    timeout: int = Field(default=5, ge=2, le=60)
    retries: int = Field(default=3, ge=1, le=10)
    start_period: int = Field(default=0, ge=0, le=300)


class Volume(Strict):
    """A path in the container. ``persistent`` ones are EFS; the rest are ephemeral task storage."""

    path: str = Field(pattern=r"^/")
    name: str | None = None
    persistent: bool = Field(default=False, description="keep data across tasks (EFS)")
    readonly: bool = False


class Sidecar(Strict):
    """An extra container in the same task (e.g. a tracing agent)."""

    image: str
    port: Port | None = None
    protocol: Literal["tcp", "udp"] = "tcp"
    cpu: int = Field(default=32, ge=0)
    memory: int = Field(default=64, ge=6)
    essential: bool = False
    env: dict[EnvName, EnvValue] = Field(default_factory=dict)
    command: list[str] | None = None


class Build(Strict):
    """Build an image from source (pushed to ECR at deploy)."""

    context: str = "."
    dockerfile: str | None = None
    target: str | None = None
    args: dict[str, str] = Field(default_factory=dict)


ServiceKind = Literal["web", "service", "worker", "job", "scheduled"]


class Service(Strict):
    """One containerised service: a web app, private service, worker, job or scheduled task."""

    image: str | None = Field(default=None, description="image reference; pin a tag or digest")
    build: str | Build | None = Field(default=None, description="build context, or a build block")
    port: Port | None = Field(default=None, description="container port; none for workers")
    ports: list[Port] = Field(default_factory=list, description="more TCP container ports, reached by services "
                              "that use it at its host (Cloud Map)")
    route: str | None = Field(default=None, pattern=ROUTE_PATTERN,
                              description='ALB path pattern, e.g. "/api/*"; absent -> private')
    health: str | HealthCheck | None = Field(default=None, description="health path or health check block")
    healthcheck: ContainerCheck | None = Field(default=None, description="container health command")
    cpu: int | None = Field(default=None, description="Fargate cpu units (256, 512, 1024, ...)")
    memory: int | None = Field(default=None, description="MiB; must pair with cpu as Fargate allows")
    replicas: int | None = Field(default=None, ge=0, le=1000,
                                 description="running tasks; with a profile's autoscaling, also its minimum")
    scaling: Scaling | None = Field(default=None, description="target-tracking autoscaling")
    scale_to_zero: ScaleToZero | None = Field(
        default=None, description="no tasks outside working hours (non-production): outside, timezone")
    min_healthy_percent: Annotated[int, Field(ge=0, le=100), N_PERCENT] | None = Field(
        default=None, description="rollouts keep at least this % of tasks running (default: profile)")
    max_percent: Annotated[int, Field(ge=100, le=200), N_PERCENT] | None = Field(
        default=None, description="rollouts run at most this % of tasks (default: profile)")
    singleton: bool | None = Field(default=None, description="exactly one task, never two (schedulers, cron): no "
                                   "autoscaling, and a rollout stops the old task before starting the new one")
    command: list[str] | str | None = Field(default=None, description="overrides the image CMD")
    entrypoint: list[str] | str | None = Field(default=None, description="overrides the image ENTRYPOINT")
    workdir: str | None = Field(default=None, description="working directory")
    user: str | None = Field(default=None, description="user[:group] to run as")
    env: dict[EnvName, EnvValue] = Field(default_factory=dict, description="plain, non-secret settings")
    secrets: list[str] | dict[EnvName, str] = Field(
        default_factory=list, description="secret names, or ENV_VAR -> secret name"
    )
    uses: list[str] = Field(default_factory=list, description="databases, caches, buckets, queues, services it "
                            "talks to")
    spot: bool = Field(default=False, description="run on Fargate Spot (interruptible, cheaper)")
    arch: Literal["x86_64", "arm64"] = Field(default="x86_64", description="CPU architecture of the image")
    kind: ServiceKind | None = Field(default=None, description="derived from port/route/schedule when absent")
    schedule: str | None = Field(default=None, description="cron(...) or rate(...)")
    run: Literal["before-deploy"] | None = Field(default=None, description="one-shot job run before each deploy")
    volumes: list[Volume] = Field(default_factory=list, description="container paths; persistent ones on EFS")
    sidecars: dict[Name, Sidecar] = Field(default_factory=dict, description="extra containers in the task")
    stop_timeout: int | None = Field(default=None, ge=2, le=120, description="seconds between SIGTERM and SIGKILL")
    readonly_root: bool | None = Field(default=None, description="read-only root filesystem")
    config: list[EnvName] = Field(default_factory=list,
                                  description="names of `config:` values (SSM parameters) injected as env")
    tracing: Literal["xray"] | None = Field(default=None, description="xray: X-Ray daemon sidecar and permissions")
    exec: bool | None = Field(default=None, description="ECS Exec (shell into tasks); profile: off in prod")
    deploy: Deploy | None = Field(default=None, description="release settings for this service only "
                                                           "(any key of the app's `deploy:`)")
    reversible: bool = Field(default=False, description="run: before-deploy jobs: its migration can be rolled "
                                                        "back over (moorage rollback refuses otherwise)")

    @field_validator("health")
    @classmethod
    def _health(cls, v: str | HealthCheck | None) -> str | HealthCheck | None:
        if isinstance(v, str) and not v.startswith("/"):
            raise ValueError(f"health {v!r} must be an HTTP path starting with '/'")
        return v

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^(cron\(.+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$", v):
            raise ValueError(f"schedule {v!r} must be cron(...) or rate(N minutes|hours|days)")
        return v

    @field_validator("cpu")
    @classmethod
    def _cpu(cls, v: int | None) -> int | None:
        if v is not None and v not in fargate_sizes():
            allowed = ", ".join(str(c) for c in sorted(fargate_sizes()))
            raise ValueError(f"cpu {v} is not a Fargate size; use one of {allowed}")
        return v

    @model_validator(mode="after")
    def _shape(self) -> Service:
        if not self.image and not self.build:
            raise ValueError("a service needs an image (or a build)")
        if self.cpu is not None and self.memory is not None and not is_valid_size(self.cpu, self.memory):
            raise ValueError(
                f"cpu {self.cpu} with memory {self.memory} is not a valid Fargate size: "
                + allowed_memory_text(self.cpu)
            )
        kind = self.derived_kind
        if self.route and self.port is None:
            raise ValueError("a routed service needs a port")
        if self.health and self.port is None:
            raise ValueError("an HTTP health check needs a port")
        if kind in ("worker", "job", "scheduled") and self.route:
            raise ValueError(f"a {kind} cannot have a route")
        if kind == "web" and not self.route:
            raise ValueError("kind web needs a route")
        if kind == "scheduled" and not self.schedule:
            raise ValueError("kind scheduled needs a schedule")
        if self.run and self.schedule:
            raise ValueError("choose run: before-deploy or a schedule, not both")
        if self.spot and self.arch == "arm64":
            raise ValueError("Fargate Spot does not run arm64 tasks; use arch: x86_64 or spot: false")
        if self.scaling and kind in ("job", "scheduled"):
            raise ValueError(f"a {kind} cannot autoscale")
        if self.singleton and self.scaling:
            raise ValueError("a singleton never autoscales: drop scaling, or singleton")
        if (self.scale_to_zero or self.min_healthy_percent is not None or self.max_percent is not None) \
                and kind in ("job", "scheduled"):
            raise ValueError(f"a {kind} runs no ECS service: scale_to_zero, min_healthy_percent and max_percent "
                             "are for services")
        if self.singleton and (self.min_healthy_percent is not None or self.max_percent is not None):
            raise ValueError("a singleton rolls out 0%-100% (the old task stops first): drop min_healthy_percent "
                             "and max_percent, or singleton")
        if self.singleton and self.replicas not in (None, 1):
            raise ValueError(f"a singleton runs one task, not replicas: {self.replicas}")
        if self.ports and self.port is None:
            raise ValueError("more ports need a main port: set port")
        ports = [self.port] if self.port else []
        for extra in self.ports:
            if extra in ports:
                raise ValueError(f"port {extra} is listed twice")
            ports.append(extra)
        for name, car in self.sidecars.items():
            if car.port and car.port in ports:
                raise ValueError(f"port clash: sidecar {name!r} uses port {car.port}, already taken in this task")
            if car.port:
                ports.append(car.port)
        return self

    @property
    def derived_kind(self) -> ServiceKind:
        """The kind given, or the one implied by run/schedule/route/port."""
        if self.kind:
            return self.kind
        if self.run:
            return "job"
        if self.schedule:
            return "scheduled"
        if self.route:
            return "web"
        if self.port:
            return "service"
        return "worker"

    @property
    def secret_env(self) -> dict[str, str]:
        """ENV_VAR -> secret name."""
        if isinstance(self.secrets, dict):
            return dict(self.secrets)
        return {s: s for s in self.secrets}

    @property
    def health_check(self) -> HealthCheck | None:
        """The health check block, whichever form was written."""
        if isinstance(self.health, str):
            return HealthCheck(path=self.health)
        return self.health


# --------------------------------------------------------------------------- data stores

DatabaseEngine = Literal["postgres", "aurora-postgresql", "mysql", "aurora-mysql"]


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _overlap(backup: str, maintenance: str) -> bool:
    """True when the daily backup window meets the weekly maintenance window (minutes of the week)."""
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    start, end = maintenance.split("-")
    m0 = days.index(start[:3]) * 1440 + _minutes(start[4:])
    m1 = days.index(end[:3]) * 1440 + _minutes(end[4:])
    b0, b1 = (_minutes(t) for t in backup.split("-"))
    week = 7 * 1440
    for day in range(-1, 8):
        lo = day * 1440 + b0
        hi = lo + ((b1 - b0) % 1440)
        for shift in (-week, 0, week):
            if lo <= m1 + shift and m0 + shift <= hi:  # touching counts: RDS wants a gap
                return True
    return False


class Database(Strict):
    """A managed relational database: RDS or Aurora."""

    engine: DatabaseEngine = "postgres"
    version: str | None = Field(default=None, description='major version, e.g. "16" or "8.0"')
    name: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$", description="database name")
    username: str = Field(default="app", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
    extensions: list[ExtensionName] = Field(default_factory=list,
                                  description="PostgreSQL extensions the bootstrap job creates")
    instance: str | None = Field(default=None, pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    storage: int | None = Field(default=None, ge=20, le=65536, description="GiB (RDS; Aurora grows by itself)")
    max_storage: int | None = Field(default=None, ge=21, le=65536, description="storage autoscaling ceiling")
    storage_type: Literal["gp3", "io2"] | None = None
    iops: int | None = Field(default=None, ge=1000)
    replicas: int = Field(default=0, ge=0, le=15, description="read replicas")
    replica_instance: str | None = Field(default=None, pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$",
                                         description="instance class of the read replicas (default: instance)")
    backup_window: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$",
                                      description='daily automated backup window, UTC, e.g. "02:00-03:00"')
    maintenance_window: str | None = Field(
        default=None, pattern=r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-"
                              r"(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$",
        description='weekly maintenance window, UTC, e.g. "sun:04:00-sun:05:00"')
    parameters: dict[str, Annotated[str | int, NoBool]] = Field(default_factory=dict,
                                                                description="parameter group settings")
    multi_az: bool | None = None
    backup_days: int | None = Field(default=None, ge=1, le=35)
    deletion_protection: bool | None = None
    performance_insights: bool | None = None
    schemas: list[SchemaName] = Field(
        default_factory=list,
        description="schemas the bootstrap job creates; a service named after one (or svc-NAME) gets its own login")
    password: Literal["generated", "managed"] = Field(
        default="generated", description="generated: a secret moorage creates; managed: RDS owns and rotates it")
    monitoring_interval: Literal[0, 1, 5, 10, 15, 30, 60] | None = Field(
        default=None, description="enhanced monitoring seconds (0 = off)")
    backup_region: str | None = Field(default=None, description="copy automated backups to this region (RDS)")
    proxy: bool = Field(default=False, description="RDS Proxy in front: pooled connections, faster failover")
    rotate_days: int | None = Field(
        default=None, ge=1, le=365, description="rotate the password every N days: a rotation schedule on the "
        "secret RDS manages (password: managed), or a state machine that sets a new generated password and "
        "redeploys its readers (only when set here; see docs/deploy.md)")

    @model_validator(mode="after")
    def _storage(self) -> Database:
        if self.iops and self.storage_type != "io2":
            raise ValueError("iops is set only with storage_type: io2")
        if self.storage_type == "io2" and not self.iops:
            raise ValueError("io2 is provisioned-IOPS storage: set iops (1000 or more)")
        if self.backup_region and self.engine.startswith("aurora"):
            raise ValueError("backup_region copies RDS instance backups; Aurora needs a global database")
        if self.backup_window and self.maintenance_window and _overlap(self.backup_window, self.maintenance_window):
            raise ValueError("backup_window and maintenance_window overlap: RDS refuses that")
        if self.replica_instance and not self.replicas:
            raise ValueError("replica_instance is the class of read replicas: set replicas too")
        if self.storage and self.max_storage and self.max_storage <= self.storage:
            raise ValueError("max_storage must be greater than storage")
        if self.engine.startswith("aurora") and (self.storage or self.storage_type):
            raise ValueError("Aurora storage grows by itself: drop storage/storage_type")
        return self

    @property
    def family(self) -> Literal["postgres", "mysql"]:
        """postgres or mysql, whatever the flavour."""
        return "postgres" if "postgres" in self.engine else "mysql"

    @property
    def aurora(self) -> bool:
        """True for Aurora engines."""
        return self.engine.startswith("aurora")


class Cache(Strict):
    """A managed Redis-compatible cache: ElastiCache replication group."""

    engine: Literal["redis", "valkey"] = "redis"
    version: str | None = None
    node_type: str | None = Field(default=None, pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$")
    nodes: int | None = Field(default=None, ge=1, le=6, description="nodes per shard (primary + replicas)")
    cluster_mode: bool = Field(default=False, description="shard across node groups")
    shards: int | None = Field(default=None, ge=1, le=500)
    backup_days: int | None = Field(default=None, ge=0, le=35)
    client: str | None = Field(default=None,
                               description="client library (bullmq, sidekiq...): warns about cluster mode")
    rotate_days: int | None = Field(default=None, ge=1, le=365,
                                    description="rotate the AUTH token every N days: a schedule starts a state "
                                    "machine that adds a new token, redeploys the readers, then drops the old one")

    @model_validator(mode="after")
    def _shards(self) -> Cache:
        if self.shards and not self.cluster_mode:
            raise ValueError("shards needs cluster_mode: true")
        return self


class LifecycleRule(Strict):
    """An S3 lifecycle rule."""

    prefix: str = ""
    transition: dict[Literal["STANDARD_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"],
                     Annotated[int, NoBool]] = (
        Field(default_factory=dict, description="storage class -> days after creation")
    )
    expire_days: int | None = Field(default=None, ge=1)
    noncurrent_expire_days: int | None = Field(default=None, ge=1)
    abort_multipart_days: int | None = Field(default=7, ge=1)


class CorsRule(Strict):
    """A CORS rule (e.g. for presigned PUT uploads from the browser)."""

    origins: list[str] = Field(min_length=1)
    methods: list[Literal["GET", "PUT", "POST", "DELETE", "HEAD"]] = Field(min_length=1)
    headers: list[str] = Field(default_factory=lambda: ["*"])
    max_age: int = 3600


class Tiering(Strict):
    """S3 Intelligent-Tiering: objects move there at once, and on to the archive tiers when unread."""

    archive: int | None = Field(default=None, ge=90, le=730, description="days unread -> Archive Access")
    deep_archive: int | None = Field(default=None, ge=180, le=730, description="days unread -> Deep Archive Access")

    @model_validator(mode="after")
    def _order(self) -> Tiering:
        if self.archive and self.deep_archive and self.deep_archive <= self.archive:
            raise ValueError("deep_archive must come after archive")
        return self


class Bucket(Strict):
    """An S3 bucket: private and encrypted unless said otherwise."""

    versioning: bool | None = None
    access_logs: bool | None = Field(default=None, description="S3 server access logs to the environment's log "
                                     "bucket; default: the profile's (on in prod)")
    tiering: Tiering | None = Field(default=None, description="Intelligent-Tiering with archive tiers")
    lifecycle: list[LifecycleRule] = Field(default_factory=list)
    cors: list[CorsRule] = Field(default_factory=list)
    public: bool = Field(default=False, description="serve objects publicly (off unless asked)")
    access: dict[Name, Literal["read", "write", "readwrite"]] = Field(
        default_factory=dict, description="service -> access; default readwrite for services that use it"
    )

    @model_validator(mode="after")
    def _tiers(self) -> Bucket:
        if self.tiering and any(r.transition for r in self.lifecycle):
            raise ValueError("tiering moves every object to INTELLIGENT_TIERING; lifecycle transitions to other "
                             "classes would take them out of it again: use one or the other")
        return self


class DeadLetter(Strict):
    """A queue's dead-letter queue: messages that failed this often are kept there (14 days) for inspection."""

    max_receives: int = Field(default=5, ge=1, le=1000, description="receives before a message moves to the DLQ")


class Queue(Strict):
    """An SQS queue with a dead-letter queue, encrypted (the environment's key when it has one)."""

    fifo: bool = Field(default=False, description="first-in-first-out with exactly-once processing")
    dlq: DeadLetter = Field(default_factory=DeadLetter, description="dead-letter queue: max_receives")
    retention_days: int = Field(default=4, ge=1, le=14, description="days an unprocessed message is kept")
    visibility_seconds: int = Field(default=30, ge=0, le=43200,
                                    description="seconds a received message stays hidden from other consumers")


# A Lambda function's ARN, optionally with a version or alias.
LAMBDA_ARN = r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$"


class Secret(Strict):
    """A secret in Secrets Manager. Its value never appears in moorage's input or output."""

    generate: bool = Field(default=True, description="generate a random value at first deploy")
    length: int = Field(default=40, ge=16, le=4096)
    description: str | None = None
    external: str | None = Field(default=None, description="ARN of an existing secret to reference instead")
    rotate_days: int | None = Field(default=None, ge=1, le=1000, description="rotation period: runs "
                                    "rotation_function every N days, or without one sends a reminder to the "
                                    "warning alarm destination")
    previous: bool = Field(default=False, description="also inject NAME_PREVIOUS, the value before the last "
                           "rotation (AWSPREVIOUS): signing keys that verify old tokens while new ones are issued")
    rotation_function: str | None = Field(
        default=None, pattern=LAMBDA_ARN,
        description="ARN of your Lambda rotation function: with rotate_days, a rotation schedule on the secret "
        "runs it every N days and the services that read the secret are redeployed when it succeeds")

    @field_validator("description")
    @classmethod
    def _description(cls, v: str | None) -> str | None:
        # the description is the secret's Description in the template, readable by anyone who reads the stack
        return no_credential_in(v, "the template", "describe the secret in words and set its value with "
                                "`moorage secrets set`")

    @model_validator(mode="after")
    def _ext(self) -> Secret:
        if self.external and not self.external.startswith("arn:"):
            raise ValueError("external must be the ARN of an existing secret (arn:aws:secretsmanager:...)")
        if self.rotation_function and not self.rotate_days:
            raise ValueError("rotation_function needs rotate_days (how often Secrets Manager runs it)")
        if self.rotation_function and self.external:
            raise ValueError("rotation_function needs a secret moorage creates; an external secret's rotation is "
                             "set where that secret is defined")
        if self.external and self.previous:
            raise ValueError("previous needs a secret moorage creates (it gives it a previous version before the "
                             "first task starts); an external secret's versions are yours")
        return self


# --------------------------------------------------------------------------- app level


class Domain(Strict):
    """Public DNS name: ACM certificate, HTTPS listener and (with a zone) the Route 53 record."""

    name: str = Field(max_length=253, pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
    zone_id: str | None = Field(default=None, pattern=r"^Z[A-Z0-9]{1,31}$", description="Route 53 hosted zone id")
    certificate_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:acm:")
    health: str | None = Field(default=None, pattern=r"^/", description="Route 53 health check path (HTTPS 443)")


class Encryption(Strict):
    """Which KMS key encrypts data at rest."""

    key: Literal["aws", "customer"] | None = Field(
        default=None, description="aws: AWS-managed keys; customer: one rotating key per environment; "
        "default: the profile's (customer in prod)")


class Cdn(Strict):
    """CloudFront in front of the load balancer (needs a domain with a Route 53 zone)."""

    enabled: bool = True
    static: list[str] = Field(default_factory=list, description='path patterns cached at the edge, e.g. "/_next/*"')
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = "PriceClass_100"


PreviewDataMode = Literal["shared", "own"]


class PreviewData(Strict):
    """Per kind of data store: does a preview share its base's (`shared`) or get its own small ones (`own`)?"""

    databases: PreviewDataMode = Field(default="shared", description="shared: the base's databases; own: one "
                                       "small, single-AZ, empty database each, deleted with the preview")
    caches: PreviewDataMode = Field(default="shared", description="shared: the base's caches; own: one "
                                    "single-node cache each, deleted with the preview")
    buckets: PreviewDataMode = Field(default="shared", description="shared: the base's buckets; own: empty "
                                     "buckets, emptied and deleted with the preview")
    from_snapshot: Literal["latest"] | None = Field(
        default=None, description="latest: each own database starts from the newest available snapshot of the "
        "base's (picked at the preview's first deploy and kept), instead of empty; needs databases: own")

    @model_validator(mode="after")
    def _snapshot_needs_own(self) -> PreviewData:
        if self.from_snapshot and self.databases != "own":
            raise ValueError("from_snapshot restores the preview's own databases: set databases: own")
        return self


class Previews(Strict):
    """Short-lived preview environments (`moorage deploy --env pr-42 --preview-of staging`)."""

    ttl_hours: int = Field(default=72, ge=1, le=24 * 90,
                           description="hours after its last deploy when a preview counts as expired")
    data: PreviewDataMode | PreviewData = Field(
        default="shared", description="shared: a preview reads its base environment's data stores (and writes "
        "them); own: it gets its own small ones, deleted with it; or per kind: {databases: own, caches: shared, "
        "buckets: own}")

    def data_mode(self, block: str) -> str:
        """``shared`` or ``own`` for the data stores of spec block ``block``: only databases, caches and buckets
        can be a preview's own; everything else (queues, user pools, secrets, config) is always the base's."""
        if block not in PreviewData.model_fields:
            return "shared"
        if isinstance(self.data, str):
            return self.data
        return str(getattr(self.data, block, "shared"))


class Registry(Strict):
    """ECR repositories for services built from source."""

    keep: int = Field(default=10, ge=1, le=1000, description="tagged images kept per repository")
    scan: bool = Field(default=True, description="scan images on push")
    services: Literal["built", "all"] = Field(
        default="built", description="built: a repository per service with `build:`; all: one for every service, "
        "also those running a published image (for a CI that pushes there)")


class UserPool(Strict):
    """A Cognito user pool: created, or an existing one referenced."""

    existing: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:cognito-idp:",
                                 description="ARN of an existing user pool")
    client_id: str | None = Field(default=None, description="app client id of the existing pool")
    mfa: Literal["OFF", "OPTIONAL", "ON"] = "OPTIONAL"
    actions: list[str] = Field(
        default_factory=lambda: ["AdminGetUser", "AdminCreateUser", "ListUsers"],
        description="cognito-idp actions the services that use it may call on it")


class Network(Strict):
    """VPC layout overrides; the profile decides what is not given."""

    cidr: str = Field(default="10.0.0.0/16", pattern=r"^10\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.0\.0/16$",
                      description="a 10.N.0.0/16 block")
    azs: int | None = Field(default=None, ge=2, le=3)
    nat: Literal["none", "single", "per-az"] | None = None
    flow_logs: bool | None = None


AlarmName = Literal["cpu_percent", "memory_percent", "target_5xx_per_minute", "target_5xx_percent",
                    "latency_seconds", "healthy_hosts_min",
                    "db_cpu_percent", "db_connections", "db_storage_percent", "db_free_storage_gib",
                    "db_replica_lag_seconds",
                    "cache_cpu_percent", "cache_evictions", "health_check"]
Severity = Literal["critical", "warning"]
_HTTPS_URL = r"^https://[A-Za-z0-9.-]+(:\d+)?(/[^\s]*)?$"


class SlackChannel(Strict):
    """A Slack channel reached through AWS Chatbot (the workspace is authorised once in the Chatbot console)."""

    workspace_id: str = Field(pattern=r"^T[A-Z0-9]{1,20}$", description="Slack workspace (team) id, T...")
    channel_id: str = Field(pattern=r"^[A-Z0-9]{9,11}$", description="Slack channel id, C...")


class TeamsChannel(Strict):
    """A Microsoft Teams channel reached through AWS Chatbot (the team is authorised once in the console)."""

    team_id: str = Field(pattern=r"^[0-9a-fA-F-]{36}$", description="Microsoft Teams team id")
    channel_id: str = Field(pattern=r"^\S{1,256}$", description="Teams channel id (19:...@thread.tacv2)")
    tenant_id: str = Field(pattern=r"^[0-9a-fA-F-]{36}$", description="Microsoft Entra tenant id")

    @property
    def channel_url_id(self) -> str:
        """The channel id URL-encoded, as AWS Chatbot wants it (19%3A...%40thread.tacv2); given either way."""
        return self.channel_id if "%" in self.channel_id else quote(self.channel_id, safe="")


class Destinations(Strict):
    """Who hears alarms of one severity."""

    email: str | list[str] = Field(default_factory=list, description="address, or list of addresses")
    webhook: list[str] = Field(default_factory=list, description="HTTPS endpoints subscribed to the topic")
    pagerduty: str | None = Field(
        default=None, pattern=r"^https://events\.(eu\.)?pagerduty\.com/integration/[A-Za-z0-9]+/enqueue$",
        description="PagerDuty's events endpoint of an Amazon CloudWatch integration "
                    "(https://events.pagerduty.com/integration/KEY/enqueue)")
    slack: list[SlackChannel] = Field(default_factory=list, description="Slack channels (AWS Chatbot)")
    teams: list[TeamsChannel] = Field(default_factory=list, description="Microsoft Teams channels (AWS Chatbot)")

    @field_validator("webhook")
    @classmethod
    def _https(cls, v: list[str]) -> list[str]:
        for url in v:
            if not re.match(_HTTPS_URL, url):
                raise ValueError(f"webhook {url!r} must be an https:// URL")
            if embedded_credential(url):
                raise ValueError(f"webhook {url!r} carries a credential: it would be written into the template; "
                                 "use an endpoint that authenticates otherwise")
        return v

    @property
    def emails(self) -> list[str]:
        """The addresses as a list."""
        return [self.email] if isinstance(self.email, str) else list(self.email)

    @property
    def empty(self) -> bool:
        """True when nobody is named."""
        return not (self.emails or self.webhook or self.pagerduty or self.slack or self.teams)



#: The thresholds that are a share of a whole (every alarm on them is "above N%"): N must lie strictly between 0
#: and 100, or the alarm fires on every reading (0) or never (100: no metric exceeds the whole).
ALARM_SHARES = ("cpu_percent", "memory_percent", "target_5xx_percent", "db_cpu_percent", "db_storage_percent",
                "cache_cpu_percent")
_SHARE: dict[str, Any] = {"exclusiveMinimum": 0, "exclusiveMaximum": 100}


def alarm_share(value: float, name: str, of: str = "the whole") -> float:
    """``value`` when it is a usable "above N% (of ``of``)" threshold for alarm ``name``; else a custom error
    whose message names the allowed range and whose ``hint`` (context) gives a working example."""
    if 0 < value < 100:
        return value
    why = (f"no reading ever exceeds {of}, so the alarm would never fire" if value >= 100
           else "every reading is above it, so the alarm would fire all the time")
    raise PydanticCustomError("alarm_share", "{shown}% is not a usable threshold: {why}; give a percentage above 0 "
                              "and below 100", {"shown": f"{value:g}", "why": why,
                                                "hint": f"e.g. {name}: 85 (or \"85%\"); leave it out for the "
                                                        "profile's default"})



class AlarmThresholds(Strict):
    """Alarm thresholds; each one not given is the profile's (data/profiles.yaml alarm_thresholds). A threshold is
    absolute (a number), a percentage of capacity (`db_connections: "80%"`: of the database's max_connections;
    `db_storage_percent: "85%"`: of its allocated storage)
    or a rate (`target_5xx_percent: "1% of requests"`)."""

    cpu_percent: Percent | None = Field(default=None, json_schema_extra=_SHARE,
                                        description="service CPU % (85 or \"85%\")")
    memory_percent: Percent | None = Field(default=None, json_schema_extra=_SHARE,
                                           description="service memory % (85 or \"85%\")")
    target_5xx_per_minute: float | None = Field(
        default=None, ge=0, description="5XX responses a minute: a count alarm (none unless given)")
    target_5xx_percent: RequestsPercent | None = Field(
        default=None, json_schema_extra=_SHARE,
        description="5XX responses as a % of requests (\"1% of requests\"): a metric-math rate alarm")
    latency_seconds: float | None = Field(default=None, gt=0, description="average response time, seconds")
    healthy_hosts_min: float | None = Field(default=None, ge=1, description="fewest healthy targets")
    db_cpu_percent: Percent | None = Field(default=None, json_schema_extra=_SHARE, description="database CPU %")
    db_connections: float | str | None = Field(
        default=None, description="database connections: a count (80), or a % of max_connections (\"80%\")")
    db_storage_percent: Percent | None = Field(
        default=None, json_schema_extra=_SHARE,
        description="database storage used, % of the allocated storage (\"85%\"); RDS only: Aurora grows by itself")
    db_free_storage_gib: float | None = Field(default=None, gt=0,
                                              description="free database storage, GiB (none unless given)")
    db_replica_lag_seconds: float | None = Field(default=None, gt=0, description="read replica lag, seconds")
    cache_cpu_percent: Percent | None = Field(default=None, json_schema_extra=_SHARE,
                                              description="cache engine CPU %")
    cache_evictions: float | None = Field(default=None, ge=0, description="cache evictions per 5 minutes")
    queue_oldest_message_seconds: float | None = Field(default=None, gt=0,
                                                       description="age of a queue's oldest message, seconds")

    @field_validator(*ALARM_SHARES)
    @classmethod
    def _share(cls, v: float | None, info: ValidationInfo) -> float | None:
        if v is not None:
            alarm_share(v, str(info.field_name))
        return v

    @field_validator("db_connections")
    @classmethod
    def _connections(cls, v: float | str | None) -> float | str | None:
        if isinstance(v, str):
            m = re.match(rf"^\s*{_PERCENT_TEXT}\s*$", v)
            if not m:
                raise ValueError(f"{v!r}: write a count of connections (80) or a percentage of the database's "
                                 "max_connections above 0 and below 100 (\"80%\")")
            alarm_share(float(m[1]), "db_connections", "the database's max_connections")
            return f"{float(m[1]):g}%"
        if v is not None and v <= 0:
            raise ValueError(f"{v!r}: a count of connections is above 0")
        return v


class Alarms(Strict):
    """Where alarms go, how they are split by severity, and their thresholds."""

    email: str | list[str] = Field(default_factory=list,
                                   description="address, or list of addresses: hears every alarm")
    topic_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:sns:",
                                  description="existing SNS topic for critical alarms")
    critical: Destinations = Field(default_factory=Destinations, description="who hears critical alarms")
    warning: Destinations = Field(default_factory=Destinations,
                                  description="who hears warnings (default: the critical destinations)")
    thresholds: AlarmThresholds = Field(default_factory=AlarmThresholds, description="threshold per alarm")
    severity: dict[AlarmName, Severity] = Field(
        default_factory=dict, description="alarm -> critical | warning, over the defaults")

    @property
    def emails(self) -> list[str]:
        """The addresses as a list."""
        return [self.email] if isinstance(self.email, str) else list(self.email)


class Budget(Strict):
    """Monthly budget with alerts."""

    monthly: float = Field(gt=0, description="USD per month")
    email: str | list[str] = Field(default_factory=list, description="address, or list of addresses")

    @property
    def emails(self) -> list[str]:
        """The addresses as a list."""
        return [self.email] if isinstance(self.email, str) else list(self.email)


class Logs(Strict):
    """Log retention override (days); the profile decides otherwise."""

    retention: int | None = None

    @field_validator("retention")
    @classmethod
    def _retention(cls, v: int | None) -> int | None:
        allowed = load_data("profiles")["log_retention_values"]
        if v is not None and v not in allowed:
            raise ValueError(f"CloudWatch keeps logs for one of {allowed} days, not {v}")
        return v


class Suppression(Strict):
    """An accepted policy finding: it stays in every report, marked with the reason."""

    rule: str = Field(description="rule id or glob, e.g. MOO-S3-001")
    resource: str = Field(default="*", description="logical id, stack/logical id, or glob")
    reason: str = Field(min_length=10, description="why the finding is acceptable")
    environments: list[str] = Field(default_factory=list, description="only these environments (default: all)")

    @field_validator("reason")
    @classmethod
    def _reason(cls, v: str) -> str:
        return no_credential_in(v, "every policy report", "give the reason in words") or v


class EnvironmentOverride(Strict):
    """Per-environment settings; any app-level block may be partially overridden here."""

    profile: Profile | None = Field(default=None, description="dev | staging | prod (derived from the name)")
    region: str | None = None
    domain: str | Domain | None = None
    network: dict[str, Any] | None = None
    logs: dict[str, Any] | None = None
    services: dict[str, dict[str, Any]] = Field(default_factory=dict)
    databases: dict[str, dict[str, Any]] = Field(default_factory=dict)
    caches: dict[str, dict[str, Any]] = Field(default_factory=dict)
    buckets: dict[str, dict[str, Any]] = Field(default_factory=dict)
    queues: dict[str, dict[str, Any]] = Field(default_factory=dict)
    alarms: dict[str, Any] | None = None
    budget: dict[str, Any] | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    forbid_env: list[EnvName] = Field(default_factory=list, description="variables that must not be set here")
    encryption: dict[str, Any] | None = None
    cdn: bool | dict[str, Any] | None = None
    config: dict[EnvName, EnvValue] = Field(default_factory=dict)
    registry: dict[str, Any] | None = None
    deploy: dict[str, Any] | None = Field(default=None, description="release settings here (keys of `deploy:`)")


class AppSpec(Strict):
    """A whole application: services, data stores, and the environments it runs in."""

    name: Name = Field(description="app name; used in every resource name")
    region: str = Field(default="us-east-1", description="AWS region of every stack")
    residency: str | list[str] | None = Field(default=None, description="preset (uae, eu, ...) or region list")
    domain: str | Domain | None = Field(default=None, description="public name: HTTPS, certificate, DNS")
    services: dict[Name, Service] = Field(min_length=1, description="the containers to run")
    databases: dict[Name, Database] = Field(default_factory=dict, description="RDS / Aurora databases")
    caches: dict[Name, Cache] = Field(default_factory=dict, description="ElastiCache Redis / Valkey")
    buckets: dict[Name, Bucket] = Field(default_factory=dict, description="S3 buckets")
    queues: dict[Name, Queue] = Field(default_factory=dict, description="SQS queues (each with a dead-letter "
                                      "queue)")
    secrets: dict[EnvName, Secret] = Field(default_factory=dict, description="Secrets Manager secrets")
    config: dict[EnvName, EnvValue] = Field(default_factory=dict,
                                            description="non-secret settings in SSM Parameter Store")
    user_pools: dict[Name, UserPool] = Field(default_factory=dict, description="Cognito user pools")
    environments: dict[Name, EnvironmentOverride] = Field(
        default_factory=lambda: {"dev": EnvironmentOverride(), "staging": EnvironmentOverride(),
                                 "prod": EnvironmentOverride()},
        description="environments and their overrides",
    )
    network: Network = Field(default_factory=Network, description="VPC layout")
    logs: Logs = Field(default_factory=Logs, description="log retention")
    deploy: Deploy = Field(default_factory=Deploy, description="release strategy")
    alarms: Alarms = Field(default_factory=Alarms, description="who hears alarms")
    budget: Budget | None = Field(default=None, description="monthly cost budget")
    tags: dict[str, str] = Field(default_factory=dict, description="extra tags on every resource")
    forbid_env: list[EnvName] = Field(default_factory=list, description="variables never allowed in prod")
    suppress: list[Suppression] = Field(default_factory=list, description="accepted policy findings")
    encryption: Encryption = Field(default_factory=Encryption, description="KMS keys for data at rest")
    cdn: bool | Cdn = Field(default=False, description="CloudFront in front of the load balancer")
    registry: Registry = Field(default_factory=Registry, description="ECR for services with `build:`")
    previews: Previews | None = Field(default=None, description="preview environments per pull request: their "
                                      "base environments keep listener priorities below 1000 free for them")

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        regions = load_data("regions")["regions"]
        if v not in regions:
            raise ValueError(f"unknown AWS region {v!r}")
        return v

    @field_validator("residency")
    @classmethod
    def _residency(cls, v: str | list[str] | None) -> str | list[str] | None:
        if isinstance(v, str) and v not in residency_presets():
            raise ValueError(f"unknown residency preset {v!r}; presets: {', '.join(residency_presets())}")
        if isinstance(v, list):
            bad = [r for r in v if not is_region(r)]
            if bad:
                raise ValueError(f"unknown AWS region(s) in residency: {', '.join(bad)}")
        return v

    @field_validator("config")
    @classmethod
    def _config(cls, v: dict[str, EnvValue]) -> dict[str, EnvValue]:
        bad = [k for k in v if SECRET_NAME_RE.search(k)]
        if bad:
            raise ValueError(f"{', '.join(bad)} looks like a credential: put it under `secrets:`, not `config:`")
        return v

    @property
    def cdn_spec(self) -> Cdn | None:
        """The CDN block when CloudFront is on."""
        cdn = Cdn() if self.cdn is True else (self.cdn or None)
        return cdn if cdn and cdn.enabled else None

    @property
    def domain_spec(self) -> Domain | None:
        """The domain block, whichever form was written."""
        if isinstance(self.domain, str):
            return Domain(name=self.domain)
        return self.domain


# --------------------------------------------------------------------------- patterns in words

#: Every ``pattern=`` of these models in words, with an example that matches: a value that does not match is told
#: what is expected (spec.validate), never shown the regular expression. tests/spec checks that none is missing.
PATTERN_FORMS: dict[str, tuple[str, str]] = {
    NAME_PATTERN: ("a name of lower-case letters, digits and '-' (2-40 characters, starting with a letter)",
                   "api-worker"),
    ENV_NAME_PATTERN: ("an environment variable name (letters, digits, '_' and '.', not starting with a digit)",
                       "DATABASE_URL"),
    r"^[a-z_][a-z0-9_]{0,62}$": ("a PostgreSQL schema name (lower-case letters, digits and '_', at most 63)",
                                 "billing"),
    r"^[a-z][a-z0-9_-]{0,62}$": ("a PostgreSQL extension name (lower-case letters, digits, '_' and '-')",
                                 "pg_trgm"),
    r"^/": ("a path starting with '/'", "/health"),
    ROUTE_PATTERN: ("an ALB path pattern: '/' and at most 127 more of A-Z a-z 0-9 _ - . $ / ~ \" ' @ : + & and the "
                    "wildcards * (any characters) and ? (one character); no spaces or brackets", "/api/*"),
    ScaleToZero.model_fields["outside"].metadata[0].pattern: (
        "days and working hours", "mon-fri 07:00-20:00"),
    r"^[A-Za-z][A-Za-z0-9_]{0,62}$": ("a database name (a letter, then letters, digits and '_', at most 63)",
                                      "shop"),
    r"^[A-Za-z][A-Za-z0-9_]{0,15}$": ("a database user name (a letter, then letters, digits and '_', at most 16)",
                                      "app"),
    r"^db\.[a-z0-9]+\.[a-z0-9]+$": ("an RDS instance class", "db.t4g.micro"),
    r"^cache\.[a-z0-9]+\.[a-z0-9]+$": ("an ElastiCache node type", "cache.t4g.micro"),
    r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$": ("a daily window HH:MM-HH:MM (UTC)", "02:00-03:00"),
    Database.model_fields["maintenance_window"].metadata[0].pattern: (
        "a weekly window ddd:HH:MM-ddd:HH:MM (UTC)", "sun:04:00-sun:05:00"),
    LAMBDA_ARN: ("the ARN of a Lambda function (arn:aws:lambda:REGION:ACCOUNT:function:NAME, optionally "
                 ":VERSION or :ALIAS)", "arn:aws:lambda:eu-west-1:123456789012:function:rotate-api-key"),
    r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$": ("a lower-case DNS name", "app.example.com"),
    r"^Z[A-Z0-9]{1,31}$": ("a Route 53 hosted zone id (Z and upper-case letters and digits)", "Z0123456789ABCDEFGHIJ"),
    r"^arn:aws[a-z-]*:acm:": ("the ARN of an ACM certificate",
                              "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-1234-5678-9abc-0123456789ab"),
    r"^arn:aws[a-z-]*:cognito-idp:": ("the ARN of a Cognito user pool",
                                      "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_AbCdEfGhI"),
    Network.model_fields["cidr"].metadata[0].pattern: ("a 10.N.0.0/16 block", "10.20.0.0/16"),
    r"^T[A-Z0-9]{1,20}$": ("a Slack workspace id (T and upper-case letters and digits)", "T0123ABCD"),
    r"^[A-Z0-9]{9,11}$": ("a Slack channel id (9-11 upper-case letters and digits)", "C0123ABCDE"),
    r"^[0-9a-fA-F-]{36}$": ("a Microsoft id (a 36-character GUID)", "0a1b2c3d-1234-5678-9abc-0123456789ab"),
    r"^\S{1,256}$": ("a Teams channel id (no spaces)", "19:0a1b2c3d4e5f@thread.tacv2"),
    Destinations.model_fields["pagerduty"].metadata[0].pattern: (
        "PagerDuty's events endpoint of an Amazon CloudWatch integration",
        "https://events.pagerduty.com/integration/0123456789abcdef/enqueue"),
    r"^arn:aws[a-z-]*:sns:": ("the ARN of an SNS topic", "arn:aws:sns:eu-west-1:123456789012:ops-alarms"),
}
