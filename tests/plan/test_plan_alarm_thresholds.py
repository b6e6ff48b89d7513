"""A threshold the user set is never dropped silently: where the environment's profile builds no such alarm, the
plan says so in a decision (and still builds the alarm where the profile does)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from moorage import api
from moorage.plan.observability import FULL_ONLY
from moorage.spec.load import LoadedApp

SPEC = """name: demo
region: eu-west-1
services:
  web: {image: x:1, port: 80, route: /, uses: [db]}
databases:
  db: {engine: postgres, version: "16"}
alarms:
  email: ops@example.com
  thresholds: {db_storage_percent: 85, latency_seconds: 3, cpu_percent: 75}
"""


def _decisions(loaded: LoadedApp, env: str) -> dict[str, tuple[str, str]]:
    return {d.topic: (d.value, d.reason) for d in api.plan_environment(loaded, env).decisions}


def test_a_threshold_the_staging_profile_builds_no_alarm_for_is_said_to_be_ignored(
        load_spec: Callable[[str], LoadedApp]) -> None:
    loaded = load_spec(SPEC)
    made = _decisions(loaded, "staging")
    value, reason = made["alarms.thresholds.db_storage_percent"]
    assert value == "ignored in staging"
    assert "db_storage_percent is set but the staging profile builds no such alarm" in reason
    assert "prod" in reason  # where it does apply
    assert made["alarms.thresholds.latency_seconds"][0] == "ignored in staging"
    assert "alarms.thresholds.cpu_percent" not in made  # staging builds the CPU alarm: nothing to say


def test_prod_builds_the_alarm_and_says_nothing_is_ignored(load_spec: Callable[[str], LoadedApp]) -> None:
    loaded = load_spec(SPEC)
    plan = api.plan_environment(loaded, "prod")
    assert not [d for d in plan.decisions if d.value.startswith("ignored")]
    assert any(a.key == "DbDbStorageUsed" and a.threshold == 85 for a in plan.alarms)


def test_dev_builds_no_alarm_and_says_so_for_each_threshold_set(load_spec: Callable[[str], LoadedApp]) -> None:
    made = _decisions(load_spec(SPEC), "dev")
    for name in ("db_storage_percent", "latency_seconds", "cpu_percent"):
        value, reason = made[f"alarms.thresholds.{name}"]
        assert value == "ignored in dev" and "builds no alarms" in reason


def test_a_threshold_left_to_the_profile_is_not_mentioned(load_spec: Callable[[str], LoadedApp]) -> None:
    made = _decisions(load_spec(SPEC.replace("  thresholds: {db_storage_percent: 85, latency_seconds: 3, "
                                             "cpu_percent: 75}\n", "")), "staging")
    assert not [t for t in made if t.startswith("alarms.thresholds.")]


@pytest.mark.parametrize("name", sorted(FULL_ONLY))
def test_every_full_only_threshold_is_a_real_threshold(name: str) -> None:
    from moorage.spec.models import AlarmThresholds

    assert name in AlarmThresholds.model_fields
