"""Shared fixtures: the repository, its examples, a kitchen-sink spec, spec writers and a CLI runner.

Synthesis is cheap (tens of milliseconds), cfn-lint is not (0.3-1 s a template): each
example x environment is synthesized once per session (per xdist worker) and linted by one test only.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from moorage import api
from moorage.errors import Diagnostic, InputError
from moorage.render import Synth
from moorage.spec.load import LoadedApp

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES_DIR = REPO_ROOT / "examples"
COMPOSE_NAMES = ("docker-compose.yml", "docker-compose.yaml", "compose.yml", "compose.yaml")

# A spec that exercises what the examples do not: several routes, a private service, a spot worker,
# a before-deploy job, Aurora, Redis, a bucket, an app secret, an EFS volume, a domain and a budget.
KITCHEN = """\
name: kitchen
region: eu-west-1
residency: eu
domain: {name: app.kitchen.example.com, zone_id: Z0123456789ABCDEFGHIJ}
alarms: {email: ops@kitchen.example.com}
budget: {monthly: 500, email: money@kitchen.example.com}
services:
  web:
    image: ghcr.io/acme/web:1.4.2
    port: 3000
    route: "/*"
    health: /health/ready
  gateway:
    image: ghcr.io/acme/gateway:1.4.2
    port: 4000
    route: "/api/*"
    uses: [db, queue, svc-auth]
    env:
      LOG_LEVEL: info
      AUTH_URL: "{{ svc-auth.url }}"
    secrets: [JWT_SECRET]
  svc-auth:
    image: ghcr.io/acme/auth:1.4.2
    port: 4010
    uses: [db]
    env:
      DB_PASSWORD: "{{ db.password }}"
      DB_HOST: "{{ db.host }}"
  worker:
    image: ghcr.io/acme/worker:1.4.2
    uses: [queue, datasets]
    spot: true
  migrate:
    image: ghcr.io/acme/gateway:1.4.2
    command: [npm, run, migrate]
    run: before-deploy
    uses: [db]
  files:
    image: ghcr.io/acme/files:1.4.2
    port: 5000
    volumes: [{path: /data, persistent: true}]
databases:
  db: {engine: aurora-postgresql, version: "15", extensions: [vector]}
caches:
  queue: {engine: redis, version: "7.1"}
buckets:
  datasets: {versioning: true}
secrets:
  JWT_SECRET: {generate: true}
environments:
  dev: {}
  staging: {}
  prod:
    services:
      web: {scaling: {min: 2, max: 10, cpu: 70}}
"""
KITCHEN_ENVS = ("dev", "staging", "prod")

# The less common shapes: MySQL with a read replica on io2, Aurora MySQL, Valkey in cluster mode, a public
# bucket with CORS and lifecycle rules, an arm64 service built from source with a sidecar, a container
# health check and a read-only root, service-to-routed-service wiring, and a scheduled task.
VARIANTS = """\
name: variants
region: us-east-2
services:
  api:
    build: {context: ./api, dockerfile: Dockerfile}
    port: 8080
    route: "/api/*"
    health: {path: /healthz, grace: 120}
    healthcheck: {command: [CMD-SHELL, "curl -f localhost:8080/healthz"]}
    arch: arm64
    readonly_root: true
    uses: [orders, analytics, cache, assets]
    volumes: [{path: /shared, persistent: true, readonly: true}]
    sidecars:
      otel: {image: otel/opentelemetry-collector:0.110.0, port: 4317}
    env:
      ORDERS_HOST: "{{ orders.host }}"
      ASSETS: "{{ assets.name }}"
      CACHE_HOST: "{{ cache.host }}"
  web:
    image: ghcr.io/x/web:1.0.0
    port: 3000
    route: "/*"
    uses: [api]
  nightly:
    image: ghcr.io/x/jobs:1.0.0
    schedule: "cron(0 3 * * ? *)"
    uses: [orders]
    stop_timeout: 60
databases:
  orders: {engine: mysql, version: "8.0", replicas: 1, storage: 100, storage_type: io2, iops: 3000}
  analytics: {engine: aurora-mysql, version: "8.0", replicas: 1}
