"""Credential-breaking changes end to end: a database's username change regenerates its credentials
secret (as on AWS) while the database keeps its old master user; deploy refuses it unless allowed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from moorage import api
from moorage.deploy.progress import QuietReporter
from moorage.deploy.run import DeployRefused, DeployResult
from moorage.render import Synth

Run = Callable[..., tuple[DeployResult, QuietReporter]]
Aws = Callable[[str, str], Any]

SPEC = """\
name: creds
region: eu-west-1
services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27.3
    port: 80
    route: "/*"
    health: /
    uses: [db]
databases:
  db:
    engine: postgres
    version: "15"
    username: {user}
environments:
  dev: {{}}
"""


def synth_with(tmp_path: Path, user: str) -> Synth:
    path = tmp_path / user / "moorage.yml"
    path.parent.mkdir()
    path.write_text(SPEC.format(user=user), encoding="utf-8")
    return api.synth_environment(api.load_app(path), "dev")


def secret_value(aws: Aws, region: str) -> dict[str, Any]:
    sm = aws("secretsmanager", region)
    value: dict[str, Any] = json.loads(sm.get_secret_value(SecretId="creds/dev/db/db")["SecretString"])
    return value


def test_username_change_is_refused_then_regenerates_the_secret(tmp_path: Path, run_deploy: Run, aws: Aws) -> None:
    first = synth_with(tmp_path, "app")
    result, _ = run_deploy(first)
    assert result.ok, result.to_json()
    region = first.manifest["region"]
    before = secret_value(aws, region)
    assert before["username"] == "app"

    changed = synth_with(tmp_path, "admin")
    # `diff` (a dry run that allows everything) shows it as a stateful change.
    preview, _ = run_deploy(changed, dry_run=True, allow_replace={"*"})
    [shown] = [c for c in preview.outcomes["data"].changes if c.logical_id == "DbDbSecret"]
    assert shown.action == "modify" and shown.dangerous
    assert "GenerateSecretString" in shown.to_json()["breaks_credentials"]
    with pytest.raises(DeployRefused) as refused:
        run_deploy(changed)
    text = str(refused.value)
    assert "credentials of DbDbSecret" in text and "GenerateSecretString changed" in text
    assert "every service reading this secret loses access" in text and "--allow-replace DbDbSecret" in text
    assert secret_value(aws, region) == before  # nothing changed

    allowed, _ = run_deploy(changed, allow_replace={"DbDbSecret"})
    assert allowed.ok, allowed.to_json()
    after = secret_value(aws, region)
    # The emulator shows what AWS does: a new password and username in the secret ...
    assert after["username"] == "admin" and after["password"] != before["password"]
    # ... while the database keeps the master user it was created with.
    [db] = aws("rds", region).describe_db_instances(DBInstanceIdentifier="creds-dev-db")["DBInstances"]
    assert db["MasterUsername"] == "app"
