"""Every resource type moorage emits is priced or listed as free; the catalog is well-formed."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from troposphere import AWSObject

import moorage.render
from moorage import api
from moorage.api import template_sets
from moorage.cost import estimate_template_set, packaged_catalog
from moorage.cost.components import PRICERS, free_types, known_types

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ("us-east-1", "eu-west-1", "eu-west-2", "eu-central-1", "me-south-1", "me-central-1", "ap-south-1")


def emitted_types() -> set[str]:
    """Resource types of every troposphere class the render package instantiates (read from its source)."""
    found: set[str] = set()
    for info in pkgutil.iter_modules(moorage.render.__path__):
        module = importlib.import_module(f"moorage.render.{info.name}")
        tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(
                    node.func.value, ast.Name):
                owner = getattr(module, node.func.value.id, None)
                cls = getattr(owner, node.func.attr, None)
                if isinstance(cls, type) and issubclass(cls, AWSObject) and getattr(cls, "resource_type", None):
                    found.add(cls.resource_type)
    return found


def test_every_emitted_type_is_priced_or_free() -> None:
    types = emitted_types()
    assert "AWS::ECS::Service" in types and "AWS::EC2::NatGateway" in types and len(types) > 30
    assert sorted(types - known_types()) == []


def test_priced_and_free_do_not_overlap() -> None:
    assert set(PRICERS) & set(free_types()) == set()


@pytest.mark.parametrize("example", ["hello", "maestro"])
def test_examples_have_no_unpriced_resource_type(example: str) -> None:
    for tset in template_sets([ROOT / "examples" / example / "moorage.yml"]):
        report = estimate_template_set(tset)
        assert [i for i in report.items if i.status == "not-priced"] == []


def test_a_rich_spec_has_no_unpriced_resource_type(tmp_path: Path) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text("""
name: rich
region: us-east-1
services:
  web: {image: nginx:1.27, port: 80, route: "/*", health: /}
  worker: {image: busybox:1.36, command: [sleep, "3600"], spot: true, uses: [data, queue]}
databases:
  data: {engine: aurora-postgresql, version: "16"}
  legacy: {engine: mysql, version: "8.0"}
caches:
  queue: {engine: redis, version: "7.1"}
buckets:
  files: {versioning: true}
secrets:
  TOKEN: {generate: true}
environments:
  dev: {}
  prod: {}
