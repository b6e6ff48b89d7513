"""Mapping compose services to moorage services and managed stores."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import errors, load, messages

from moorage.compose import import_compose, to_moorage_yaml
from moorage.errors import InputError

SHOP = """
    name: shop
    services:
      web:
        image: ghcr.io/acme/web:1.2.3
        ports: ["8080:3000"]
        environment:
          API_URL: http://api:4000
          SESSION_SECRET: ${SESSION_SECRET:-changeme-session}
        depends_on: [api]
        healthcheck:
          test: ["CMD", "curl", "-f", "http://localhost:3000/healthz"]
          interval: 1m30s
          timeout: 10s
          retries: 5
          start_period: 40s
      api:
        image: ghcr.io/acme/api:1.2.3
        expose: ["4000"]
        environment:
          DATABASE_URL: postgres://shop:Sup3r-S3cret-Pw!@db:5432/shop
          DB_HOST: db
          DB_PORT: "5432"
          DB_PASSWORD: Sup3r-S3cret-Pw!
          REDIS_URL: redis://:R3dis-T0ken-Value@cache:6379/0
          S3_ENDPOINT: http://objects:9000
          S3_BUCKET: uploads
          S3_ACCESS_KEY_ID: minio-admin-user
          S3_SECRET_ACCESS_KEY: M1nio-Root-Secret
          STRIPE_API_KEY: sk_live_realvalue123
        depends_on:
          db: {condition: service_healthy}
          cache: {condition: service_started}
          objects: {condition: service_started}
      db:
        image: postgres:16-alpine
        environment:
          POSTGRES_USER: shop
          POSTGRES_DB: shop
          POSTGRES_PASSWORD: Sup3r-S3cret-Pw!
        volumes: ["dbdata:/var/lib/postgresql/data"]
      cache:
        image: redis:7.2-alpine
        command: redis-server --requirepass R3dis-T0ken-Value
      objects:
        image: minio/minio:RELEASE.2025-01-01T00-00-00Z
        command: server /data
        environment:
          MINIO_ROOT_USER: minio-admin-user
          MINIO_ROOT_PASSWORD: M1nio-Root-Secret
      buckets:
        image: minio/mc
        entrypoint: sh -c "mc alias set local http://objects:9000 u p && mc mb -p local/uploads"
        depends_on: [objects]
    volumes:
      dbdata:
