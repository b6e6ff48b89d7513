"""`moorage init --from compose`: writes only a spec every command accepts, explains its rewrites."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moorage import api
from moorage.spec.load import load_native

if TYPE_CHECKING:
    from conftest import CliResult

Run = Callable[..., "CliResult"]

APP = """
    x-moorage: {residency: uae, region: %s}
    services:
      web:
        image: ghcr.io/acme/web:1.2.0
        ports: ["8000:8000"]
        environment:
          DATABASE_URL: postgres://app:secret@db:5432/app
          REDIS_URL: redis://cache:6379/0
        depends_on: [db]
      db:
        image: postgres:16
        environment: {POSTGRES_USER: app, POSTGRES_PASSWORD: secret, POSTGRES_DB: app}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "docker-compose.yml"
    path.write_text(textwrap.dedent(text))
    return path


def test_init_refuses_a_spec_later_commands_reject(run_cli: Run, tmp_path: Path) -> None:
    compose = _write(tmp_path, APP % "me-south-1")  # Bahrain is not in the UAE
    target = tmp_path / "moorage.yml"
    result = run_cli("init", "--from", compose, "-o", target)
    assert result.code == 2
    assert "region me-south-1 is outside the residency 'uae'" in result.err
    assert f"{compose}:2:" in result.err  # located at the x-moorage line that set it
    assert not target.exists()


def test_init_writes_what_loads_and_explains_rewrites(run_cli: Run, tmp_path: Path) -> None:
    compose = _write(tmp_path, APP % "me-central-1")
    target = tmp_path / "moorage.yml"
    result = run_cli("init", "--from", compose, "-o", target, "--explain")
    assert result.code == 0, result.err
    assert "Rewired settings" in result.out
    assert "{{ db.url }}" in result.out and "DATABASE_URL" in result.out
    loaded = load_native(target)
    for env in loaded.spec.environments:
        api.plan_environment(loaded, env)
    # the redis host no service provides is a located warning, and an error with --strict
    assert "REDIS_URL" in result.err and "cache" in result.err and f"{compose}:9:" in result.err
    strict = run_cli("init", "--from", compose, "-o", tmp_path / "strict.yml", "--strict")
    assert strict.code == 2 and "REDIS_URL" in strict.err
    assert not (tmp_path / "strict.yml").exists()


def test_init_skips_what_fargate_cannot_run(run_cli: Run, tmp_path: Path) -> None:
    compose = _write(tmp_path, """
        services:
          web: {image: "nginx:1.27", ports: ["80:80"]}
          agent:
            image: portainer/agent:2.21.0
            volumes: ["/var/run/docker.sock:/var/run/docker.sock"]
    """)
    target = tmp_path / "moorage.yml"
    refused = run_cli("init", "--from", compose, "-o", target)
    assert refused.code == 2 and "--skip agent" in refused.err and not target.exists()
    done = run_cli("init", "--from", compose, "-o", target, "--skip", "agent", "--explain")
    assert done.code == 0, done.err
    assert "agent is skipped (--skip): not runnable on Fargate: it mounts the Docker socket" in done.out
    assert set(load_native(target).spec.services) == {"web"}
    unknown = run_cli("init", "--from", compose, "-o", tmp_path / "x.yml", "--skip", "nope")
    assert unknown.code == 2 and "--skip nope: no such service" in unknown.err


def test_init_over_every_compose_example(run_cli: Run, repo_root: Path, tmp_path: Path) -> None:
    examples = sorted(p for p in (repo_root / "examples").glob("*/*.y*ml") if "compose" in p.name)
    assert examples
    for compose in examples:
        target = tmp_path / f"{compose.parent.name}.yml"
        result = run_cli("init", "--from", compose, "-o", target)
        assert result.code == 0, result.err
        written = load_native(target)
        assert written.spec == api.load_app(compose).spec


def test_init_counts_every_kind_it_made(run_cli: Run, tmp_path: Path) -> None:
    """The summary line counts what the import made, kind by kind from the registry (queues included)."""
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  api:\n    image: ghcr.io/acme/api:1.2.0\n    depends_on: [mq, db]\n"
                       "  mq:\n    image: softwaremill/elasticmq-native:1.6.9\n"
                       "  db:\n    image: postgres:16\n    environment: {POSTGRES_PASSWORD: example}\n")
    result = run_cli("init", "--from", compose, "-o", tmp_path / "moorage.yml")
    assert result.code == 0, result.err
    assert "1 service, 1 database, 0 caches, 0 buckets, 1 queue" in " ".join((result.out + result.err).split())


def test_init_notes_are_counted_unless_explained_and_dropped_by_quiet(run_cli: Run, repo_root: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A real compose file gives a hundred-odd import notes: a count by default, all with --explain or
    --verbose, none with -q; warnings and the summary line stay."""
    monkeypatch.delenv("MOORAGE_DEBUG", raising=False)  # --verbose sets it; undone after the test
    compose = repo_root / "examples" / "smartboard" / "docker-compose.yml"
    explained = run_cli("init", "--from", compose, "-o", tmp_path / "a.yml", "--explain")
    noted = [line for line in explained.out.splitlines() if ": info: " in line]
    assert explained.code == 0 and len(noted) > 20, explained.err
    plain = run_cli("init", "--from", compose, "-o", tmp_path / "b.yml")
    assert plain.code == 0 and ": info: " not in plain.out, plain.err
    said = " ".join(plain.out.split())
    assert f"{len(noted)} import notes (how each compose key was handled): see them with --explain" in said
    assert ": warning: " in plain.err and "wrote " in plain.out
    verbose = run_cli("--verbose", "init", "--from", compose, "-o", tmp_path / "c.yml")
    assert len([line for line in verbose.out.splitlines() if ": info: " in line]) == len(noted)
    quiet = run_cli("-q", "init", "--from", compose, "-o", tmp_path / "d.yml")
    assert quiet.code == 0 and ": info: " not in quiet.out and "import notes" not in quiet.out
    assert ": warning: " not in quiet.err and "wrote " in quiet.out
    assert (tmp_path / "d.yml").read_text(encoding="utf-8") == (tmp_path / "b.yml").read_text(encoding="utf-8")
