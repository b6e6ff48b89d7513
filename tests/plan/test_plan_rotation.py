"""Rotation decisions in the plan: the rotation stack redeploys at most READERS_AT_MOST distinct services (one
stack parameter each); past that a cache token gets a reminder and a generated password no rotation, with the
reason. Below it, both rotate."""

from __future__ import annotations

from collections.abc import Callable

from moorage import api
from moorage.plan.rotation import READERS_AT_MOST
from moorage.spec.load import LoadedApp


def _spec(services: int) -> str:
    lines = ["name: big", "region: eu-west-1", "services:"]
    lines += [f"  s{i}: {{image: x:1, uses: [db, cache]}}" for i in range(services)]
    lines += ["databases:", '  db: {engine: postgres, version: "16", rotate_days: 30}',
              "caches:", "  cache: {rotate_days: 30}"]
    return "\n".join(lines) + "\n"


def test_too_many_readers_fall_back_with_the_reason(load_spec: Callable[[str], LoadedApp]) -> None:
    plan = api.plan_environment(load_spec(_spec(READERS_AT_MOST + 1)), "dev")
    assert plan.token_rotations == [] and plan.password_rotations == []
    assert [r.key for r in plan.rotation_reminders] == ["cache-cache"]
    made = {d.topic: (d.value, d.reason) for d in plan.decisions}
    assert made["caches.cache.rotation"][0] == "reminder every 30 days"
    assert made["databases.db.rotation_schedule"][0] == "none (too many readers)"
    assert f"({READERS_AT_MOST} at most)" in made["databases.db.rotation_schedule"][1]


def test_a_shared_budget_below_the_limit_rotates_both(load_spec: Callable[[str], LoadedApp]) -> None:
    plan = api.plan_environment(load_spec(_spec(3)), "dev")
    assert [t.services for t in plan.token_rotations] == [["s0", "s1", "s2"]]
    assert [p.services for p in plan.password_rotations] == [["s0", "s1", "s2"]]
    assert plan.rotation_reminders == []


def test_services_with_their_own_user_count_in_the_budget(load_spec: Callable[[str], LoadedApp]) -> None:
    """Per-service users rotate with the master password, so their services are redeployed and counted: with
    them the readers pass the limit, and the password does not rotate."""
    names = [f"s{i}" for i in range(READERS_AT_MOST + 1)]
    spec = _spec(READERS_AT_MOST + 1).replace("rotate_days: 30}", "rotate_days: 30, schemas: [s0]}", 1)
    plan = api.plan_environment(load_spec(spec.replace("caches:\n  cache: {rotate_days: 30}\n", "")
                                          .replace("uses: [db, cache]", "uses: [db]")), "dev")
    assert plan.password_rotations == []
    assert plan.databases["db"].users and names[0] == plan.databases["db"].users[0].service
    within = api.plan_environment(load_spec(_spec(3).replace("rotate_days: 30}", "rotate_days: 30, schemas: [s0]}", 1)),
                                  "dev")
    [rotation] = within.password_rotations
    assert rotation.services == ["s0", "s1", "s2"] and rotation.job == "db-bootstrap"
