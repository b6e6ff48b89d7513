"""Usage figures: profile defaults, overrides per environment and resource, and the origins reported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def test_usage_names_that_match_nothing_are_located_errors(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    """A typo in an environment or resource name would leave the defaults silently in place: exit 2 instead."""
    hello = Path(__file__).resolve().parents[2] / "examples" / "hello"
    usage = tmp_path / "usage.yml"
    usage.write_text("nat_gb: 3\nenvironments:\n  prdo: {nat_gb: 5}\nresources:\n  NoSuch:\n    s3_gb: 5\n",
                     encoding="utf-8")
    for extra in ((), ("--env", "dev")):  # a filter on environments still knows the others
        result = run_cli("cost", hello, "--usage", usage, *extra)
        assert result.code == 2, result.out + result.err
        err = " ".join(result.err.split())
        assert f"{usage}:3: error: [environments.prdo] usage file names an unknown environment 'prdo'" in err
        assert "did you mean 'prod'? known: dev, prod, staging" in err
        assert f"{usage}:5: error: [resources.NoSuch] usage file names an unknown resource" in err
    usage.write_text("environments:\n  prod:\n    nat_gb: 5\nresources:\n  network/Nat1: {nat_gb: 1}\n",
                     encoding="utf-8")
    assert run_cli("cost", hello, "--usage", usage, "--env", "dev").code == 0


def test_a_price_region_what_if_keeps_the_environments_usage_figures(tmp_path: Path) -> None:
    from moorage.api import estimate_targets

    hello = Path(__file__).resolve().parents[2] / "examples" / "hello" / "moorage.yml"
    usage = tmp_path / "usage.yml"
    usage.write_text("environments:\n  prod: {nat_gb: 5000}\n", encoding="utf-8")
    (report,) = estimate_targets([hello], envs=["prod"], usage=usage, price_region="us-east-1")
    assert report.label == "prod (at us-east-1 rates)"
    nat = [i for i in report.items if i.component == "NAT data processed"]
    assert nat and sum(i.quantity for i in nat) == pytest.approx(5000)
    assert report.usage["nat_gb"].origin == "usage file (environment)"
