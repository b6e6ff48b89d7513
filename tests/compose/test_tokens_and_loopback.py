"""Compose import reads the spec's answers: a bearer token, a Basic-auth value or a JSON Web Token in an
environment value becomes a secret (never plain env), and an image on this machine's registry (localhost:5000,
127.0.0.1, host.docker.internal) is refused: Fargate can never pull it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import load

from moorage.compose import import_compose
from moorage.errors import InputError

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudCJ9.c2lnbmF0dXJlUExBTlRFRA"
APP = """
    name: shop
    services:
      web:
        image: "{image}"
        ports: ["8080:3000"]
        environment:
          PARTNER_HEADER: "{value}"
"""


@pytest.mark.parametrize("value", [f"Bearer {JWT}", "Basic cGxhbnQ6UExBTlRFRHB3", JWT])
def test_a_token_becomes_a_secret(compose: Callable[..., Path], value: str) -> None:
    spec = load(compose(APP.format(image="ghcr.io/acme/web:1.2.3", value=value))).spec
    web = spec.services["web"]
    assert "PARTNER_HEADER" in web.secret_env and "PARTNER_HEADER" not in web.env
    assert all(value not in str(v) for v in web.env.values())
    # issued by whoever the service calls: the user sets the value, moorage does not draw a random one
    assert spec.secrets[web.secret_env["PARTNER_HEADER"]].generate is False


def test_prose_stays_plain_env(compose: Callable[..., Path]) -> None:
    web = load(compose(APP.format(image="ghcr.io/acme/web:1.2.3", value="Basic authentication"))).spec
    assert web.services["web"].env["PARTNER_HEADER"] == "Basic authentication"


@pytest.mark.parametrize("image", ["localhost:5000/web:1.2.3", "127.0.0.1:5000/web:1", "[::1]:5000/web:1",
                                   "host.docker.internal:5000/team/web:1"])
def test_a_loopback_registry_is_refused(compose: Callable[..., Path], image: str) -> None:
    with pytest.raises(InputError) as info:
        import_compose(compose(APP.format(image=image, value="x")))
    text = "\n".join(str(d) for d in info.value.diagnostics)
    assert "can never pull" in text and "ECR" in text and "build:" in text, text
    assert "docker-compose.yml" in text, text  # located in the compose file
