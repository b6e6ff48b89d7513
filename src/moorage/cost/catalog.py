"""The price catalog: per-region rates, each with its source and the date it was taken.

Prices are data (``moorage/data/prices/<region>.yaml`` and ``global.yaml`` for global services such as
Route 53 and CloudFront), never code. A rate that is not in the catalog is *unknown*: the estimate says so
with the reason, and never borrows another region's price.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from moorage.data import package_yaml
from moorage.errors import Diagnostic, InputError

PRICES_PACKAGE = "moorage.data"
PRICES_DIR = "prices"
GLOBAL = "global"


@dataclass(frozen=True)
class Rate:
    """One sourced price: USD per ``unit``."""

    key: str
    price: float
    unit: str
    source: str
    taken: str
    region: str
    note: str = ""


@dataclass(frozen=True)
class Lookup:
    """The answer to "what does ``key`` cost in ``region``": a rate, or the reason there is none."""

    rate: Rate | None
    reason: str = ""


class Catalog:
    """Rates by region. Built from the packaged YAML files, or from a directory (``--prices DIR``)."""

    def __init__(self, regions: dict[str, dict[str, Rate]]):
        self.regions = regions

    def lookup(self, region: str, key: str) -> Lookup:
        """The rate for ``key`` in ``region`` (global services are looked up in the global table)."""
        table = self.regions.get(region)
        if table and key in table:
            return Lookup(table[key])
        glob = self.regions.get(GLOBAL, {})
        if key in glob:
            return Lookup(glob[key])
        if table is None:
            return Lookup(None, f"unknown price in {region}: no price catalog for this region")
        return Lookup(None, f"unknown price in {region}: no sourced rate for {key}")

    def keys(self, region: str) -> set[str]:
        """Every key with a rate in ``region``."""
        return set(self.regions.get(region, {}))

    @property
    def region_names(self) -> list[str]:
        """Regions with a catalog (not the global table)."""
        return sorted(r for r in self.regions if r != GLOBAL)


def parse_region_file(data: Any, origin: str) -> tuple[str, dict[str, Rate]]:
    """Validate one catalog file's content; every rate must name its price, unit, source and date."""
    if not isinstance(data, dict) or not isinstance(data.get("region"), str) or not isinstance(
            data.get("rates"), dict):
        raise InputError([Diagnostic("error", f"{origin}: a price catalog needs `region` and `rates`", None)])
    region = data["region"]
    rates: dict[str, Rate] = {}
    for key, entry in data["rates"].items():
        missing = [f for f in ("price", "unit", "source", "taken") if not isinstance(entry, dict) or f not in entry]
        if missing:
            raise InputError([Diagnostic("error", f"{origin}: rate {key} lacks {', '.join(missing)}", None,
                                         "every rate carries its price, unit, source (URL or SKU) and date")])
        rates[str(key)] = Rate(str(key), float(entry["price"]), str(entry["unit"]), str(entry["source"]),
                               str(entry["taken"]), region, str(entry.get("note", "")))
    return region, rates


@cache
def packaged_catalog() -> Catalog:
    """The catalog shipped with moorage."""
    folder = resources.files(PRICES_PACKAGE).joinpath(PRICES_DIR)
    regions: dict[str, dict[str, Rate]] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            region, rates = parse_region_file(package_yaml(entry.read_text(encoding="utf-8")), f"prices/{entry.name}")
            regions[region] = rates
    return Catalog(regions)


def catalog_from_directory(directory: Path) -> Catalog:
    """A catalog read from ``directory`` (e.g. the output of ``moorage prices refresh``), over the packaged one."""
    base = {r: dict(t) for r, t in packaged_catalog().regions.items()}
    for path in sorted(directory.glob("*.yaml")):
        region, rates = parse_region_file(YAML(typ="safe").load(path.read_text(encoding="utf-8")), str(path))
        base[region] = {**base.get(region, {}), **rates}  # refreshed rates replace packaged ones
    return Catalog(base)
