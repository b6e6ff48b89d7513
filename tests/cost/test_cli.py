"""`moorage cost` end to end: formats, budget comparison, --fail-over exit codes, the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import typer
from typer.testing import CliRunner

from moorage.api import template_sets
from moorage.cli.cost import cost, prices_refresh
from moorage.cost import estimate_template_set, monthly_total
from moorage.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
HELLO = ROOT / "examples" / "hello" / "moorage.yml"
SCHEMA = json.loads((ROOT / "docs" / "cost.schema.json").read_text(encoding="utf-8"))

app = typer.Typer()
app.command("cost")(cost)
prices = typer.Typer()
prices.command("refresh")(prices_refresh)
app.add_typer(prices, name="prices")
runner = CliRunner()


def run(*args: str) -> object:
    return runner.invoke(app, ["cost", *args], catch_exceptions=True)


@pytest.fixture(scope="module")
def budget_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = tmp_path_factory.mktemp("spec") / "moorage.yml"
    spec.write_text(HELLO.read_text(encoding="utf-8").replace(
        "region: eu-west-1", "region: us-east-1\nbudget: {monthly: 150, email: finance@example.com}"),
        encoding="utf-8")
    return spec


def test_json_output_validates_against_the_published_schema(budget_spec: Path) -> None:
    result = run(str(budget_spec), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert [e["environment"] for e in data["environments"]] == ["dev", "staging", "prod"]
    assert data["comparison"]["to"] == "prod" and data["comparison"]["drivers"]
    prod = data["environments"][2]
    assert prod["budget"]["amount"] == 150.0
    assert prod["low"] <= prod["monthly"] <= prod["high"]


def test_schema_rejects_a_priced_item_without_source() -> None:
    bad = {"currency": "USD", "environments": [{
        "environment": "x", "region": "us-east-1", "profile": None, "usage_profile": "small", "currency": "USD",
        "monthly": 1, "low": 1, "high": 1, "assumed": 0, "unknown_count": 0, "budget": None, "usage": [],
        "items": [{"stack": "s", "resource": "r", "type": "AWS::S3::Bucket", "component": "c", "status": "priced",
                   "quantity": 1, "unit": "GB", "unit_price": 1, "monthly": 1, "low": 1, "high": 1,
                   "assumption": False, "note": "", "rate": "k", "source": "", "taken": "", "region": "us-east-1"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(bad)


def test_budget_is_read_from_the_budget_template_and_compared(budget_spec: Path) -> None:
    (prod,) = template_sets([budget_spec], envs=["prod"])
    report = estimate_template_set(prod)
    assert report.budget is not None and report.budget.amount == 150.0
    result = run(str(budget_spec), "--env", "prod")
    assert result.exit_code == 0
    assert "budget $150.00/month" in result.stdout


def test_fail_over_exits_1_when_the_estimate_exceeds_it(budget_spec: Path) -> None:
    (prod,) = template_sets([budget_spec], envs=["prod"])
    total = estimate_template_set(prod).monthly
    over = run(str(budget_spec), "--env", "prod", "--fail-over", f"{total - 1:.2f}")
    assert over.exit_code == 1
    assert "exceeds --fail-over" in over.stderr
    assert run(str(budget_spec), "--env", "prod", "--fail-over", f"{total + 1:.2f}").exit_code == 0


def test_markdown_and_all_side_by_side(budget_spec: Path) -> None:
    md = run(str(budget_spec), "--format", "md")
    assert md.exit_code == 0
    assert "## prod (us-east-1)" in md.stdout and "## Side by side" in md.stdout
    assert "| resource | component | quantity | unit price | monthly | note |" in md.stdout
    table = run(str(budget_spec), "--all")
    assert table.exit_code == 0 and "the biggest differences" in table.stdout


def test_usage_file_changes_the_figures_and_bad_keys_are_located(budget_spec: Path, tmp_path: Path) -> None:
    usage = tmp_path / "usage.yml"
    usage.write_text("nat_gb: 1000\nenvironments:\n  prod: {data_out_gb: 0}\n", encoding="utf-8")
    data = json.loads(run(str(budget_spec), "--env", "prod", "--usage", str(usage), "--format", "json").stdout)
    figures = {u["key"]: u for u in data["environments"][0]["usage"]}
    assert figures["nat_gb"]["value"] == 1000 and figures["nat_gb"]["assumed"] is False
    assert figures["data_out_gb"]["origin"] == "usage file (environment)"
    usage.write_text("nat_gbs: 10\n", encoding="utf-8")
    bad = run(str(budget_spec), "--usage", str(usage))
    assert isinstance(bad.exception, InputError)
    assert "did you mean 'nat_gb'" in str(bad.exception)


def test_templates_from_disk_are_priced_too(budget_spec: Path, tmp_path: Path) -> None:
    from moorage import api
    from moorage.render import write_synth

    synth = api.synth_environment(api.load_app(budget_spec), "dev")
    write_synth(synth, tmp_path / "dev")
    result = run(*(str(p) for p in sorted((tmp_path / "dev").glob("*.json")) if p.name != "manifest.json"),
                 "--format", "json")
    data = json.loads(result.stdout)
    spec_total = estimate_template_set(template_sets([budget_spec], envs=["dev"])[0]).monthly
    assert data["environments"][0]["monthly"] == pytest.approx(spec_total, abs=0.01)


def test_monthly_total_for_plan_summaries(budget_spec: Path) -> None:
    (prod,) = template_sets([budget_spec], envs=["prod"])
    low, high, unknown = monthly_total(prod)
    report = estimate_template_set(prod)
    assert (low, high, unknown) == (report.low, report.high, len(report.unknown))
    assert high > low  # the web service autoscales 2-10


def test_price_region_what_if() -> None:
    data = json.loads(run(str(HELLO), "--env", "prod", "--price-region", "us-east-1", "--format", "json").stdout)
    env = data["environments"][0]
    assert env["environment"] == "prod (at us-east-1 rates)" and env["region"] == "us-east-1"
    native = json.loads(run(str(HELLO), "--env", "prod", "--format", "json").stdout)["environments"][0]
    assert native["region"] == "eu-west-1" and native["unknown_count"] > env["unknown_count"]


def test_prices_refresh_rejects_an_unknown_source(tmp_path: Path) -> None:
    result = runner.invoke(app, ["prices", "refresh", "--source", "bogus", "--output", str(tmp_path)])
    assert isinstance(result.exception, InputError)
    assert "unknown --source 'bogus'" in str(result.exception)
