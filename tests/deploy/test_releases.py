"""Release records and rollback decisions (pure logic; the emulator test covers the round trip)."""

from __future__ import annotations

from pathlib import Path

import pytest

from moorage import api
from moorage.deploy.releases import (
    Migration,
    ReleaseRecord,
    RollbackRefused,
    digests_of,
    parse_images,
    plan_rollback,
    with_images,
)
from moorage.errors import InputError


def _record(number: int, images: dict[str, str], outcome: str = "succeeded", kind: str = "deploy",
            migration_ran: bool = False, reversible: bool = False,
            task_definitions: dict[str, str] | None = None) -> ReleaseRecord:
    return ReleaseRecord(number=number, app="shop", environment="prod", kind=kind, started="", finished="",
                         duration_seconds=1.0, caller="arn:aws:sts::1:assumed-role/ci", commit=None, spec_hash=None,
                         outcome=outcome, images=images, task_definitions=task_definitions or {},
                         migrations=[Migration("migrate", migration_ran, reversible)])


V1 = {"api": "api:1", "web": "web:1"}
V2 = {"api": "api:2", "web": "web:1"}


def test_rollback_goes_to_the_release_before_and_round_trips_json() -> None:
    records = [_record(1, V1), _record(2, V2)]
    plan = plan_rollback(records, None, None)
    assert (plan.target.number, plan.current.number, plan.services) == (1, 2, ["api", "web"])
    assert [r.number for r in plan.leaving] == [2]
    again = ReleaseRecord.from_json(records[1].to_json())
    assert again == records[1]


def test_rollback_of_one_service_skips_releases_that_did_not_change_it() -> None:
    records = [_record(1, V1), _record(2, V2), _record(3, {"api": "api:2", "web": "web:3"})]
    plan = plan_rollback(records, "api", None)
    assert plan.target.number == 1 and plan.services == ["api"]


def test_failed_releases_are_neither_current_nor_targets() -> None:
    records = [_record(1, V1), _record(2, V2), _record(3, {"api": "api:3", "web": "web:1"}, outcome="failed")]
    assert plan_rollback(records, None, None).current.number == 2
    with pytest.raises(RollbackRefused, match="release 3 failed"):
        plan_rollback(records, None, 3)


def test_an_interrupted_release_that_changed_stacks_is_current_but_never_a_target() -> None:
    interrupted = _record(3, {"api": "api:3", "web": "web:1"}, outcome="interrupted")
    interrupted.stacks = {"svc-api": "update", "svc-web": "skipped"}
    records = [_record(1, V1), _record(2, V2), interrupted]
    plan = plan_rollback(records, None, None)
    assert (plan.current.number, plan.target.number) == (3, 2)  # what runs is release 3's api
    assert [r.number for r in plan.leaving] == [3]
    with pytest.raises(RollbackRefused, match="release 3 interrupted"):
        plan_rollback(records, None, 3)
    nothing = _record(3, V2, outcome="interrupted")  # interrupted before any stack changed: not current
    nothing.stacks = {"svc-api": "skipped"}
    assert plan_rollback([_record(1, V1), _record(2, V2), nothing], None, None).current.number == 2


def test_refuses_over_an_irreversible_migration_but_not_a_reversible_one() -> None:
    records = [_record(1, V1), _record(2, V2, migration_ran=True)]
    with pytest.raises(RollbackRefused) as exc:
        plan_rollback(records, None, None)
    assert "release 2 ran a new version of migration 'migrate'" in str(exc.value)
    assert "reversible: true" in str(exc.value)
    records = [_record(1, V1), _record(2, V2, migration_ran=True, reversible=True)]
    assert plan_rollback(records, None, None).target.number == 1
    records = [_record(1, V1), _record(2, V2, migration_ran=False)]  # the same migration ran again: no change
    assert plan_rollback(records, None, None).target.number == 1


