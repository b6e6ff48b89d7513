"""moorage.yml output, the key table, compose detection and the smartboard example."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CORPUS, EXAMPLES, load

from moorage.compose import explain_table, explain_text, looks_like_compose, to_moorage_yaml
from moorage.compose.keys import ACTIONS, rule_for
from moorage.spec.load import load_native
from moorage.spec.source import load_yaml

# Every key of the Compose Specification's service definition (compose-spec.io, 2026).
SERVICE_KEYS = """
annotations attach blkio_config build cap_add cap_drop cgroup cgroup_parent command configs container_name
cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period cpu_rt_runtime cpu_shares cpus cpuset
credential_spec depends_on deploy develop device_cgroup_rules devices dns dns_opt dns_search domainname
entrypoint env_file environment expose extends external_links extra_hosts gpus group_add healthcheck
hostname image init ipc isolation label_file labels links logging mac_address mem_limit mem_reservation
mem_swappiness memswap_limit models network_mode networks oom_kill_disable oom_score_adj pid pids_limit
platform ports post_start pre_stop privileged profiles provider pull_policy read_only restart runtime scale
secrets security_opt shm_size stdin_open stop_grace_period stop_signal storage_opt sysctls tmpfs tty ulimits
use_api_socket user userns_mode uts volumes volumes_from working_dir
""".split()  # noqa: SIM905
TOP_KEYS = ["version", "name", "services", "volumes", "networks", "secrets", "configs", "include", "models"]


def test_every_compose_key_is_in_the_table() -> None:
    for key in SERVICE_KEYS:
        assert rule_for("service", key) is not None, key
    for key in TOP_KEYS:
        assert rule_for("top", key) is not None, key
    assert rule_for("service", "x-anything") is not None
    assert rule_for("service", "portz") is None


def test_table_rows_are_complete() -> None:
    rules = explain_table()
    assert len(rules) > 150
    for rule in rules:
        assert rule.action in ACTIONS and rule.note, rule
    assert {r.action for r in rules} == set(ACTIONS)
    text = explain_text()
    assert "service.privileged" in text and "error" in text


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus not present")
def test_table_covers_every_key_the_corpus_uses() -> None:
    for path in CORPUS.glob("*.y*ml"):
        data, _ = load_yaml(path)
        for key in data:
            assert rule_for("top", key) is not None, (path.name, key)
        for svc in data["services"].values():
            for key in svc:
                assert rule_for("service", key) is not None, (path.name, key)


def test_output_round_trips_through_moorage_yml(compose: Callable[..., Path], tmp_path: Path) -> None:
    path = compose("""
        name: shop
        services:
          web:
            image: ghcr.io/acme/web:1.0.0
            ports: ["80:8080"]
            environment: {DATABASE_URL: "postgres://u:pw-value-123@db:5432/shop", API_TOKEN: tok-value-456}
            depends_on: [db]
            shm_size: 64m
          db: {image: postgres:16, environment: {POSTGRES_PASSWORD: pw-value-123, POSTGRES_DB: shop}}
    """)
    loaded = load(path)
    text = to_moorage_yaml(loaded)
    assert "pw-value-123" not in text and "tok-value-456" not in text
    assert "# WARNING: web: shm_size" in text or "WARNING: shm_size" in text
    assert "db -> databases.db" in text
    out = tmp_path / "moorage.yml"
    out.write_text(text)
    native = load_native(out)
    assert native.spec == loaded.spec


def test_looks_like_compose(tmp_path: Path) -> None:
    assert looks_like_compose(Path("docker-compose.yml"), {})
    assert looks_like_compose(Path("compose.yaml"), None)
    assert looks_like_compose(Path("stack.yml"), {"version": "3.8", "services": {}})
    assert looks_like_compose(Path("stack.yml"), {"x-common": {}, "services": {}})
    assert looks_like_compose(Path("app.yml"), {"services": {"web": {"image": "x", "ports": ["80:80"]}}})
    assert looks_like_compose(Path("app.yml"), {"services": {"web": {"image": "x", "volumes": ["a:/a"]}}})
    assert not looks_like_compose(Path("moorage.yml"), {"name": "a", "services": {"web": {"image": "x", "port": 80}}})
    assert not looks_like_compose(Path("moorage.yml"), {"region": "eu-west-1", "services": {}})
    assert not looks_like_compose(Path("moorage.yml"), ["not", "a", "map"])


def test_smartboard_example() -> None:
    loaded = load(EXAMPLES / "smartboard" / "docker-compose.yml")
    spec = loaded.spec
    assert spec.name == "smartboard" and spec.region == "eu-west-1"
    assert set(spec.services) == {"web", "gateway", "svc-auth", "svc-tenants", "svc-datasets", "svc-analytics",
                                  "svc-dashboards", "svc-realtime", "worker", "migrate"}
    assert (spec.services["web"].port, spec.services["web"].route) == (3000, "/*")
    assert (spec.services["gateway"].port, spec.services["gateway"].route) == (4000, "/api/*")
    for name, port in (("svc-auth", 4010), ("svc-tenants", 4020), ("svc-datasets", 4030),
                       ("svc-analytics", 4040), ("svc-dashboards", 4050), ("svc-realtime", 4060)):
        assert spec.services[name].port == port and spec.services[name].route is None
        assert spec.services[name].healthcheck is not None
    assert spec.services["web"].health == "/health/ready"
    assert spec.services["worker"].derived_kind == "worker" and spec.services["worker"].spot
    assert spec.services["migrate"].run == "before-deploy"
    assert spec.databases["postgres"].engine == "aurora-postgresql"
    assert spec.caches["redis"].engine == "redis"
    assert set(spec.buckets) == {"datasets"}
    assert spec.buckets["datasets"].access == {"svc-datasets": "write", "worker": "read"}
    assert list(spec.environments) == ["dev", "staging", "prod"]
    assert spec.environments["prod"].services["web"]["scaling"]["min"] == 2
    assert spec.services["gateway"].env["AUTH_BASE_URL"] == "{{ svc-auth.url }}"
    assert "svc-realtime" in spec.services["gateway"].uses