"""
SECRET_VALUES = ["Sup3r-S3cret-Pw!", "R3dis-T0ken-Value", "M1nio-Root-Secret", "sk_live_realvalue123",
                 "changeme-session", "minio-admin-user"]


@pytest.fixture
def shop(compose: Callable[..., Path]) -> Path:
    return compose(SHOP)


def test_stores_are_mapped(shop: Path) -> None:
    data = load(shop).data
    assert data["name"] == "shop"
    assert data["databases"] == {"db": {"engine": "postgres", "version": "16", "name": "shop", "username": "shop"}}
    assert data["caches"] == {"cache": {"engine": "redis", "version": "7.1"}}
    assert data["buckets"] == {"uploads": {}}
    assert set(data["services"]) == {"web", "api"}


def test_connection_references(shop: Path) -> None:
    loaded = load(shop)
    data = loaded.data
    api = data["services"]["api"]
    assert api["env"]["DATABASE_URL"] == "{{ db.url }}"
    assert api["env"]["DB_HOST"] == "{{ db.host }}"
    assert api["env"]["DB_PORT"] == "{{ db.port }}"
    assert api["env"]["DB_PASSWORD"] == "{{ db.password }}"
    assert api["env"]["REDIS_URL"] == "{{ cache.url }}"
    assert api["env"]["S3_ENDPOINT"] == "https://s3.{{ uploads.region }}.amazonaws.com"
    assert api["env"]["S3_BUCKET"] == "{{ uploads.name }}"
    assert "S3_ACCESS_KEY_ID" not in api["env"] and "S3_SECRET_ACCESS_KEY" not in api["env"]
    assert api["secrets"] == ["STRIPE_API_KEY"]
    assert api["uses"] == ["db", "cache", "uploads"]
    web = data["services"]["web"]
    assert web["env"]["API_URL"] == "{{ api.url }}"
    assert web["uses"] == ["api"]
    assert web["secrets"] == ["SESSION_SECRET"]
    # An API key is issued by Stripe: a random value would never work, the user sets it.
    assert data["secrets"]["STRIPE_API_KEY"]["generate"] is False
    assert data["secrets"]["SESSION_SECRET"]["generate"] is True
    notes = [d.message for d in loaded.warnings if "STRIPE_API_KEY" in d.message]
    assert any("a third party issues" in m for m in notes), notes


def test_credential_values_appear_nowhere(shop: Path) -> None:
    loaded = load(shop)
    produced = json.dumps(loaded.data) + "\n".join(messages(loaded)) + to_moorage_yaml(loaded)
    produced += repr(loaded.spec.model_dump())
    for value in SECRET_VALUES:
        assert value not in produced, value


def test_kinds_routes_and_health(shop: Path) -> None:
    web = load(shop).data["services"]["web"]
    assert web["port"] == 3000 and web["route"] == "/*" and web["health"] == "/healthz"
    assert web["healthcheck"] == {"command": ["CMD", "curl", "-f", "http://localhost:3000/healthz"],
                                  "interval": 90, "timeout": 10, "retries": 5, "start_period": 40}
    api = load(shop).data["services"]["api"]
    assert api["port"] == 4000 and "route" not in api


def test_decisions_are_recorded(shop: Path) -> None:
    infos = messages(load(shop), "info")
    assert any("db -> databases.db: RDS postgres 16" in m for m in infos)
    assert any("cache -> caches.cache: ElastiCache redis 7.1" in m for m in infos)
    assert any("buckets" in m and "not imported" in m for m in infos)


def test_healthcheck_forms(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          shell: {image: x/shell:1.0.0, healthcheck: {test: "curl -f localhost:80 || exit 1"}}
          cmdshell: {image: x/cs:1.0.0, healthcheck: {test: ["CMD-SHELL", "pg_isready", "-q"]}}
          off: {image: x/off:1.0.0, healthcheck: {disable: true}}
          none: {image: x/none:1.0.0, healthcheck: {test: ["NONE"]}}
          clamp: {image: x/clamp:1.0.0, healthcheck: {test: ["CMD", "true"], interval: 1s, retries: 50}}
    """)
    loaded = load(path)
    services = loaded.data["services"]
    assert services["shell"]["healthcheck"]["command"] == ["CMD-SHELL", "curl -f localhost:80 || exit 1"]
    assert services["cmdshell"]["healthcheck"]["command"] == ["CMD-SHELL", "pg_isready -q"]
    assert "healthcheck" not in services["off"] and "healthcheck" not in services["none"]
    assert services["clamp"]["healthcheck"]["interval"] == 5
    assert services["clamp"]["healthcheck"]["retries"] == 10
    assert any("outside what ECS allows" in m for m in messages(loaded, "warning"))
    bad = compose("services:\n  web:\n    image: x/web:1.0.0\n    healthcheck: {test: [CMD, x], interval: soon}\n")
    assert any("not a duration" in m for m in errors(bad))


@pytest.mark.parametrize(
    ("resources", "cpu", "memory"),
    [
        ("deploy: {resources: {limits: {cpus: '0.5', memory: 512M}}}", 512, 1024),
        ("deploy: {resources: {limits: {cpus: '0.25', memory: 256m}}}", 256, 512),
        ("deploy: {resources: {reservations: {cpus: '1', memory: 3g}}}", 1024, 3072),
        ("deploy: {resources: {limits: {memory: 6g}}}", 1024, 6144),
        ("{cpus: 2, mem_limit: 1g}", 2048, 4096),
        ("deploy: {resources: {limits: {cpus: '64'}}}", 16384, 122880),
    ],
)
def test_resources_to_fargate_sizes(compose: Callable[..., Path], resources: str, cpu: int, memory: int) -> None:
    body = resources if not resources.startswith("{") else ""
    extra = resources[1:-1].replace(", ", "\n    ") if resources.startswith("{") else ""
    text = "services:\n  app:\n    image: x/app:1.0.0\n"
    text += f"    {body}\n" if body else f"    {extra}\n"
    svc = load(compose(text)).data["services"]["app"]
    assert (svc["cpu"], svc["memory"]) == (cpu, memory)


