"""Bearer tokens, Basic-auth credentials and JSON Web Tokens are credentials by their form (and AUTHORIZATION,
JWT... by their name): the spec refuses them in plain env and in a secret's description, diff hides them and
policy reports them, all through one answer (moorage.secret_formats.known_tokens). Settings that merely look
alike (AUTH_MODE: basic, TOKEN_TTL: 3600, "Bearer authentication") still pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from moorage.deploy.changed_values import value_changes
from moorage.policy.secret_values import credentials_in
from moorage.secret_formats import known_tokens
from moorage.spec.models import embedded_credential

if TYPE_CHECKING:
    from conftest import CliResult

# hand-written: base64url of {"alg":"HS256"} . {"sub":"plant"} . a signature
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudCJ9.c2lnbmF0dXJlUExBTlRFRA"
BASIC = "cGxhbnQ6UExBTlRFRHB3"  # base64 of plant:PLANTEDpw
HEAD = "name: demo\nservices:\n  web:\n    image: x:1\n    port: 80\n    route: /*\n    env:\n"

TOKENS = [
    ("PARTNER_HEADER", f"Bearer {JWT}", "JSON Web Token"),
    ("UPSTREAM", "Bearer PLANTED0a1b2c3d4e5f6g7h8", "bearer token"),
    ("PARTNER_CALL", f"Basic {BASIC}", "Basic-auth"),
    ("SESSION_SEED", JWT, "JSON Web Token"),
    ("ENDPOINT_HEADERS", f"Authorization: Basic {BASIC}", "Basic-auth"),
]


@pytest.mark.parametrize(("key", "value", "words"), TOKENS, ids=[t[0] for t in TOKENS])
def test_token_in_plain_env_is_refused_with_its_location(run_cli: Callable[..., CliResult],
                                                         write_spec: Callable[..., Path], tmp_path: Path,
                                                         key: str, value: str, words: str) -> None:
    spec = write_spec(tmp_path / "app", HEAD + f"      {key}: {value!r}\n")
    result = run_cli("plan", spec)
    assert result.code == 2, result.out + result.err
    assert f"{spec}:8:" in result.err and f"[services.web.env.{key}]" in result.err
    assert "PLANTED" not in result.out + result.err and JWT not in result.err
    assert words in result.err


@pytest.mark.parametrize("name", ["AUTHORIZATION", "HTTP_AUTHORIZATION", "AUTH_HEADER", "JWT", "SERVICE_JWT",
                                  "BEARER"])
def test_credential_names_are_refused_whatever_the_value(run_cli: Callable[..., CliResult],
                                                         write_spec: Callable[..., Path], tmp_path: Path,
                                                         name: str) -> None:
    spec = write_spec(tmp_path / "app", HEAD + f"      {name}: plainvalue\n")
    result = run_cli("plan", spec)
    assert result.code == 2 and f"{name} looks like a credential" in result.err, result.err


NOT_SECRETS = {"AUTH_MODE": "basic", "TOKEN_TTL": 3600, "JWT_ALGORITHM": "HS256", "JWT_ISSUER": "https://id.example",
               "AUTHORIZATION_URL": "https://id.example/authorize", "HELP": "Bearer authentication, see docs",
               "LOGIN": "Basic authentication", "REALM": 'Basic realm="admin"', "FORWARD": "Bearer ${TOKEN}",
               "DOC": "Authorization: Bearer $API_TOKEN", "PART": "eyJhbGciOiJIUzI1NiJ9"}


def test_settings_that_look_alike_pass(run_cli: Callable[..., CliResult], write_spec: Callable[..., Path],
                                       tmp_path: Path) -> None:
    lines = "".join(f"      {k}: {v!r}\n" if isinstance(v, str) else f"      {k}: {v}\n"
                    for k, v in NOT_SECRETS.items())
    spec = write_spec(tmp_path / "app", HEAD + lines)
    result = run_cli("plan", spec)
    assert result.code == 0, result.err


@pytest.mark.parametrize("value", [v for v in NOT_SECRETS.values() if isinstance(v, str)])
def test_known_tokens_leave_prose_and_references_alone(value: str) -> None:
    assert known_tokens(value) == [] and embedded_credential(value) is None


def test_basic_needs_a_user_and_password_inside() -> None:
    assert known_tokens("Basic dXNlcm5hbWU=") == []  # base64 of "username": no colon, not a credential
    assert known_tokens(f"Basic {BASIC}") == [("a Basic-auth user:password", BASIC)]


@pytest.mark.parametrize(("name", "value"), [("AUTH_HEADER", f"Bearer {JWT}"), ("UPSTREAM", f"Basic {BASIC}"),
                                             ("X", JWT), ("AUTHORIZATION", "opaque")])
def test_diff_hides_them(name: str, value: str) -> None:
    def task(env: list[dict[str, str]]) -> dict[str, Any]:
        return {"ContainerDefinitions": [{"Name": "web", "Image": "x:1", "Environment": env}]}

    [change] = value_changes("AWS::ECS::TaskDefinition", task([]), task([{"Name": name, "Value": value}]))
    assert change.hidden and change.render() == f"env {name} (web): added (value not shown)"
    assert value not in repr(change.to_json())


@pytest.mark.parametrize("value", [f"Bearer {JWT}", f"Basic {BASIC}", "Bearer PLANTED0a1b2c3d4e5f6g7h8", JWT])
def test_policy_reports_them(value: str) -> None:
    found = credentials_in(value)
    assert found and all("PLANTED" not in c.masked for c in found)


def test_secret_description_with_a_key_is_refused(run_cli: Callable[..., CliResult],
                                                  write_spec: Callable[..., Path], tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "app", "name: demo\nservices:\n  web: {image: x:1, port: 80, route: /*}\n"
                      "secrets:\n  STRIPE_KEY:\n    generate: false\n    description: sk_live_PLANTEDdescription1\n")
    result = run_cli("plan", spec)
    assert result.code == 2, result.out + result.err
    assert "[secrets.STRIPE_KEY.description]" in result.err and "known token format" in result.err
    assert "PLANTED" not in result.out + result.err


def test_secret_description_in_words_passes(run_cli: Callable[..., CliResult], write_spec: Callable[..., Path],
                                            tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "app", "name: demo\nservices:\n  web: {image: x:1, port: 80, route: /*}\n"
                      "secrets:\n  STRIPE_KEY: {generate: false, description: 'Stripe live key (Basic plan)'}\n")
    assert run_cli("plan", spec).code == 0


def test_suppression_reason_with_a_token_is_refused(run_cli: Callable[..., CliResult],
                                                    write_spec: Callable[..., Path], tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "app", "name: demo\nservices:\n  web: {image: x:1, port: 80, route: /*}\n"
                      "suppress:\n  - rule: MOO-S3-001\n"
                      "    reason: 'accepted, see ticket; token Bearer PLANTED0a1b2c3d4e5f'\n")
    result = run_cli("plan", spec)
    assert result.code == 2, result.out + result.err
    assert "[suppress[0].reason]" in result.err and "bearer token" in result.err
    assert "PLANTED" not in result.out + result.err
