"""Preview environments: a short-lived environment's services deployed onto its base environment's network,
cluster and load balancer (``moorage deploy --env pr-42 --preview-of staging``).

The base environment is planned as usual; the preview is the same app planned under its own name, keeping only
its web services, each with the cheapest release settings, and reading everything else (network, cluster, load
balancer, data stores, registry) from the base's stacks, which it never deploys or deletes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

from moorage import kinds
from moorage.data import load_data
from moorage.errors import Diagnostic, InputError
from moorage.plan.bootstrap import needs_bootstrap
from moorage.plan.edge import priority_base
from moorage.plan.model import Choice, Plan, PreviewPlan, RouteRule
from moorage.resolve.environment import Decision, EnvSpec, ResolvedService

# Kinds a preview runs. Workers, jobs and scheduled tasks would work on the base's shared data (take its
# queue's messages, run its migrations, repeat its cron work), so a preview leaves them out.
PREVIEW_KINDS = ("web", "service")


def preview_block(name: str) -> int:
    """The block of listener priorities a preview prefers: from the number in its name (pr-42 -> 42), else a hash.
    Previews whose numbers are ``blocks`` apart prefer the same block: the deployer then takes the next free
    one on the listener (:func:`moorage.deploy.previews.allocate_block`)."""
    blocks = priority_base_blocks()
    digits = re.search(r"(\d+)$", name)
    number = int(digits.group(1)) if digits else int(hashlib.sha256(name.encode()).hexdigest(), 16)
    return number % blocks


def preview_name_usable(name: str) -> bool:
    """True when ``name`` has the shape of a preview's name (releases.yaml ``previews.name_pattern``, e.g. pr-42)."""
    return re.fullmatch(str(load_data("releases")["previews"]["name_pattern"]), name) is not None


def priority_base_blocks() -> int:
    """How many previews fit below a base environment's own listener priorities."""
    data = load_data("releases")["previews"]
    return int(data["reserved_priorities"]) // int(data["block"])


def _cheapest(svc: ResolvedService) -> ResolvedService:
    release = svc.release
    if release is not None:
        release = dataclasses.replace(release, strategy="rolling", bake_minutes=None, canary=None, linear=None,
                                      rollback_on=[], smoke=None)
    return dataclasses.replace(svc, desired=1, scaling=None, scale_to_zero=None, release=release)


# spec block -> the plan's home kind of its items (plan.home), for the data stores a preview may own
OWNABLE = {"databases": "db", "caches": "cache", "buckets": "bucket"}


def _smallest(env: EnvSpec, own: set[str]) -> EnvSpec:
    """``env`` with the data stores of the blocks in ``own`` at their cheapest: the dev profile's smallest class,
    one node in one AZ, no replica, proxy or deletion protection, nothing kept on delete (previews are
    disposable)."""
    dev = load_data("profiles")["profiles"]["dev"]
    databases = {n: dataclasses.replace(
        d, instance=str(dev["database"]["instance"].get(d.engine, d.instance)), storage=int(dev["database"]["storage"]),
        max_storage=int(dev["database"]["max_storage"]), iops=None, replicas=0, replica_instance="", multi_az=False,
        backup_days=int(dev["database"]["backup_days"]), deletion_protection=False, performance_insights=False,
        snapshot_on_delete=False, monitoring_interval=0, backup_region=None, proxy=False,
        managed_password=False)  # its own generated secret, under the base's path the execution role reads
        for n, d in env.databases.items()} if "databases" in own else env.databases
    caches = {n: dataclasses.replace(c, node_type=str(dev["cache"]["node_type"]), nodes=1, shards=1, failover=False,
                                     backup_days=0, snapshot_on_delete=False)
              for n, c in env.caches.items()} if "caches" in own else env.caches
    buckets = {n: dataclasses.replace(b, versioning=False, retain=False, access_logs=False, tiering=None)
               if "buckets" in own else dataclasses.replace(b, access_logs=False)  # no log bucket of its own
               for n, b in env.buckets.items()}
    return dataclasses.replace(env, databases=databases, caches=caches, buckets=buckets)


