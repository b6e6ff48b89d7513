"""AWS regions and residency presets (``regions.yaml``): the one place a preset becomes regions."""

from __future__ import annotations

from moorage.data import load_data


def residency_presets() -> list[str]:
    """The residency preset names (``uae``, ``eu``, ``gcc`` ...), sorted."""
    return sorted(load_data("regions")["residency"])


def is_region(region: str) -> bool:
    """True for an AWS region moorage knows."""
    return region in load_data("regions")["regions"]


def unknown_region_hint(region: str) -> str:
    """The hint for a region moorage does not know: the closest known one ("did you mean us-east-1?") and the
    list of known regions."""
    from difflib import get_close_matches

    known = sorted(load_data("regions")["regions"])
    close = get_close_matches(region, known, n=1, cutoff=0.6)
    return (f"did you mean {close[0]}? " if close else "") + "known regions: " + ", ".join(known)


def preset_regions(preset: str) -> list[str]:
    """The regions of a residency preset: every region in one of its countries (``KeyError`` for no preset)."""
    data = load_data("regions")
    countries = set(data["residency"][preset]["countries"])
    return sorted(r for r, info in data["regions"].items() if info["country"] in countries)
