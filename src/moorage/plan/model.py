"""The Plan: every resource decision for one environment, grouped into stacks.

Renderers translate a Plan into CloudFormation; they make no decisions of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from moorage.errors import Diagnostic
from moorage.plan.bootstrap_sql import DatabaseUser
from moorage.resolve.environment import (
    Decision,
    EnvSpec,
    ResolvedBucket,
    ResolvedCache,
    ResolvedDatabase,
    ResolvedSecret,
    ResolvedService,
)

Tier = Literal["public", "private", "isolated"]


@dataclass(frozen=True)
class Subnet:
    """One subnet: its tier, AZ index and CIDR."""

    tier: Tier
    az: int
    cidr: str

    @property
    def key(self) -> str:
        """Stable name, e.g. ``private-1``."""
        return f"{self.tier}-{self.az + 1}"


@dataclass
class NetworkPlan:
    """VPC layout."""

    cidr: str
    azs: int
    subnets: list[Subnet]
    nat_gateways: int
    flow_logs: bool
    flow_log_retention: int
    s3_endpoint: bool = True


@dataclass(frozen=True)
class Rule:
    """One security-group rule. ``peer`` is another group's key, or a CIDR."""

    port: int
    peer: str
    description: str
    to_port: int | None = None
    protocol: str = "tcp"

    @property
    def peer_is_cidr(self) -> bool:
        """True when the peer is a CIDR block, not a group."""
        return "/" in self.peer


@dataclass(frozen=True)
class PlacedRule:
    """A group-to-group rule of ``group`` (``in`` or ``out``), rendered in another stack than the group's."""

    group: str
    direction: Literal["in", "out"]
    rule: Rule


@dataclass
class SecurityGroup:
    """A security group with its ingress and egress rules (no egress rules = no egress)."""

    key: str
    description: str
    ingress: list[Rule] = field(default_factory=list)
    egress: list[Rule] = field(default_factory=list)


@dataclass(frozen=True)
class RouteRule:
    """An ALB listener rule."""

    service: str
    path: str
    priority: int
    edge: str = "edge"  # the stack of the load balancer whose listener holds this rule
    host: str | None = None  # a host-header condition too (a preview's own name on its base's listener)


@dataclass
class EdgePlan:
    """The public entry: one ALB, its listeners and protections (one per 100 routes: docs/scale.md)."""

    https: bool
    domain: str | None
    zone_id: str | None
    certificate_arn: str | None
    routes: list[RouteRule]
    waf: bool
    access_logs: bool
    deletion_protection: bool
    health_path: str | None = None  # Route 53 health check of the public name
    cdn_static: tuple[str, ...] = ()
    cdn_price_class: str | None = None  # set when CloudFront fronts the load balancer
    # Port 80 (listener and ingress): off behind CloudFront, which redirects viewers to HTTPS at the edge and
    # reaches the origin over HTTPS only, so nobody legitimate ever uses it.
    http_listener: bool = True
    tls_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    idle_timeout: int = 60
    logs_in_data: bool = False  # access logs go to the data stack's log bucket (one log bucket per environment)
    waf_rule_groups: tuple[str, ...] = (
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    )
    key: str = "edge"  # its stack; past 100 routes the next load balancers are edge-2, edge-3 ...
    security_group: str = "alb"
    preview_hosts: str | None = None  # ``*.<domain>``: certificate name and DNS record of previews' hosts


@dataclass(frozen=True)
class EnvRef:
    """A value taken from something the service uses: ``{{ target.attribute }}``."""

    kind: str  # a kind of the registry (moorage.kinds: database, cache, bucket, user_pool ...) or "service"
    target: str
    attribute: str


@dataclass(frozen=True)
class PlainValue:
    """An env value: literal text with embedded references, in order."""

    parts: tuple[str | EnvRef, ...]


@dataclass(frozen=True)
class SecretValue:
    """An env value injected from Secrets Manager."""

    kind: Literal["app-secret", "database", "database-user", "cache", "config"]
    target: str
    attribute: str | None = None  # a JSON key of the secret, or None for the whole value
    stage: str | None = None  # a version stage (AWSPREVIOUS), or None for the current value


@dataclass(frozen=True)
class Permission:
    """One IAM statement of a task role."""

    sid: str
    actions: tuple[str, ...]
    # symbolic: "bucket:NAME", "bucket-objects:NAME", "user-pool:NAME", "<kind>:NAME" (that resource's ARN output),
    # "key", "exec-logs", or "*"
    resources: tuple[str, ...]


