"""Gates never pass on what is not known: items with no price and no proxy stop `--fail-over` and the budget
comparison; a region with no catalog is bounded by the highest catalogued rate; bad regions and amounts exit 2.

The cases come from an outside-in trial (af-south-1 prod passing `--fail-over 30`; a hand-written template with
an unknown instance class passing `--fail-over 100`; `--region xx-nowhere-9`; `--fail-over nan`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from moorage.api import template_sets
from moorage.cli.app import app as moorage_app
from moorage.cli.cost import cost
from moorage.cost import estimate_template_set, packaged_catalog
from moorage.cost.report import gate_failure, headline, summary_lines

ROOT = Path(__file__).resolve().parents[2]
HELLO = ROOT / "examples" / "hello" / "moorage.yml"
HAND = Path(__file__).parent / "fixtures" / "hand" / "cost1.yaml"
runner = CliRunner()
app = typer.Typer()
app.command("cost")(cost)
app.command("noop")(lambda: None)  # a second command keeps `cost` a subcommand


@pytest.fixture(scope="module")
def cape_town(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/hello moved to af-south-1, a real AWS region the catalog has no file for."""
    spec = tmp_path_factory.mktemp("af") / "moorage.yml"
    text = HELLO.read_text(encoding="utf-8")
    assert "region: eu-west-1" in text
    spec.write_text(text.replace("region: eu-west-1", "region: af-south-1"), encoding="utf-8")
    return spec


def test_a_region_without_a_catalog_is_bounded_by_the_highest_catalogued_rate(cape_town: Path) -> None:
    catalog = packaged_catalog()
    assert "af-south-1" not in catalog.region_names
    key = "vpc.nat_hour"
    prices = [catalog.regions[r][key].price for r in catalog.region_names if key in catalog.regions[r]]
    proxy = catalog.proxy("af-south-1", key)
    assert proxy is not None and proxy.price == max(prices)
    assert f"no catalog for af-south-1: the highest of the {len(catalog.region_names)} catalogued regions" \
        in proxy.basis
    doc = " ".join((ROOT / "docs" / "cost.md").read_text(encoding="utf-8").split())
    assert f"no catalog for af-south-1: the highest of the {len(catalog.region_names)} catalogued regions" in doc
    (prod,) = template_sets([cape_town], envs=["prod"])
    report = estimate_template_set(prod)
    assert report.unknown and not report.unbounded  # every unknown item carries a proxy now
    # the prod bound includes the NAT, the Multi-AZ database and the load balancer: far above the $25.70 once shown
    assert report.upper > 200 > report.monthly
    assert headline(report).startswith(f"prod: at most ${report.upper:,.2f}/month in af-south-1")


def test_fail_over_cannot_pass_with_items_that_have_no_price_and_no_proxy() -> None:
    result = runner.invoke(app, ["cost", str(HAND), "--region", "us-east-1", "--fail-over", "100"])
    assert result.exit_code == 1, result.output
    assert "cannot show the estimate is under $100.00 (--fail-over): " in result.stderr
    assert "item(s) have no price and no proxy" in result.stderr
    assert "db.x9z.mega" in " ".join(result.stderr.split())
    # the user may say explicitly that only the sourced total counts
    sourced = runner.invoke(app, ["cost", str(HAND), "--region", "us-east-1", "--fail-over", "100",
                                  "--fail-over-basis", "sourced"])
    assert sourced.exit_code == 0, sourced.stderr


def test_the_headline_says_when_the_total_is_not_a_bound() -> None:
    (hand,) = template_sets([HAND], region="us-east-1")
    report = estimate_template_set(hand)
    assert report.unbounded
    line = headline(report)
    assert "NO UPPER BOUND" in line and "at most" not in line
    assert f"{len(report.unbounded)} item(s) have no price and no proxy" in line
    out = runner.invoke(app, ["cost", str(HAND), "--region", "us-east-1"])
    assert "NO UPPER BOUND" in out.stdout
    md = runner.invoke(app, ["cost", str(HAND), "--region", "us-east-1", "--format", "md"]).stdout
    assert "no upper bound" in md.splitlines()[0] and "at most" not in md.splitlines()[0]


def test_plan_and_cost_give_the_same_headline_outside_the_catalog(cape_town: Path) -> None:
    (prod,) = template_sets([cape_town], envs=["prod"])
    line = headline(estimate_template_set(prod))
    plan = CliRunner().invoke(moorage_app, ["plan", str(cape_town), "--env", "prod"])
    assert plan.exit_code == 0, plan.output
    assert " ".join(line.split()) in " ".join(plan.stdout.split())


