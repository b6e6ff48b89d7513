"""Wiring by meaning: each framework convention is rewired to the created resource, and its wrong-wiring
twin (the same variable where that resource does not exist) is not wired to something else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import errors, load, messages

from moorage.compose.envmap import wiring_conventions

STORES = {
    "pg": "  db:\n    image: postgres:16\n    environment: {POSTGRES_USER: app, POSTGRES_PASSWORD: s3cretpass, "
          "POSTGRES_DB: app}\n",
    "mysql": "  db:\n    image: mysql:8.0\n    environment: {MYSQL_USER: app, MYSQL_PASSWORD: s3cretpass, "
             "MYSQL_DATABASE: app}\n",
    "redis": "  redis:\n    image: redis:7.2\n",
    "minio": "  minio:\n    image: minio/minio:RELEASE.2024-01-01T00-00-00Z\n    command: server /data\n",
    "minio-assets": "  minio:\n    image: minio/minio:RELEASE.2024-01-01T00-00-00Z\n    command: server /data\n"
                    "    environment: {MINIO_DEFAULT_BUCKETS: assets}\n",
}


@dataclass(frozen=True)
class Case:
    framework: str
    var: str
    value: str
    stores: tuple[str, ...]
    wired: str  # the value it must become
    uses: str  # the resource it must use (the permission comes with `uses`)
    twin_stores: tuple[str, ...]  # where the resource it names does not exist
    twin: str  # "warn": copied with a located warning; "secret"; "plain": left as written


CASES = [
    Case("Django", "DATABASE_URL", "postgres://app:s3cretpass@db:5432/app", ("pg",), "{{ db.url }}", "db",
         ("redis",), "warn"),
    Case("Django", "AWS_STORAGE_BUCKET_NAME", "media", ("minio",), "{{ media.name }}", "media",
         ("minio-assets",), "new-bucket"),
    Case("Django", "CACHE_URL", "redis://redis:6379/1", ("redis",), "{{ redis.url }}", "redis", ("pg",), "warn"),
    Case("Celery", "CELERY_BROKER_URL", "redis://redis:6379/0", ("redis",), "{{ redis.url }}", "redis",
         ("pg",), "warn"),
    Case("Celery", "CELERY_RESULT_BACKEND", "redis://redis:6379/1", ("redis",), "{{ redis.url }}", "redis",
         ("pg",), "warn"),
    Case("Rails", "REDIS_URL", "redis://redis:6379", ("redis",), "{{ redis.url }}", "redis", ("pg",), "warn"),
    Case("Rails", "DB_HOST", "db", ("pg",), "{{ db.host }}", "db", ("redis",), "warn"),
    Case("Rails", "DB_PORT", "5432", ("pg",), "{{ db.port }}", "db", ("redis",), "plain"),
    Case("Rails", "DB_USER", "app", ("pg",), "{{ db.user }}", "db", ("redis",), "plain"),
    Case("Rails", "DB_NAME", "app", ("pg",), "{{ db.name }}", "db", ("redis",), "plain"),
    Case("Rails", "DB_PASS", "another-pass", ("pg",), "{{ db.password }}", "db", ("redis",), "secret"),
    Case("Rails", "S3_BUCKET", "documents", (), "{{ documents.name }}", "documents", ("minio-assets",),
         "new-bucket"),
    Case("Laravel", "DB_HOST", "db", ("mysql",), "{{ db.host }}", "db", ("redis",), "warn"),
    Case("Laravel", "DB_DATABASE", "app", ("mysql",), "{{ db.name }}", "db", ("redis",), "plain"),
    Case("Laravel", "DB_USERNAME", "app", ("mysql",), "{{ db.user }}", "db", ("redis",), "plain"),
    Case("Laravel", "DB_PASSWORD", "another-pass", ("mysql",), "{{ db.password }}", "db", ("redis",), "secret"),
    Case("Laravel", "REDIS_HOST", "redis", ("redis",), "{{ redis.host }}", "redis", ("mysql",), "warn"),
    Case("Laravel", "REDIS_PASSWORD", "another-pass", ("redis",), "{{ redis.token }}", "redis", ("mysql",),
         "secret"),
    Case("Laravel", "AWS_BUCKET", "uploads", ("minio",), "{{ uploads.name }}", "uploads", ("minio-assets",),
         "new-bucket"),
    Case("Spring", "SPRING_DATASOURCE_URL", "jdbc:postgresql://db:5432/app", ("pg",),
         "jdbc:postgresql://{{ db.host }}:{{ db.port }}/{{ db.name }}", "db", ("redis",), "warn"),
    Case("Spring", "SPRING_DATASOURCE_USERNAME", "app", ("pg",), "{{ db.user }}", "db", ("redis",), "plain"),
    Case("Spring", "SPRING_DATASOURCE_PASSWORD", "another-pass", ("pg",), "{{ db.password }}", "db",
         ("redis",), "secret"),
    Case("Spring", "SPRING_DATA_REDIS_HOST", "redis", ("redis",), "{{ redis.host }}", "redis", ("pg",), "warn"),
    Case("Spring", "SPRING_DATA_REDIS_PORT", "6379", ("redis",), "{{ redis.port }}", "redis", ("pg",), "plain"),
    Case("Node", "PGHOST", "db", ("pg",), "{{ db.host }}", "db", ("redis",), "warn"),
    Case("Node", "PGUSER", "app", ("pg",), "{{ db.user }}", "db", ("redis",), "plain"),
    Case("Node", "PGDATABASE", "app", ("pg",), "{{ db.name }}", "db", ("redis",), "plain"),
    Case("Node", "S3_BUCKET_NAME", "avatars", ("minio",), "{{ avatars.name }}", "avatars", ("minio-assets",),
         "new-bucket"),
    Case("Sidekiq", "SIDEKIQ_REDIS_URL", "redis://redis:6379/2", ("redis",), "{{ redis.url }}", "redis", ("pg",),
         "warn"),
    Case("BullMQ", "QUEUE_REDIS_URL", "redis://redis:6379", ("redis",), "{{ redis.url }}", "redis", ("pg",),
         "warn"),
    Case("BullMQ", "REDIS_PORT", "6379", ("redis",), "{{ redis.port }}", "redis", ("pg",), "plain"),
]


def _compose(case_var: str, value: str, stores: tuple[str, ...]) -> str:
    text = f"services:\n  app:\n    image: ghcr.io/acme/app:1.0.0\n    environment:\n      {case_var}: \"{value}\"\n"
    return text + "".join(STORES[s] for s in stores)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.framework}-{c.var}" for c in CASES])
def test_convention_is_wired(case: Case, compose: Callable[..., Path]) -> None:
    loaded = load(compose(_compose(case.var, case.value, case.stores)))
    app = loaded.data["services"]["app"]
    assert app["env"][case.var] == case.wired
    assert case.uses in app["uses"]
    if case.var.endswith("BUCKET_NAME") or "BUCKET" in case.var:
        assert case.uses in loaded.data["buckets"]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.framework}-{c.var}-twin" for c in CASES])
def test_wrong_wiring_twin(case: Case, compose: Callable[..., Path]) -> None:
    """The same variable where its resource does not exist: never wired to another kind of resource."""
    loaded = load(compose(_compose(case.var, case.value, case.twin_stores)))
    app = loaded.data["services"]["app"]
    env, uses = app.get("env", {}), app.get("uses", [])
    other = {"db", "redis"} - {case.uses}
    assert not (other & set(uses)), f"{case.var} wired to {uses}"
    if case.twin == "warn":
        # copied unchanged (or, holding a password, moved to a generated secret)...
        assert env.get(case.var) == case.value or case.var in app["secrets"]
        warnings = [m for m in messages(loaded, "warning") if f"[services.app.environment.{case.var}]" in m]
        assert any("which no service in this file provides" in m for m in warnings), warnings  # ...and located
    elif case.twin == "plain":
        assert env[case.var] == case.value
    elif case.twin == "secret":
        assert case.var not in env and case.var in app["secrets"]
    else:  # a bucket no container declares is created; the declared one is not reused for it
        assert env[case.var] == case.wired and "{{ assets.name }}" not in env.values()
        assert set(loaded.data["buckets"]) == {"assets", case.uses} and "assets" not in uses


def test_table_covers_the_frameworks() -> None:
    frameworks = {f.split(" ")[0] for row in wiring_conventions().values() for f in row["frameworks"]}
    assert {"Django", "Rails", "Node", "Laravel", "Spring", "Celery", "Sidekiq", "BullMQ"} <= frameworks
    assert {c.framework for c in CASES} >= {"Django", "Rails", "Node", "Laravel", "Spring", "Celery", "Sidekiq",
                                             "BullMQ"}
    assert all(c.var in wiring_conventions() for c in CASES)


def test_strict_refuses_a_host_no_service_provides(compose: Callable[..., Path]) -> None:
    path = compose(_compose("REDIS_URL", "redis://redis:6379", ("pg",)))
    (diag,) = [e for e in errors(path, strict=True) if "REDIS_URL" in e]
    assert "docker-compose.yml:5:" in diag and "no service in this file provides" in diag


def test_bucket_replaces_the_container_named_default(compose: Callable[..., Path]) -> None:
    """MinIO declares no bucket, the app names one: the bucket is the app's, not one named after MinIO."""
    loaded = load(compose(_compose("AWS_STORAGE_BUCKET_NAME", "media", ("minio",))))
    assert set(loaded.data["buckets"]) == {"media"}