@dataclass
class ServicePlan:
    """One service's deployment: its stack, wiring and permissions."""

    spec: ResolvedService
    stack: str
    security_group: str | None
    env: dict[str, PlainValue]
    secrets: dict[str, SecretValue]
    permissions: list[Permission]
    discovery: bool
    route: RouteRule | None
    alarms: list[AlarmPlan]
    log_group: str
    retain_logs: bool
    release: ReleasePlan | None = None  # None for jobs and scheduled tasks
    discovery_name: str | None = None  # its Cloud Map name when not the service's name (a preview's)
    # Step scaling on a backlog (tasks follow a queue's depth): (lower, upper, tasks) per depth band; empty for
    # target tracking only.
    scaling_steps: list[tuple[int, int | None, int]] = field(default_factory=list)


@dataclass
class DatabasePlan:
    """A database and where it sits."""

    spec: ResolvedDatabase
    identifier: str
    security_group: str
    retain: bool
    users: list[DatabaseUser] = field(default_factory=list)  # per-service logins the bootstrap job creates
    rotation_days: int | None = None  # a rotation schedule on the RDS-managed secret (plan.rotation)


@dataclass
class CachePlan:
    """A cache and where it sits."""

    spec: ResolvedCache
    identifier: str
    security_group: str
    retain: bool


@dataclass
class BucketPlan:
    """A bucket and who may use it."""

    spec: ResolvedBucket


@dataclass
class VolumePlan:
    """A container path: an EFS file system when persistent, else task storage that dies with the task."""

    key: str
    service: str
    path: str
    readonly: bool
    persistent: bool
    security_group: str | None
    retain: bool


@dataclass
class SecretPlan:
    """An application secret."""

    spec: ResolvedSecret
    secret_name: str


@dataclass
class AlarmPlan:
    """A CloudWatch alarm on one metric."""

    key: str
    description: str
    namespace: str
    metric: str
    dimensions: dict[str, str]  # values: literal, or "@ref:<what>" resolved by the renderer's context
    statistic: str
    threshold: float
    comparison: str
    periods: int = 3
    period: int = 60
    treat_missing: str = "notBreaching"
    name: str | None = None  # a physical name, for alarms other resources refer to (deployment alarms)
    combine: str | None = None  # SUM / MAX: the metric over the primary and alternate target groups at once
    severity: str = "critical"  # critical | warning: which alarm topic it notifies (Plan.alarm_topics)
    # A rate by metric math: ``expression`` over m1 (``metric``) and m2 (``rate_of``: same namespace, dimensions
    # and statistic), e.g. 100*m1/m2 for 5XX as a % of requests; the threshold applies to the expression.
    # Without ``rate_of`` the expression is over m1 alone (storage used: 100-100*m1/BYTES); ``label`` names it.
    rate_of: str | None = None
    expression: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class SnapshotPlan:
    """A database snapshot the deployer takes before a before-deploy job (a migration) runs."""

    job: str
    database: str
    identifier: str  # the DB instance or (Aurora) cluster identifier
    cluster: bool


@dataclass(frozen=True)
class RestartPlan:
    """Services redeployed when a secret's rotation succeeds (they read it at task start): RDS rotating a
    database's managed password, or the user's function rotating an app secret."""

    name: str  # the database or app secret
    services: list[str]
    kind: str = "database"  # database | secret


@dataclass(frozen=True)
class TokenRotationPlan:
    """A cache's AUTH token rotated every ``days`` days by a state machine (ROTATE, store, redeploy the readers,
    then SET drops the old token), so the readers never hold a token the cache refuses."""

    cache: str
    identifier: str  # the replication group id
    days: int
    services: list[str]  # long-running readers, redeployed while both tokens are valid


@dataclass(frozen=True)
class PasswordRotationPlan:
    """A generated database password rotated every ``days`` days by a state machine: a new password staged as
    AWSPENDING, set on the instance or cluster, promoted to AWSCURRENT, written into the URL secret, and the
    readers redeployed. One user: connections old tasks open after the change and before their replacement fail.
    With per-service users, ``job`` is the bootstrap job that sets their new passwords (run once per rotation)."""

    database: str
    identifier: str  # the DB instance or (Aurora) cluster identifier
    cluster: bool
    days: int
    services: list[str]
    job: str | None = None


@dataclass(frozen=True)
class ReminderPlan:
    """A message to the warning alarm destination every ``days`` days: rotate something no function rotates."""

    key: str  # cache-NAME or secret-NAME
    days: int
    message: str


@dataclass(frozen=True)
class TopicPlan:
    """An SNS topic alarms of one severity notify, and who is subscribed to it."""

    severity: str  # critical | warning
    resource: str  # logical id of the topic in the platform stack (AlarmTopic, WarningTopic)
    output: str  # platform output carrying its ARN
    existing_arn: str | None  # an existing topic used instead of creating one
    emails: list[str]
    webhooks: list[str]
    pagerduty: str | None
    slack: list[Any]  # spec SlackChannel
    teams: list[Any]  # spec TeamsChannel


