"""A database's engine change is a replacement deploy refuses without --allow-replace; a major version
upgrade is shown by diff and refused without --allow-major-upgrade; a minor one just deploys (issue 14); a
downgrade and the replacement of a custom-named database are refused whatever the flags."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from moorage import api
from moorage.deploy.progress import QuietReporter
from moorage.deploy.run import DeployRefused, DeployResult
from moorage.render import Synth

Run = Callable[..., tuple[DeployResult, QuietReporter]]

SPEC = """\
name: engines
region: eu-west-1
services:
  web: {{image: public.ecr.aws/nginx/nginx:1.27.3, port: 80, uses: [db]}}
databases:
  db: {{engine: {engine}, version: "{version}"}}
environments:
  dev: {{}}
"""


def synth_with(tmp_path: Path, engine: str, version: str) -> Synth:
    path = tmp_path / f"{engine}-{version}" / "moorage.yml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(SPEC.format(engine=engine, version=version), encoding="utf-8")
    return api.synth_environment(api.load_app(path), "dev")


def db_change(result: DeployResult) -> Any:
    [change] = [c for c in result.outcomes["data"].changes if c.logical_id == "DbDb"]
    return change


def test_engine_and_major_version_changes_are_guarded(tmp_path: Path, run_deploy: Run, aws: Any) -> None:
    first = synth_with(tmp_path, "postgres", "15")
    [instance] = [r for r in first.templates["data"]["Resources"].values() if r["Type"] == "AWS::RDS::DBInstance"
                  and "SourceDBInstanceIdentifier" not in r["Properties"]]
    assert instance["Properties"]["AllowMajorVersionUpgrade"] is True  # RDS needs it for a major upgrade
    result, _ = run_deploy(first)
    assert result.ok, result.to_json()

    # postgres 15 -> 16: `diff` shows a major upgrade; deploy refuses it without the flag, --allow-replace is not it.
    major = synth_with(tmp_path, "postgres", "16")
    preview, _ = run_deploy(major, dry_run=True, allow_replace={"*"}, allow_major_upgrade=True)
    shown = db_change(preview)
    assert shown.major_upgrade.startswith("postgres 15.") and "-> 16." in shown.major_upgrade
    for options in ({}, {"allow_replace": {"*"}}):
        with pytest.raises(DeployRefused) as refused:
            run_deploy(major, **options)
        assert "major version" in str(refused.value) and "--allow-major-upgrade" in str(refused.value)
    upgraded, _ = run_deploy(major, allow_major_upgrade=True)
    assert upgraded.ok, upgraded.to_json()
    [db] = aws("rds", "eu-west-1").describe_db_instances(DBInstanceIdentifier="engines-dev-db")["DBInstances"]
    assert db["EngineVersion"].startswith("16.")

    # 16 -> 15: RDS cannot downgrade; no flag lets it through, and the refusal gives the ways out.
    down = synth_with(tmp_path, "postgres", "15")
    # (the dry run with every flag is `diff`: it shows the change, then what a deploy would refuse)
    for options in ({}, {"allow_replace": {"*"}, "allow_major_upgrade": True},
                    {"dry_run": True, "allow_replace": {"*"}, "allow_major_upgrade": True}):
        with pytest.raises(DeployRefused) as refused:
            run_deploy(down, **options)
        text = str(refused.value)
        assert "downgrade: RDS cannot downgrade (postgres 16." in text and "-> 15." in text, text
        assert "restore a snapshot into a new database" in text and "--allow-major-upgrade" not in text

    # postgres -> mysql: a new database; the data does not follow.
    other = synth_with(tmp_path, "mysql", "8.0")
    # The instance has a fixed name (DBInstanceIdentifier): CloudFormation cannot replace it, whatever the flags.
    for options in ({"allow_major_upgrade": True}, {"allow_replace": {"*"}}):
        with pytest.raises(DeployRefused) as refused:
            run_deploy(other, **options)
        text = str(refused.value)
        assert "replace DbDb (AWS::RDS::DBInstance): Engine" in text and "custom-named" in text, text
        assert "even with --allow-replace" in text and "snapshot it, destroy the environment and restore" in text
        assert "rename the database in the spec (databases.db -> a new key" in text  # spec terms, not CloudFormation
        assert "rerun with --allow-replace" not in text
