"""The kinds registry (moorage.kinds, data/kinds.yaml) is consistent with every stage that reads it."""

from __future__ import annotations

import re

import pytest

from moorage import kinds
from moorage.compose.images import classify
from moorage.plan.layout import DATA_WEIGHTS
from moorage.spec.models import AppSpec, EnvironmentOverride

EXPECTED = {"database", "cache", "bucket", "user_pool"}


def test_registry_holds_the_kinds_in_order() -> None:
    assert set(kinds.kind_names()) >= EXPECTED
    assert kinds.kind_names()[:4] == ["database", "cache", "bucket", "user_pool"]
    assert kinds.kind_of_block("databases") == "database"
    assert kinds.kind_of_block("services") == "service"
    assert kinds.kind_of_block("secrets") is None


@pytest.mark.parametrize("name", sorted(kinds.registry()))
def test_kind_is_wired_into_the_spec_and_plan(name: str) -> None:
    k = kinds.kind(name)
    assert k.block in AppSpec.model_fields, f"{k.block} is not a spec block"
    assert (k.block in EnvironmentOverride.model_fields) == k.overridable
    assert k.home in DATA_WEIGHTS, f"plan.layout has no stack weight for {k.home!r}"
    for pattern, attr in {**k.env, **k.env_managed}.items():
        assert attr in k.attributes, f"{pattern} reads {attr!r}, which a {name} does not have"
        assert re.fullmatch(r"[A-Z_{}]+", pattern)
    if any(v == "secret" for v in k.attributes.values()):
        assert k.secret_output, f"{name} has secret attributes but no secret_output"
    for attr in k.literal:
        assert attr in k.attributes
    for mode, actions in k.actions.items():
        assert mode in ("read", "write", "readwrite") and actions
        assert all(re.fullmatch(r"[a-z0-9-]+:[A-Za-z]+", a) for a in actions)
    if k.port:
        assert k.security_group
    assert k.cost and k.policy and k.residency


def test_bucket_modes_and_keys() -> None:
    bucket = kinds.kind("bucket")
    assert bucket.actions["read"] == ("s3:GetObject",)
    assert "s3:DeleteObject" in bucket.actions["readwrite"] and "s3:DeleteObject" not in bucket.actions["write"]
    assert bucket.key_actions["read"] == ("kms:Decrypt",)


@pytest.mark.parametrize(("image", "kind"), [
    ("postgres:16-alpine", "database"), ("pgvector/pgvector:pg16", "database"), ("mariadb:11", "database"),
    ("redis:7.2", "cache"), ("valkey/valkey:8.0", "cache"), ("minio/minio:RELEASE.2024", "bucket"),
    ("minio/mc:latest", "bucket_init"), ("mongo:7", "stateful"), ("ghcr.io/acme/api:1", "app"),
])
def test_compose_images_come_from_the_registry_first(image: str, kind: str) -> None:
    assert classify(image).kind == kind


def test_compose_kinds_are_kinds_with_image_rules() -> None:
    assert kinds.compose_kinds()[:3] == ["database", "cache", "bucket"]
    assert "user_pool" not in kinds.compose_kinds()
    for rule in kinds.compose_image_rules():
        re.compile(rule["match"])
        assert rule["kind"] in kinds.compose_kinds()


def test_kind_of_reads_the_blocks() -> None:
    app = AppSpec.model_validate({"name": "shop", "services": {"api": {"image": "a:1"}},
                                  "databases": {"main": {}}, "buckets": {"files": {}},
                                  "user_pools": {"users": {}}})
    assert kinds.kind_of(app, "main") == "database"
    assert kinds.kind_of(app, "files") == "bucket"
    assert kinds.kind_of(app, "users") == "user_pool"
    assert kinds.kind_of(app, "api") == "service"
    assert kinds.kind_of(app, "nothing") is None


def test_connection_references() -> None:
    assert kinds.CONNECTION_REF_RE.findall("x={{ main.host }}:{{main.port}}") == [("main", "host"), ("main", "port")]
    assert kinds.attributes("service") == {"url": "plain", "host": "plain", "port": "plain"}
    assert kinds.connection_env("database", managed=True)["{PREFIX}_PASSWORD"] == "password"
    assert kinds.connection_env("database")["DATABASE_URL"] == "url"
