"""Which stack holds what once one stack would pass CloudFormation's limits (docs/scale.md).

Small apps keep one network, one data, one registry and one observability stack. Past the limits' room (data
``cloudformation.shard``), security groups move to ``security``, ``security-2`` ... stacks, data
to ``data``, ``data-2`` ..., ECR repositories to ``registry``, ``registry-2`` ..., dashboards and shared
alarms to ``observability``, ``observability-2`` ...;
the estimates here are generous and render checks the real counts again (exit 2, never a traceback).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from moorage.data import load_data
from moorage.kinds import registry
from moorage.plan.model import AlarmPlan, PlacedRule, Plan, SecurityGroup, ServicePlan

T = TypeVar("T")

# What one item adds to a stack (resources, outputs, parameters, bytes): upper estimates from rendered templates.
NETWORK_BASE = (45, 10, 1, 40_000)
SG_WEIGHT = (1, 1, 0, 1_500)
SG_RULE_WEIGHT = (1, 0, 0, 600)
# The kinds' weights (db, cache, bucket, pool, queue ...) are their `stack_weight` in data/kinds.yaml.
DATA_WEIGHTS = {**{k.home: k.stack_weight for k in registry().values()},
                "secret": (1, 1, 1, 800), "volume": (5, 1, 2, 3_000), "param": (1, 0, 0, 500)}
DATA_BASE = (4, 0, 2, 4_000)  # subnet groups, monitoring role, the subnets and key parameters
REPOSITORY_WEIGHT = (1, 1, 0, 1_900)  # an ECR repository (its lifecycle policy is most of it) and its URI output
REGISTRY_BASE = (0, 0, 1, 2_000)  # the key parameter


@dataclass(frozen=True)
class Budget:
    """How far moorage fills one stack."""

    resources: int
    outputs: int
    parameters: int
    template_bytes: int

    @classmethod
    def load(cls) -> Budget:
        """The room left under CloudFormation's limits (data/cloudformation.yaml)."""
        shard = load_data("cloudformation")["shard"]
        return cls(shard["resources"], shard["outputs"], shard["parameters"],
                   load_data("cloudformation")["limits"]["template_bytes"] // 2)

    def fits(self, load: tuple[int, int, int, int]) -> bool:
        """True when ``load`` (resources, outputs, parameters, bytes) is within this budget."""
        return (load[0] <= self.resources and load[1] <= self.outputs and load[2] <= self.parameters
                and load[3] <= self.template_bytes)


def _add(a: tuple[int, int, int, int], b: tuple[int, int, int, int], n: int = 1) -> tuple[int, int, int, int]:
    return (a[0] + n * b[0], a[1] + n * b[1], a[2] + n * b[2], a[3] + n * b[3])


def packed(items: Iterable[T], weight: Callable[[T], tuple[int, int, int, int]], base: tuple[int, int, int, int],
           budget: Budget) -> list[list[T]]:
    """``items`` in order, packed greedily into bins that each stay within ``budget``."""
    bins: list[list[T]] = [[]]
    load = base
    for item in items:
        nxt = _add(load, weight(item))
        if bins[-1] and not budget.fits(nxt):
            bins.append([])
            nxt = _add(base, weight(item))
        bins[-1].append(item)
        load = nxt
    return bins


def shard_key(kind: str, index: int) -> str:
    """``data``, ``data-2`` ...: the first shard keeps the stack's usual key."""
    return kind if index == 0 else f"{kind}-{index + 1}"


def _owner(key: str) -> str:
    # A database's group and its proxy's share a shard: the rules between them stay in that shard's stack.
    kind, _, name = key.partition("-")
    return f"db-{name}" if kind == "proxy" else key


def rule_stack(plan: Plan, services_by_group: dict[str, ServicePlan], group: str, direction: str, peer: str) -> str:
    """The stack of a group-to-group rule when groups are sharded: the service's stack that needs it
    (its source, else its destination), else the group's own shard."""
    src, dst = (peer, group) if direction == "in" else (group, peer)
    for end in (src, dst):
        if end in services_by_group:
            return services_by_group[end].stack
    return plan.home("sg", group)


def shard_security(plan: Plan, budget: Budget) -> list[str]:
    """Move security groups out of the network stack when it would pass the budget; returns the new stacks."""
    groups = plan.security_groups
    rules = sum(1 for g in groups.values() for r in (*g.ingress, *g.egress) if not r.peer_is_cidr)
    if budget.fits(_add(_add(NETWORK_BASE, SG_WEIGHT, len(groups)), SG_RULE_WEIGHT, rules)):
        return []
    by_owner: dict[str, list[SecurityGroup]] = {}
    for g in groups.values():
        by_owner.setdefault(_owner(g.key), []).append(g)
    owners = sorted(by_owner)
    bins = packed(owners, lambda o: _add((0, 0, 0, 0), SG_WEIGHT, len(by_owner[o])), (2, 2, 1, 4_000), budget)
    keys = []
    for i, chunk in enumerate(bins):
        key = shard_key("security", i)
        keys.append(key)
        for owner in chunk:
            for g in by_owner[owner]:
                plan.homes[f"sg:{g.key}"] = key
    services_by_group = {sp.security_group: sp for sp in plan.services.values() if sp.security_group}
    for g in groups.values():
        for direction, group_rules in (("in", g.ingress), ("out", g.egress)):
            for r in group_rules:
                if not r.peer_is_cidr:
                    stack = rule_stack(plan, services_by_group, g.key, direction, r.peer)
                    plan.placed_rules.setdefault(stack, []).append(PlacedRule(g.key, direction, r))  # type: ignore[arg-type]
    return keys


def shard_data(plan: Plan, budget: Budget) -> list[str]:
    """Spread data items over ``data``, ``data-2`` ... when one data stack would pass the budget."""
    items: list[tuple[str, str]] = [("db", n) for n in plan.databases] + [("cache", n) for n in plan.caches]
    items += [("bucket", n) for n in plan.buckets] + [("secret", n) for n, s in plan.secrets.items()
                                                     if not s.spec.external]
    items += [("volume", v.key) for v in plan.volumes if v.persistent] + [("param", n) for n in plan.parameters]
    items += [("pool", n) for n, p in plan.env.user_pools.items() if not p.existing]
    items += [(k.home, n) for k in registry().values() for n in plan.env.blocks.get(k.block, {})]

    def weight(item: tuple[str, str]) -> tuple[int, int, int, int]:
        w = DATA_WEIGHTS[item[0]]
        if item[0] == "db":
            db = plan.databases[item[1]].spec
            w = _add(w, (db.replicas + 2 * db.aurora, 0, 0, 1_500 * db.replicas + 3_000 * db.aurora))
            if db.proxy:
                w = _add(w, (3, 1, 1, 4_000))
        return w

    bins = packed(items, weight, DATA_BASE, budget)
    if len(bins) == 1:
        return ["data"] if items else []
    keys = []
    for i, chunk in enumerate(bins):
        keys.append(shard_key("data", i))
        for kind, name in chunk:
            if i:
                plan.homes[f"{kind}:{name}"] = keys[-1]
    return keys


def shard_registry(plan: Plan, budget: Budget) -> list[str]:
    """Spread ECR repositories over ``registry``, ``registry-2`` ... when one registry stack would pass the budget."""
    bins = packed(sorted(plan.repositories), lambda _: REPOSITORY_WEIGHT, REGISTRY_BASE, budget)
    if len(bins) == 1:
        return ["registry"] if plan.repositories else []
    keys = []
    for i, chunk in enumerate(bins):
        keys.append(shard_key("registry", i))
        for service in chunk:
            if i:
                plan.homes[f"repo:{service}"] = keys[-1]
    return keys


def shard_observability(plan: Plan, alarms: list[AlarmPlan], running: list[str], budget: Budget) -> list[list[str]]:
    """Alarm keys and dashboard services per observability stack: [[("alarm:K" | "dash:SVC") ...] ...]."""
    per_dashboard = load_data("cloudformation")["shard"]["dashboard_services"]
    # A service is a parameter (its name) and, routed, a second (its target group): count two each.
    if len(running) <= per_dashboard and budget.fits((len(alarms) + 1, 0, 2 * len(running) + 4,
                                                      1_500 * len(alarms) + 1_200 * len(running))):
        return []
    dash_bins = [running[i:i + per_dashboard] for i in range(0, len(running), per_dashboard)] or [[]]
    alarm_bins = packed(alarms, lambda a: (1, 0, 0, 1_500), (1, 0, 10, 1_200 * per_dashboard), budget)
    count = max(len(dash_bins), len(alarm_bins))
    out: list[list[str]] = [[] for _ in range(count)]
    for i, chunk in enumerate(dash_bins):
        out[i] += [f"dash:{s}" for s in chunk]
    for i, achunk in enumerate(alarm_bins):
        out[i] += [f"alarm:{a.key}" for a in achunk]
    for i, chunk_keys in enumerate(out):
        for k in chunk_keys:
            plan.homes[k] = shard_key("observability", i)
    return out
