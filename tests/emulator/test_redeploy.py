"""Destroy, then deploy again, through the CLI on the emulator: retained named resources stop the redeploy
before any stack changes (with the way out), and protected databases stop the destroy before it starts
(``--disable-deletion-protection`` turns protection off after the confirmation, then the destroy completes)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from moorage.cli.deploy import deploy, destroy, diff
from moorage.deploy.session import Target

Aws = Callable[[str, str], Any]

SPEC = """\
name: again
region: eu-west-1
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health, secrets: [JWT_SECRET], uses: [db]}
secrets:
  JWT_SECRET: {length: 64}
databases:
  db: {engine: postgres, version: "15"}
environments:
  staging: {}
"""


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, fresh: str) -> typer.Typer:
    """deploy and destroy, with --local pointed at the in-process emulator on its loopback port."""
    monkeypatch.setattr("moorage.deploy.session.local_target", lambda project: Target(local=True, endpoint=fresh))
    monkeypatch.setattr("moorage.cli.deploy.existing_target",
                        lambda *a, **k: Target(local=True, endpoint=fresh))
    app = typer.Typer()
    for command in (deploy, destroy, diff):
        app.command()(command)
    return app


def _aimed_at_emulator(output: str, endpoint: str) -> None:
    """Every aws command printed on the emulator path carries its endpoint (pasted as printed, a plain one would
    delete the user's real resources)."""
    commands = re.findall(r"\baws (?:secretsmanager|logs|ecr|s3) [^()\n]*", output)
    assert commands, output
    for command in commands:
        assert f"--endpoint-url {endpoint}" in command, command


def _stacks(aws: Aws) -> list[str]:
    cf = aws("cloudformation", "eu-west-1")
    return sorted(s["StackName"] for s in cf.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE")


def test_protected_database_then_retained_secret_blocks_redeploy(cli: typer.Typer, aws: Aws, tmp_path: Path,
                                                                 fresh: str) -> None:
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC, encoding="utf-8")
    spec = str(spec_path)
    runner = CliRunner()
    first = runner.invoke(cli, ["deploy", spec, "--env", "staging", "--local"])
    assert first.exit_code == 0, first.output
    rds = aws("rds", "eu-west-1")
    [db] = rds.describe_db_instances()["DBInstances"]
    assert db["DeletionProtection"] is True
    stacks = _stacks(aws)

    # 1. the protected database stops the destroy before anything is deleted, naming it and the way out
    refused = runner.invoke(cli, ["destroy", spec, "--env", "staging", "--yes", "--local"])
    assert refused.exit_code == 1, refused.output
    assert db["DBInstanceIdentifier"] in refused.output and "deletion protection on" in refused.output
    assert "--disable-deletion-protection" in refused.output and "nothing was destroyed" in refused.output
    assert "destroyed" not in refused.output.replace("nothing was destroyed", "")
    assert _stacks(aws) == stacks

    # 2. the deliberate step: protection off after the confirmation, every stack deleted, a final snapshot
    gone = runner.invoke(cli, ["destroy", spec, "--env", "staging", "--yes", "--local",
                               "--disable-deletion-protection"])
    assert gone.exit_code == 0, gone.output
    assert "deletion protection turned off" in gone.output and f"destroyed {len(stacks)} stacks" in gone.output
    assert _stacks(aws) == []
    assert [s["DBInstanceIdentifier"] for s in rds.describe_db_snapshots()["DBSnapshots"]] == [
        db["DBInstanceIdentifier"]]
    secret = "again/staging/JWT_SECRET"
    assert "blocks a redeploy" in gone.output and "delete-secret --secret-id" in gone.output
    _aimed_at_emulator(gone.output, fresh)

    # 3. the redeploy stops before any stack exists, listing the kept secret (and log groups) and the commands
    sm = aws("secretsmanager", "eu-west-1")
    value = sm.get_secret_value(SecretId=secret)["SecretString"]
    again = runner.invoke(cli, ["deploy", spec, "--env", "staging", "--local"])
    assert again.exit_code == 1, again.output
    assert "deploy stopped before changing anything" in again.output
    assert f"would be created as {secret}, which exists" in again.output
    assert f"aws secretsmanager delete-secret --secret-id {secret} --force-delete-without-recovery" in again.output
    assert "ResourceExistsException" not in again.output
    _aimed_at_emulator(again.output, fresh)
    assert _stacks(aws) == []
    assert sm.get_secret_value(SecretId=secret)["SecretString"] == value  # kept, untouched
    repair = runner.invoke(cli, ["deploy", spec, "--env", "staging", "--local", "--repair"])
    assert repair.exit_code == 1 and f"would be created as {secret}, which exists" in repair.output, repair.output
    shown = runner.invoke(cli, ["diff", spec, "--env", "staging", "--local"])
    assert "add DbDb (AWS::RDS::DBInstance)" in shown.output, shown.output
    assert "a deploy would stop before changing anything" in shown.output
    assert f"would be created as {secret}, which exists" in shown.output
    assert _stacks(aws) == []

    # 3b. adopting them takes a CloudFormation import, which the emulator (moto) does not have: said so
    adopt = runner.invoke(cli, ["deploy", spec, "--env", "staging", "--local", "--adopt-retained"])
    assert adopt.exit_code == 1, adopt.output
    assert "adoption is not emulated" in adopt.output and "IMPORT change sets" in adopt.output
    assert f"aws secretsmanager delete-secret --secret-id {secret}" in adopt.output
    _aimed_at_emulator(adopt.output, fresh)
    assert "--adopt-retained" not in again.output  # not offered where it cannot run
    assert _stacks(aws) == []

    # 4. following the hint, the redeploy goes through
    listed = re.findall(r"\((AWS::[A-Za-z:]+)\) would be created as (\S+), which exists", again.output)
    assert ("AWS::Logs::LogGroup", "/moorage/again/staging/web") in listed, listed
    for kind, name in listed:
        if kind == "AWS::SecretsManager::Secret":
            sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        else:
            aws("logs", "eu-west-1").delete_log_group(logGroupName=name)
    third = runner.invoke(cli, ["deploy", spec, "--env", "staging", "--local"])
    assert third.exit_code == 0, third.output
    assert _stacks(aws) == stacks


def test_incomplete_destroy_lists_what_remains(cli: typer.Typer, aws: Aws, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC, encoding="utf-8")
    spec = str(spec_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["deploy", spec, "--env", "staging", "--local"]).exit_code == 0
    # the up-front check out of the way, so that CloudFormation's own refusal is what the user sees
    monkeypatch.setattr("moorage.deploy.destroy.protected", lambda target, manifest: [])
    failed = runner.invoke(cli, ["destroy", spec, "--env", "staging", "--yes", "--local"])
    assert failed.exit_code == 1, failed.output
    assert "destroy incomplete" in failed.output and "destroyed" not in failed.output.replace("destroy incomplete", "")
    remain = _stacks(aws)
    assert "again-staging-data" in remain and "again-staging-network" in remain
    for name in remain:
        assert f"  {name}: " in failed.output
    assert "again-staging-data: DbDb" in failed.output and "protected" in failed.output
    assert "not attempted: again-staging-data" in failed.output


def test_leftovers_of_every_fixed_name_kind(target: Target, aws: Aws) -> None:
    from moorage.deploy.retained import leftovers

    region = "eu-west-1"
    template = {"Resources": {
        "Repo": {"Type": "AWS::ECR::Repository", "Properties": {"RepositoryName": "kept/web"}},
        "Files": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "kept-files-bucket"}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/kept/web"}},
        "Key": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "kept/KEY"}},
        "Fresh": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "kept/NEW"}},
        "Computed": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-x"}}},
    }}
    manifest = {"stacks": [{"key": "data", "name": "kept-data", "region": region}]}
    added = {"data": set(template["Resources"])}
    aws("logs", region).create_log_group(logGroupName="/kept/web-other")  # a prefix match is not the name
    assert leftovers(target, manifest, {"data": template}, added) == []
    aws("ecr", region).create_repository(repositoryName="kept/web")
    aws("s3", region).create_bucket(Bucket="kept-files-bucket",
                                    CreateBucketConfiguration={"LocationConstraint": region})
    aws("logs", region).create_log_group(logGroupName="/kept/web")
    aws("secretsmanager", region).create_secret(Name="kept/KEY", SecretString="v")
    found = leftovers(target, manifest, {"data": template}, added)
    assert sorted(f.logical_id for f in found) == ["Files", "Key", "Logs", "Repo"]
    # only what the deploy adds is looked at (a resource its stack already holds is no leftover)
    assert leftovers(target, manifest, {"data": template}, {"data": {"Fresh", "Computed"}}) == []


