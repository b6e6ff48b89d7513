"""Repeated deploy / destroy cycles on one running emulator (a database with a final snapshot on delete).

Retained named resources (the credentials secret, log groups) outlive a destroy on AWS too, and a new
deploy cannot create them again under the same name; the test removes them between rounds as an
operator does, and checks that the rest (the final snapshots above all) does not collide."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from moorage import api
from moorage.deploy.destroy import destroy
from moorage.deploy.progress import QuietReporter
from moorage.deploy.run import DeployResult
from moorage.deploy.session import Target

SPEC = """\
name: cycles
region: eu-west-1
services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27.3
    port: 80
    route: "/*"
    health: /
    uses: [db]
databases:
  db: {engine: postgres, version: "15", deletion_protection: false}
environments:
  staging: {}
"""


@pytest.mark.parametrize("engine", ["postgres", "aurora-postgresql"])
def test_deploy_destroy_deploy_destroy(tmp_path: Path, run_deploy: Callable[..., tuple[DeployResult, Any]],
                                       target: Target, aws: Callable[[str, str], Any], engine: str) -> None:
    # Aurora: the cluster's automated backup (``rds:<cluster>-<minute>``) goes with the cluster, as on AWS; kept,
    # the second round's cluster failed with DBClusterSnapshotAlreadyExistsFault within the same minute.
    path = tmp_path / "moorage.yml"
    path.write_text(SPEC.replace("engine: postgres", f"engine: {engine}"), encoding="utf-8")
    synth = api.synth_environment(api.load_app(path), "staging")
    rds = aws("rds", synth.manifest["region"])
    for round_ in range(2):
        result, _ = run_deploy(synth)
        assert result.ok, (round_, result.to_json())
        gone = destroy(target, synth.manifest, QuietReporter(), poll=0.05)
        assert gone.ok, (round_, gone.failed)
        assert [k.logical_id for k in gone.kept if k.logical_id == "DbDb"] == ["DbDb"]
        region = synth.manifest["region"]
        for kept in gone.kept:
            if kept.resource_type == "AWS::SecretsManager::Secret":
                aws("secretsmanager", region).delete_secret(SecretId=kept.physical_id,
                                                            ForceDeleteWithoutRecovery=True)
            elif kept.resource_type == "AWS::Logs::LogGroup":
                aws("logs", region).delete_log_group(logGroupName=kept.physical_id)
    if engine == "postgres":
        snapshots = rds.describe_db_snapshots()["DBSnapshots"]
        assert len([s for s in snapshots if s["DBInstanceIdentifier"] == "cycles-staging-db"]) == 2
        return
    finals = rds.describe_db_cluster_snapshots(DBClusterIdentifier="cycles-staging-db")["DBClusterSnapshots"]
    assert len({s["DBClusterSnapshotIdentifier"] for s in finals if s["SnapshotType"] == "manual"}) == 2
    assert not [s for s in finals if s["SnapshotType"] == "automated"]  # deleted with their cluster
