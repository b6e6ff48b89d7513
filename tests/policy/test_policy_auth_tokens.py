"""MOO-SEC-007 reads the spec's token formats (moorage.secret_formats.known_tokens): a bearer token, a Basic-auth
value and a JSON Web Token in a hand-written task definition's plain environment are reported (masked), prose or
references next to them are not, and AUTHORIZATION / JWT are secret-like names."""

from __future__ import annotations

from pathlib import Path

from moorage.api import template_sets
from moorage.policy import run_checks
from moorage.policy.secret_values import named_secret, secret_like_name

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJwbGFudCJ9.c2lnbmF0dXJlUExBTlRFRA"
TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  TaskDefinition:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: web
      RequiresCompatibilities: [FARGATE]
      NetworkMode: awsvpc
      Cpu: "512"
      Memory: "1024"
      ContainerDefinitions:
        - Name: web
          Image: ghcr.io/acme/web:1.4.2
          Environment:
{env}
"""


def _findings(tmp_path: Path, env: dict[str, str]) -> list[str]:
    lines = "".join(f"            - Name: {k}\n              Value: {v!r}\n" for k, v in env.items())
    path = tmp_path / "web.yaml"
    path.write_text(TEMPLATE.format(env=lines.rstrip("\n")), encoding="utf-8")
    sets = template_sets([path])
    return [f.message for f in run_checks(sets).findings if f.rule == "MOO-SEC-007"]


def test_auth_tokens_are_reported_without_their_value(tmp_path: Path) -> None:
    found = _findings(tmp_path, {"PARTNER_HEADER": "Bearer PLANTED0a1b2c3d4e5f6g7h8",
                                 "PARTNER_CALL": "Basic cGxhbnQ6UExBTlRFRHB3", "SEED": JWT})
    text = "\n".join(found)
    assert len(found) == 3, found
    assert "bearer token" in text and "Basic-auth" in text and "JSON Web Token" in text
    assert "PLANTED" not in text and "cGxhbnQ6UExB" not in text


def test_authorization_and_jwt_are_secret_like_names() -> None:
    # where policy judges by name and entropy (parameter defaults, outputs, user data, Lambda variables)
    assert all(secret_like_name(n) for n in ("AUTHORIZATION", "HttpAuthorization", "AUTH_HEADER", "jwt", "API_JWT"))
    assert not any(secret_like_name(n) for n in ("AUTH_MODE", "JWT_ISSUER", "AUTHORIZATION_URL"))
    assert named_secret("AUTHORIZATION", "Zq8vN2rT5wLx9KpAy7Bm") is not None


def test_prose_and_references_are_not(tmp_path: Path) -> None:
    assert _findings(tmp_path, {"HELP": "Bearer authentication", "LOGIN": "Basic authentication",
                                "AUTH_MODE": "basic", "FORWARD": "Bearer ${Token}"}) == []