def _own_data(plan: Plan, base_plan: Plan, own: set[str], name: str) -> None:
    """Keep in ``plan`` one data stack (key ``data``) holding only the preview's own data stores; everything
    else of the data stacks is read from the base's, keyed ``base-data`` (``base-data-2`` ...) in the preview."""
    base_env = base_plan.env
    mine = {f"{OWNABLE[b]}:{n}" for b in own for n in getattr(base_env, b)}
    data_keys = [s.key for s in base_plan.stacks if s.key == "data" or s.key.startswith("data-")]
    assert plan.preview is not None
    for key in data_keys:
        plan.preview.base_stacks[f"base-{key}"] = plan.preview.base_stacks.pop(key)
    every = {f"{kind}:{n}" for kind, items in (("db", plan.databases), ("cache", plan.caches),
                                               ("bucket", plan.buckets), ("secret", plan.secrets),
                                               ("param", plan.parameters), ("pool", plan.env.user_pools))
             for n in items}
    every |= {f"volume:{v.key}" for v in plan.volumes if v.persistent}
    every |= {f"{k.home}:{n}" for k in kinds.registry().values() for n in plan.env.blocks.get(k.block, {})}
    for item in every:
        kind, item_name_ = item.split(":", 1)
        plan.homes[item] = "data" if item in mine else f"base-{base_plan.home(kind, item_name_)}"
    plan.secret_root = f"{base_env.app}/{base_env.env}/preview-{name}"
    # the base's sizing and on-delete decisions do not hold for the preview's own stores (preview.data says why)
    plan.decisions = [d for d in plan.decisions if not d.topic.startswith(tuple(f"{b}." for b in own))]
    plan.keep_on_delete = Choice(False, "a preview's own data stores are deleted with it")
    for db in plan.databases.values():
        db.retain = False
    for cache in plan.caches.values():
        cache.retain = False
    plan.stacks = [s for s in plan.stacks if s.key == "data" or not s.key.startswith("data-")]
    for stack in plan.stacks:
        stack.depends_on = [d for d in stack.depends_on if not d.startswith("data-")]


def _restore_from_snapshots(plan: Plan, base_plan: Plan) -> None:
    """Own databases start from the newest snapshot of the base's (the deployer picks it at the first deploy)."""
    assert plan.preview is not None
    aurora = sorted(n for n, d in plan.databases.items() if d.spec.aurora)
    if aurora:
        raise _refuse(f"database {aurora[0]} is Aurora: previews restore only RDS instances from a snapshot yet",
                      base_plan.env, "drop from_snapshot (the preview's database starts empty)",
                      ("previews", "data", "from_snapshot"))
    plan.preview.restore = {n: base_plan.databases[n].identifier for n in sorted(plan.databases)}
    plan.decisions.append(Decision(
        "preview.data.from_snapshot", ", ".join(f"{n} from {i}" for n, i in plan.preview.restore.items()),
        f"previews.data.from_snapshot: latest: the newest available snapshot of {base_plan.env.env}'s database, "
        "picked at the preview's first deploy and kept (another would replace the database); its master "
        "password is set to the preview's own, its data is the base's as of the snapshot"))


def _refuse(message: str, env: EnvSpec, hint: str, path: tuple[str | int, ...] = ("previews",)) -> InputError:
    return InputError([Diagnostic("error", message, env.locate(path), hint)])


def _data_decision(env: EnvSpec, own: set[str]) -> Decision:
    shared = [b for b in ("databases", "caches", "buckets") if b not in own and getattr(env, b)]
    if not own:
        return Decision("preview.data", f"shared with {env.env}", "previews.data: shared: the services read and "
                        f"write {env.env}'s databases, caches, buckets and secrets with its credentials (a "
                        "preview's bad migration or test data reaches the base)")
    return Decision("preview.data", f"own {', '.join(sorted(own))}" + (f"; shared {', '.join(shared)}"
                                                                        if shared else ""),
                    "previews.data: own: each preview gets its own empty stores in its own data stack, at the "
                    "smallest class, one AZ, no deletion protection, deleted with the preview (nothing is kept)"
                    + (f"; the shared ones, app secrets, config and queues are {env.env}'s" if shared else
                       f"; app secrets, config and queues are {env.env}'s"))


def _declared_at(env: EnvSpec) -> str:
    where = env.locate(("previews",))
    return f"{Path(where.file).name}:{where.line}" if where and where.line else "the spec's previews:"