def test_budget_comparison_is_undecided_when_items_have_no_proxy() -> None:
    (hand,) = template_sets([HAND], region="us-east-1")
    report = estimate_template_set(hand)
    from moorage.cost.model import Budget

    report.budget = Budget(1000.0, "b", "cost1")
    lines = summary_lines(report)
    assert any("cannot tell whether it is within budget" in line for line in lines)
    assert not any("within budget)" in line for line in lines)
    assert report.to_dict()["budget"]["over"] is None
    assert gate_failure(report, 1000.0, "sourced") is None
    assert gate_failure(report, 1.0) is not None and "exceeds --fail-over $1.00" in str(gate_failure(report, 1.0))


def test_summary_does_not_claim_a_proxy_basis_for_items_without_one() -> None:
    (hand,) = template_sets([HAND], region="us-east-1")
    report = estimate_template_set(hand)
    text = "\n".join(summary_lines(report))
    assert "with its proxy basis" not in text or len(report.unknown) > len(report.unbounded)
    assert f"{len(report.unbounded)} item(s) have no price and no proxy: each is marked unknown in the table " \
        "with the reason" in text


@pytest.mark.parametrize(("option", "value"), [("--region", "xx-nowhere-9"), ("--price-region", "xx-fake-1"),
                                               ("--region", "us-eats-1")])
def test_an_unknown_region_exits_2_with_the_known_ones(option: str, value: str, run_cli: Callable[..., Any]) -> None:
    result = run_cli("cost", HAND, option, value)
    assert result.code == 2, result.out + result.err
    err = " ".join(result.err.split())
    assert f"{option}: unknown AWS region '{value}'" in err and "af-south-1" in err and "eu-west-1" in err
    if value == "us-eats-1":
        assert "did you mean us-east-1?" in err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-5"])
def test_fail_over_must_be_a_finite_amount(value: str, run_cli: Callable[..., Any]) -> None:
    result = run_cli("cost", HAND, "--region", "us-east-1", "--fail-over", value)
    assert result.code == 2, result.out + result.err
    assert "--fail-over" in result.err and "not a monthly amount" in result.err


def test_json_marks_the_budget_and_counts_unbounded_items() -> None:
    data = json.loads(runner.invoke(app, ["cost", str(HAND), "--region", "us-east-1", "--format", "json"]).stdout)
    env = data["environments"][0]
    assert env["unbounded_count"] >= 1


def test_a_quantity_of_many_unit_blocks_reads_as_a_product() -> None:
    from moorage.cost.model import LineItem
    from moorage.cost.report import rows

    report = estimate_template_set(template_sets([HAND], region="us-east-1")[0])
    report.items = [LineItem("keys", "Key", "AWS::KMS::Key", "KMS requests", "priced", 10.0, "10,000 requests", 0.03,
                             0.3)]
    assert rows(report)[0][2] == "10 x 10,000 requests"


def test_the_total_phrase_never_shows_a_sourced_sum_as_the_total_when_items_are_unknown() -> None:
    from moorage.cost.model import CostReport, LineItem
    from moorage.cost.report import total_phrase

    def item(name: str, status: str, monthly: float | None = None, proxy: float | None = None) -> LineItem:
        return LineItem(stack="s", resource=name, type="AWS::RDS::DBInstance", component="instance",
                        status=status, monthly=monthly, proxy_monthly=proxy)  # type: ignore[arg-type]

    def report(*items: LineItem) -> CostReport:
        return CostReport(label="x", region="eu-west-1", profile=None, usage_profile="small", items=list(items))

    priced, proxied, bare = item("A", "priced", 2.0), item("B", "unknown", proxy=10.0), item("C", "unknown")
    assert total_phrase(report(priced)) == "$2.00"
    assert total_phrase(report(priced, proxied)) == "at most $12.00"
    assert total_phrase(report(priced, proxied, bare)) == "no upper bound ($12.00 counted)"


def test_region_is_refused_where_it_would_be_ignored_or_mislabel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """--region names the region of loose templates: on a spec it was silently ignored, and on a synth directory
    it relabelled the headline while every stack stayed priced at the manifest's region."""
    from moorage.cli.app import main

    def moorage(*args: str) -> tuple[int, str]:
        monkeypatch.setattr("sys.argv", ["moorage", *args])
        with pytest.raises(SystemExit) as exit_:
            main()
        return int(exit_.value.code or 0), capsys.readouterr().err

    code, err = moorage("cost", str(HELLO), "--env", "prod", "--region", "af-south-1")
    assert code == 2 and "--price-region af-south-1" in err
    code, err = moorage("check", str(HELLO), "--region", "af-south-1")  # the policy run refuses it alike
    assert code == 2 and "is a spec, whose environments name their own region" in " ".join(err.split())
    out = tmp_path / "synth"
    assert moorage("synth", str(HELLO), "-e", "prod", "-o", str(out))[0] == 0
    code, err = moorage("cost", str(out / "prod"), "--region", "af-south-1")
    assert code == 2 and "contradicts the synth manifest" in err
    assert moorage("cost", str(out / "prod"), "--region", "eu-west-1")[0] == 0
