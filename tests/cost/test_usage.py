"""Usage figures: profile defaults, overrides per environment and resource, and the origins reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from moorage.cost.usage import Usage, load_usage_file, usage_keys, usage_profiles
from moorage.errors import InputError


def test_every_profile_defines_every_key() -> None:
    keys = set(usage_keys())
    for name, figures in usage_profiles()["profiles"].items():
        assert set(figures) == keys, name


def test_environment_profile_picks_the_usage_profile() -> None:
    assert Usage("dev", "dev").profile == "small"
    assert Usage("prod", "prod").profile == "medium"
    assert Usage("prod", "prod", profile="large").profile == "large"
    assert Usage("loose", None).profile == "small"


def test_precedence_resource_over_environment_over_file(tmp_path: Path) -> None:
    path = tmp_path / "usage.yml"
    path.write_text("profile: large\ns3_gb: 5\nenvironments:\n  prod: {s3_gb: 50}\n"
                    "resources:\n  data/Bucket: {s3_gb: 500}\n", encoding="utf-8")
    usage = Usage("prod", "prod", load_usage_file(path))
    assert usage.profile == "large"
    assert usage.get("s3_gb", "data", "Bucket") == (500, False)
    assert usage.get("s3_gb", "data", "Other") == (50, False)
    assert Usage("dev", "dev", load_usage_file(path)).get("s3_gb", "data", "Other") == (5, False)
    assert usage.get("nat_gb") == (1000, True)  # large profile default
    assert usage.used["nat_gb"].origin == "profile large (assumed)"


@pytest.mark.parametrize("text, message", [
    ("nat_gb: -1\n", "must be a number >= 0"),
    ("profile: huge\n", "unknown usage profile"),
    ("- 1\n", "a usage file is a mapping"),
    ("environments:\n  prod: {natgb: 1}\n", "unknown usage key 'natgb'"),
])
def test_bad_usage_files_are_input_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "usage.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_usage_file(path)
