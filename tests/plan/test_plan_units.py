"""Small planner pieces: physical names, subnet layout, route order."""

from __future__ import annotations

import ipaddress
import itertools
import re
from pathlib import Path

import pytest

from moorage.plan.edge import route_order
from moorage.plan.naming import logical_id, physical_name
from moorage.plan.network import subnet_layout

# --------------------------------------------------------------------------- naming


def test_short_names_are_joined_unchanged() -> None:
    assert physical_name("shop", "prod", "db") == "shop-prod-db"
    assert physical_name("shop", "", "db") == "shop-db"


@pytest.mark.parametrize("limit", [20, 40, 63, 128])
def test_long_names_fit_the_limit_with_a_stable_hash(limit: int) -> None:
    parts = ("acme-analytics-platform", "production", "reporting-replica-database-" + "x" * 120)
    name = physical_name(*parts, limit=limit)
    assert len(name) <= limit
    assert re.search(r"-[0-9a-f]{6}$", name), name
    assert not name.startswith("-") and "--" not in name[:-7]
    assert physical_name(*parts, limit=limit) == name  # stable across calls
    assert name.startswith("acme-")


def test_long_names_that_share_a_prefix_stay_distinct() -> None:
    a = physical_name("acme-analytics-platform", "production", "sessions-eu", limit=40)
    b = physical_name("acme-analytics-platform", "production", "sessions-us", limit=40)
    assert len(a) <= 40 and len(b) <= 40
    assert a != b


def test_a_name_at_the_limit_is_not_hashed() -> None:
    name = "a" * 40
    assert physical_name(name, limit=40) == name
    assert physical_name(name + "b", limit=40) != name + "b"


def test_double_hyphens_are_squeezed_with_a_hash_that_keeps_names_apart() -> None:
    """RDS, ElastiCache and Lambda refuse `--` in identifiers; a spec may name a database `orders--eu`."""
    a = physical_name("shop", "prod", "orders--eu", limit=63)
    b = physical_name("shop", "prod", "orders-eu", limit=63)
    assert "--" not in a and re.fullmatch(r"shop-prod-orders-eu-[0-9a-f]{6}", a), a
    assert b == "shop-prod-orders-eu" and a != b


def test_generated_identifiers_of_a_spec_with_double_hyphens_are_valid(tmp_path: Path) -> None:
    from moorage import api

    spec = tmp_path / "moorage.yml"
    spec.write_text("name: shop--eu\nservices:\n  web: {image: x:1, port: 80, route: '/*', uses: [orders--db, "
                    "jobs--cache]}\ndatabases:\n  orders--db: {}\ncaches:\n  jobs--cache: {}\n"
                    "environments: {prod: {}}\n", encoding="utf-8")
    templates = api.synth_environment(api.load_app(spec), "prod").templates
    ids = [r["Properties"][key] for t in templates.values() for r in t["Resources"].values()
           for key in ("DBInstanceIdentifier", "ReplicationGroupId") if key in r.get("Properties", {})]
    assert ids and all("--" not in i and not i.endswith("-") for i in ids), ids
    assert all(len(i) <= 40 for t in templates.values() for r in t["Resources"].values()
               for i in [r.get("Properties", {}).get("ReplicationGroupId", "")])


def test_logical_ids() -> None:
    assert logical_id("svc-auth", "Sg") == "SvcAuthSg"
    assert logical_id("sg", "db-main") == "SgDbMain"
    assert logical_id("secret", "jwt_secret", "arn") == "SecretJwtSecretArn"
    assert logical_id("a.b") == "AB"


# --------------------------------------------------------------------------- subnets


@pytest.mark.parametrize(("cidr", "azs"), [("10.0.0.0/16", 2), ("10.0.0.0/16", 3), ("10.42.0.0/16", 3)])
def test_subnets_do_not_overlap_and_fit_the_vpc(cidr: str, azs: int) -> None:
    subnets = subnet_layout(cidr, azs)
    vpc = ipaddress.ip_network(cidr)
    nets = [ipaddress.ip_network(s.cidr) for s in subnets]
    assert all(n.subnet_of(vpc) for n in nets)
    for a, b in itertools.combinations(nets, 2):
        assert not a.overlaps(b), (a, b)
    for tier in ("public", "private", "isolated"):
        assert sorted(s.az for s in subnets if s.tier == tier) == list(range(azs))
    assert len({s.key for s in subnets}) == len(subnets)
    # tasks get the room: private subnets are the largest
    private = min(n.num_addresses for s, n in zip(subnets, nets, strict=True) if s.tier == "private")
    others = max(n.num_addresses for s, n in zip(subnets, nets, strict=True) if s.tier != "private")
    assert private > others
    assert subnet_layout(cidr, azs) == subnets  # deterministic


def test_subnet_keys() -> None:
    assert [s.key for s in subnet_layout("10.0.0.0/16", 2)] == [
        "public-1", "public-2", "private-1", "private-2", "isolated-1", "isolated-2"]


# --------------------------------------------------------------------------- routes


def test_route_order_most_specific_first() -> None:
    paths = ["/*", "/api/*", "/health", "/api/v1/*", "/static/*", "/a*"]
    ordered = sorted(paths, key=route_order)
    assert ordered[0] == "/health"          # exact paths first
    assert ordered[-1] == "/*"              # the catch-all last
    assert ordered.index("/api/v1/*") < ordered.index("/api/*") < ordered.index("/*")
    assert ordered.index("/static/*") < ordered.index("/a*")


def test_route_order_is_total_and_deterministic() -> None:
    paths = ["/b/*", "/a/*", "/c/*"]
    assert sorted(paths, key=route_order) == sorted(reversed(paths), key=route_order) == ["/a/*", "/b/*", "/c/*"]
