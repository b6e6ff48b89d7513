"""AWS regions and residency presets (``regions.yaml``): the one place a preset becomes regions."""

from __future__ import annotations

from moorage.data import load_data


def residency_presets() -> list[str]:
    """The residency preset names (``uae``, ``eu``, ``gcc`` ...), sorted."""
    return sorted(load_data("regions")["residency"])


def is_region(region: str) -> bool:
    """True for an AWS region moorage knows."""
    return region in load_data("regions")["regions"]


def preset_regions(preset: str) -> list[str]:
    """The regions of a residency preset: every region in one of its countries (``KeyError`` for no preset)."""
    data = load_data("regions")
    countries = set(data["residency"][preset]["countries"])
    return sorted(r for r, info in data["regions"].items() if info["country"] in countries)
