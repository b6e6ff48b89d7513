"""Hand-written templates are described truthfully: every component of a resource is listed, priced or unknown
with the reason that fits it (an engine the catalog lacks, a user's Lambda function), never dropped and never
explained with moorage's own resources."""

from __future__ import annotations

from pathlib import Path

from moorage.api import template_sets
from moorage.cost import estimate_template_set
from moorage.cost.model import CostReport

HAND = Path(__file__).parent / "fixtures" / "hand" / "cost1.yaml"
ROOT = Path(__file__).resolve().parents[2]


def hand() -> CostReport:
    (tset,) = template_sets([HAND], region="us-east-1")
    return estimate_template_set(tset)


def test_an_engine_the_catalog_lacks_lists_instance_storage_iops_and_backups_as_unknown() -> None:
    items = [i for i in hand().items if i.resource == "Db2"]
    assert [i.component for i in items] == [
        "DB instance hours (db.r6i.large, single-AZ, sqlserver-ee)", "DB storage (io2, 200 GB)",
        "provisioned IOPS (io2, 3000)", "backup storage beyond the free allowance (1-day retention)"]
    assert all(i.status == "unknown" and not i.counted for i in items)
    assert [i.quantity for i in items[:3]] == [730.0, 200.0, 3000.0]
    assert "no Engine" not in items[0].note
    assert "the catalog has no RDS for sqlserver-ee rates" in items[0].note


def test_a_users_lambda_is_unknown_and_moorages_smoke_hook_is_free() -> None:
    (fn,) = [i for i in hand().items if i.resource == "Lambda"]
    assert fn.status == "unknown" and "smoke" not in fn.note
    assert "not in the template" in fn.note
    (prod,) = template_sets([ROOT / "examples" / "rupaya" / "moorage.yml"], envs=["prod"])
    (smoke,) = [i for i in estimate_template_set(prod).items if i.type == "AWS::Lambda::Function"]
    assert smoke.resource == "SmokeFunction" and smoke.status == "free"
    assert smoke.note.startswith("moorage's smoke hook: 128 MB for at most 30 s once per release")


def test_a_missing_engine_says_so_and_a_present_one_is_never_called_missing() -> None:
    report = hand()
    notes = " ".join(i.note for i in report.items if i.type == "AWS::RDS::DBInstance")
    assert "no Engine" not in notes  # both databases state their Engine
