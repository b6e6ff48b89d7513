"""The twelve real compose files in the shared corpus: each imports or fails with located errors."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from conftest import CORPUS

from moorage import api
from moorage.compose import import_compose
from moorage.errors import InputError
from moorage.spec.load import LoadedApp, load_native

FILES = sorted(CORPUS.glob("*.y*ml")) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(not FILES, reason="the shared corpus not present (../shared/corpus/compose)")

# What each file yields with no .env (None: fails with located errors; else the managed stores).
EXPECTED: dict[str, tuple[str, ...] | None] = {
    "appwrite__appwrite__docker-compose.yml": ("databases.mariadb", "databases.postgresql", "caches.redis"),
    "docker__awesome-compose__elasticsearch-logstash-kibana_compose.yaml": (),
    "docker__awesome-compose__nginx-flask-mysql_compose.yaml": ("databases.db",),
    "getsentry__self-hosted__docker-compose.yml": ("databases.postgres", "caches.redis", "buckets.seaweedfs"),
    "immich-app__immich__docker_docker-compose.yml": ("databases.database", "caches.redis"),
    "langfuse__langfuse__docker-compose.yml": ("databases.postgres", "caches.redis", "buckets.langfuse"),
    "mastodon__mastodon__docker-compose.yml": ("databases.db", "caches.redis"),
    "n8n-io__n8n-hosting__docker-compose_withPostgresAndWorker_docker-compose.yml":
        ("databases.postgres", "caches.redis"),
    "n8n-io__self-hosted-ai-starter-kit__docker-compose.yml": ("databases.postgres",),
    "plausible__community-edition__compose.yml": ("databases.plausible-db",),
    "supabase__supabase__docker_docker-compose.yml": ("databases.db",),
    "twentyhq__twenty__packages_twenty-docker_docker-compose.yml": ("databases.db", "caches.redis"),
}
# Services that cannot run on Fargate (Docker socket): left out with --skip, each named and explained.
SKIP: dict[str, tuple[str, ...]] = {
    "appwrite__appwrite__docker-compose.yml": ("traefik", "openruntimes-executor", "orchestrator"),
    "supabase__supabase__docker_docker-compose.yml": ("vector",),
}
SENTRY_ENV = {"SNUBA_IMAGE": "getsentry/snuba:25.1.0", "SYMBOLICATOR_IMAGE": "getsentry/symbolicator:25.1.0",
              "RELAY_IMAGE": "getsentry/relay:25.1.0", "TASKBROKER_IMAGE": "getsentry/taskbroker:25.1.0",
              "VROOM_IMAGE": "getsentry/vroom:25.1.0", "LAUNCHPAD_IMAGE": "getsentry/launchpad:25.1.0",
              "UPTIME_CHECKER_IMAGE": "getsentry/uptime-checker:25.1.0", "HEALTHCHECK_INTERVAL": "30s",
              "HEALTHCHECK_TIMEOUT": "1m",
              "HEALTHCHECK_RETRIES": "10", "HEALTHCHECK_START_PERIOD": "10s", "SENTRY_BIND": "9000"}


# moorage services per file (docs/compose-import.md, "The corpus")
SERVICES = {"appwrite": 12, "elasticsearch-logstash-kibana": 3, "nginx-flask-mysql": 2, "getsentry": 25,
            "immich": 2, "langfuse": 3, "mastodon": 3, "n8n-hosting": 4, "self-hosted-ai-starter-kit": 3,
            "plausible": 2, "supabase": 11, "twenty": 3}


def _project(path: Path, tmp_path: Path) -> Path:
    """The compose file as its project has it: Sentry's image variables live in the .env beside it."""
    if "getsentry" not in path.name:
        return path
    copy = tmp_path / "sentry" / path.name
    copy.parent.mkdir(parents=True)
    copy.write_text(path.read_text())
    (copy.parent / ".env").write_text("".join(f"{k}={v}\n" for k, v in SENTRY_ENV.items()))
    return copy


def _stores(loaded: LoadedApp) -> tuple[str, ...]:
    return tuple(f"{block}.{name}" for block in ("databases", "caches", "buckets")
                 for name in loaded.data.get(block, {}))


@needs_corpus
def test_corpus_is_complete() -> None:
    assert {f.name for f in FILES} == set(EXPECTED)


@needs_corpus
@pytest.mark.parametrize("path", FILES, ids=[f.name[:40] for f in FILES])
def test_corpus_file(path: Path, tmp_path: Path) -> None:
    """init's path: import, plan every environment, write moorage.yml, load it back; then synthesize."""
    expected = EXPECTED[path.name]
    skip = SKIP.get(path.name, ())
    try:
        loaded, text = api.import_checked(_project(path, tmp_path), skip=skip)
    except InputError as exc:
        pytest.fail("\n".join(d.render() for d in exc.diagnostics))
    assert _stores(loaded) == expected
    assert len(loaded.spec.services) == next(n for k, n in SERVICES.items() if k in path.name)
    for d in loaded.warnings:
        assert d.location is not None and d.location.line > 0, d.render()
    skipped = [d.message for d in loaded.warnings if " is skipped (--skip)" in d.message]
    assert len(skipped) == len(skip) and all("not runnable on Fargate: it mounts the Docker socket" in m
                                             for m in skipped)
    out = tmp_path / "moorage.yml"
    out.write_text(text)
    written = load_native(out)
    assert written.spec == loaded.spec  # the written moorage.yml says the same thing
    for env in written.spec.environments:
        assert api.synth_environment(written, env).templates