@dataclass(frozen=True)
class ListenerTestRule:
    """The test listener rule of a traffic-shifting release: the route's path plus a header."""

    header: str
    value: str
    priority: int


@dataclass(frozen=True)
class SmokeHook:
    """The smoke check ECS runs as a lifecycle hook (a Lambda function calling the test listener rule)."""

    path: str
    function_name: str
    log_group: str
    stage: str
    runtime: str
    timeout: int
    log_retention: int


@dataclass
class ReleasePlan:
    """How one service's releases roll out: ECS DeploymentConfiguration and what it needs around it."""

    strategy: str  # rolling | blue-green | canary | linear
    ecs_strategy: str  # ROLLING | BLUE_GREEN | CANARY | LINEAR
    circuit_breaker: bool
    bake_minutes: int | None = None
    canary_percent: float | None = None
    canary_bake_minutes: int | None = None
    linear_percent: float | None = None
    linear_step_minutes: int | None = None
    alarms: list[AlarmPlan] = field(default_factory=list)  # rollback_on: DeploymentConfiguration.Alarms
    test_rule: ListenerTestRule | None = None
    smoke: SmokeHook | None = None

    @property
    def shifts_traffic(self) -> bool:
        """True when ECS moves traffic between two target groups (blue-green, canary, linear)."""
        return self.strategy != "rolling"


@dataclass
class StackPlan:
    """One CloudFormation stack: its name and the stacks it needs first."""

    key: str
    name: str
    purpose: str
    depends_on: list[str]
    region: str | None = None  # None: the environment's region


@dataclass(frozen=True)
class Choice:
    """A yes/no the plan takes for the renderers (from the profile, say), with the reason it was taken."""

    value: bool
    reason: str

    def __bool__(self) -> bool:
        return self.value


# Not a stack: the priorities the deployer gives a preview's listener rules (output: the service stack's key).
PREVIEW_PRIORITIES = "listener-priorities"
# Not a stack: the base's snapshots the deployer picks for a preview's own databases (output: the database's name).
PREVIEW_SNAPSHOTS = "base-snapshots"


@dataclass
class PreviewPlan:
    """A short-lived environment's services on its base environment's network, cluster and load balancer."""

    base: str  # the base environment's name
    base_stacks: dict[str, str]  # stack key -> the base's stack name: read (outputs), never deployed or deleted
    ttl_hours: int
    url_path: str | None  # the path prefix that reaches it when the base has no domain
    host: str | None  # its host name when the base has a domain
    # Its listener rules' priorities: a block of ``block_size`` below the base's own rules. The plan prefers
    # ``block`` (from the name); the deployer takes the first block from there that no other rule on the
    # listener holds (or the one the preview already has) and passes each rule's priority as a parameter.
    block: int = 0
    block_size: int = 10
    blocks: int = 100
    rule_offsets: dict[str, int] = field(default_factory=dict)  # service stack key -> its rule's place in the block
    declared_at: str = ""  # where the spec's `previews:` is (file:line), for the deployer's errors
    # own databases restored from the base's newest snapshot (previews.data.from_snapshot): name -> base identifier
    restore: dict[str, str] = field(default_factory=dict)


