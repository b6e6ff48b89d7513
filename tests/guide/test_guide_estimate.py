"""`envs`, `plan` and the guide give the same estimate for the same spec, in one phrase (hout3 finding 16: envs
showed the sourced sum "$119 (+17 unpriced)" where plan and the guide gave the bound with the unpriced items at
their proxy prices)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moorage.cost.report import estimate_phrase, total_phrase

# Unpriced items (17 in dev) and an autoscaled prod: every part of the phrase shows.
SHOP = """name: shop
region: eu-central-1
services:
  web:
    image: ghcr.io/acme/shop-web:1.1.0
    port: 8080
    route: "/*"
    health: /healthz
    uses: [db, cache]
  worker:
    image: ghcr.io/acme/shop-worker:1.0.0
    uses: [db, cache]
    command: [python, -m, worker]
    replicas: 2
    secrets: [STRIPE_KEY]
databases:
  db: {engine: postgres, version: "16"}
caches:
  cache: {engine: redis, version: "7.1"}
secrets:
  STRIPE_KEY: {generate: false}
  SESSION_SECRET: {generate: true}
environments:
  dev: {}
  prod: {}
"""


def test_envs_plan_and_the_guide_agree(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    from moorage import api
    from moorage.cfn import template_set_of
    from moorage.cost import estimate_template_set

    spec = tmp_path / "moorage.yml"
    spec.write_text(SHOP, encoding="utf-8")
    envs = run_cli("envs", spec, "--local", "--format", "json")  # a stopped emulator: nothing deployed, no start
    assert envs.code == 0, envs.err
    rows = {r["name"]: r for r in json.loads(envs.out)}
    plan = run_cli("plan", spec, "--format", "json")
    assert plan.code == 0, plan.err
    planned = json.loads(plan.out)
    docs = run_cli("docs", spec, "--all", "-o", tmp_path / "site")
    assert docs.code == 0, docs.err
    comparison = (tmp_path / "site" / "COMPARISON.md").read_text(encoding="utf-8")
    loaded = api.load_app(spec)
    scaled = 0
    for env in ("dev", "prod"):
        report = estimate_template_set(template_set_of(api.synth_environment(loaded, env)))
        assert report.unknown and not report.unbounded, "the case needs items priced by proxy only"
        phrase = estimate_phrase(report)
        row, figures = rows[env], planned[env]["monthly_estimate_usd"]
        assert row["estimate"] == phrase, (row, phrase)
        assert row["monthly_upper"] == figures["upper"] == round(report.upper, 2)
        # envs --json: the autoscaling bound the phrase gives, and the priced-only figures named as such
        assert row["monthly_upper_autoscaled"] == round(report.upper_high, 2) >= row["monthly_upper"]
        assert (row["monthly_priced_low"], row["monthly_priced_high"]) == (row["monthly_low"], row["monthly_high"]) \
            == (round(report.low, 2), round(report.high, 2))
        assert row["unpriced"] == figures["unpriced_items"] == len(report.unknown)
        # plan's headline says the same total in the same words (with its region and the sourced/proxy split)
        assert f"{total_phrase(report)}/month" in figures["headline"], figures["headline"]
        assert f"at most ${report.upper:,.2f}/month" in phrase
        guide = (tmp_path / "site" / env / "DEPLOYMENT.md").read_text(encoding="utf-8")
        assert f"| monthly estimate | {phrase}; see Cost |" in guide
        assert phrase in comparison
        if "autoscaling up to" in phrase:
            scaled += 1
            assert f"(autoscaling up to ${report.upper_high:,.2f})" in figures["headline"]
            assert f"(autoscaling up to ${row['monthly_upper_autoscaled']:,.2f})" in row["estimate"]
    assert scaled == 1, "prod autoscales, dev does not"