def test_replicas(compose: Callable[..., Path]) -> None:
    path = compose("services:\n  app:\n    image: x/app:1.0.0\n    deploy: {replicas: 3}\n")
    assert load(path).data["services"]["app"]["replicas"] == 3


def test_gpu_reservation_is_a_located_error(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          llm:
            image: ollama/ollama:0.5.0
            deploy:
              resources:
                reservations:
                  devices:
                    - driver: nvidia
                      count: 1
                      capabilities: [gpu]
    """)
    msgs = errors(path)
    assert any("no GPUs" in m and ":8:" in m for m in msgs), msgs


def test_port_syntaxes(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          long: {image: x/l:1.0.0, ports: [{target: 8080, published: 80}]}
          tcp: {image: x/t:1.0.0, ports: ["8000/tcp"]}
          local: {image: x/lo:1.0.0, ports: ["127.0.0.1:9000:9000"]}
          var: {image: x/v:1.0.0, ports: ["${EXPOSE_PORT-:2283:2283}"]}
          multi: {image: x/m:1.0.0, ports: ["5000:5000/udp", "5001:5001", "5002:5002"]}
    """)
    loaded = load(path)
    services = loaded.data["services"]
    assert services["long"]["port"] == 8080
    assert services["tcp"]["port"] == 8000
    assert services["local"]["port"] == 9000 and "route" not in services["local"]
    assert services["var"]["port"] == 2283
    assert services["multi"]["port"] == 5001
    warnings = messages(loaded, "warning")
    assert any("udp port 5000 is not carried" in m for m in warnings)
    assert services["multi"]["ports"] == [5002]  # several ports: each reachable at the service's host
    assert not any("5002" in m for m in warnings)


def test_command_and_entrypoint(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          app:
            image: x/app:1.0.0
            entrypoint: /docker-entrypoint.sh --verbose
            command: ["run", "--workers", "4"]
            working_dir: /srv
            user: "1000:1000"
            stop_grace_period: 1m
            read_only: true
            platform: linux/arm64
    """)
    svc = load(path).data["services"]["app"]
    assert svc["entrypoint"] == ["/docker-entrypoint.sh", "--verbose"]
    assert svc["command"] == ["run", "--workers", "4"]
    assert (svc["workdir"], svc["user"], svc["stop_timeout"], svc["readonly_root"], svc["arch"]) == \
        ("/srv", "1000:1000", 60, True, "arm64")


def test_depends_on_forms_and_jobs(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          web:
            image: x/web:1.0.0
            ports: ["80:80"]
            depends_on: [api, db]
          api:
            image: x/api:1.0.0
            expose: ["3000"]
            depends_on:
              db: {condition: service_healthy}
              migrate: {condition: service_completed_successfully}
              worker: {condition: service_started}
          worker: {image: x/worker:1.0.0, depends_on: {db: {condition: service_healthy, restart: true}}}
          migrate: {image: x/api:1.0.0, command: ["migrate"], depends_on: [db]}
          db: {image: mysql:8.0.36, environment: {MYSQL_DATABASE: shop, MYSQL_USER: shop}}
    """)
    loaded = load(path)
    services = loaded.data["services"]
    assert services["web"]["uses"] == ["db", "api"]
    assert services["api"]["uses"] == ["db"]
    assert services["migrate"]["run"] == "before-deploy" and "port" not in services["migrate"]
    assert services["worker"]["uses"] == ["db"] and "port" not in services["worker"]
    assert loaded.data["databases"]["db"] == {"engine": "mysql", "version": "8.0", "name": "shop",
                                              "username": "shop"}
    assert any("ordering only" in m for m in messages(loaded, "info"))
    bad = compose("services:\n  web:\n    image: x/w:1.0.0\n    depends_on: {ghost: {condition: service_healthy}}\n")
    assert any("ghost" in m and ":4:" in m for m in errors(bad))


