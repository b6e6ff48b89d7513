"""Scale to zero out of hours, scaling cooldowns and per-service rollout bounds: spec -> plan -> template."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from moorage.render import Synth
from moorage.validate.lint import lint_template

APP = """
name: demo
region: me-central-1
services:
  web:
    image: x:1
    port: 80
    route: "/*"
    scaling: {min: 2, max: 6, cpu: 70, scale_out_cooldown: 120, scale_in_cooldown: 600}
  worker:
    image: x:1
    min_healthy_percent: 70
    max_percent: 150
environments:
  dev:
    services:
      web: {scale_to_zero: {outside: "sun-thu 08:00-19:30", timezone: Asia/Dubai}}
      worker: {scale_to_zero: {outside: "mon-fri 07:00-20:00"}}
  prod: {}
"""


def res(synth: Synth, stack: str, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in synth.templates[stack]["Resources"].items() if r["Type"] == kind}


def test_scale_to_zero_stops_and_starts_on_a_schedule(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "dev")
    web = res(synth, "svc-web", "AWS::ApplicationAutoScaling::ScalableTarget")["ScalableTarget"]
    stop, start = web["ScheduledActions"]
    assert stop["Schedule"] == "cron(30 19 ? * SUN-THU *)" and stop["Timezone"] == "Asia/Dubai"
    assert stop["ScalableTargetAction"] == {"MinCapacity": 0, "MaxCapacity": 0}
    assert start["Schedule"] == "cron(0 8 ? * SUN-THU *)"
    assert start["ScalableTargetAction"] == {"MinCapacity": 2, "MaxCapacity": 6}
    # a service without autoscaling gets a target pinned at its task count, for the schedule
    worker = res(synth, "svc-worker", "AWS::ApplicationAutoScaling::ScalableTarget")["ScalableTarget"]
    assert (worker["MinCapacity"], worker["MaxCapacity"]) == (1, 1)
    assert worker["ScheduledActions"][1]["ScalableTargetAction"] == {"MinCapacity": 1, "MaxCapacity": 1}
    assert worker["ScheduledActions"][0]["Timezone"] == "UTC"
    assert not res(synth, "svc-worker", "AWS::ApplicationAutoScaling::ScalingPolicy")
    decisions = {d.topic: d.value for d in synth.plan.decisions}
    assert decisions["services.web.scale_to_zero"] == "0 tasks outside sun-thu 08:00-19:30 Asia/Dubai"
    for key in ("svc-web", "svc-worker"):
        errors = [f.render() for f in lint_template(synth.template_text(key), ["me-central-1"], key)]
        assert not errors, errors


def test_cooldowns_and_rollout_bounds(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "prod")
    policy = res(synth, "svc-web", "AWS::ApplicationAutoScaling::ScalingPolicy")["ScaleCpu"]
    config = policy["TargetTrackingScalingPolicyConfiguration"]
    assert (config["ScaleOutCooldown"], config["ScaleInCooldown"]) == (120, 600)
    assert "ScheduledActions" not in res(synth, "svc-web", "AWS::ApplicationAutoScaling::ScalableTarget")[
        "ScalableTarget"]
    deployment = res(synth, "svc-worker", "AWS::ECS::Service")["Service"]["DeploymentConfiguration"]
    assert (deployment["MinimumHealthyPercent"], deployment["MaximumPercent"]) == (70, 150)
    web = res(synth, "svc-web", "AWS::ECS::Service")["Service"]["DeploymentConfiguration"]
    assert web["MinimumHealthyPercent"] == 100  # the prod profile's
    decisions = {d.topic: d.value for d in synth.plan.decisions}
    assert decisions["services.worker.min_healthy_percent"] == "70"


def test_default_cooldowns_are_unchanged(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec("""
        name: demo
        services:
          web: {image: x:1, port: 80, route: "/*", scaling: {min: 1, max: 3}}
        """, "prod")
    config = res(synth, "svc-web", "AWS::ApplicationAutoScaling::ScalingPolicy")["ScaleCpu"][
        "TargetTrackingScalingPolicyConfiguration"]
    assert (config["ScaleOutCooldown"], config["ScaleInCooldown"]) == (60, 300)


def test_scale_to_zero_is_refused_in_production(input_errors: Callable[..., Any]) -> None:
    path, diags = input_errors("""
        name: demo
        services:
          web:
            image: x:1
            scale_to_zero: {outside: "mon-fri 07:00-20:00"}
        """, "prod")
    text = "\n".join(d.render() for d in diags)
    assert "production is never switched off" in text and f"{path.name}:5" in text, text


def test_min_healthy_must_be_below_max_percent(input_errors: Callable[..., Any]) -> None:
    path, diags = input_errors("""
        name: demo
        services:
          worker:
            image: x:1
            min_healthy_percent: 100
            max_percent: 100
        """, "staging")
    text = "\n".join(d.render() for d in diags)
    assert "must be below max_percent" in text and f"{path.name}:5" in text, text


@pytest.mark.parametrize(("service", "needle"), [
    ("{image: x:1, scale_to_zero: {outside: 'weekdays 07:00-20:00'}}", "outside"),
    ("{image: x:1, scale_to_zero: {outside: 'mon-fri 20:00-07:00'}}", "start before they end"),
    ("{image: x:1, scale_to_zero: {outside: 'mon-fri 07:00-20:00', timezone: Mars/Olympus}}", "time zone"),
    ("{image: x:1, schedule: 'rate(1 hour)', scale_to_zero: {outside: 'mon-fri 07:00-20:00'}}", "runs no ECS"),
    ("{image: x:1, singleton: true, min_healthy_percent: 50}", "singleton"),
    ("{image: x:1, scaling: {min: 1, max: 2, scale_out_cooldown: 99999}}", "scale_out_cooldown"),
])
def test_bad_schedule_settings_are_located(input_errors: Callable[..., Any], service: str, needle: str) -> None:
    path, diags = input_errors(f"""
        name: demo
        services:
          web: {service}
        """)
    text = "\n".join(d.render() for d in diags)
    assert needle in text and f"{path.name}:3" in text, text
