"""Schedulers in a compose file become singletons; deploy.replicas becomes replicas."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import load, messages

from moorage import api

APP = """
services:
  web:
    image: ghcr.io/acme/web:1.0.0
    ports: ["8000:8000"]
    deploy: {replicas: 3}
  worker:
    image: ghcr.io/acme/web:1.0.0
    command: celery -A proj worker
  %s
"""

SCHEDULERS = {
    "celery-beat": "beat:\n    image: ghcr.io/acme/web:1.0.0\n    command: celery -A proj beat -l info",
    "celery-embedded-beat": "tasks:\n    image: ghcr.io/acme/web:1.0.0\n    command: [celery, -A, proj, worker, -B]",
    "cron-name": "cron:\n    image: ghcr.io/acme/web:1.0.0\n    command: [bin/run-jobs]",
    "crond": "jobs:\n    image: alpine:3.20\n    command: crond -f -l 8",
    "supercronic": "tick:\n    image: ghcr.io/acme/web:1.0.0\n    command: [supercronic, /etc/crontab]",
    "ofelia": "jobs:\n    image: mcuadros/ofelia:0.3.11\n    command: daemon --docker",
    "laravel": "schedule:\n    image: ghcr.io/acme/web:1.0.0\n    command: php artisan schedule:work",
}


@pytest.mark.parametrize("kind", SCHEDULERS)
def test_schedulers_are_singletons(kind: str, compose: Callable[..., Path]) -> None:
    loaded = load(compose(APP % SCHEDULERS[kind]))
    name = SCHEDULERS[kind].split(":", 1)[0]
    assert loaded.data["services"][name]["singleton"] is True
    assert "singleton" not in loaded.data["services"]["worker"]  # the twin: a plain celery worker scales
    prod = api.plan_environment(loaded, "prod")
    assert prod.services[name].spec.scaling is None and prod.services[name].spec.desired == 1
    assert prod.services["worker"].spec.scaling is not None


def test_a_scheduler_asking_for_replicas_runs_once(compose: Callable[..., Path]) -> None:
    text = APP % "beat:\n    image: ghcr.io/acme/web:1.0.0\n    command: celery -A proj beat\n    deploy: {replicas: 3}"
    loaded = load(compose(text))
    assert "replicas" not in loaded.data["services"]["beat"] and loaded.data["services"]["beat"]["singleton"]
    assert any("beat is a scheduler but asks for 3 replicas" in m and "docker-compose.yml:13:" in m
               for m in messages(loaded, "warning"))


def test_user_marks_singleton_or_not(compose: Callable[..., Path]) -> None:
    text = APP % ("beat:\n    image: ghcr.io/acme/web:1.0.0\n    command: celery -A proj beat\n"
                  "    x-moorage: {singleton: false}\n  lock:\n    image: ghcr.io/acme/web:1.0.0\n"
                  "    x-moorage: {singleton: true}")
    services = load(compose(text)).data["services"]
    assert services["beat"]["singleton"] is False and services["lock"]["singleton"] is True


def test_deploy_replicas_is_the_scaling_minimum(compose: Callable[..., Path]) -> None:
    loaded = load(compose(APP % "x: {image: 'nginx:1.27'}"))
    assert loaded.data["services"]["web"]["replicas"] == 3
    web = api.plan_environment(loaded, "prod").services["web"].spec
    assert web.desired == 3 and web.scaling is not None and web.scaling.min == 3