@needs_corpus
def test_socket_errors_are_located() -> None:
    with pytest.raises(InputError) as info:
        import_compose(CORPUS / "supabase__supabase__docker_docker-compose.yml")
    (diag,) = info.value.diagnostics
    assert "Docker socket" in diag.message and "not runnable" in diag.message and diag.location is not None
    assert "--skip vector" in diag.hint
    assert diag.location.line == 529 and diag.location.path == ("services", "vector", "volumes", 1)
    with pytest.raises(InputError) as info:
        import_compose(CORPUS / "appwrite__appwrite__docker-compose.yml")
    assert {d.location.path[1] for d in info.value.diagnostics if d.location} == \
        set(SKIP["appwrite__appwrite__docker-compose.yml"])


@needs_corpus
def test_sentry_needs_its_env_file() -> None:
    """Without the project's .env the image variables are empty: each such service is a located error."""
    with pytest.raises(InputError) as info:
        import_compose(CORPUS / "getsentry__self-hosted__docker-compose.yml")
    assert any("has no image after interpolation" in d.message and "set the variable in .env" in d.hint
               for d in info.value.diagnostics)


@needs_corpus
def test_sentry_with_its_variables() -> None:
    loaded = import_compose(CORPUS / "getsentry__self-hosted__docker-compose.yml", environ=SENTRY_ENV)
    assert _stores(loaded) == ("databases.postgres", "caches.redis", "buckets.seaweedfs")
    assert loaded.data["services"]["nginx"]["route"] == "/*"
    assert len(loaded.data["services"]) == 25  # 28 always-on, less postgres, redis and seaweedfs
    full = import_compose(CORPUS / "getsentry__self-hosted__docker-compose.yml", environ=SENTRY_ENV,
                          profiles=["feature-complete"])
    assert len(full.data["services"]) > 40


@needs_corpus
def test_supabase_without_the_log_shipper(tmp_path: Path) -> None:
    text = (CORPUS / "supabase__supabase__docker_docker-compose.yml").read_text()
    text = text.replace("\n  vector:\n", "\n  vector:\n    x-moorage: {ignore: true}\n")
    path = tmp_path / "docker-compose.yml"
    path.write_text(text)
    loaded = import_compose(path)
    services = loaded.data["services"]
    assert services["kong"]["route"] == "/*"
    assert services["meta"]["port"] == 8080  # inferred from studio's STUDIO_PG_META_URL
    assert services["auth"]["env"]["GOTRUE_DB_DATABASE_URL"] == "{{ db.url }}"
    assert services["realtime"]["env"]["DB_PASSWORD"] == "{{ db.password }}"


@needs_corpus
def test_profiles_in_the_starter_kit() -> None:
    path = CORPUS / "n8n-io__self-hosted-ai-starter-kit__docker-compose.yml"
    cpu = import_compose(path, profiles=["cpu"])
    assert {"ollama-cpu", "ollama-pull-llama-cpu"} <= set(cpu.data["services"])
    with pytest.raises(InputError) as info:
        import_compose(path, profiles=["gpu-nvidia"])
    assert any("no GPUs" in d.message for d in info.value.diagnostics)


@needs_corpus
@pytest.mark.parametrize("seed", range(6))
def test_mutated_corpus_never_crashes(seed: int, tmp_path: Path) -> None:
    """Cut, shuffle and corrupt lines of corpus files: the import either works or raises InputError."""
    rng = random.Random(seed)
    for source in FILES:
        lines = source.read_text().splitlines()
        for _ in range(4):
            mutated = list(lines)
            for _ in range(rng.randint(1, 6)):
                i = rng.randrange(len(mutated))
                choice = rng.random()
                if choice < 0.3:
                    del mutated[i]
                elif choice < 0.5:
                    mutated[i] = mutated[i].replace(":", "", 1)
                elif choice < 0.7:
                    mutated.insert(i, mutated[rng.randrange(len(mutated))])
                elif choice < 0.85:
                    mutated[i] = mutated[i] + " ${"
                else:
                    mutated[i] = "  " + mutated[i]
            path = tmp_path / source.name
            path.write_text("\n".join(mutated))
            try:
                import_compose(path)
            except InputError as exc:
                assert all(d.location is not None for d in exc.diagnostics)
                assert not any(d.code == "compose-internal" for d in exc.diagnostics), str(exc)


@needs_corpus
def test_langfuse_wiring() -> None:
    loaded = import_compose(CORPUS / "langfuse__langfuse__docker-compose.yml")
    web = loaded.data["services"]["langfuse-web"]
    assert web["route"] == "/*"
    assert web["env"]["DATABASE_URL"] == "{{ postgres.url }}"
    assert web["env"]["REDIS_AUTH"] == "{{ redis.token }}"
    assert web["env"]["CLICKHOUSE_URL"] == "{{ clickhouse.url }}"
    assert web["env"]["LANGFUSE_S3_EVENT_UPLOAD_BUCKET"] == "{{ langfuse.name }}"
    assert "LANGFUSE_S3_EVENT_UPLOAD_SECRET_ACCESS_KEY" not in web["env"]
    assert web["uses"] == ["postgres", "langfuse", "redis", "clickhouse"]
    assert set(web["secrets"]) == {"CLICKHOUSE_PASSWORD", "ENCRYPTION_KEY", "NEXTAUTH_SECRET", "SALT"}


@needs_corpus
def test_corpus_schedulers_are_singletons(tmp_path: Path) -> None:
    def singletons(name: str) -> set[str]:
        loaded = api.load_app(_project(CORPUS / name, tmp_path / name), skip=SKIP.get(name, ()))
        return {n for n, s in loaded.spec.services.items() if s.singleton}

    assert singletons("getsentry__self-hosted__docker-compose.yml") == {"taskscheduler", "sentry-cleanup"}
    assert singletons("appwrite__appwrite__docker-compose.yml") == {"appwrite-task-scheduler"}
    assert singletons("langfuse__langfuse__docker-compose.yml") == set()  # workers there scale