def test_uses_cycle_keeps_one_direction(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          ping:
            image: x/ping:1.0.0
            expose: ["8001"]
            environment: {PONG_URL: "http://pong:8002"}
          pong:
            image: x/pong:1.0.0
            expose: ["8002"]
            environment: {PING_URL: "http://ping:8001"}
    """)
    loaded = load(path)
    services = loaded.data["services"]
    assert services["ping"]["uses"] == ["pong"] and services["ping"]["env"]["PONG_URL"] == "{{ pong.url }}"
    assert "uses" not in services["pong"] and services["pong"]["env"]["PING_URL"] == "http://ping:8001"
    assert any("cycle" in m for m in messages(loaded, "warning"))


def test_host_reference_without_depends_on_adds_uses(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          app:
            image: x/app:1.0.0
            environment: {CACHE_ADDR: "valkey:6379", PG: "postgresql://u:p@pg/app"}
          valkey: {image: docker.io/valkey/valkey:8.0.1}
          pg: {image: pgvector/pgvector:pg16}
    """)
    loaded = load(path)
    app = loaded.data["services"]["app"]
    assert app["env"] == {"CACHE_ADDR": "{{ valkey.host }}:{{ valkey.port }}", "PG": "{{ pg.url }}"}
    assert set(app["uses"]) == {"valkey", "pg"}
    assert loaded.data["caches"]["valkey"] == {"engine": "valkey", "version": "8.0"}
    assert loaded.data["databases"]["pg"]["extensions"] == ["vector"]
    assert loaded.data["databases"]["pg"]["version"] == "16"


def test_mariadb_and_compose_secrets(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          db:
            image: mariadb:10-focal
            secrets: [db-password]
            environment: {MYSQL_DATABASE: example, MYSQL_ROOT_PASSWORD_FILE: /run/secrets/db-password}
          backend:
            image: x/backend:1.0.0
            secrets: [db-password, api-token]
            depends_on: [db]
        secrets:
          db-password: {file: db/password.txt}
          api-token: {environment: API_TOKEN}
    """)
    loaded = load(path)
    backend = loaded.data["services"]["backend"]
    assert backend["env"] == {"DB_PASSWORD": "{{ db.password }}"}
    assert backend["secrets"] == ["API_TOKEN"]
    assert loaded.data["databases"]["db"] == {"engine": "mysql", "name": "example"}
    assert any("RDS for MariaDB is not offered" in m for m in messages(loaded, "warning"))
    undefined = compose("services:\n  app:\n    image: x/a:1.0.0\n    secrets: [nope]\n")
    assert any("nope" in m and "not defined" in m for m in errors(undefined))


def test_docker_socket_is_a_located_error(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          proxy:
            image: traefik:3.1.0
            ports: ["80:80"]
            volumes:
              - ./traefik.yml:/etc/traefik/traefik.yml:ro
              - /var/run/docker.sock:/var/run/docker.sock:ro
    """)
    with pytest.raises(InputError) as info:
        import_compose(path)
    socket = [d for d in info.value.diagnostics if "Docker socket" in d.message]
    assert len(socket) == 1
    assert socket[0].location is not None and socket[0].location.line == 8
    assert socket[0].location.path == ("services", "proxy", "volumes", 1)


def test_unknown_key_is_a_located_error(compose: Callable[..., Path]) -> None:
    path = compose("services:\n  web:\n    image: x/web:1.0.0\n    portz: ['80:80']\n")
    msgs = errors(path)
    assert any(":4:" in m and "'portz' is not a compose key" in m and "did you mean 'ports'" in m for m in msgs)
    top = compose("services:\n  web: {image: x/web:1.0.0}\nservicez: {}\n")
    assert any("'servicez'" in m for m in errors(top))


@pytest.mark.parametrize(
    ("snippet", "needle"),
    [
        ("privileged: true", "privileged"),
        ("cap_add: [NET_ADMIN]", "NET_ADMIN"),
        ("network_mode: host", "host networking"),
        ("devices: ['/dev/kfd']", "host devices"),
        ("pid: host", "pid: host"),
        ("runtime: nvidia", "runtime"),
    ],
)
def test_unsupported_keys_fail(compose: Callable[..., Path], snippet: str, needle: str) -> None:
    path = compose(f"services:\n  app:\n    image: x/app:1.0.0\n    {snippet}\n")
    assert any(needle in m and ":4:" in m for m in errors(path))