""", encoding="utf-8")
    loaded = api.load_app(spec)
    assert loaded.spec.databases
    for tset in template_sets([spec]):
        report = estimate_template_set(tset)
        assert [i.type for i in report.items if i.status == "not-priced"] == []


def test_catalog_has_every_required_region_and_every_rate_is_sourced() -> None:
    cat = packaged_catalog()
    assert set(REGIONS) <= set(cat.region_names)
    for region, rates in cat.regions.items():
        for key, rate in rates.items():
            assert rate.price >= 0, key
            assert rate.source.startswith(("http", "AWS Price List")), (region, key)
            assert rate.taken.startswith("20"), (region, key)


def test_no_region_borrows_another_regions_rate_without_a_source() -> None:
    cat = packaged_catalog()
    us = cat.regions["us-east-1"]
    for region in REGIONS[1:]:
        for key, rate in cat.regions[region].items():
            if key in us and rate.price == us[key].price and key != "vpc.public_ipv4_hour":
                # same price as us-east-1 is only allowed with a region-specific source (e.g. Ireland Fargate)
                assert rate.source != us[key].source, (region, key)


def test_docs_tables_are_generated_from_the_data() -> None:
    from moorage.cost.docs import catalog_markdown, usage_markdown

    text = (ROOT / "docs" / "cost.md").read_text(encoding="utf-8")
    assert usage_markdown() in text, "regenerate: moorage.cost.docs.refresh_docs(ROOT, template_sets)"
    assert catalog_markdown() in text, "regenerate: moorage.cost.docs.refresh_docs(ROOT, template_sets)"


@pytest.mark.parametrize("doc", ["docs/cost.md", "examples/README.md"])
def test_documented_example_estimates_are_what_the_code_produces(doc: str) -> None:
    from moorage.cost.docs import examples_markdown

    text = (ROOT / doc).read_text(encoding="utf-8")
    table = examples_markdown(ROOT, template_sets)
    assert table in text, f"regenerate {doc}: moorage.cost.docs.refresh_docs(ROOT, template_sets)"
    # the table is real: smartboard prod's upper bound and maestro prod's sourced sum are in it
    for example, env, path in (("smartboard", "prod", "docker-compose.yml"), ("maestro", "prod", "moorage.yml")):
        (tset,) = template_sets([ROOT / "examples" / example / path], envs=[env])
        report = estimate_template_set(tset)
        assert f"| {example} | {env} | {tset.region} | ${report.monthly:,.2f} | ${report.upper:,.2f}" in table


def test_figures_quoted_in_the_cost_docs_match_the_estimate() -> None:
    text = (ROOT / "docs" / "cost.md").read_text(encoding="utf-8")
    (maestro,) = template_sets([ROOT / "examples" / "maestro" / "moorage.yml"], envs=["prod"])
    db = next(i for i in estimate_template_set(maestro).items if i.rate.startswith("rds.instance_hour."))
    assert db.status == "priced" and db.monthly is not None  # derived from the region's db.r6g.large row
    assert f"in me-central-1 ${db.monthly:,.2f} ($1.108/h, derived" in text  # the db.r6g.xlarge Multi-AZ line
    (rupaya,) = template_sets([ROOT / "examples" / "rupaya" / "moorage.yml"], envs=["prod"])
    rupaya_db = [i for i in estimate_template_set(rupaya).items if i.resource == "DbDb"
                 and i.component.startswith(("DB instance", "DB storage", "provisioned IOPS"))]
    parts = [f"${i.monthly:,.2f}" for i in rupaya_db]
    total = f"${sum(i.monthly or 0.0 for i in rupaya_db):,.2f}"
    assert all(p in text for p in parts) and total in text, (parts, total)


# Rates derived from a sibling row by a relation AWS publishes, as (region, derived key, [(base key, factor)]): each
# base row times its factor must give the derived rate, so a refreshed base row cannot leave its derivative stale.
DERIVED_BY_SIZE = [
    # RDS size normalization: large = 4 units, xlarge = 8
    ("me-central-1", "rds.instance_hour.postgres.db.r6g.xlarge.multi",
     [("rds.instance_hour.postgres.db.r6g.large.multi", 2.0)]),
    # ElastiCache node size normalization: micro = 0.5, small = 1, medium = 2 (both neighbours must agree)
    ("eu-west-1", "elasticache.node_hour.redis.cache.t4g.small",
     [("elasticache.node_hour.redis.cache.t4g.micro", 2.0), ("elasticache.node_hour.redis.cache.t4g.medium", 0.5)]),
]


@pytest.mark.parametrize(("region", "key", "bases"), DERIVED_BY_SIZE, ids=lambda v: v if isinstance(v, str) else "")
def test_size_derived_rates_follow_their_base_rows_and_say_so(region: str, key: str,
                                                              bases: list[tuple[str, float]]) -> None:
    rates = packaged_catalog().regions[region]
    derived = rates[key]
    assert derived.note.startswith("derived, not an offer row") and "derived" in derived.source
    for base_key, factor in bases:
        base = rates[base_key]
        assert "SKU" in base.source and base.source.split("SKU ")[1][:16] in derived.source  # names its base row
        assert derived.price == pytest.approx(base.price * factor, abs=1e-9), (base_key, base.price, factor)
    # every rate that calls itself derived is covered by a rule like these (or is one of the documented older ones)
    older = {("eu-west-1", "rds.instance_hour.aurora-postgresql.db.r6g.large"),
             ("eu-west-2", "rds.storage_gb_month.gp3.multi"),
             ("us-east-1", "rds.storage_gb_month.io2.multi"), ("us-east-1", "rds.iops_month.io2.multi")}
    flagged = {(r, k) for r, table in packaged_catalog().regions.items() for k, rate in table.items()
               if rate.note.startswith("derived")}
    assert flagged == older | {(r, k) for r, k, _ in DERIVED_BY_SIZE}
