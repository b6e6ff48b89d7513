"""Read replica class, backup and maintenance windows: spec keys that reach the templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from moorage import api
from moorage.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _db_resources(example: str, env: str) -> dict[str, dict]:
    s = api.synth_environment(api.load_app(EXAMPLES / example / "moorage.yml"), env)
    return {k: r["Properties"] for k, r in s.templates["data"]["Resources"].items()
            if r["Type"] in ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster")}


def test_cma_replica_runs_on_its_own_class_and_windows_are_set() -> None:
    res = _db_resources("cma", "prod")
    assert res["DbDb"]["DBInstanceClass"] == "db.r6g.large"
    assert res["DbDbReplica1"]["DBInstanceClass"] == "db.t4g.medium"
    assert res["DbDb"]["PreferredBackupWindow"] == "03:00-03:30"
    assert res["DbDb"]["PreferredMaintenanceWindow"] == "sun:04:00-sun:05:00"


def test_without_windows_rds_picks_them() -> None:
    res = _db_resources("rupaya", "prod")
    assert all("PreferredBackupWindow" not in p for p in res.values())


def _spec(tmp_path: Path, db: str) -> Path:
    path = tmp_path / "moorage.yml"
    path.write_text("name: win\nregion: eu-west-1\nservices:\n  api: {image: 'ghcr.io/a/b:1', port: 80, "
                    f"route: '/*', uses: [db]}}\ndatabases:\n  db: {db}\n", encoding="utf-8")
    return path


def test_aurora_readers_take_the_replica_class(tmp_path: Path) -> None:
    path = _spec(tmp_path, "{engine: aurora-postgresql, instance: db.r6g.large, multi_az: true, replicas: 1, "
                           "replica_instance: db.t4g.medium, backup_window: '01:00-02:00'}")
    s = api.synth_environment(api.load_app(path), "prod")
    res = s.templates["data"]["Resources"]
    classes = [res[f"DbDbInstance{i}"]["Properties"]["DBInstanceClass"] for i in (1, 2, 3)]
    assert classes == ["db.r6g.large", "db.r6g.large", "db.t4g.medium"]
    assert res["DbDb"]["Properties"]["PreferredBackupWindow"] == "01:00-02:00"


@pytest.mark.parametrize(("db", "message"), [
    ("{backup_window: '04:30-05:30', maintenance_window: 'sun:05:00-sun:06:00'}", "overlap"),
    ("{backup_window: '03:00-04:00', maintenance_window: 'sun:04:00-sun:05:00'}", "overlap"),
    ("{replica_instance: db.t4g.medium}", "set replicas too"),
    ("{backup_window: '3am'}", "backup_window"),
])
def test_bad_windows_and_classes_are_located_errors(tmp_path: Path, db: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        api.synth_environment(api.load_app(_spec(tmp_path, db)), "prod")
    text = str(err.value) + " ".join(str(d) for d in err.value.diagnostics)
    assert message in text
    assert "moorage.yml" in text