caches:
  cache: {engine: valkey, cluster_mode: true, shards: 2, nodes: 2}
buckets:
  assets:
    public: true
    cors: [{origins: ["https://x.example.com"], methods: [GET, PUT]}]
    lifecycle: [{prefix: tmp/, expire_days: 7}, {transition: {GLACIER_IR: 90}, noncurrent_expire_days: 30}]
"""
INLINE_SPECS = {"kitchen": KITCHEN, "variants": VARIANTS}


def discover_examples() -> list[Path]:
    """Every example input: examples/*/moorage.yml and the compose files next to them."""
    found = set(EXAMPLES_DIR.glob("*/moorage.yml"))
    for name in COMPOSE_NAMES:
        found |= set(EXAMPLES_DIR.glob(f"*/{name}"))
    return sorted(found)


def example_id(path: Path) -> str:
    """``hello`` for a moorage.yml, ``smartboard[docker-compose.yml]`` for a compose file."""
    return path.parent.name if path.name == "moorage.yml" else f"{path.parent.name}[{path.name}]"


def load_example(path: Path) -> LoadedApp:
    """Load an example; skip when it is a compose file and the importer is not there yet."""
    try:
        return api.load_app(path)
    except ImportError as exc:
        pytest.skip(f"compose importer not available yet: {exc}")


def _example_env_params() -> list[Any]:
    params = []
    for path in discover_examples():
        rel = str(path.relative_to(REPO_ROOT))
        try:
            envs = list(api.load_app(path).spec.environments)
        except ImportError as exc:
            params.append(pytest.param((rel, "?"), id=f"{example_id(path)}-?",
                                       marks=pytest.mark.skip(reason=f"compose importer not available: {exc}")))
            continue
        except Exception:  # noqa: BLE001 - let the test itself report the failure, located
            params.append(pytest.param((rel, "?"), id=f"{example_id(path)}-load"))
            continue
        params += [pytest.param((rel, env), id=f"{example_id(path)}-{env}") for env in envs]
    return params


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``example_path``: every example file; ``example_env``: every example x environment;
    ``case_key``: those plus the inline specs' environments."""
    if "example_path" in metafunc.fixturenames:
        paths = discover_examples()
        metafunc.parametrize("example_path", paths, ids=[example_id(p) for p in paths])
    if "example_env" in metafunc.fixturenames:
        metafunc.parametrize("example_env", _example_env_params())
    if "case_key" in metafunc.fixturenames:
        params = _example_env_params()
        params += [pytest.param((name, env), id=f"{name}-{env}") for name in INLINE_SPECS for env in KITCHEN_ENVS]
        metafunc.parametrize("case_key", params)


@dataclass
class Case:
    """One synthesized environment of one app."""

    label: str
    env: str
    loaded: LoadedApp
    synth: Synth

    @property
    def templates(self) -> dict[str, dict[str, Any]]:
        return self.synth.templates

    @property
    def manifest(self) -> dict[str, Any]:
        return self.synth.manifest

    @property
    def profile(self) -> str:
        return self.synth.plan.env.profile

    def region_of(self, stack: str) -> str:
        return next(s["region"] for s in self.manifest["stacks"] if s["key"] == stack)


class Cases:
    """Loads and synthesizes each app x environment once, on first use."""

    def __init__(self, inline: dict[str, Path]) -> None:
        self.inline = inline
        self._loaded: dict[str, LoadedApp] = {}
        self._cases: dict[tuple[str, str], Case] = {}

    def loaded(self, key: str) -> LoadedApp:
        if key not in self._loaded:
            path = self.inline.get(key) or REPO_ROOT / key
            self._loaded[key] = load_example(path)
        return self._loaded[key]

    def get(self, key: str, env: str) -> Case:
        if (key, env) not in self._cases:
            loaded = self.loaded(key)
            label = key if key in self.inline else example_id(REPO_ROOT / key)
            self._cases[(key, env)] = Case(f"{label}/{env}", env, loaded, api.synth_environment(loaded, env))
        return self._cases[(key, env)]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def examples() -> list[Path]:
    """Every example input file."""
    return discover_examples()


