"""Signing keys with a current and a previous value: NAME from AWSCURRENT, NAME_PREVIOUS from AWSPREVIOUS, and
a previous version given by the deployer before any task starts (emulator)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from moorage import api

SPEC = """\
name: keyapp
region: eu-west-1
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health, secrets: [JWT_SECRET]}
secrets:
  JWT_SECRET: {length: 64, previous: true}
environments:
  dev: {}
"""


def test_previous_version_is_injected_and_exists_before_tasks_start(
        tmp_path: Path, run_deploy: Callable[..., Any], aws: Callable[[str, str], Any]) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    synth = api.synth_environment(api.load_app(spec), "dev")
    container = synth.templates["svc-web"]["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    refs = {s["Name"]: s["ValueFrom"] for s in container["Secrets"]}
    assert refs["JWT_SECRET"] == {"Ref": "SecretJwtSecretArn"}
    assert refs["JWT_SECRET_PREVIOUS"] == {"Fn::Sub": ["${S}::AWSPREVIOUS:", {"S": {"Ref": "SecretJwtSecretArn"}}]}
    result, _ = run_deploy(synth)
    assert result.ok, result.failure
    assert any("given a previous version" in n for n in result.notes), result.notes
    sm = aws("secretsmanager", "eu-west-1")
    name = "keyapp/dev/JWT_SECRET"
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert sorted(s for v in stages.values() for s in v if s.startswith("AWS")) == ["AWSCURRENT", "AWSPREVIOUS"]
    current = sm.get_secret_value(SecretId=name)["SecretString"]
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == current
    # a rotation (moorage secrets rotate writes a new version): the old key is now the previous one
    sm.put_secret_value(SecretId=name, SecretString="n" * 64)
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == current
    # a second deploy leaves the versions alone
    again, _ = run_deploy(synth)
    assert not any("given a previous version" in n for n in again.notes)


def test_previous_is_refused_for_an_external_secret(input_errors: Callable[..., Any]) -> None:
    path, diags = input_errors("""
        name: demo
        services:
          web: {image: x:1}
        secrets:
          KEY: {external: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:k", previous: true}
        """)
    text = "\n".join(d.render() for d in diags)
    # located at the secret's own key (line 5), not at `secrets:` (an upper-case key stays in the location)
    assert "previous needs a secret moorage creates" in text and f"{path.name}:5:3" in text, text
    assert "[secrets.KEY]" in text, text


@pytest.mark.parametrize("env", ["dev"])
def test_manifest_lists_the_secrets_to_seed(tmp_path: Path, env: str) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    manifest = api.synth_environment(api.load_app(spec), env).manifest
    assert manifest["previous_secrets"] == [{"name": "keyapp/dev/JWT_SECRET", "stack": "data"}]


ROTATING = """\
name: rotapp
region: eu-west-1
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health, uses: [db]}
databases:
  db: {engine: postgres, version: "16", password: managed}
environments:
  dev: {}
"""


def test_rotation_rule_and_state_machine_deploy(tmp_path: Path, run_deploy: Callable[..., Any],
                                                aws: Callable[[str, str], Any]) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(ROTATING, encoding="utf-8")
    synth = api.synth_environment(api.load_app(spec), "dev")
    result, _ = run_deploy(synth)
    assert result.ok, result.failure
    not_emulated = [(e.logical_id, e.resource_type) for o in result.outcomes.values() for e in o.not_emulated]
    assert not [n for n in not_emulated if n[1].startswith(("AWS::Events", "AWS::StepFunctions"))], not_emulated
    events = aws("events", "eu-west-1")
    [rule] = [r for r in events.list_rules()["Rules"] if "rotapp-dev-rotation" in r["Name"]]
    pattern = json.loads(rule["EventPattern"])
    secret = result.outputs["data"]["DbDbSecret"]
    assert pattern["detail"]["additionalEventData"]["SecretId"] == [secret]
    [target] = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    machine = aws("stepfunctions", "eu-west-1").describe_state_machine(stateMachineArn=target["Arn"])
    definition = json.loads(machine["definition"])
    service = result.outputs["svc-web"]["ServiceName"]
    assert definition["States"]["Redeploy0"]["Parameters"] == {"Cluster": "rotapp-dev", "Service": service,
                                                              "ForceNewDeployment": True}
