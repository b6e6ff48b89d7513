"""Adopting the resources a destroy kept: the ResourcesToImport entries and the IMPORT change set's
template, built from real synthesized templates (the import itself runs only on AWS: moto has no IMPORT
change sets, see tests/emulator/test_redeploy.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from moorage import api
from moorage.cfn import resource_bodies
from moorage.deploy.adopt import import_template, resource_to_import
from moorage.deploy.retained import FIXED_NAMES, Leftover, fixed_name, refusal
from moorage.deploy.session import Target

SPEC = """\
name: keep
region: eu-west-1
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health, secrets: [JWT_SECRET],
        uses: [files]}
  worker: {build: ., command: [run]}
secrets:
  JWT_SECRET: {length: 64}
buckets:
  files: {}
environments:
  staging: {}
"""


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    path = tmp_path_factory.mktemp("keep") / "moorage.yml"
    path.write_text(SPEC, encoding="utf-8")
    (path.parent / "Dockerfile").write_text("FROM scratch\n", encoding="utf-8")
    return api.synth_environment(api.load_app(path), "staging").templates


def kept(templates: dict[str, dict[str, Any]]) -> list[tuple[str, Leftover]]:
    """Every fixed-name resource that a destroy keeps, as the redeploy check would report it."""
    out = []
    for key, tpl in templates.items():
        for lid, body in resource_bodies(tpl).items():
            name = fixed_name(dict(body))
            if name and body.get("DeletionPolicy") == "Retain":
                out.append((key, Leftover(f"keep-staging-{key}", lid, body["Type"], name, "eu-west-1")))
    return out


def test_resources_to_import_use_each_types_identifier(templates: dict[str, dict[str, Any]]) -> None:
    found = kept(templates)
    # moorage's own buckets have generated names (they never collide); the other three kinds are kept by name
    assert {lf.resource_type for _, lf in found} == set(FIXED_NAMES) - {"AWS::S3::Bucket"}
    found.append(("data", Leftover("keep-staging-data", "BucketOld", "AWS::S3::Bucket", "keep-old", "eu-west-1")))
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keep/staging/JWT_SECRET-AbCdEf"
    entries = {lf.resource_type: resource_to_import(lf, arn) for _, lf in found}
    assert entries["AWS::SecretsManager::Secret"]["ResourceIdentifier"] == {"Id": arn}
    assert entries["AWS::Logs::LogGroup"]["ResourceIdentifier"].keys() == {"LogGroupName"}
    assert entries["AWS::ECR::Repository"]["ResourceIdentifier"] == {"RepositoryName": "keep/staging/worker"}
    assert entries["AWS::S3::Bucket"] == {"ResourceType": "AWS::S3::Bucket", "LogicalResourceId": "BucketOld",
                                          "ResourceIdentifier": {"BucketName": "keep-old"}}
    secret = next(lf for _, lf in found if lf.resource_type == "AWS::SecretsManager::Secret")
    with pytest.raises(ValueError, match="needs its ARN"):
        resource_to_import(secret)


def test_import_template_holds_only_the_kept_resources_and_no_new_outputs(
        templates: dict[str, dict[str, Any]]) -> None:
    for key, lf in kept(templates):
        tpl = import_template(templates[key], {lf.logical_id})
        assert list(tpl["Resources"]) == [lf.logical_id] and "Outputs" not in tpl
        assert tpl["Resources"][lf.logical_id]["DeletionPolicy"] == "Retain"  # required by an import
        assert tpl["Resources"][lf.logical_id] == templates[key]["Resources"][lf.logical_id]
        json.dumps(tpl)  # a change set body


def test_import_template_keeps_a_deployed_stacks_resources_and_outputs(templates: dict[str, dict[str, Any]]) -> None:
    key, lf = kept(templates)[0]
    deployed = {"Resources": {"Other": {"Type": "AWS::SNS::Topic"}}, "Outputs": {"O": {"Value": {"Ref": "Other"}}}}
    tpl = import_template(templates[key], {lf.logical_id}, deployed)
    assert set(tpl["Resources"]) == {"Other", lf.logical_id} and tpl["Outputs"] == deployed["Outputs"]


def test_a_resource_that_needs_a_new_one_or_lacks_retain_cannot_be_imported() -> None:
    tpl = {"Resources": {
        "Key": {"Type": "AWS::KMS::Key"},
        "Logs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain",
                 "Properties": {"LogGroupName": "/x", "KmsKeyId": {"Fn::GetAtt": ["Key", "Arn"]}}},
        "Gone": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/y"}}}}
    with pytest.raises(ValueError, match="refers to Key"):
        import_template(tpl, {"Logs"})
    with pytest.raises(ValueError, match="no DeletionPolicy Retain"):
        import_template(tpl, {"Gone"})


def test_refusal_offers_adoption_on_aws_only() -> None:
    lf = Leftover("keep-staging-data", "SecretJwt", "AWS::SecretsManager::Secret", "keep/staging/JWT", "eu-west-1")
    on_aws = refusal([lf], Target(local=False, profile="prod"))
    assert "--adopt-retained" in on_aws
    assert "aws secretsmanager delete-secret --secret-id keep/staging/JWT --force-delete-without-recovery " \
        "--region eu-west-1 --profile prod" in on_aws and "--endpoint-url" not in on_aws
    local = refusal([lf], Target(local=True, endpoint="http://127.0.0.1:4599"))
    assert "--adopt-retained" not in local
    # every aws command on the emulator is aimed at it: pasted as printed, it cannot touch the real account
    commands = re.findall(r"aws \S+ [^()\n]*", local)
    assert len(commands) == 2 and all(c.rstrip().endswith("--endpoint-url http://127.0.0.1:4599") for c in commands)
    assert "AWS_ACCESS_KEY_ID=testing" in local
    # no emulator address known: forgetting the emulator's state is the way out, never a plain aws command
    unknown = refusal([lf], Target(local=True, lock_dir=Path("proj") / ".moorage" / "local"))
    assert "aws " not in unknown and "moorage local stop --reset --project proj" in unknown


def test_deploy_adopt_retained_flag_exists(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    result = run_cli("deploy", "--help")
    assert "--adopt-retained" in result.out and "--allow-major-upgrade" in result.out
