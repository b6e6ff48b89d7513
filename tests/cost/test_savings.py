"""The savings section: Graviton and Spot at catalog rates, commitments listed but never guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from moorage.api import template_sets
from moorage.cost import Catalog, estimate_template_set

from .helpers import catalog, tset

ROOT = Path(__file__).resolve().parents[2]


def service(cpu: str = "512", memory: str = "1024", count: int = 2) -> dict[str, dict[str, object]]:
    return {
        "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
            "RequiresCompatibilities": ["FARGATE"], "Cpu": cpu, "Memory": memory}},
        "Service": {"Type": "AWS::ECS::Service", "Properties": {
            "TaskDefinition": {"Ref": "Task"}, "DesiredCount": count, "LaunchType": "FARGATE"}}}


def test_graviton_and_spot_are_priced_from_the_catalog() -> None:
    cat = catalog(**{"fargate__vcpu_hour__x86": 0.04048, "fargate__gb_hour__x86": 0.004445,
                     "fargate__vcpu_hour__arm": 0.03238, "fargate__gb_hour__arm": 0.00356,
                     "fargate__spot__vcpu_hour__x86": 0.0127, "fargate__spot__gb_hour__x86": 0.0014})
    report = estimate_template_set(tset(service()), catalog=cat)
    options = {s.option: s for s in report.savings}
    graviton = options["Graviton (arm64) Fargate tasks"]
    # 2 tasks x 0.5 vCPU x 730 h = 730 vCPU-h, 2 x 1 GB x 730 = 1,460 GB-h
    assert graviton.current == pytest.approx(730 * 0.04048 + 1460 * 0.004445)
    assert graviton.alternative == pytest.approx(730 * 0.03238 + 1460 * 0.00356)
    assert graviton.basis == "sourced" and graviton.saving == pytest.approx(graviton.current - graviton.alternative)
    spot = options["Fargate Spot"]
    assert spot.alternative == pytest.approx(730 * 0.0127 + 1460 * 0.0014)
    assert "interruption" in spot.note
    # no sourced 1-year no-upfront discount: listed with what it would cover, never a guessed figure
    sp = options["Compute Savings Plan, 1 year, no upfront (Fargate)"]
    assert sp.alternative is None and sp.basis == "not priced" and sp.current == pytest.approx(graviton.current)


def test_savings_are_marked_proxy_where_the_region_lacks_a_rate() -> None:
    (prod,) = template_sets([ROOT / "examples" / "maestro" / "moorage.yml"], envs=["prod"])
    options = {s.option: s for s in estimate_template_set(prod).savings}
    assert options["Graviton (arm64) Fargate tasks"].basis == "proxy"  # no Fargate arm64 rate sourced in me-central-1
    (prod,) = template_sets([ROOT / "examples" / "smartboard" / "docker-compose.yml"], envs=["prod"])
    report = estimate_template_set(prod)
    options = {s.option: s for s in report.savings}
    # eu-west-1's arm64 rates are sourced (SKUs KXC9CEUQGJQPNZPY, MGJ5EB5GSHR8QZDF): the Graviton figure is too
    graviton = options["Graviton (arm64) Fargate tasks"]
    assert graviton.basis == "sourced"
    assert graviton.alternative == pytest.approx(graviton.current * 0.03238 / 0.04048, rel=0.01)  # both rates -20 %
    assert options["Fargate Spot"].basis == "sourced"
    assert options["Fargate Spot"].saving > 0
    for hello in template_sets([ROOT / "examples" / "hello" / "moorage.yml"]):
        assert {s.option: s for s in estimate_template_set(hello).savings}[
            "Graviton (arm64) Fargate tasks"].basis == "sourced", hello.label
    assert {"RDS Reserved Instances, 1 year, no upfront",
            "ElastiCache reserved nodes, 1 year, no upfront"} <= set(options)


def test_commitments_without_a_sourced_rate_are_reported_unpriced_in_every_example_region() -> None:
    from typer.testing import CliRunner

    from moorage.cli.app import app

    spec = ROOT / "examples" / "smartboard" / "docker-compose.yml"
    (prod,) = template_sets([spec], envs=["prod"])
    commitments = [s for s in estimate_template_set(prod).savings if "1 year, no upfront" in s.option]
    assert {s.option for s in commitments} == {"Compute Savings Plan, 1 year, no upfront (Fargate)",
                                               "RDS Reserved Instances, 1 year, no upfront",
                                               "ElastiCache reserved nodes, 1 year, no upfront"}
    for s in commitments:  # nothing invented: no alternative, no saving, and the report says so
        assert s.basis == "not priced" and s.alternative is None and s.saving is None and s.current > 0
    out = CliRunner().invoke(app, ["cost", str(spec), "--env", "prod"])
    assert out.exit_code == 0, out.output
    lines = [line for line in out.stdout.splitlines() if "1 year, no upfront" in line]
    assert len(lines) == 3 and all("UNPRICED, the saving is not estimated" in line for line in lines)


def cache(node: str, count: int = 2) -> dict[str, object]:
    return {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
        "Engine": "redis", "CacheNodeType": node, "NumCacheClusters": count}}


def test_a_sourced_per_class_commitment_rate_prices_the_commitment_and_the_rest_stays_unpriced() -> None:
    cat = catalog(**{"elasticache__node_hour__redis__cache__r6g__large": 0.229,
                     "elasticache__node_hour__redis__cache__t4g__small": 0.034,
                     "elasticache__ri_1y_no_upfront_hour__redis__cache__r6g__large": 0.157})
    report = estimate_template_set(tset({"Big": cache("cache.r6g.large"), "Small": cache("cache.t4g.small")}),
                                   catalog=cat)
    ri = next(s for s in report.savings if s.option == "ElastiCache reserved nodes, 1 year, no upfront")
    # 2 nodes x 730 h: $334.34 on demand, $229.22 reserved; the t4g.small nodes have no committed rate
    assert ri.current == pytest.approx(2 * 730 * 0.229) and ri.alternative == pytest.approx(2 * 730 * 0.157)
    assert ri.basis == "sourced" and ri.applies_to == "1 of 2 line item(s)"
    assert "elasticache.ri_1y_no_upfront_hour.redis.cache.r6g.large $0.157/h" in ri.note
    assert f"1 more line item(s) (${2 * 730 * 0.034:,.2f}/month) have no sourced" in ri.note


def test_a_committed_rate_is_never_borrowed_from_another_region() -> None:
    # the reserved rate is sourced in us-east-1 only: eu-west-1's commitment stays unpriced (no proxy for it)
    us = catalog(**{"elasticache__node_hour__redis__cache__r6g__large": 0.206,
                    "elasticache__ri_1y_no_upfront_hour__redis__cache__r6g__large": 0.14})
    eu = catalog("eu-west-1", **{"elasticache__node_hour__redis__cache__r6g__large": 0.229})
    cat = Catalog({**us.regions, **eu.regions})
    report = estimate_template_set(tset({"Big": cache("cache.r6g.large")}, region="eu-west-1"), catalog=cat)
    ri = next(s for s in report.savings if s.option == "ElastiCache reserved nodes, 1 year, no upfront")
    assert ri.basis == "not priced" and ri.alternative is None and ri.current == pytest.approx(2 * 730 * 0.229)


def test_what_if_at_eu_west_1_prices_rupayas_cache_reservation_from_the_sourced_rate() -> None:
    from typer.testing import CliRunner

    from moorage.cli.app import app

    spec = ROOT / "examples" / "rupaya" / "moorage.yml"
    out = CliRunner().invoke(app, ["cost", str(spec), "--env", "prod", "--price-region", "eu-west-1"])
    assert out.exit_code == 0, out.output
    (line,) = [x for x in out.stdout.splitlines() if x.strip().startswith("ElastiCache reserved nodes")]
    # rupaya prod: 3 cache.r6g.large nodes x 730 h at eu-west-1's $0.229 on demand and $0.157 reserved
    assert f"${3 * 730 * 0.229:,.2f} -> ${3 * 730 * 0.157:,.2f}/month" in line and "sourced rates" in line
    rds = [x for x in out.stdout.splitlines() if x.strip().startswith("RDS Reserved Instances")]
    assert len(rds) == 1 and "UNPRICED" in rds[0]


def test_us_east_1_examples_price_the_fargate_savings_plan_from_the_sourced_rates() -> None:
    from typer.testing import CliRunner

    from moorage.cli.app import app

    # us-east-1's 1-year no-upfront Compute Savings Plan rates (catalog, AWSComputeSavingsPlan offer of 2026-09-25):
    # x86 $0.032384 per vCPU-hour and $0.003556 per GB-hour, arm64 $0.0255 and $0.0028
    spec = ROOT / "examples" / "rupaya" / "moorage.yml"
    (prod,) = template_sets([spec], envs=["prod"])
    sp = next(s for s in estimate_template_set(prod).savings if s.option.startswith("Compute Savings Plan"))
    # backend: 3 tasks x 1 vCPU / 2 GB all month; the migration job: 40 deploys x 5 min of 0.5 vCPU / 1 GB
    vcpu_h, gb_h = 3 * 730 + 40 * 5 / 60 * 0.5, 3 * 2 * 730 + 40 * 5 / 60 * 1
    assert sp.basis == "sourced" and sp.applies_to == "4 of 4 line item(s)"
    assert sp.current == pytest.approx(vcpu_h * 0.04048 + gb_h * 0.004445)
    assert sp.alternative == pytest.approx(vcpu_h * 0.032384 + gb_h * 0.003556)
    assert round(sp.alternative, 2) == 86.56 and round(sp.saving or 0, 2) == 21.64
    out = CliRunner().invoke(app, ["cost", str(spec), "--env", "prod"])
    assert out.exit_code == 0, out.output
    (line,) = [x for x in out.stdout.splitlines() if x.strip().startswith("Compute Savings Plan")]
    assert "$108.20 -> $86.56/month" in line and "sourced rates" in line
    # macro-ai runs its services on arm64: the Graviton rates of the plan price them
    (macro,) = template_sets([ROOT / "examples" / "macro-ai" / "moorage.yml"], envs=["prod"])
    report = estimate_template_set(macro)
    sp = next(s for s in report.savings if s.option.startswith("Compute Savings Plan"))
    arm = [i for i in report.items if i.rate in ("fargate.vcpu_hour.arm", "fargate.gb_hour.arm")]
    assert arm and sp.basis == "sourced"
    assert "fargate.compute_sp_1y_no_upfront.vcpu_hour.arm $0.0255/h" in sp.note
    expected = sum(i.quantity * (0.0255 if "vcpu" in i.rate else 0.0028) for i in arm) + sum(
        i.quantity * (0.032384 if "vcpu" in i.rate else 0.003556) for i in report.items
        if i.rate in ("fargate.vcpu_hour.x86", "fargate.gb_hour.x86"))
    assert sp.alternative == pytest.approx(expected) and round(sp.alternative, 2) == 90.84


def test_the_fargate_savings_plan_stays_unpriced_where_no_regional_rate_is_sourced() -> None:
    # eu-west-1 bills Fargate at us-east-1's on-demand rates, but the plan's rates are per region: not borrowed
    (prod,) = template_sets([ROOT / "examples" / "hello" / "moorage.yml"], envs=["prod"])
    sp = next(s for s in estimate_template_set(prod).savings if s.option.startswith("Compute Savings Plan"))
    assert prod.region == "eu-west-1" and sp.basis == "not priced" and sp.alternative is None


def test_the_savings_figures_quoted_in_the_cost_doc_are_what_the_code_produces() -> None:
    import re

    text = re.sub(r"\s+", " ", (ROOT / "docs" / "cost.md").read_text(encoding="utf-8"))
    figures = {}
    for example in ("rupaya", "macro-ai"):
        (prod,) = template_sets([ROOT / "examples" / example / "moorage.yml"], envs=["prod"])
        sp = next(s for s in estimate_template_set(prod).savings if s.option.startswith("Compute Savings Plan"))
        assert sp.alternative is not None
        figures[example] = (f"${sp.current:,.2f}", f"${sp.alternative:,.2f}")
    current, alternative = figures["rupaya"]
    assert f"{current} a month on demand, {alternative} under the plan" in text
    current, alternative = figures["macro-ai"]
    assert f"prod {current} → {alternative}" in text