def test_the_named_bucket_comes_with_its_permission(compose: Callable[..., Path]) -> None:
    """`uses` gives the task role S3 access to the bucket the app names, and to no other."""
    from moorage import api

    text = _compose("AWS_STORAGE_BUCKET_NAME", "media", ("minio-assets",))
    synth = api.synth_environment(load(compose(text)), "dev")
    policies = [r["Properties"] for r in synth.templates["svc-app"]["Resources"].values()
                if r["Type"] == "AWS::IAM::Role"]
    s3 = [st for p in policies for pol in p.get("Policies", []) for st in pol["PolicyDocument"]["Statement"]
          if any(str(a).startswith("s3:") for a in st["Action"])]
    assert s3, policies
    resources = str([st["Resource"] for st in s3])
    assert "Media" in resources or "media" in resources
    assert "ssets" not in resources  # not the other bucket of the same MinIO container


@pytest.mark.parametrize("case", CASES[:6], ids=[c.var for c in CASES[:6]])
def test_every_rewrite_is_listed_with_its_line(case: Case, compose: Callable[..., Path]) -> None:
    """What `init --explain` prints under "Rewired settings"."""
    from moorage.compose import rewrites

    loaded = load(compose(_compose(case.var, case.value, case.stores)))
    assert ("app", case.var, case.wired, "docker-compose.yml:5") in rewrites(loaded)


