"""Cost traps of the seed guides' hand-written tables: charges a flat per-GB or per-node row cannot show, and that
moorage prices from the template (each test quotes the guide's row and fails if moorage stopped pricing the charge).

The guides are read from ``../shared/seeds`` when present, to check the quoted row is really theirs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from moorage.api import template_sets
from moorage.cost import estimate_template_set
from moorage.cost.usage import UsageFile

from .helpers import item, items, tset

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT.parent / "shared" / "seeds"


def guide_says(prefix: str, *row: str) -> None:
    """The seed guide ``prefix``_*.txt has a cost-table row with these cells (skipped without the shared seeds)."""
    found = sorted(SEEDS.glob(f"{prefix}_*.txt")) if SEEDS.is_dir() else []
    if not found:
        pytest.skip("the shared seed guides are not present (../shared/seeds)")
    lines = found[0].read_text(encoding="utf-8").splitlines()
    assert any(all(cell in line for cell in row) for line in lines), (prefix, row)


def bucket(*rules: dict[str, object]) -> dict[str, dict[str, object]]:
    return {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"LifecycleConfiguration": {"Rules": list(rules)}}}}


def to_class(klass: str, days: int) -> dict[str, object]:
    return {"Status": "Enabled", "Transitions": [{"StorageClass": klass, "TransitionInDays": days}]}


def test_intelligent_tiering_is_billed_per_object_not_per_gb() -> None:
    # CMA guide, production: "S3 Storage | 100GB with intelligent tier | $15" - a per-GB figure. Intelligent-Tiering
    # adds a monitoring fee per object and a transition request per object moved in: neither depends on the GB.
    guide_says("002", "S3 Storage", "100GB with intelligent tier", "$15")
    template = tset(bucket(to_class("INTELLIGENT_TIERING", 0)))

    def s3_lines(objects_k: float) -> tuple[float, float, float]:
        report = estimate_template_set(template, UsageFile(values={"s3_gb": 100, "s3_objects_k": objects_k,
                                                                  "s3_put_k": objects_k / 10}))
        storage = item(report, "Bucket", "S3 Standard storage").monthly
        monitoring = item(report, "Bucket", "S3 Intelligent-Tiering monitoring").monthly
        moves = item(report, "Bucket", "S3 lifecycle transitions into INTELLIGENT_TIERING").monthly
        assert storage is not None and monitoring is not None and moves is not None
        return storage, monitoring, moves

    # 100 GB in 20 million 5 MB objects: 20,000k x $0.0025 = $50 of monitoring, 2,000k new objects x $0.01 = $20 of
    # transitions: more than the guide's whole $15 line, on top of $2.30 of storage (us-east-1 rates)
    storage, monitoring, moves = s3_lines(20_000)
    assert (storage, monitoring, moves) == (pytest.approx(2.30), pytest.approx(50.0), pytest.approx(20.0))
    assert monitoring + moves > 15
    # the same 100 GB in half as many objects: storage unchanged, the per-object charges halve
    storage_half, monitoring_half, moves_half = s3_lines(10_000)
    assert storage_half == pytest.approx(storage)
    assert monitoring_half == pytest.approx(monitoring / 2) and moves_half == pytest.approx(moves / 2)


def test_a_lifecycle_rule_on_small_objects_costs_more_in_transitions_than_it_saves() -> None:
    # CMA guide, development: "S3 Storage | 10GB with lifecycle | $2". Transitions are billed per request: 10 GB
    # written as a million 10 KB objects a month and moved to GLACIER cost $30 a month in transition requests, for
    # storage that costs $0.23 in Standard (us-east-1 rates).
    guide_says("002", "S3 Storage", "10GB with lifecycle", "$2")
    report = estimate_template_set(tset(bucket(to_class("GLACIER", 90))),
                                   UsageFile(values={"s3_gb": 10, "s3_put_k": 1000, "s3_get_k": 0}))
    storage = item(report, "Bucket", "S3 Standard storage").monthly
    moves = item(report, "Bucket", "S3 lifecycle transitions into GLACIER").monthly
    assert storage == pytest.approx(0.23) and moves == pytest.approx(30.0)
    assert sum(i.monthly or 0.0 for i in items(report, "Bucket")) > 2 * 10  # ten times the guide's line


def test_the_examples_price_their_lifecycle_tiering_and_snapshot_charges() -> None:
    # Smartboard guide: "ElastiCache Redis (`cache.t4g.small`) | Single node | ~$25" and "S3 + data transfer |
    # 10 GB storage | ~$5": no line for the snapshots the cache keeps or for the objects the lifecycle rule moves.
    guide_says("004", "ElastiCache Redis", "cache.t4g.small", "~$25")
    (smartboard,) = template_sets([ROOT / "examples" / "smartboard" / "docker-compose.yml"], envs=["prod"])
    report = estimate_template_set(smartboard)
    snapshots = item(report, "CacheRedis", "cache snapshot storage beyond the free one")
    assert snapshots.quantity == pytest.approx(2 * 6)  # 7-day retention, one free: 6 x 2 GB (medium profile)
    assert snapshots.monthly is None and snapshots.proxy_monthly  # no eu-west-1 row sourced: bounded, never $0
    glacier = item(report, "BucketDatasets", "S3 lifecycle transitions into GLACIER")
    assert glacier.status == "priced" and glacier.monthly == pytest.approx(100 * 0.033)  # eu-west-1 S3 offer rate
    # CMA: its archive bucket (tiering) pays monitoring, its documents bucket a transition into each class
    (cma,) = template_sets([ROOT / "examples" / "cma" / "moorage.yml"], envs=["prod"])
    components = {i.component for i in estimate_template_set(cma).items if i.resource.startswith("Bucket")}
    assert {"S3 Intelligent-Tiering monitoring and automation",
            "S3 lifecycle transitions into INTELLIGENT_TIERING", "S3 lifecycle transitions into STANDARD_IA",
            "S3 lifecycle transitions into GLACIER", "S3 lifecycle transitions into DEEP_ARCHIVE"} <= components
