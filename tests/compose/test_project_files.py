"""env_file / extends.file / .env stay inside the project (compose/project.py), env files are bounded, and
a bare pass-through with no value is left unset as compose does."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import errors, load, messages

from moorage.compose.project import ENV_FILE_MAX_BYTES, project_root

SERVICE = "services:\n  api:\n    image: acme/api:1.0.0\n    ports: ['8000:8000']\n"


def _env_file(entry: str) -> str:
    return SERVICE + f"    env_file: ['{entry}']\n"


@pytest.mark.parametrize("entry", ["/etc/hostname", "../../../../../../../../etc/hostname", "/proc/self/environ"])
def test_env_file_outside_the_project_is_refused(compose: Callable[..., Path], entry: str) -> None:
    path = compose(_env_file(entry))
    msgs = errors(path)
    refused = [m for m in msgs if "outside the project" in m]
    assert refused, msgs
    assert ":5:" in refused[0] and "env_file" in refused[0] and "secrets" in refused[0], refused


def test_env_file_symlink_out_of_the_project_is_refused(compose: Callable[..., Path], tmp_path: Path) -> None:
    outside = tmp_path / "runner.env"
    outside.write_text("GITHUB_TOKEN=ghp_" + "a" * 36 + "\n")
    path = compose(_env_file("app.env"))
    (path.parent / "app.env").symlink_to(outside)
    assert any("outside the project" in m for m in errors(path))


def test_dotenv_symlink_out_of_the_project_is_refused(compose: Callable[..., Path], tmp_path: Path) -> None:
    outside = tmp_path / "secret.env"
    outside.write_text("TAG=1.0.0\n")
    path = compose(SERVICE)
    (path.parent / ".env").symlink_to(outside)
    assert any(".env" in m and "outside the project" in m for m in errors(path))


def test_env_file_that_is_not_a_regular_file_is_refused(compose: Callable[..., Path]) -> None:
    path = compose(_env_file("pipe.env"))
    os.mkfifo(path.parent / "pipe.env")
    msgs = errors(path)  # must not block reading the FIFO
    assert any("pipe.env is not a regular file" in m for m in msgs), msgs


def test_env_file_inside_the_git_checkout_is_read(compose: Callable[..., Path]) -> None:
    path = compose(_env_file("../shared.env"))
    checkout = path.parent.parent
    (checkout / ".git").mkdir()
    (checkout / "shared.env").write_text("GREETING=hello\n")
    assert project_root(path.parent) == checkout.resolve()
    assert load(path).data["services"]["api"]["env"]["GREETING"] == "hello"


def test_extends_file_outside_the_project_is_refused(compose: Callable[..., Path], tmp_path: Path) -> None:
    (tmp_path / "common.yml").write_text("services:\n  node:\n    image: acme/node:20.1.0\n")
    path = compose("services:\n  api:\n    extends: {file: ../common.yml, service: node}\n")
    msgs = errors(path)
    assert any("extends file" in m and "outside the project" in m and ":3:" in m for m in msgs), msgs


def test_huge_env_file_is_refused_quickly(compose: Callable[..., Path]) -> None:
    path = compose(_env_file("big.env"))
    line = "KEY_{}=value\n"
    with (path.parent / "big.env").open("w") as f:
        i = 0
        while f.tell() <= ENV_FILE_MAX_BYTES:
            f.write(line.format(i))
            i += 1
    msgs = errors(path)
    assert any("big.env" in m and "at most" in m for m in msgs), msgs


def test_env_file_with_too_many_variables_is_refused(compose: Callable[..., Path]) -> None:
    path = compose(_env_file("many.env"))
    (path.parent / "many.env").write_text("".join(f"K{i}=v\n" for i in range(1200)))
    assert any("1,200 variables" in m for m in errors(path))


def test_bare_pass_through_without_value_is_left_unset(compose: Callable[..., Path]) -> None:
    path = compose(SERVICE + "    environment:\n      - HTTP_PORT\n      - FROM_DOTENV\n      - LOG_LEVEL=info\n",
                   __env="FROM_DOTENV=yes\n")
    loaded = load(path)
    env = loaded.data["services"]["api"]["env"]
    assert "HTTP_PORT" not in env
    assert env["FROM_DOTENV"] == "yes" and env["LOG_LEVEL"] == "info"
    assert any("HTTP_PORT" in m and "left unset" in m for m in messages(loaded, "info"))


def test_unknown_compose_profile_warns(compose: Callable[..., Path]) -> None:
    path = compose(SERVICE + "    profiles: [gpu]\n  cpu:\n    image: acme/cpu:1.0.0\n")
    loaded = load(path, profiles=["gpux"])
    warned = [m for m in messages(loaded, "warning") if "'gpux' is declared by no service" in m]
    assert warned and "did you mean 'gpu'" in warned[0]
    assert not [m for m in messages(load(path, profiles=["gpu"]), "warning") if "declared by no service" in m]
