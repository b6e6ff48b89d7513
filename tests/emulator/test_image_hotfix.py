"""`deploy --image` on the emulator: releasing one service keeps an earlier `--image` hotfix of another running,
and `diff` / `deploy` show every image, variable and count they move, old -> new (never a secret value)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from moorage.cli.deploy import deploy, diff

Aws = Callable[[str, str], Any]

SPEC = """\
name: shop
region: eu-west-1
deploy: {strategy: rolling}
secrets:
  STRIPE_KEY: {generate: false}
services:
  web:
    image: ghcr.io/acme/web:1.1.0
    port: 8080
    route: "/*"
    health: /health
    env: {LOG_LEVEL: info}
    secrets: [STRIPE_KEY]
  worker: {image: ghcr.io/acme/worker:1.0.0, command: [work]}
environments:
  dev: {}
"""


@pytest.fixture
def cli(local_cli: Callable[..., typer.Typer]) -> typer.Typer:
    """deploy and diff, with --local pointed at the in-process emulator on its loopback port."""
    return local_cli(deploy, diff)


def _image(aws: Aws, name: str) -> str:
    ecs = aws("ecs", "eu-west-1")
    arns = ecs.list_services(cluster="shop-dev")["serviceArns"]
    arn = next(a for a in arns if a.rsplit("/", 1)[-1].startswith(f"shop-dev-svc-{name}-"))
    [svc] = ecs.describe_services(cluster="shop-dev", services=[arn])["services"]
    task = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"]
    return str(task["containerDefinitions"][0]["image"])


def test_image_of_one_service_keeps_the_hotfix_of_another(cli: typer.Typer, aws: Aws, tmp_path: Path) -> None:
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC, encoding="utf-8")
    spec = str(spec_path)
    runner = CliRunner()
    first = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"])
    assert first.exit_code == 0, first.output
    hotfix = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--image", "web=ghcr.io/acme/web:1.3.0"])
    assert hotfix.exit_code == 0, hotfix.output
    assert "image (web): ghcr.io/acme/web:1.1.0 -> ghcr.io/acme/web:1.3.0" in hotfix.output
    assert _image(aws, "web") == "ghcr.io/acme/web:1.3.0"
    # releasing worker: web stays on its hotfix, and the output says why
    other = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--image",
                                "worker=ghcr.io/acme/worker:1.3.0"])
    assert other.exit_code == 0, other.output
    assert "web: keeps ghcr.io/acme/web:1.3.0, the image it runs now (the spec says ghcr.io/acme/web:1.1.0)" \
        in other.output
    assert "shop-dev-svc-web:" not in other.output  # no change list for web's stack: it did not change
    assert _image(aws, "web") == "ghcr.io/acme/web:1.3.0"
    assert _image(aws, "worker") == "ghcr.io/acme/worker:1.3.0"
    # diff (no --image) shows what a plain deploy does: both back to the spec's images, old -> new
    shown = runner.invoke(cli, ["diff", spec, "--env", "dev", "--local"])
    assert shown.exit_code == 0, shown.output
    assert "image (web): ghcr.io/acme/web:1.3.0 -> ghcr.io/acme/web:1.1.0" in shown.output
    assert "image (worker): ghcr.io/acme/worker:1.3.0 -> ghcr.io/acme/worker:1.0.0" in shown.output
    # env values, a new secret by name only, and the desired count, in the table and in --json
    spec_path.write_text(SPEC.replace("LOG_LEVEL: info", "LOG_LEVEL: debug").replace(
        "command: [work]}", "command: [work], replicas: 2}"), encoding="utf-8")
    changed = runner.invoke(cli, ["diff", spec, "--env", "dev", "--local"])
    assert changed.exit_code == 0, changed.output
    assert "env LOG_LEVEL (web): info -> debug" in changed.output
    assert "desired count: 1 -> 2" in changed.output
    as_json = runner.invoke(cli, ["diff", spec, "--env", "dev", "--local", "--json"])
    values = [v for line in as_json.output.splitlines() if line.startswith("{")
              for ev in [json.loads(line)] if ev.get("event") == "changes"
              for c in ev["changes"] for v in c["values"]]
    assert {"what": "env LOG_LEVEL (web)", "old": "info", "new": "debug", "hidden": False, "added": False,
            "removed": False} in values
    assert any(v["what"] == "desired count" and (v["old"], v["new"]) == ("1", "2") for v in values)


BUILT = """\
name: builder
region: eu-west-1
services:
  api: {build: ./api, port: 8080, route: "/*"}
  worker: {image: ghcr.io/acme/worker:1.0.0, command: [work]}
environments:
  dev: {}
"""


def test_a_built_service_running_an_image_from_elsewhere_is_warned_about(cli: typer.Typer, tmp_path: Path) -> None:
    """A build: service released with --image earlier is built from its context again by a deploy that names
    another service: that is said, with the --image that keeps it."""
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(BUILT, encoding="utf-8")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "Dockerfile").write_text("FROM scratch\nLABEL service=api\n", encoding="utf-8")
    spec = str(spec_path)
    runner = CliRunner()
    first = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"])
    assert first.exit_code == 0, first.output
    hotfix = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--image", "api=ghcr.io/acme/api:9.9.9"])
    assert hotfix.exit_code == 0, hotfix.output
    other = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local", "--image",
                                "worker=ghcr.io/acme/worker:1.1.0"])
    assert other.exit_code == 0, other.output
    assert ("api: runs ghcr.io/acme/api:9.9.9 (an earlier --image); this deploy builds api from its context again "
            "and releases that: add --image api=ghcr.io/acme/api:9.9.9 to keep it") in other.output
