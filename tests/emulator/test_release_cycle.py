"""Releases end to end on the emulator: deploy v1, release v2 of one service, history, rollback, the
migration gate, and a blue/green environment's resources as ECS, ELB and Lambda hold them.

What the emulator cannot do, and so is verified in unit tests only (tests/render/test_render_release.py):
it runs no containers (a before-deploy job's exit code is injected where the job would run), it does not
shift listener weights or bake, it does not call the smoke hook, and its alarms never fire.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from moorage.cli.deploy import deploy
from moorage.cli.release import history, rollback

Aws = Callable[[str, str], Any]

SPEC = """\
name: relapp
region: eu-west-1
deploy: {strategy: rolling}
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health}
  api: {image: ghcr.io/acme/api:1.0.0, port: 4000, route: "/api/*", health: /api/health, uses: [files]}
  migrate: {image: ghcr.io/acme/migrate:1.0.0, command: [migrate], run: before-deploy}
buckets:
  files: {}
environments:
  dev: {}
"""


@pytest.fixture
def cli(local_cli: Callable[..., typer.Typer]) -> typer.Typer:
    """The release commands, with --local pointed at the in-process emulator on its loopback port."""
    return local_cli(deploy, history, rollback)


def _service(aws: Aws, name: str) -> tuple[dict[str, Any], str]:
    ecs = aws("ecs", "eu-west-1")
    arns = ecs.list_services(cluster="relapp-dev")["serviceArns"]
    arn = next(a for a in arns if a.rsplit("/", 1)[-1].startswith(f"relapp-dev-svc-{name}-"))
    [svc] = ecs.describe_services(cluster="relapp-dev", services=[arn])["services"]
    task = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
    return task, task["containerDefinitions"][0]["image"]


def _history(runner: CliRunner, cli: typer.Typer, spec: str) -> list[dict[str, Any]]:
    shown = runner.invoke(cli, ["history", spec, "--env", "dev", "--local", "--json"])
    assert shown.exit_code == 0, shown.output
    records: list[dict[str, Any]] = json.loads(shown.output.strip().splitlines()[-1])
    return records


def _updated(aws: Aws, stack: str) -> Any:
    found = aws("cloudformation", "eu-west-1").describe_stacks(StackName=stack)["Stacks"][0]
    return found.get("LastUpdatedTime") or found["CreationTime"]


def test_release_history_rollback_and_migration_gate(cli: typer.Typer, aws: Aws, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC, encoding="utf-8")
    spec = str(spec_path)
    runner = CliRunner()
    # v1
    first = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"])
    assert first.exit_code == 0, first.output
    assert "release 1 succeeded" in first.output
    unchanged = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"])
    assert unchanged.exit_code == 0 and "No changes" in unchanged.output and "recorded in" not in unchanged.output
    task_v1, image = _service(aws, "api")
    assert image == "ghcr.io/acme/api:1.0.0"
    data_before = _updated(aws, "relapp-dev-data")
    web_before = _service(aws, "web")[0]["taskDefinitionArn"]
    # v2 of one service: only its stack changes
    second = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--image",
                                 "api=ghcr.io/acme/api@sha256:" + "2" * 64])
    assert second.exit_code == 0, second.output
    assert _service(aws, "api")[1] == "ghcr.io/acme/api@sha256:" + "2" * 64
    assert _service(aws, "web")[0]["taskDefinitionArn"] == web_before
    records = _history(runner, cli, spec)
    assert [(r["number"], r["kind"], r["outcome"]) for r in records] == [(1, "deploy", "succeeded"),
                                                                          (2, "deploy", "succeeded")]
    one, two = records
    assert one["images"] == {"api": "ghcr.io/acme/api:1.0.0", "migrate": "ghcr.io/acme/migrate:1.0.0",
                             "web": "ghcr.io/acme/web:1.0.0"}
    assert two["changed"] == ["api"] and two["stacks"]["svc-web"] == "unchanged"
    assert two["digests"] == {"api": "sha256:" + "2" * 64} and one["digests"] == {}
    assert two["caller"].startswith("arn:aws:") and two["spec_hash"].startswith("sha256:")
    assert set(two["templates"]) == {"network", "data", "platform", "edge", "svc-web", "svc-api", "svc-migrate",
                                     "observability"} - ({"observability"} - set(two["templates"]))
    assert two["templates"]["svc-api"] != one["templates"]["svc-api"]
    assert two["templates"]["data"] == one["templates"]["data"]
    assert [m["service"] for m in two["migrations"]] == ["migrate"] and two["migrations"][0]["ran"] is False
    text = runner.invoke(cli, ["history", spec, "--env", "dev", "--local"])
    assert text.exit_code == 0 and "api=ghcr.io/acme/api:1.0.0" in text.output and "succeeded" in text.output
    # rollback api to v1: its task definition and image again; web and the data stack untouched
    back = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local", "--service", "api"])
    assert back.exit_code == 0, back.output
    assert "to 1" in back.output
    task_back, image = _service(aws, "api")
    assert image == "ghcr.io/acme/api:1.0.0"
    assert task_back["containerDefinitions"] == task_v1["containerDefinitions"]
    assert _service(aws, "web")[0]["taskDefinitionArn"] == web_before
    assert _updated(aws, "relapp-dev-data") == data_before
    records = _history(runner, cli, spec)
    assert (records[-1]["number"], records[-1]["kind"], records[-1]["rollback_to"]) == (3, "rollback", 1)
    assert records[-1]["images"]["api"] == "ghcr.io/acme/api:1.0.0"
    # a release that runs a new, irreversible migration cannot be rolled back over
    monkeypatch.setattr("moorage.deploy.jobs.run_job", lambda *a, **k: "job migrate: finished (exit 0)")
    third = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--image", "api=ghcr.io/acme/api:3.0.0",
                                "--image", "migrate=ghcr.io/acme/migrate:3.0.0"])
    assert third.exit_code == 0, third.output
    refused = runner.invoke(cli, ["rollback", spec, "--env", "dev", "--local"])
    assert refused.exit_code == 1
    assert "release 4 ran a new version of migration 'migrate'" in refused.output
    assert "reversible: true" in refused.output
    assert _service(aws, "api")[1] == "ghcr.io/acme/api:3.0.0"
    # a failing migration stops the release before any service changes; the running version keeps serving
    def failing(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("job migrate failed: migrate: exit 3 (logs: moorage status)")

    monkeypatch.setattr("moorage.deploy.jobs.run_job", failing)
    web_task = _service(aws, "web")[0]["taskDefinitionArn"]
    fourth = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--image", "api=ghcr.io/acme/api:4.0.0",
                                 "--image", "web=ghcr.io/acme/web:4.0.0", "--image",
                                 "migrate=ghcr.io/acme/migrate:4.0.0"])
    assert fourth.exit_code == 1
    assert "exit 3" in fourth.output
    assert _service(aws, "api")[1] == "ghcr.io/acme/api:3.0.0"
    assert _service(aws, "web")[0]["taskDefinitionArn"] == web_task
    last = _history(runner, cli, spec)[-1]
    assert (last["number"], last["outcome"]) == (5, "failed")
    assert last["stacks"]["svc-api"] == "skipped" and last["stacks"]["svc-web"] == "skipped"
    assert "exit 3" in last["migrations"][0]["result"]


def test_bad_image_option_is_a_usage_error(cli: typer.Typer, tmp_path: Path) -> None:
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC, encoding="utf-8")
    runner = CliRunner()
    for bad, says in (("api", "expected SERVICE=IMAGE"), ("nope=x:1", "no service named 'nope'")):
        done = runner.invoke(cli, ["deploy", str(spec_path), "--env", "dev", "--local", "--image", bad])
        assert done.exit_code != 0
        assert says in str(done.exception) or says in done.output


def test_blue_green_resources_on_the_emulator(cases: Any, run_deploy: Any, aws: Aws, tmp_path: Path) -> None:
    """The emulator keeps what a blue/green service declares (weights, alternate group, hook function);
    it does not act on them (no traffic shift, no hook call)."""
    from moorage import api

    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC.replace("strategy: rolling", "strategy: blue-green, smoke: /health"),
                         encoding="utf-8")
    synth = api.synth_environment(api.load_app(spec_path), "dev")
    result, _ = run_deploy(synth)
    assert result.ok, result.to_json()
    outputs = {o["OutputKey"]: o["OutputValue"] for o in aws("cloudformation", "eu-west-1").describe_stacks(
        StackName="relapp-dev-edge")["Stacks"][0]["Outputs"]}
    rules = [r for r in aws("elbv2", "eu-west-1").describe_rules(ListenerArn=outputs["ListenerArn"])["Rules"]
             if not r["IsDefault"]]
    assert len(rules) == 4  # web and api: a production rule and a test (header) rule each
    headers = [c for r in rules for c in r["Conditions"] if c["Field"] == "http-header"]
    assert sorted(c["HttpHeaderConfig"]["Values"][0] for c in headers) == ["api", "web"]
    for rule in rules:
        weights = sorted(t["Weight"] for t in rule["Actions"][0]["ForwardConfig"]["TargetGroups"])
        assert weights == [0, 1]
    functions = [f["FunctionName"] for f in aws("lambda", "eu-west-1").list_functions()["Functions"]]
    assert sorted(functions) == ["relapp-dev-api-smoke", "relapp-dev-web-smoke"]


def test_local_deploy_says_what_the_emulator_does_not_do_for_a_strategy(cli: typer.Typer, tmp_path: Path) -> None:
    runner = CliRunner()
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC, encoding="utf-8")
    rolling = runner.invoke(cli, ["deploy", str(spec_path), "--env", "dev", "--local"])
    assert rolling.exit_code == 0, rolling.output
    assert "does not shift traffic" not in rolling.output  # rolling needs nothing the emulator lacks
    spec_path.write_text(SPEC.replace("strategy: rolling", "strategy: canary"), encoding="utf-8")
    canary = runner.invoke(cli, ["deploy", str(spec_path), "--env", "dev", "--local"])
    assert canary.exit_code == 0, canary.output
    [note] = [line for line in canary.output.splitlines() if line.startswith("note: the emulator")]
    assert "api (canary), web (canary)" in note and "does not shift traffic" in note and "smoke hook" in note
