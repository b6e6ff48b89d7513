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
