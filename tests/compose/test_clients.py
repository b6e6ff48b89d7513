"""Clients the import wires must be able to connect (compose/clients.py, data/compose_clients.yaml): a cache
client wired by host gets the AUTH token and TLS, or a located warning; localhost:PORT of a sibling's published
port is wired to the sibling; the service's own published address is a located warning."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import load, messages

REDIS = "  redis:\n    image: redis:7.2\n"


def test_n8n_queue_client_gets_token_and_tls(compose: Callable[..., Path]) -> None:
    path = compose("services:\n" + REDIS + """
          n8n:
            image: n8nio/n8n:1.80.0
            ports: ['5678:5678']
            environment:
              - QUEUE_BULL_REDIS_HOST=redis
    """.replace("\n          ", "\n  ").rstrip() + "\n")
    env = load(path).data["services"]["n8n"]["env"]
    assert env["QUEUE_BULL_REDIS_HOST"] == "{{ redis.host }}"
    assert env["QUEUE_BULL_REDIS_PASSWORD"] == "{{ redis.token }}"
    assert env["QUEUE_BULL_REDIS_TLS"] == "true"


def test_false_tls_flag_becomes_true_and_cert_paths_drop(compose: Callable[..., Path]) -> None:
    path = compose("services:\n" + REDIS + """
          web:
            image: acme/web:1.0.0
            ports: ['3000:3000']
            environment:
              REDIS_HOST: redis
              REDIS_TLS_ENABLED: 'false'
              REDIS_TLS_CA: /certs/ca.crt
    """.replace("\n          ", "\n  ").rstrip() + "\n")
    loaded = load(path)
    env = loaded.data["services"]["web"]["env"]
    assert env["REDIS_TLS_ENABLED"] == "true" and "REDIS_TLS_CA" not in env
    # no token anywhere: a located warning names the variable, the line and what to set
    warned = [m for m in messages(loaded, "warning") if "REDIS_HOST points at redis" in m]
    assert warned and ":9:" in warned[0] and "{{ redis.token }}" in warned[0], warned


def test_host_with_token_but_no_tls_warns(compose: Callable[..., Path]) -> None:
    path = compose("services:\n" + REDIS + """
          web:
            image: acme/web:1.0.0
            ports: ['3000:3000']
            environment:
              REDIS_HOST: redis
              REDIS_PASSWORD: s3cretpass99
    """.replace("\n          ", "\n  ").rstrip() + "\n")
    loaded = load(path)
    assert any("no variable turns the client's TLS on" in m for m in messages(loaded, "warning")), \
        messages(loaded)


def test_url_wiring_needs_no_extra_tls(compose: Callable[..., Path]) -> None:
    path = compose("services:\n" + REDIS + """
          web:
            image: acme/web:1.0.0
            ports: ['3000:3000']
            environment:
              REDIS_URL: redis://redis:6379
    """.replace("\n          ", "\n  ").rstrip() + "\n")
    loaded = load(path)
    assert loaded.data["services"]["web"]["env"]["REDIS_URL"] == "{{ redis.url }}"
    assert not [m for m in messages(loaded, "warning") if "TLS" in m or "AUTH token" in m]


def test_localhost_of_a_sibling_and_of_itself(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          minio:
            image: minio/minio:RELEASE.2024-01-01T00-00-00Z
            command: server /data
            ports: ['9090:9000']
          api:
            image: acme/api:1.0.0
            ports: ['4000:4000']
          web:
            image: acme/web:1.0.0
            ports: ['3000:3000']
            environment:
              S3_ENDPOINT: http://localhost:9090
              API_URL: http://localhost:4000/v1
              NEXTAUTH_URL: http://localhost:3000
              OTHER_URL: http://localhost:7777
    """)
    loaded = load(path)
    env = loaded.data["services"]["web"]["env"]
    assert "localhost" not in env["S3_ENDPOINT"] and "amazonaws.com" in env["S3_ENDPOINT"]
    assert env["API_URL"] == "{{ api.url }}/v1"
    own = [m for m in messages(loaded, "warning") if "NEXTAUTH_URL" in m and "own published address" in m]
    assert own and ":16:" in own[0], messages(loaded, "warning")
    assert env["OTHER_URL"] == "http://localhost:7777"  # no service publishes 7777: left as written
