"""scale_to_zero on the emulator: the scheduled actions exist in Application Auto Scaling after a deploy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from moorage import api

SPEC = """\
name: nightly
region: eu-west-1
services:
  web:
    image: ghcr.io/acme/web:1.0.0
    port: 3000
    route: "/*"
    health: /health
    scale_to_zero: {outside: "mon-fri 07:00-20:00", timezone: Europe/London}
environments:
  dev: {}
"""


def test_scheduled_actions_are_created(tmp_path: Path, run_deploy: Callable[..., Any],
                                       aws: Callable[[str, str], Any]) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    result, _ = run_deploy(api.synth_environment(api.load_app(spec), "dev"))
    assert result.ok, result.failure
    actions = aws("application-autoscaling", "eu-west-1").describe_scheduled_actions(
        ServiceNamespace="ecs")["ScheduledActions"]
    by_name = {a["ScheduledActionName"]: a for a in actions}
    stop, start = by_name["nightly-dev-web-stop"], by_name["nightly-dev-web-start"]
    assert stop["Schedule"] == "cron(0 20 ? * MON-FRI *)"
    assert stop["ScalableTargetAction"] == {"MinCapacity": 0, "MaxCapacity": 0}
    assert start["Schedule"] == "cron(0 7 ? * MON-FRI *)"
    assert start["ScalableTargetAction"] == {"MinCapacity": 1, "MaxCapacity": 1}