def test_the_emulator_has_no_import_change_sets(aws: Aws) -> None:
    """Why adoption is not emulated: moto takes ChangeSetType IMPORT as a create, ignoring ResourcesToImport,
    so the kept resource is created again (and fails as it exists) instead of adopted. When this test fails,
    the emulator learned imports: emulate `deploy --adopt-retained` and drop the "not emulated" refusal."""
    import json

    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    aws("logs", "us-east-1").create_log_group(logGroupName="/kept")
    cf = aws("cloudformation", "us-east-1")
    template = {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Retain",
                                       "Properties": {"LogGroupName": "/kept"}}}}
    try:
        cf.create_change_set(StackName="adopt", ChangeSetName="c1", ChangeSetType="IMPORT",
                             TemplateBody=json.dumps(template), ResourcesToImport=[{
                                 "ResourceType": "AWS::Logs::LogGroup", "LogicalResourceId": "Logs",
                                 "ResourceIdentifier": {"LogGroupName": "/kept"}}])
        described = cf.describe_change_set(ChangeSetName="c1", StackName="adopt")
        actions = [c["ResourceChange"]["Action"] for c in described.get("Changes", [])]
        cf.execute_change_set(ChangeSetName="c1", StackName="adopt")
        status = cf.describe_stacks(StackName="adopt")["Stacks"][0]["StackStatus"]
    except (ClientError, BotoCoreError, ResponseParserError):
        return  # refused outright (the emulator answers an error): not emulated either
    assert actions != ["Import"] or status != "IMPORT_COMPLETE", (actions, status)
