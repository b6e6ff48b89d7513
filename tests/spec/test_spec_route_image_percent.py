"""Values AWS would refuse only mid-deploy are refused up front, located and in words: an ALB path pattern with
characters a listener rule does not take (or over 128 characters), an image on this machine's registry (Fargate
never reaches it). And "N%" is read the same way by every percent field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from moorage.errors import Diagnostic
from moorage.spec.image_ref import loopback_registry
from moorage.spec.load import LoadedApp

Errors = Callable[..., tuple[Path, list[Diagnostic]]]
WEB = "name: demo\nservices:\n  web:\n    image: {image}\n    port: 80\n    route: {route}\n"


@pytest.mark.parametrize("route", ['"/a b/[x*"', '"/api/**[x"', '"/caf\u00e9/*"', '"/x#y"', '"/' + "a" * 128 + '"'])
def test_a_route_an_alb_refuses_is_a_located_error(input_errors: Errors, route: str) -> None:
    path, diags = input_errors(WEB.format(image="x:1", route=route))
    (d,) = diags
    assert d.location is not None and d.location.line == 6 and d.location.path == ("services", "web", "route")
    assert "is not an ALB path pattern" in d.message and "A-Z a-z 0-9" in d.message and d.hint == "e.g. /api/*"


@pytest.mark.parametrize("route", ["/*", "/api/*", "/v1/users/?", "/a-b_c.d/$x~y/'q'/@u:p+1&z", '"/' + "a" * 127 + '"'])
def test_routes_an_alb_takes_pass(load_spec: Callable[[str], LoadedApp], route: str) -> None:
    assert load_spec(WEB.format(image="x:1", route=route)).spec.services["web"].route == route.strip('"')


@pytest.mark.parametrize("image", ["localhost:5000/x", "localhost/team/x:1", "127.0.0.1:5000/x:1",
                                   '"[::1]:5000/x:1"', "host.docker.internal:5000/x:1", "LOCALHOST:5000/x:1"])
def test_a_loopback_registry_is_a_located_error(input_errors: Errors, image: str) -> None:
    path, diags = input_errors(WEB.format(image=image, route="/*"))
    (d,) = diags
    assert d.location is not None and d.location.line == 4 and d.location.path == ("services", "web", "image")
    assert "can never pull" in d.message and "ECR" in d.hint and "build:" in d.hint


@pytest.mark.parametrize("image", ["registry:5000/x:1", "ghcr.io/acme/localhost:1", "localhost:1",
                                   "myregistry.localdomain:5000/x:1", "10.0.0.5:5000/x:1"])
def test_reachable_registries_are_not_loopback(image: str) -> None:
    assert loopback_registry(image) is None


SERVICE = "name: demo\nservices:\n  web:\n    image: x:1\n    port: 80\n    route: /*\n"
PERCENTS = [
    ("deploy:\n  strategy: canary\n  canary: {percent: '20%'}\n", lambda a: a.deploy.canary.percent, 20),
    ("deploy:\n  strategy: linear\n  linear: {percent: '25%'}\n", lambda a: a.deploy.linear.percent, 25),
    ("    min_healthy_percent: '50%'\n", lambda a: a.services["web"].min_healthy_percent, 50),
    ("    max_percent: '150%'\n", lambda a: a.services["web"].max_percent, 150),
    ("    scaling: {min: 1, max: 3, cpu: '80%', memory: '75 %'}\n", lambda a: a.services["web"].scaling.cpu, 80),
    ("alarms:\n  email: ops@example.com\n  thresholds: {cpu_percent: '80%'}\n",
     lambda a: a.alarms.thresholds.cpu_percent, 80),
]


@pytest.mark.parametrize(("lines", "read", "want"), PERCENTS, ids=["canary", "linear", "min-healthy", "max",
                                                                   "scaling", "alarm"])
def test_n_percent_is_n_in_every_percent_field(load_spec: Callable[[str], LoadedApp], lines: str,
                                               read: Callable[..., float], want: int) -> None:
    assert read(load_spec(SERVICE + lines).spec) == want


@pytest.mark.parametrize(("lines", "line"), [("    min_healthy_percent: 'half'\n", 7),
                                             ("    scaling: {min: 1, max: 3, cpu: 'lots'}\n", 7),
                                             ("deploy:\n  canary: {percent: '20 percent'}\n", 8)])
def test_a_percent_that_is_not_one_is_refused_in_words(input_errors: Errors, lines: str, line: int) -> None:
    path, diags = input_errors(SERVICE + lines)
    assert any("is not a percentage: write a number or 'N%'" in d.message and d.location is not None
               and d.location.line == line for d in diags), diags
    assert not any("unable to parse" in d.message for d in diags)


def test_percent_limits_still_hold(input_errors: Errors) -> None:
    path, diags = input_errors(SERVICE + "    min_healthy_percent: '150%'\n")
    assert any("100" in d.message for d in diags), diags
