"""The compose importer asks moorage.url_passwords (the one detector) whether an env value holds a URL with a
password; a compose value is read after interpolation, so a `$` starting the password is its own character there
(`$$` in the file), while in a moorage.yml it starts a reference."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import load

from moorage.url_passwords import url_passwords

APP = """
    name: shop
    services:
      web:
        image: ghcr.io/acme/web:1.2.3
        ports: ["8080:3000"]
        environment:
          VALUE_HERE: "{value}"
"""


@pytest.mark.parametrize(("value", "secret"), [
    ("https://svc:Sup3r-S3cret@api.partner.example/v1", True),
    ("https://:T0ken-Only-Value@hooks.partner.example/x", True),   # no user, a password all the same
    ("smtp://mailer:$$ecret-pw@mail.partner.example:587", True),    # $$: a literal $ once interpolated
    ("http://mirror.partner.example:8080/path@v2", False),           # a port and a path, no password
    ("https://api.partner.example/v1", False),
])
def test_a_url_with_a_password_becomes_a_secret(compose: Callable[..., Path], value: str, secret: bool) -> None:
    app = load(compose(APP.format(value=value))).spec
    web = app.services["web"]
    assert ("VALUE_HERE" in web.secret_env) is secret, (web.env, web.secret_env)
    assert ("VALUE_HERE" in web.env) is not secret
    if secret:
        assert all(value.replace("$$", "$") not in str(v) for v in web.env.values())


def test_the_two_readings_differ_only_at_a_leading_dollar_or_quote() -> None:
    text = "smtp://mailer:$ecret@mail.example"
    assert url_passwords(text) == []  # moorage.yml: $ecret is a reference
    assert url_passwords(text, interpolated=True) == ["$ecret"]  # compose, after interpolation: the password
    plain = "postgres://u:pw-123@db/app http://h:8080/p@x"
    assert url_passwords(plain) == url_passwords(plain, interpolated=True) == ["pw-123"]