def test_a_store_kept_as_a_container_keeps_its_own_settings(compose: Callable[..., Path]) -> None:
    """A second postgres kept as a container: its POSTGRES_* are its own, not the managed database's."""
    text = _compose("DB_HOST", "db", ("pg",)) + (
        "  legacy:\n    image: postgres:15\n    x-moorage: {managed: false}\n"
        "    environment: {POSTGRES_USER: old, POSTGRES_DB: olddb, POSTGRES_PORT: '5432'}\n")
    legacy = load(compose(text)).data["services"]["legacy"]
    assert legacy["env"] == {"POSTGRES_USER": "old", "POSTGRES_DB": "olddb", "POSTGRES_PORT": "5432"}


def test_a_redis_database_number_that_is_dropped_is_said(compose: Callable[..., Path]) -> None:
    """Celery's broker on db 0 and its results on db 1: both become the cache's one URL; db 1 is warned about."""
    loaded = load(compose("services:\n  app:\n    image: ghcr.io/acme/app:1.0.0\n    environment:\n"
                          "      CELERY_BROKER_URL: redis://redis:6379/0\n"
                          "      CELERY_RESULT_BACKEND: redis://redis:6379/1\n" + STORES["redis"]))
    env = loaded.data["services"]["app"]["env"]
    assert env["CELERY_BROKER_URL"] == env["CELERY_RESULT_BACKEND"] == "{{ redis.url }}"
    warned = [m for m in messages(loaded, "warning") if "Redis database" in m]
    assert len(warned) == 1 and "CELERY_RESULT_BACKEND" in warned[0] and "database 1 is dropped" in warned[0]
    assert "docker-compose.yml:6:" in warned[0]