def test_nothing_to_roll_back_to() -> None:
    with pytest.raises(RollbackRefused, match="no successful release"):
        plan_rollback([], None, None)
    with pytest.raises(RollbackRefused, match="nothing to go back to"):
        plan_rollback([_record(1, V1)], None, None)
    with pytest.raises(RollbackRefused, match="no release 9"):
        plan_rollback([_record(1, V1), _record(2, V2)], None, 9)
    with pytest.raises(RollbackRefused, match="is the current release"):
        plan_rollback([_record(1, V1), _record(2, V2)], None, 2)


def test_image_options(tmp_path: Path) -> None:
    assert parse_images(["api=ghcr.io/a/api@sha256:" + "a" * 64]) == {"api": "ghcr.io/a/api@sha256:" + "a" * 64}
    with pytest.raises(InputError, match="SERVICE=IMAGE"):
        parse_images(["api"])
    spec = tmp_path / "moorage.yml"
    spec.write_text("name: shop\nservices:\n  api: {build: ./api, port: 80, route: '/*'}\n"
                    "environments:\n  dev: {services: {api: {build: ./other}}}\n", encoding="utf-8")
    loaded = with_images(api.load_app(spec), {"api": "ghcr.io/a/api:2"})
    plan = api.plan_environment(loaded, "dev")
    assert plan.services["api"].spec.image == "ghcr.io/a/api:2" and plan.services["api"].spec.build is None
    assert plan.repositories == {}, "nothing left to build"
    with pytest.raises(InputError, match="no service named 'nope'"):
        with_images(loaded, {"nope": "x:1"})


def test_digests_only_for_pinned_references() -> None:
    assert digests_of({"a": "x@sha256:" + "1" * 64, "b": "y:1.0"}) == {"a": "sha256:" + "1" * 64}


def test_the_release_before_for_one_service_is_the_last_that_ran_another_version_of_it() -> None:
    """Release 7 kept web's image but changed its secrets (a new task definition): `rollback --service web`
    from 8 goes to 7, not to 6, the last with another image."""
    td = "arn:aws:ecs:eu-west-1:1:task-definition/shop-prod-web:"
    records = [_record(6, {"web": "web:1"}, task_definitions={"web": td + "6"}),
               _record(7, {"web": "web:2"}, task_definitions={"web": td + "7"}),
               _record(8, {"web": "web:2"}, task_definitions={"web": td + "8"}),
               _record(9, {"web": "web:2"}, task_definitions={"web": td + "8"})]  # 9 left web as it was
    assert plan_rollback(records[:3], "web", None).target.number == 7
    assert plan_rollback(records, "web", None).target.number == 7
    same = [_record(1, {"web": "web:1"}, task_definitions={"web": td + "1"}),
            _record(2, {"web": "web:1"}, task_definitions={"web": td + "1"})]
    with pytest.raises(RollbackRefused, match="ran another version of web"):
        plan_rollback(same, "web", None)


def test_a_reconciled_release_is_what_runs() -> None:
    """A release recorded as ``reconciled`` (what ran differed from the record) is the current one."""
    plan = plan_rollback([_record(1, V1), _record(2, V2), _record(3, {"api": "api:3", "web": "web:1"},
                                                                  outcome="reconciled")], None, None)
    assert (plan.current.number, plan.target.number) == (3, 2)


def test_an_image_flag_on_a_loopback_registry_is_refused_as_the_flag() -> None:
    """Fargate never pulls from this machine: `--image web=localhost:5000/x` is said of the flag, not of the spec."""
    from moorage.api import load_app
    from moorage.deploy.releases import with_images
    from moorage.errors import InputError

    loaded = load_app(Path(__file__).resolve().parents[2] / "examples" / "hello" / "moorage.yml")
    with pytest.raises(InputError) as err:
        with_images(loaded, {"web": "localhost:5000/x:1"})
    (diag,) = err.value.diagnostics
    assert diag.message.startswith("--image web='localhost:5000/x:1' is pulled from localhost:5000")
    assert diag.location is None and "ECR" in (diag.hint or "")
