"""A command run through /bin/sh (written so, or rewritten by the compose importer to read a credential
from a variable) in an image known to have no shell is a located error with a hint (issue 14)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from moorage.spec.validate import shellless_image

BASE = "name: demo\nservices:\n  web:\n    image: {image}\n    port: 80\n{extra}"


@pytest.mark.parametrize(("image", "shellless"), [
    ("gcr.io/distroless/static-debian12:nonroot", True),
    ("gcr.io/distroless/python3-debian12", True),
    ("us-docker.pkg.dev/my-proj/mirror/distroless/base:latest", True),
    ("cgr.dev/chainguard/static:latest", True),
    ("chainguard/go", True),
    ("scratch", True),
    ("gcr.io/distroless/static-debian12:debug", False),      # busybox shell
    ("gcr.io/distroless/base:debug-nonroot", False),
    ("cgr.dev/chainguard/python:latest-dev", False),         # -dev variants have a shell
    ("python:3.12-slim", False),
    ("ghcr.io/acme/distroless-fan/api:1", False),            # only the distroless repositories
])
def test_known_shellless_images(image: str, shellless: bool) -> None:
    assert shellless_image(image) is shellless


CASES = [
    ("sh-c", "    command: [sh, -c, 'exec /app --port 80']\n", 6, "services.web.command", "/bin/sh"),
    ("entrypoint", "    entrypoint: [/bin/sh, -c, 'exec \"$@\"', sh]\n", 6, "services.web.entrypoint", "/bin/sh"),
    ("cmd-shell", "    healthcheck: {command: [CMD-SHELL, 'wget -q localhost || exit 1']}\n", 6,
     "services.web.healthcheck.command", "/bin/sh"),
    # a string is split into words as the container runs it: `sh -c '...'` is still a shell
    ("string", "    command: \"sh -c 'echo hi'\"\n", 6, "services.web.command", "/bin/sh"),
    ("bash", "    command: [/bin/bash, -c, 'echo hi']\n", 6, "services.web.command", "/bin/bash"),
    ("cmd-bash", "    healthcheck: {command: [CMD, bash, -c, 'echo hi']}\n", 6, "services.web.healthcheck.command",
     "/bin/bash"),
]


@pytest.mark.parametrize(("extra", "line", "key", "shell"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_shell_command_in_a_distroless_image_is_a_located_error(
        run_cli: Callable[..., object], write_spec: Callable[..., Path], tmp_path: Path,
        extra: str, line: int, key: str, shell: str) -> None:
    spec = write_spec(tmp_path / "app", BASE.format(image="gcr.io/distroless/static-debian12:nonroot", extra=extra))
    result = run_cli("plan", spec, "--env", "dev")
    err = result.err  # type: ignore[attr-defined]
    assert result.code == 2, err  # type: ignore[attr-defined]
    assert f"{spec}:{line}:" in err and f"[{key}]" in err and f"runs through {shell} " in err
    assert "a :debug distroless tag" in err and "internal error" not in err


@pytest.mark.parametrize("image", ["gcr.io/distroless/static-debian12:debug", "python:3.12-slim"])
def test_the_same_command_in_an_image_with_a_shell_passes(run_cli: Callable[..., object],
                                                          write_spec: Callable[..., Path], tmp_path: Path,
                                                          image: str) -> None:
    spec = write_spec(tmp_path / "app", BASE.format(image=image, extra=CASES[0][1]))
    assert run_cli("plan", spec, "--env", "dev").code == 0  # type: ignore[attr-defined]


def test_exec_form_in_a_distroless_image_passes(run_cli: Callable[..., object], write_spec: Callable[..., Path],
                                                tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "app", BASE.format(image="gcr.io/distroless/static-debian12",
                                                    extra="    command: [/app, --port, '80']\n"))
    assert run_cli("plan", spec, "--env", "dev").code == 0  # type: ignore[attr-defined]


def test_exec_form_string_in_a_distroless_image_passes(run_cli: Callable[..., object],
                                                       write_spec: Callable[..., Path], tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "app", BASE.format(image="gcr.io/distroless/static-debian12",
                                                    extra="    command: \"/app --name 'sh -c'\"\n"))
    assert run_cli("plan", spec, "--env", "dev").code == 0  # type: ignore[attr-defined]


def test_compose_credential_rewrite_in_a_distroless_image_is_refused_at_the_compose_line(
        run_cli: Callable[..., object], tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  api:\n    image: gcr.io/distroless/static-debian12:nonroot\n"
                       "    command: [/app, --db, 'postgres://app:S3cretPassw0rd@db:5432/app']\n"
                       "    ports: ['8080:8080']\n", encoding="utf-8")
    result = run_cli("plan", compose, "--env", "dev")
    err = result.err  # type: ignore[attr-defined]
    assert result.code == 2 and f"{compose}:4:" in err, err  # type: ignore[attr-defined]
    assert "as moorage rewrote it to read a credential" in err and "S3cretPassw0rd" not in err
