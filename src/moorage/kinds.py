"""The registry of resource kinds a service can `use` (databases, caches, buckets, user pools, ...).

One entry per kind in ``data/kinds.yaml`` answers what every stage asks about a name: its spec block,
the attributes a ``{{ name.attribute }}`` reference may read and the variables it injects, its outputs,
IAM actions, security-group port, the compose images that become it, and who prices and checks it.
Services are not a kind here: they are the things that use kinds. This module depends on data only,
so every stage may import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from moorage.data import load_data

# "{{ name.attribute }}" in an env value: a value taken from something the service uses.
CONNECTION_REF_RE = re.compile(r"\{\{\s*([a-z][a-z0-9-]*)\.([a-z_]+)\s*\}\}")

# The attributes of a service a `{{ service.attribute }}` reference may read (services are not a kind).
SERVICE_ATTRIBUTES: dict[str, Literal["secret", "plain"]] = {"url": "plain", "host": "plain", "port": "plain"}
SERVICE_ENV: dict[str, str] = {"{PREFIX}_URL": "url"}


@dataclass(frozen=True)
class Kind:
    """One kind of resource: what the spec, plan, render, cost, policy and compose import know of it."""

    name: str
    block: str
    overridable: bool
    home: str
    attributes: dict[str, Literal["secret", "plain"]]
    env: dict[str, str]
    env_managed: dict[str, str] = field(default_factory=dict)
    literal: dict[str, str] = field(default_factory=dict)
    secret_output: str | None = None
    actions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    key_actions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    iam_sid: str = ""
    port: bool = False
    security_group: str | None = None
    compose_images: tuple[dict[str, Any], ...] = ()
    residency: str = ""
    managed_by: str = ""
    cost: str | None = None
    policy: str | None = None
    stack_weight: tuple[int, int, int, int] = (0, 0, 0, 0)
    name_limit: int = 63
    name_suffix: dict[str, str] = field(default_factory=dict)
    endpoint: str | None = None
    endpoint_url: str | None = None
    alarms: tuple[dict[str, Any], ...] = ()

    def secret(self, attribute: str) -> bool:
        """True when ``attribute`` is injected as a Secrets Manager reference."""
        return self.attributes.get(attribute) == "secret"


@cache
def registry() -> dict[str, Kind]:
    """Every kind, in the registry's order (which is also the order compose image rules are tried)."""
    out: dict[str, Kind] = {}
    for name, raw in load_data("kinds")["kinds"].items():
        out[name] = Kind(
            name=name, block=raw["block"], overridable=bool(raw.get("overridable")), home=raw["home"],
            attributes=dict(raw["attributes"]), env=dict(raw.get("env") or {}),
            env_managed=dict(raw.get("env_managed") or {}), literal=dict(raw.get("literal") or {}),
            secret_output=raw.get("secret_output"),
            actions={mode: tuple(acts) for mode, acts in (raw.get("actions") or {}).items()},
            key_actions={mode: tuple(acts) for mode, acts in (raw.get("key_actions") or {}).items()},
            iam_sid=str(raw.get("iam_sid", "")),
            port=bool(raw.get("port")), security_group=raw.get("security_group"),
            compose_images=tuple({**rule, "kind": name} for rule in raw.get("compose_images") or ()),
            residency=str(raw.get("residency", "")), cost=raw.get("cost"), policy=raw.get("policy"),
            managed_by=str(raw.get("managed_by", "")),
            stack_weight=tuple(raw["stack_weight"]),  # type: ignore[arg-type]
            name_limit=int((raw.get("physical_name") or {}).get("limit", 63)),
            name_suffix=dict((raw.get("physical_name") or {}).get("suffix") or {}),
            endpoint=raw.get("endpoint"), endpoint_url=raw.get("endpoint_url"),
            alarms=tuple(raw.get("alarms") or ()))
    return out


def kind(name: str) -> Kind:
    """The kind called ``name`` (database, cache, bucket, user_pool ...)."""
    return registry()[name]


def kind_names() -> list[str]:
    """The kinds' names, in the registry's order."""
    return list(registry())


def blocks() -> list[str]:
    """The spec blocks that hold kinds (databases, caches ...), in the registry's order."""
    return [k.block for k in registry().values()]


def kind_of_block(block: str) -> str | None:
    """``databases`` -> ``database``; ``services`` -> ``service``; None for other blocks."""
    if block == "services":
        return "service"
    return next((k.name for k in registry().values() if k.block == block), None)


def kind_of(holder: Any, name: str) -> str | None:
    """What ``name`` is in ``holder`` (a spec, a resolved environment: anything with the kinds' blocks and
    ``services`` as attributes): a kind's name, ``service``, or None."""
    for k in registry().values():
        if name in getattr(holder, k.block):
            return k.name
    return "service" if name in holder.services else None


def attributes(kind_name: str) -> dict[str, Literal["secret", "plain"]]:
    """What a ``{{ name.attribute }}`` reference to a ``kind_name`` may read ('service' included)."""
    return SERVICE_ATTRIBUTES if kind_name == "service" else kind(kind_name).attributes


def connection_env(kind_name: str, managed: bool = False) -> dict[str, str]:
    """Default variables (pattern -> attribute) a service using a ``kind_name`` gets."""
    if kind_name == "service":
        return SERVICE_ENV
    k = kind(kind_name)
    return k.env_managed if managed and k.env_managed else k.env


def compose_image_rules() -> list[dict[str, Any]]:
    """The compose importer's image rules of the managed kinds, in order, each with its ``kind``."""
    return [rule for k in registry().values() for rule in k.compose_images]


def compose_kinds() -> list[str]:
    """The kinds a compose service can become (those with image rules)."""
    return [k.name for k in registry().values() if k.compose_images]


def data_stack_purpose() -> str:
    """What the data stack holds, in words (its templates' description and the manifest's purpose)."""
    return str(load_data("kinds")["data_stack_purpose"])
