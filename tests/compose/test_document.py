"""Reading compose files: anchors, merge keys, extends, profiles, .env and env_file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import errors, load, messages


def test_merge_keys_single_and_multi(compose: Callable[..., Path]) -> None:
    path = compose("""
        x-restart: &restart
          restart: unless-stopped
        x-image: &image
          image: ghcr.io/acme/api:1.0.0
        x-env: &env
          LOG_LEVEL: info
          MODE: base
        services:
          api:
            <<: [*restart, *image]
            ports: ["8000:8000"]
            environment:
              <<: *env
              MODE: override
    """)
    svc = load(path).data["services"]["api"]
    assert svc["image"] == "ghcr.io/acme/api:1.0.0"
    assert svc["env"] == {"LOG_LEVEL": "info", "MODE": "override"}


def test_dotenv_and_environ(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          api:
            image: ghcr.io/acme/api:${TAG}
            environment:
              GREETING: ${GREETING:-hi}
              FROM_SHELL:
    """, __env="TAG=2.3.4\nGREETING=hello # comment\nexport FROM_SHELL='from file'\n")
    svc = load(path).data["services"]["api"]
    assert svc["image"] == "ghcr.io/acme/api:2.3.4"
    assert svc["env"] == {"GREETING": "hello", "FROM_SHELL": "from file"}
    svc = load(path, environ={"GREETING": "from environ"}).data["services"]["api"]
    assert svc["env"]["GREETING"] == "from environ"


def test_process_environment_is_not_read(compose: Callable[..., Path], monkeypatch: object) -> None:
    import os

    os.environ["MOORAGE_TEST_TAG"] = "9.9.9"
    try:
        path = compose("services:\n  api:\n    image: acme/api:${MOORAGE_TEST_TAG:-1.0.0}\n")
        assert load(path).data["services"]["api"]["image"] == "acme/api:1.0.0"
    finally:
        del os.environ["MOORAGE_TEST_TAG"]


def test_explicit_env_file_replaces_dotenv(compose: Callable[..., Path], tmp_path: Path) -> None:
    path = compose("services:\n  api:\n    image: acme/api:${TAG:-0.0.1}\n", __env="TAG=1.1.1\n")
    other = tmp_path / "prod.env"
    other.write_text("TAG=3.0.0\n")
    assert load(path, env_file=other).data["services"]["api"]["image"] == "acme/api:3.0.0"
    msgs = errors(path, env_file=tmp_path / "missing.env")
    assert any("env file not found" in m for m in msgs)


def test_required_variable_error_is_located(compose: Callable[..., Path]) -> None:
    path = compose("services:\n  api:\n    image: acme/api:1.0.0\n    environment:\n      KEY: ${KEY:?set KEY}\n")
    msgs = errors(path)
    assert any(":5:" in m and "KEY" in m for m in msgs), msgs


def test_unset_variable_warns_once(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          api:
            image: acme/api:1.0.0
            environment: {A: "${UNSET_X}", B: "${UNSET_X}"}
    """)
    warned = [m for m in messages(load(path), "warning") if "UNSET_X is not set" in m]
    assert len(warned) == 1


def test_extends_same_file(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          base:
            image: ghcr.io/acme/app:1.0.0
            environment: {A: "1", B: "2"}
            ports: ["8000:8000"]
          worker:
            extends: base
            environment: {B: "3"}
            command: ["run", "worker"]
    """)
    svc = load(path).data["services"]["worker"]
    assert svc["image"] == "ghcr.io/acme/app:1.0.0"
    assert svc["env"] == {"A": "1", "B": "3"}
    assert svc["command"] == ["run", "worker"]
    assert svc["port"] == 8000


def test_extends_other_file_and_cycle(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          api:
            extends: {file: common.yml, service: node}
            ports: ["3000:3000"]
    """, common__yml="""
        services:
          node:
            image: ghcr.io/acme/node:20.1.0
            environment: {NODE_ENV: production}
    """)
    svc = load(path).data["services"]["api"]
    assert svc["image"] == "ghcr.io/acme/node:20.1.0" and svc["env"] == {"NODE_ENV": "production"}
    cyc = compose("""
        services:
          a: {extends: b, image: x/a:1.0.0}
          b: {extends: a, image: x/b:1.0.0}
    """)
    assert any("cycle" in m for m in errors(cyc))


def test_profiles(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          web: {image: ghcr.io/acme/web:1.0.0, ports: ["80:80"]}
          debug: {image: ghcr.io/acme/debug:1.0.0, profiles: [debug]}
          gpu: {image: ghcr.io/acme/gpu:1.0.0, profiles: [gpu, heavy]}
    """)
    assert set(load(path).data["services"]) == {"web"}
    assert set(load(path, profiles=["debug"]).data["services"]) == {"web", "debug"}
    assert set(load(path, profiles=["heavy"]).data["services"]) == {"web", "gpu"}
    assert set(load(path, environ={"COMPOSE_PROFILES": "debug,gpu"}).data["services"]) == {"web", "debug", "gpu"}
    assert any("not imported" in m and "debug" in m for m in messages(load(path), "info"))


def test_env_file_forms(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          svc-a:
            image: ghcr.io/acme/a:1.0.0
            env_file: common.env
          svc-b:
            image: ghcr.io/acme/b:1.0.0
            env_file: [common.env, extra.env]
            environment: {MODE: env-wins}
          svc-c:
            image: ghcr.io/acme/c:1.0.0
            env_file:
              - path: common.env
              - path: optional.env
                required: false
          svc-d:
            image: ghcr.io/acme/d:1.0.0
            env_file: missing.env
    """, common__env="MODE=common\nSHARED=yes\n", extra__env="EXTRA=1\n")
    loaded = load(path)
    services = loaded.data["services"]
    assert services["svc-a"]["env"] == {"MODE": "common", "SHARED": "yes"}
    assert services["svc-b"]["env"] == {"MODE": "env-wins", "SHARED": "yes", "EXTRA": "1"}
    assert services["svc-c"]["env"] == {"MODE": "common", "SHARED": "yes"}
    assert "env" not in services["svc-d"]
    text = messages(loaded)
    assert any("optional env_file optional.env" in m for m in text)
    assert any("env_file missing.env is not there" in m and "warning" in m for m in text)
    # an env_file value is located in the env file itself
    assert loaded.source.locate(("services", "svc-a", "env", "SHARED")).file.endswith("common.env")
    assert loaded.source.locate(("services", "svc-a", "env", "SHARED")).line == 2


def test_malformed_yaml_and_shapes(compose: Callable[..., Path]) -> None:
    assert any("malformed YAML" in m for m in errors(compose("services:\n  web: [unclosed\n")))
    assert any("services" in m for m in errors(compose("version: '3'\n")))
    assert any("must be a mapping" in m for m in errors(compose("services:\n  web: just-a-string\n")))
    assert any("empty" in m for m in errors(compose("")))