@pytest.fixture(scope="session")
def inline_specs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The inline specs written to files: name -> path of its moorage.yml."""
    paths = {}
    for name, text in INLINE_SPECS.items():
        paths[name] = tmp_path_factory.mktemp(name) / "moorage.yml"
        paths[name].write_text(text, encoding="utf-8")
    return paths


@pytest.fixture(scope="session")
def kitchen_path(inline_specs: dict[str, Path]) -> Path:
    return inline_specs["kitchen"]


@pytest.fixture(scope="session")
def cases(inline_specs: dict[str, Path]) -> Cases:
    return Cases(inline_specs)


@pytest.fixture
def example_case(cases: Cases, example_env: tuple[str, str]) -> Case:
    key, env = example_env
    if env == "?":  # the example did not load at collection: load it here to report why
        api.load_app(REPO_ROOT / key)
    return cases.get(key, env)


@pytest.fixture
def case(cases: Cases, case_key: tuple[str, str]) -> Case:
    key, env = case_key
    if env == "?":
        api.load_app(REPO_ROOT / key)
    return cases.get(key, env)


@pytest.fixture
def kitchen(cases: Cases) -> Callable[[str], Case]:
    """The kitchen spec synthesized for one environment."""
    return lambda env: cases.get("kitchen", env)


@pytest.fixture
def variants(cases: Cases) -> Callable[[str], Case]:
    """The variants spec synthesized for one environment."""
    return lambda env: cases.get("variants", env)


# --------------------------------------------------------------------------- writing specs


@pytest.fixture
def write_spec() -> Callable[..., Path]:
    """``write_spec(tmp_path, text, name="moorage.yml")``: write dedented YAML and return its path."""

    def write(directory: Path, text: str, name: str = "moorage.yml") -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def spec_file(tmp_path: Path, write_spec: Callable[..., Path]) -> Callable[[str], Path]:
    """``spec_file(text)``: a moorage.yml in a fresh directory of this test's tmp_path."""
    counter = iter(range(1000))

    def make(text: str) -> Path:
        return write_spec(tmp_path / f"spec{next(counter)}", text)

    return make


@pytest.fixture
def load_spec(spec_file: Callable[[str], Path]) -> Callable[[str], LoadedApp]:
    """``load_spec(text)``: the validated app."""
    return lambda text: api.load_app(spec_file(text))


@pytest.fixture
def synth_spec(load_spec: Callable[[str], LoadedApp]) -> Callable[[str, str], Synth]:
    """``synth_spec(text, env)``: templates and manifest of one environment."""
    return lambda text, env: api.synth_environment(load_spec(text), env)


@pytest.fixture
def input_errors(spec_file: Callable[[str], Path]) -> Callable[..., tuple[Path, list[Diagnostic]]]:
    """``input_errors(text, env=None)``: the spec's path and the diagnostics it is rejected with.

    Without ``env`` only loading must fail; with it, planning that environment must fail.
    """

    def run(text: str, env: str | None = None) -> tuple[Path, list[Diagnostic]]:
        path = spec_file(text)
        with pytest.raises(InputError) as info:
            loaded = api.load_app(path)
            if env is not None:
                api.plan_environment(loaded, env)
        diags = info.value.diagnostics
        assert diags, "an InputError must carry at least one diagnostic"
        assert all(d.severity == "error" for d in diags)
        return path, diags

    return run


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the ``occurrence``-th line of dedented ``text`` containing ``needle``."""
    lines = textwrap.dedent(text).lstrip("\n").splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} not found {occurrence} times in the spec"
    return hits[occurrence - 1]


@pytest.fixture
def locate() -> Callable[..., int]:
    """``locate(text, needle, occurrence=1)``: the line a diagnostic should point at."""
    return line_of


# --------------------------------------------------------------------------- CLI


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[..., CliResult]]:
    """``run_cli(*args)``: run ``moorage.cli.app:main`` in-process, as the `moorage` script does."""
    from moorage.cli.app import main

    def run(*args: str | Path) -> CliResult:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["moorage", *map(str, args)])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    yield run