@dataclass
class Plan:
    """Everything to build for one environment of one app."""

    env: EnvSpec
    stacks: list[StackPlan]
    network: NetworkPlan
    security_groups: dict[str, SecurityGroup]
    edge: EdgePlan | None
    services: dict[str, ServicePlan]
    databases: dict[str, DatabasePlan]
    caches: dict[str, CachePlan]
    buckets: dict[str, BucketPlan]
    volumes: list[VolumePlan]
    secrets: dict[str, SecretPlan]
    alarms: list[AlarmPlan]
    namespace: str
    cluster_name: str
    # Logs, secrets, repositories, access-log buckets and user pools outlive their stack (and user pools
    # refuse deletion): everywhere but dev.
    keep_on_delete: Choice
    # A Spot service keeps one task on regular Fargate, so a reclaim never takes it to zero.
    spot_keeps_base: Choice
    # Deploys pin built images by digest, and destroying the environment takes the app name typed out.
    production_guards: Choice
    decisions: list[Decision] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    repositories: dict[str, str] = field(default_factory=dict)  # service -> ECR repository name
    parameters: dict[str, str] = field(default_factory=dict)  # config name -> SSM parameter name
    # Config values over the standard tier's 4 KB: Advanced tier parameters ($0.05 a parameter-month).
    advanced_parameters: set[str] = field(default_factory=set)
    exec_log_group: str | None = None  # ECS Exec session logs, when a service allows exec
    edges: list[EdgePlan] = field(default_factory=list)  # every load balancer; ``edge`` is the first
    # Where a thing lives when not in its default stack ("sg:KEY" -> "security-2", "db:NAME" -> "data-2" ...):
    # set only when one stack would pass CloudFormation's limits (plan.layout).
    homes: dict[str, str] = field(default_factory=dict)
    # Group-to-group rules by the stack that holds them, when security groups are sharded (else: network).
    placed_rules: dict[str, list[PlacedRule]] = field(default_factory=dict)
    preview: PreviewPlan | None = None  # set when this plan is a preview deployed onto another environment
    # Alarm topics by severity; a severity without its own topic notifies the critical one.
    alarm_topics: list[TopicPlan] = field(default_factory=list)
    # The customer-managed key the created alarm topics are encrypted with: only where a topic has a destination
    # (a key nobody hears from costs $1 a month). ``health_topic_key``: the same for the health stack's topics.
    alarm_topic_key: Choice = field(default_factory=lambda: Choice(False, "no alarm topic of its own"))
    health_topic_key: Choice = field(default_factory=lambda: Choice(False, "no alarm topic of its own"))
    # Route 53 health-check alarms (stack ``health``, in us-east-1 where those metrics are) and, when the app
    # runs in another region, the topics there they notify.
    health_alarms: list[AlarmPlan] = field(default_factory=list)
    health_topics: list[TopicPlan] = field(default_factory=list)
    migration_snapshots: list[SnapshotPlan] = field(default_factory=list)  # taken before migrations (not dev)
    migration_jobs: list[str] = field(default_factory=list)  # the spec's before-deploy jobs (no bootstrap job)
    rotation_restarts: list[RestartPlan] = field(default_factory=list)  # stack ``rotation``
    rotation_reminders: list[ReminderPlan] = field(default_factory=list)  # stack ``rotation``
    token_rotations: list[TokenRotationPlan] = field(default_factory=list)  # stack ``rotation``
    password_rotations: list[PasswordRotationPlan] = field(default_factory=list)  # stack ``rotation``
    # Where the data stack's generated credentials live in Secrets Manager (``app/env``). A preview's own data
    # stores keep theirs under its base's (``app/base/preview-pr-42``): the base's execution role reads them.
    secret_root: str = ""
    # stack key -> its position in ``stacks``; checked on each look-up and rebuilt when ``stacks`` changed
    _stack_positions: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def alarm_output(self, severity: str) -> str:
        """The platform output holding the ARN of the topic alarms of ``severity`` notify."""
        for t in self.alarm_topics:
            if t.severity == severity:
                return t.output
        return "AlarmTopicArn"

    def alarm_topic_encrypted(self, severity: str) -> bool:
        """True when the topic alarms of ``severity`` notify is one moorage creates (encrypted with the platform
        stack's alarm topic key, whose ARN is the ``AlarmTopicKeyArn`` output); False for an existing topic."""
        output = self.alarm_output(severity)
        return bool(self.alarm_topic_key) and any(t.output == output and not t.existing_arn
                                                  for t in self.alarm_topics)

    @property
    def customer_key(self) -> bool:
        """True when the environment's data is encrypted with its own KMS key (the ``keys`` stack)."""
        return self.env.customer_key

    @property
    def app(self) -> str:
        """The app name."""
        return self.env.app

    @property
    def secrets_path(self) -> str:
        """The path of the data stack's credentials in Secrets Manager: ``app/env`` unless the plan says other."""
        return self.secret_root or f"{self.env.app}/{self.env.env}"

    @property
    def prefix(self) -> str:
        """``app-env``: the prefix of every physical name."""
        return f"{self.env.app}-{self.env.env}"

    def home(self, kind: str, name: str) -> str:
        """The stack that holds ``kind`` ``name`` (``sg``, ``db``, ``cache``, ``bucket``, ``secret``, ``volume``,
        ``param``, ``pool``, ``repo``) and outputs its attributes."""
        return self.homes.get(f"{kind}:{name}", {"sg": "network", "repo": "registry"}.get(kind, "data"))

    def edge_of(self, key: str) -> EdgePlan:
        """The load balancer of edge stack ``key``."""
        return next(e for e in self.edges if e.key == key)

    def stack(self, key: str) -> StackPlan:
        """The stack with this key."""
        at = self._stack_positions.get(key)
        if at is None or at >= len(self.stacks) or self.stacks[at].key != key:
            # a scan per look-up is quadratic at 1,000 services: index every stack once, again when stale
            self._stack_positions = {s.key: i for i, s in enumerate(self.stacks)}
            at = self._stack_positions.get(key)
            if at is None:
                raise KeyError(key)
        return self.stacks[at]
