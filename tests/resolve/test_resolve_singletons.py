"""Singletons stay single; `replicas` is the desired count and the autoscaling minimum."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from moorage import api
from moorage.errors import InputError
from moorage.render import synthesize
from moorage.resolve.environment import resolve_environment
from moorage.spec.load import LoadedApp

APP = """
name: demo
region: eu-west-1
services:
  web: {image: x:1.0, port: 80, route: "/*", replicas: 3}
  small: {image: x:1.0, port: 81, replicas: 1}
  beat: {image: x:1.0, command: [celery, -A, proj, beat], singleton: true}
  worker: {image: x:1.0}
environments: {dev: {}, prod: {}}
"""


@pytest.fixture
def app(load_spec: Callable[[str], LoadedApp]) -> LoadedApp:
    return load_spec(APP)


def test_a_singleton_never_autoscales_nor_runs_twice(app: LoadedApp) -> None:
    for env in ("dev", "prod"):
        beat = resolve_environment(app, env).services["beat"]
        assert beat.scaling is None and beat.desired == 1
        assert (beat.min_healthy, beat.max_percent) == (0, 100)  # the old task stops before the new one starts
    prod = resolve_environment(app, "prod")
    worker = prod.services["worker"]
    assert worker.scaling is not None and worker.max_percent == 200  # the twin: an ordinary worker scales


def test_singleton_in_the_template(app: LoadedApp) -> None:
    synth = synthesize(api.plan_environment(app, "prod"))
    beat = synth.templates["svc-beat"]["Resources"]
    service = next(r for r in beat.values() if r["Type"] == "AWS::ECS::Service")["Properties"]
    assert service["DesiredCount"] == 1
    assert service["DeploymentConfiguration"]["MinimumHealthyPercent"] == 0
    assert service["DeploymentConfiguration"]["MaximumPercent"] == 100
    assert not any(r["Type"].startswith("AWS::ApplicationAutoScaling") for r in beat.values())
    worker = synth.templates["svc-worker"]["Resources"]
    assert any(r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget" for r in worker.values())


def test_replicas_are_the_desired_count_and_the_scaling_minimum(app: LoadedApp) -> None:
    prod = resolve_environment(app, "prod")
    web, small = prod.services["web"], prod.services["small"]
    assert web.desired == 3 and web.scaling is not None and (web.scaling.min, web.scaling.max) == (3, 10)
    assert small.desired == 1 and small.scaling is not None and small.scaling.min == 1
    dev = resolve_environment(app, "dev")
    assert dev.services["web"].desired == 3 and dev.services["web"].scaling is None


@pytest.mark.parametrize(("extra", "message"), [
    ("scaling: {min: 1, max: 3}", "a singleton never autoscales"),
    ("replicas: 2", "a singleton runs one task, not replicas: 2"),
])
def test_a_singleton_that_asks_for_more_is_refused(load_spec: Callable[[str], LoadedApp], extra: str,
                                                    message: str) -> None:
    text = APP.replace("singleton: true}", f"singleton: true, {extra}}}")
    with pytest.raises(InputError, match=message):
        load_spec(text)