def preview_plan(base_plan: Plan, name: str) -> Plan:
    """The plan of preview ``name`` of the environment ``base_plan`` plans (see the module docstring)."""
    from moorage.plan import build_plan  # the package's entry builds both plans

    base_env = base_plan.env
    settings = base_env.previews
    data = load_data("releases")["previews"]
    if settings is None:
        raise _refuse("this app has no previews", base_env, "add `previews: {}` to the spec and deploy "
                      f"{base_env.env} again (its listener rules then leave room for previews' rules)", ())
    if not preview_name_usable(name) or name == base_env.env:
        raise _refuse(f"preview name {name!r} is not usable", base_env,
                      "a preview name is 1-20 lower-case letters, digits and dashes, starting with a letter, "
                      "other than its base's name (e.g. pr-42)", ())
    edge = base_plan.edge
    if edge is None:
        raise _refuse(f"environment {base_env.env} has no load balancer (no service has a route)", base_env,
                      "a preview is reached through its base's load balancer: route a service", ("services",))
    own = {b for b in OWNABLE if settings.data_mode(b) == "own" and getattr(base_env, b)}
    bootstrapped = sorted(n for n, d in base_env.databases.items() if needs_bootstrap(d))
    if "databases" in own and bootstrapped:
        raise _refuse(f"database {bootstrapped[0]} needs its bootstrap job (extensions or schemas), which a preview "
                      "does not run yet", base_env, "keep the preview's databases shared: previews: {data: "
                      "{databases: shared}}", ("previews", "data"))
    kept = {n: _cheapest(s) for n, s in base_env.services.items() if s.kind in PREVIEW_KINDS}
    left_out = sorted(n for n, s in base_env.services.items() if s.kind not in PREVIEW_KINDS)
    decisions = [d for d in base_env.decisions if not d.topic.startswith(("services.", "edge."))]
    decisions += [
        Decision("preview.base", base_env.env, "a preview deploys only its services, onto the base's network, "
                 "cluster and load balancer: no VPC, NAT gateway or Elastic IP of its own"),
        _data_decision(base_env, own),
        Decision("preview.services", ", ".join(sorted(kept)) or "none",
                 "web and internal services" + (f"; left out: {', '.join(left_out)} (workers, jobs and schedules would "
                                        "act on the base's shared data)" if left_out else "")),
        Decision("preview.sizing", "1 task each, no autoscaling, rolling, no alarms",
                 "the cheapest settings: a preview is for looking at, and notifies nobody"),
        Decision("preview.security_groups", f"{base_env.env}'s", "a preview's task runs in its base service's "
                 "security group, so it reaches exactly what the base service reaches"),
        Decision("preview.expiry", f"{settings.ttl_hours} hour{'s' if settings.ttl_hours != 1 else ''} after its "
                 "last deploy",
                 "tag moorage:expires on every stack; `moorage destroy --expired` deletes previews past it"),
    ]
    env = dataclasses.replace(_smallest(base_env, own), env=name, services=kept, decisions=decisions,
                              budget_monthly=None,
                              tags={**base_env.tags, "moorage:environment": name,
                                    "moorage:deployment": f"{base_env.app}-{name}", "moorage:preview-of": base_env.env})
    plan = build_plan(env)
    plan.decisions = [d for d in plan.decisions if not d.topic.startswith("edge.")]  # the base's, not the preview's
    block = preview_block(name)
    size = int(data["block"])
    routed = sorted((sp for sp in plan.services.values() if sp.route), key=lambda sp: sp.route.priority)  # type: ignore[union-attr]
    if len(routed) >= size:
        raise _refuse(f"a preview takes at most {size - 1} routed services; {base_env.app} has {len(routed)}",
                      base_env, "previews of an app this large are not supported yet", ("services",))
    host = f"{name}.{edge.domain}" if edge.domain else None
    offsets: dict[str, int] = {}
    for i, sp in enumerate(routed):
        route = sp.route
        assert route is not None
        priority = 1 + block * size + i
        sp.route = RouteRule(route.service, route.path if host else f"/{name}{route.path}", priority, route.edge,
                             host)
        offsets[sp.stack] = i
        plan.decisions.append(Decision(
            f"preview.route.{sp.spec.name}", f"{host or ''}{sp.route.path} priority {priority}",
            (f"host {host} on {base_env.env}'s listener" if host else
             f"no domain: the path prefix /{name} on {base_env.env}'s listener")
            + f"; block {block} of {priority_base_blocks()} (from the name; a deploy takes the next free block "
            f"when another preview's rules hold it, and keeps the block it got), before the base's rules "
            f"(from {priority_base(base_env) + 10})"))
    for sp in plan.services.values():
        sp.discovery_name = f"{name}-{sp.spec.name}" if sp.discovery else None
        sp.log_group = f"/moorage/{base_env.app}/{base_env.env}/preview-{name}/{sp.spec.name}"
        sp.retain_logs = False
        sp.alarms = []
    keep = {sp.stack for sp in plan.services.values() if sp.spec.name in kept} | ({"data"} if own else set())
    for stack in plan.stacks:
        stack.depends_on = [d for d in stack.depends_on if d in keep]
    plan.stacks = [s for s in plan.stacks if s.key in keep]
    plan.services = {n: sp for n, sp in plan.services.items() if sp.stack in keep}
    plan.alarms = []
    plan.parameters = dict(base_plan.parameters)
    plan.secrets = dict(base_plan.secrets)  # the base's app secrets, by their names there
    plan.repositories = {n: r for n, r in base_plan.repositories.items() if n in plan.services}
    plan.preview = PreviewPlan(
        base=base_env.env, base_stacks={s.key: s.name for s in base_plan.stacks if not s.key.startswith("svc-")},
        ttl_hours=settings.ttl_hours, url_path=None if host else f"/{name}/", host=host, block=block,
        block_size=size, blocks=priority_base_blocks(), rule_offsets=offsets, declared_at=_declared_at(base_env))
    if own:
        _own_data(plan, base_plan, own, name)
    if "databases" in own and not isinstance(settings.data, str) and settings.data.from_snapshot:
        _restore_from_snapshots(plan, base_plan)
    return plan
