"""SQS-compatible containers (ElasticMQ, LocalStack running SQS) become queues on import; services that
depend on them use them, and their endpoints become the regional SQS endpoint or the queue's URL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import load, messages

from moorage.compose.images import classify

COMPOSE = """
services:
  api:
    image: ghcr.io/acme/api:1.2.0
    ports: ["8080:8080"]
    environment:
      SQS_ENDPOINT: http://elasticmq:9324
      JOBS_URL: http://elasticmq:9324/queue/jobs
    depends_on: [elasticmq]
  worker:
    image: ghcr.io/acme/worker:1.2.0
    depends_on:
      jobs: {condition: service_started}
  elasticmq:
    image: softwaremill/elasticmq-native:1.6.9
    ports: ["9324:9324"]
  jobs:
    image: localstack/localstack:3.8
    environment: {SERVICES: "sqs,sns", DEBUG: "1"}
  storage:
    image: localstack/localstack:3.8
    environment: [SERVICES=s3]
"""


def test_sqs_compatible_images_classify_as_queues() -> None:
    assert classify("softwaremill/elasticmq:1.6.9").kind == "queue"
    assert classify("softwaremill/elasticmq-native:1.6.9").kind == "queue"
    assert classify("localstack/localstack:3.8", {"SERVICES": "sqs"}).kind == "queue"
    assert classify("localstack/localstack:3.8", ["SERVICES=s3,sqs"]).kind == "queue"
    assert classify("localstack/localstack:3.8", {"SERVICES": "s3"}).kind == "app"
    assert classify("localstack/localstack:3.8").kind == "app"


def test_queue_containers_become_queues_and_their_users_use_them(compose: Callable[..., Path]) -> None:
    loaded = load(compose(COMPOSE))
    spec = loaded.spec
    assert set(spec.queues) == {"elasticmq", "jobs"}
    assert "elasticmq" not in spec.services and "jobs" not in spec.services
    assert "storage" in spec.services, "LocalStack without SQS stays a container"
    assert spec.services["api"].uses == ["elasticmq"]
    assert spec.services["worker"].uses == ["jobs"]
    env = spec.services["api"].env
    assert env["SQS_ENDPOINT"] == "https://sqs.{{ elasticmq.region }}.amazonaws.com"
    assert env["JOBS_URL"] == "{{ elasticmq.url }}"


def test_imported_queues_plan(compose: Callable[..., Path]) -> None:
    from moorage import api

    loaded = load(compose(COMPOSE))
    plan = api.plan_environment(loaded, "prod")
    assert set(plan.env.queues) == {"elasticmq", "jobs"}
    worker = plan.services["worker"]
    assert "JOBS_QUEUE_URL" in worker.env


def test_a_queue_kept_as_a_container_is_warned_about_like_every_managed_kind(compose: Callable[..., Path]) -> None:
    """`x-moorage: {managed: false}` on an SQS-compatible image: it stays a container, with the same warning as a
    database, cache or bucket kept as one (the kinds come from the registry, not a list in the importer)."""
    loaded = load(compose("services:\n  api:\n    image: ghcr.io/acme/api:1.2.0\n    depends_on: [mq]\n"
                          "  mq:\n    image: softwaremill/elasticmq-native:1.6.9\n"
                          "    x-moorage: {managed: false}\n"))
    assert "mq" in loaded.spec.services and not loaded.spec.queues
    warned = [m for m in messages(loaded, "warning") if "stays a Fargate service" in m]
    assert len(warned) == 1 and "mq" in warned[0]
