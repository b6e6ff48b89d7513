"""What compose healthchecks and secrets become in the deployed task definition."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import load

from moorage import api

APP = """
services:
  web:
    image: ghcr.io/acme/web:1.0.0
    ports: ["8000:8000"]
    environment: {DATABASE_URL: "postgres://app:pw-123456@db:5432/app"}
    secrets: [stripe_key]
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000/health"]
      interval: 15s
      timeout: 4s
      retries: 4
      start_period: 1m
  db:
    image: postgres:16
    environment: {POSTGRES_USER: app, POSTGRES_PASSWORD: pw-123456, POSTGRES_DB: app}
secrets:
  stripe_key: {file: ./stripe.txt}
"""


def test_healthcheck_and_secrets_reach_the_task_definition(compose: Callable[..., Path]) -> None:
    synth = api.synth_environment(load(compose(APP)), "prod")
    resources = synth.templates["svc-web"]["Resources"]
    task = next(r for r in resources.values() if r["Type"] == "AWS::ECS::TaskDefinition")["Properties"]
    container = task["ContainerDefinitions"][0]
    assert container["HealthCheck"] == {"Command": ["CMD", "curl", "-f", "http://localhost:8000/health"],
                                        "Interval": 15, "Timeout": 4, "Retries": 4, "StartPeriod": 60}
    secrets = {s["Name"]: s["ValueFrom"] for s in container["Secrets"]}
    assert set(secrets) >= {"STRIPE_KEY", "DATABASE_URL"}  # Secrets Manager references, never values
    assert "pw-123456" not in str(synth.templates)
