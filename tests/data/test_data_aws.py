"""Facts read from cfn-lint's data: creatable engine versions and resource types per region."""

from __future__ import annotations

import re

import pytest

from moorage.data.aws import concrete_version, creatable_versions, majors, resource_available


@pytest.mark.parametrize("engine", ["postgres", "aurora-postgresql", "mysql", "aurora-mysql"])
def test_every_engine_has_creatable_versions(engine: str) -> None:
    versions = creatable_versions(engine)
    assert versions
    assert all(re.match(r"^\d+(\.\d+)*($|\.mysql_aurora)", v) for v in versions), versions
    assert majors(engine) == sorted(set(majors(engine)), key=lambda m: tuple(int(x) for x in m.split(".")))


@pytest.mark.parametrize(("engine", "major", "pattern"), [
    ("postgres", "15", r"^15\.\d+$"),
    ("postgres", "16", r"^16\.\d+$"),
    ("aurora-postgresql", "15", r"^15\.\d+$"),
    ("mysql", "8.0", r"^8\.0\.\d+$"),
    ("aurora-mysql", "8.0", r"^8\.0\.mysql_aurora\.\d+\.\d+\.\d+$"),
])
def test_major_resolves_to_the_newest_release(engine: str, major: str, pattern: str) -> None:
    version = concrete_version(engine, major)
    assert version is not None and re.match(pattern, version), version
    assert version in creatable_versions(engine)
    same_major = [v for v in creatable_versions(engine) if v.startswith(major + ".")]
    key = lambda v: tuple(int(x) for x in re.findall(r"\d+", v))  # noqa: E731
    assert key(version) == max(key(v) for v in same_major)


def test_a_concrete_version_stays_as_given() -> None:
    version = concrete_version("postgres", "15")
    assert version is not None
    assert concrete_version("postgres", version) == version


@pytest.mark.parametrize(("engine", "requested"), [("postgres", "11"), ("postgres", "9.6"), ("mysql", "5.5"),
                                                   ("postgres", "15.999")])
def test_versions_rds_cannot_create(engine: str, requested: str) -> None:
    assert concrete_version(engine, requested) is None


def test_budgets_are_not_offered_everywhere() -> None:
    assert resource_available("us-east-1", "AWS::Budgets::Budget")
    assert not resource_available("me-central-1", "AWS::Budgets::Budget")
    assert resource_available("me-central-1", "AWS::ECS::Service")