def test_warned_keys_and_strict(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          app:
            image: x/app:1.0.0
            shm_size: 256m
            ulimits: {nofile: {soft: 65536, hard: 65536}}
            extra_hosts: ["host.docker.internal:host-gateway"]
            container_name: my-app
            logging: {driver: json-file}
            volumes: ["./config.yml:/etc/app/config.yml:ro", "data:/data", "/scratch"]
            tmpfs: [/run]
        volumes:
          data:
    """)
    loaded = load(path)
    warnings = messages(loaded, "warning")
    for needle in ("shm_size", "ulimits", "extra_hosts", "bind mount ./config.yml"):
        assert any(needle in m for m in warnings), needle
    infos = messages(loaded, "info")
    assert any("container_name" in m for m in infos) and any("logging" in m for m in infos)
    assert loaded.data["services"]["app"]["volumes"] == [
        {"path": "/data", "name": "data", "persistent": True}, {"path": "/scratch"}, {"path": "/run"}]
    strict = errors(path, strict=True)
    assert any("shm_size" in m and "error" in m for m in strict)
    assert all(re.search(r":\d+:\d+: error", m) for m in strict), strict


def test_service_names_are_normalised(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          my_api: {image: x/api:1.0.0, expose: ["3000"]}
          my_web: {image: x/web:1.0.0, ports: ["80:80"], environment: {API: "http://my_api:3000/v1"}}
    """)
    loaded = load(path)
    assert set(loaded.data["services"]) == {"my-api", "my-web"}
    assert loaded.data["services"]["my-web"]["env"]["API"] == "{{ my-api.url }}/v1"
    assert any("named my-api" in m for m in messages(loaded, "info"))


def test_x_moorage_overrides(compose: Callable[..., Path]) -> None:
    path = compose("""
        x-moorage:
          name: storefront
          region: eu-west-1
          environments: {dev: {}, prod: {services: {web: {scaling: {min: 2, max: 6}}}}}
        services:
          web:
            image: x/web:1.0.0
            ports: ["80:80"]
            x-moorage: {route: "/*", health: /up, spot: true}
          admin:
            image: x/admin:1.0.0
            ports: ["8080:8080"]
            x-moorage: {route: "/admin/*"}
          db:
            image: postgres:16
            x-moorage: {engine: aurora-postgresql, version: "16"}
          dev-mail:
            image: mailhog/mailhog:v1.0.1
            x-moorage: {ignore: true}
    """)
    loaded = load(path)
    data = loaded.data
    assert data["name"] == "storefront" and data["region"] == "eu-west-1"
    assert list(data["environments"]) == ["dev", "prod"]
    assert data["services"]["web"]["health"] == "/up" and data["services"]["web"]["spot"] is True
    assert data["services"]["admin"]["route"] == "/admin/*"
    assert data["databases"]["db"]["engine"] == "aurora-postgresql"
    assert "dev-mail" not in data["services"]
    assert loaded.source.locate(("services", "web", "health")).line == 10


def test_validation_errors_point_into_the_compose_file(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          web:
            image: x/web:1.0.0
            x-moorage: {route: "api"}
    """)
    with pytest.raises(InputError) as info:
        import_compose(path)
    diag = info.value.diagnostics[0]
    assert diag.location is not None and diag.location.line == 5 and diag.location.file.endswith(".yml")


def test_empty_image_is_located(compose: Callable[..., Path]) -> None:
    path = compose("services:\n  api:\n    image: $API_IMAGE\n")
    assert any(":3:" in m and "no image" in m for m in errors(path))


def test_dotenv_credentials_never_leak(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          app:
            image: x/app:1.0.0
            environment:
              DSN: "host=db user=app password=${DB_PASSWORD}"
              NOTE: "${DB_PASSWORD}-suffix"
            healthcheck: {test: "check --token ${DB_PASSWORD}"}
          db: {image: postgres:16, environment: {POSTGRES_PASSWORD: "${DB_PASSWORD}"}}
    """, __env="DB_PASSWORD=from-dotenv-Secret-42\n")
    loaded = load(path)
    produced = json.dumps(loaded.data) + "\n".join(messages(loaded)) + to_moorage_yaml(loaded)
    assert "from-dotenv-Secret-42" not in produced
    # the health check's token is read from DB_PASSWORD, which ECS fills from the secret of that .env variable
    assert set(loaded.data["services"]["app"]["secrets"]) == {"DSN", "NOTE", "DB_PASSWORD"}
    assert loaded.data["services"]["app"]["healthcheck"]["command"] == ["CMD-SHELL", 'check --token "${DB_PASSWORD}"']
