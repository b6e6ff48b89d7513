"""Services Fargate cannot run are refused with a located error until skipped; skips are explained."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import errors, load, messages

APP = """
services:
  web:
    image: ghcr.io/acme/web:1.0.0
    ports: ["80:80"]
    environment: {AGENT_URL: "http://agent:9001"}
    depends_on: [agent]
  agent:
    image: acme/agent:2.0.0
    privileged: true
    ports: ["9001:9001"]%s
"""


def test_privileged_is_refused_with_the_way_out(compose: Callable[..., Path]) -> None:
    (diag,) = [e for e in errors(compose(APP % "")) if "privileged" in e]
    assert "docker-compose.yml:10:" in diag and "not runnable on Fargate" in diag
    assert "--skip agent" in diag and "x-moorage: {skip: true}" in diag


def test_x_moorage_skip_leaves_it_out_and_says_why(compose: Callable[..., Path]) -> None:
    loaded = load(compose(APP % "\n    x-moorage: {skip: true}"))
    assert set(loaded.data["services"]) == {"web"}
    assert any("agent is skipped (x-moorage: {skip: true}): not runnable on Fargate: it runs privileged" in m
               for m in messages(loaded, "info"))
    warnings = messages(loaded, "warning")
    assert any("web depends on agent, which is skipped" in m for m in warnings)
    assert any("AGENT_URL refers to agent, which is left out" in m for m in warnings)
    assert loaded.data["services"]["web"]["env"]["AGENT_URL"] == "http://agent:9001"


def test_skip_by_argument(compose: Callable[..., Path]) -> None:
    loaded = load(compose(APP % ""), skip=["agent"])
    assert set(loaded.data["services"]) == {"web"}
    assert any("agent is skipped (--skip)" in m for m in messages(loaded, "info"))
