"""Which of the base's snapshots a preview's own database starts from (previews.data.from_snapshot: latest)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from moorage.deploy.previews import newest_snapshot


def _snap(name: str, engine: str, version: str, day: int, status: str = "available") -> dict[str, Any]:
    return {"DBSnapshotIdentifier": name, "Engine": engine, "EngineVersion": version, "Status": status,
            "SnapshotCreateTime": datetime(2026, 11, day, tzinfo=UTC)}


FOUND = [_snap("pg15-newest", "postgres", "15.4", 20), _snap("my57", "mysql", "5.7.44", 18),
         _snap("my80-old", "mysql", "8.0.35", 10), _snap("my80", "mysql", "8.0.39", 12),
         _snap("my80-busy", "mysql", "8.0.39", 19, status="creating")]


def test_only_a_snapshot_of_the_specs_engine_and_major_version_is_picked() -> None:
    picked = newest_snapshot(FOUND, "mysql", "8.0")
    assert picked is not None and picked["DBSnapshotIdentifier"] == "my80"
    picked = newest_snapshot(FOUND, "postgres", "15")
    assert picked is not None and picked["DBSnapshotIdentifier"] == "pg15-newest"


def test_none_of_the_engine_or_major_version_is_none() -> None:
    assert newest_snapshot(FOUND, "postgres", "16") is None
    assert newest_snapshot(FOUND, "mariadb", "10.11") is None
    assert newest_snapshot([], "mysql", "8.0") is None
