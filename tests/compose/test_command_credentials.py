"""Credentials in a compose command, entrypoint, health check or build arg: moved to a secret the container
reads from an environment variable (or, for build args, to a ${VAR} read when the image is built), with a
located warning; the value reaches neither moorage.yml nor a template."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import load, messages

from moorage import api
from moorage.compose import to_moorage_yaml
from moorage.compose.credentials import rewritten_command, rewritten_healthcheck, shell_reference
from moorage.deploy.images import ImageError, build_arg_value

VALUES = ("from-dotenv-Secret-42", "hunter2-literal", "Adm1nPw-literal", "npm_tok_value_99")
COMPOSE = """
    services:
      api:
        image: ghcr.io/acme/api:1.0.0
        ports: ["8080:8080"]
        command: ["serve", "--db-password=${DB_PASSWORD}", "--redis-url", "redis://app:hunter2-literal@cache:6379"]
        healthcheck:
          test: ["CMD", "curl", "-fsu", "admin:Adm1nPw-literal", "http://localhost:8080/health"]
      worker:
        build:
          context: .
          args: {NPM_TOKEN: "${NPM_TOKEN}", NODE_ENV: production}
        entrypoint: ["worker", "--password", "${DB_PASSWORD}"]
"""
ENV = "DB_PASSWORD=from-dotenv-Secret-42\nNPM_TOKEN=npm_tok_value_99\n"


@pytest.fixture
def imported(compose: Callable[..., Path]) -> tuple[Path, object]:
    path = compose(COMPOSE, __env=ENV)
    return path, load(path)


def test_commands_read_credentials_from_secret_variables(imported: tuple[Path, object]) -> None:
    _, loaded = imported
    api_svc = loaded.data["services"]["api"]  # type: ignore[attr-defined]
    assert api_svc["command"][:2] == ["sh", "-c"]
    assert api_svc["command"][2].startswith("exec serve --db-password=\"${DB_PASSWORD}\" --redis-url ")
    assert "COMMAND_CREDENTIAL" in api_svc["command"][2]
    assert api_svc["healthcheck"]["command"] == [
        "CMD-SHELL", "curl -fsu admin:\"${HEALTHCHECK_CREDENTIAL}\" http://localhost:8080/health"]
    assert set(api_svc["secrets"] if isinstance(api_svc["secrets"], list) else api_svc["secrets"]) >= {
        "DB_PASSWORD", "COMMAND_CREDENTIAL", "HEALTHCHECK_CREDENTIAL"}
    worker = loaded.data["services"]["worker"]  # type: ignore[attr-defined]
    assert worker["entrypoint"] == ["sh", "-c", 'exec worker --password "${DB_PASSWORD}" "$@"', "sh"]
    assert worker["build"]["args"] == {"NPM_TOKEN": "${NPM_TOKEN}", "NODE_ENV": "production"}


def test_every_rewrite_is_a_located_warning(imported: tuple[Path, object]) -> None:
    path, loaded = imported
    warnings = messages(loaded, "warning")  # type: ignore[arg-type]
    lines = path.read_text(encoding="utf-8").splitlines()

    def line_of(text: str) -> int:
        return next(i + 1 for i, line in enumerate(lines) if text in line)

    for key, text in (("command", "command:"), ("healthcheck", "healthcheck:"), ("entrypoint", "entrypoint:")):
        assert any(f":{line_of(text)}:" in w and f"{key} held" in w and "runs through a shell" in w
                   for w in warnings), (key, warnings)
    assert any("build arg NPM_TOKEN holds a credential: written as ${NPM_TOKEN}" in w for w in warnings)


def test_no_value_reaches_the_spec_or_a_template(imported: tuple[Path, object]) -> None:
    _, loaded = imported
    produced = json.dumps(loaded.data) + "\n".join(messages(loaded)) + to_moorage_yaml(loaded)  # type: ignore[arg-type, attr-defined]
    synth = api.synth_environment(loaded, "dev")  # type: ignore[arg-type]
    produced += json.dumps(synth.templates)
    assert not [v for v in VALUES if v in produced]
    # ...and the task definition names the secrets it reads
    containers = [c for t in synth.templates.values() for r in t["Resources"].values()
                  if r["Type"] == "AWS::ECS::TaskDefinition" for c in r["Properties"]["ContainerDefinitions"]]
    api_container = next(c for c in containers if "serve" in " ".join(c.get("Command", [])))
    assert {"DB_PASSWORD", "COMMAND_CREDENTIAL"} <= {s["Name"] for s in api_container["Secrets"]}


def test_shell_references_fit_the_quoting() -> None:
    refs = {"s3cr3t-value": "PW"}
    assert shell_reference("psql 'postgres://a:s3cr3t-value@db'", refs) == "psql 'postgres://a:'\"${PW}\"'@db'"
    assert shell_reference('psql "postgres://a:s3cr3t-value@db"', refs) == 'psql "postgres://a:${PW}@db"'
    assert rewritten_command(["sh", "-c", "run --token s3cr3t-value"], refs) == \
        ["sh", "-c", 'run --token "${PW}"']
    assert rewritten_healthcheck(["CMD-SHELL", "check s3cr3t-value"], refs) == ["CMD-SHELL", 'check "${PW}"']


def test_a_build_arg_reference_is_read_when_the_image_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPM_TOKEN", "npm_tok_value_99")
    assert build_arg_value("NPM_TOKEN", "${NPM_TOKEN}") == "npm_tok_value_99"
    assert build_arg_value("NODE_ENV", "production") == "production"
    monkeypatch.delenv("NPM_TOKEN")
    with pytest.raises(ImageError, match="export NPM_TOKEN"):
        build_arg_value("NPM_TOKEN", "${NPM_TOKEN}")
