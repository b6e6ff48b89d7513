"""The price catalog: per-region rates, each with its source and the date it was taken.

Prices are data (``moorage/data/prices/<region>.yaml`` and ``global.yaml`` for global services such as
Route 53 and CloudFront), never code. A rate that is not in the catalog is *unknown*: the estimate says so
with the reason and never counts it as sourced. It is bounded instead by a declared *proxy*
(``moorage/data/prices_proxy.yaml``): the same key in the nearest region that prices it, times the highest
measured ratio between the two regions over sibling rates, never below 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from moorage.data import load_data, package_yaml
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


@dataclass(frozen=True)
class Proxy:
    """An upper-bound stand-in for an unknown rate, with the basis it was computed on."""

    price: float
    basis: str
    reference: Rate


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

    def proxy(self, region: str, key: str) -> Proxy | None:
        """An upper bound for ``key`` in ``region`` from the nearest region that prices it, or None."""
        if region not in self.regions:
            return self.uncatalogued_proxy(region, key)
        data = load_data("prices_proxy")
        order = [r for r in data["neighbours"].get(region, data["default"]) if r != region]
        order += [r for r in self.region_names if r not in order and r != region]
        for other in order:
            rate = self.regions.get(other, {}).get(key)
            if rate is None:
                continue
            ratio, over = self.measured_ratio(region, other, key)
            if ratio is None:
                continue
            basis = (f"proxy: {other} rate ${rate.price:g}/{rate.unit} x {ratio:.3f} ({over}); "
                     f"{other} rate from {rate.source}")
            return Proxy(rate.price * ratio, basis, rate)
        return self.sibling_proxy(region, key)

    def uncatalogued_proxy(self, region: str, key: str) -> Proxy | None:
        """A bound for ``key`` in a region with no catalog at all: the highest catalogued region's rate.

        No ratio can be measured against a region that prices nothing, so the most expensive catalogued
        region stands in (then the declared sibling key, the same way).
        """
        priced = [(table[key], name) for name, table in sorted(self.regions.items())
                  if name != GLOBAL and key in table]
        if not priced:
            return self.sibling_proxy(region, key)
        rate, other = max(priced, key=lambda p: (p[0].price, p[1]))
        basis = (f"proxy: no catalog for {region}: the highest of the {len(self.region_names)} catalogued "
                 f"regions ({other} ${rate.price:g}/{rate.unit}, from {rate.source})")
        return Proxy(rate.price, basis, rate)

    def sibling_proxy(self, region: str, key: str) -> Proxy | None:
        """A bound for a key no region prices, from its declared sibling key (prices_proxy.yaml ``siblings``)."""
        for rule in load_data("prices_proxy").get("siblings", []):
            found = re.match(rule["pattern"], key)
            if not found:
                continue
            sibling = rule["sibling"].format(**found.groupdict())
            base = self.lookup(region, sibling).rate
            base_price = base.price if base else None
            base_basis = f"{region} {sibling} ${base.price:g} ({base.source})" if base else ""
            if base is None:
                proxied = self.proxy(region, sibling)
                if proxied is None:
                    continue
                base_price, base_basis = proxied.price, f"{region} {sibling} at its own {proxied.basis}"
                base = proxied.reference
            ratios = [(table[k].price / table[other].price, name) for name, table in sorted(self.regions.items())
                      for k in table if (m := re.match(rule["pattern"], k))
                      and (other := rule["sibling"].format(**m.groupdict())) in table and table[other].price > 0]
            if not ratios or base_price is None:
                continue
            ratio = max(1.0, max(r for r, _ in ratios))
            basis = (f"proxy: sibling {base_basis} x {ratio:.3f} (highest {rule['label']} ratio over "
                     f"{len(ratios)} instance classes priced for both, at least 1)")
            return Proxy(base_price * ratio, basis, base)
        return None

    def measured_ratio(self, region: str, other: str, key: str) -> tuple[float | None, str]:
        """The highest price ratio ``region``/``other`` over rates both price: siblings of ``key`` first.

        Siblings share the key's family (``rds.instance_hour``), else its service (``rds``), else any rate.
        The ratio is never below 1, so a proxy never undercuts the reference price.
        """
        mine, theirs = self.regions.get(region, {}), self.regions.get(other, {})
        shared = sorted(k for k in mine.keys() & theirs.keys() if theirs[k].price > 0 and k != key)
        parts = key.split(".")
        for label, prefix in ((f"{'.'.join(parts[:2])} rates", ".".join(parts[:2]) + "."),
                              (f"{parts[0]} rates", parts[0] + "."), ("all shared rates", "")):
            ratios = [mine[k].price / theirs[k].price for k in shared if k.startswith(prefix)]
            if ratios:
                return max(1.0, max(ratios)), (f"highest {region}/{other} ratio over {len(ratios)} "
                                               f"measured {label}, at least 1")
        return None, f"{region} and {other} share no priced rate"

    def keys(self, region: str) -> set[str]:
        """Every key with a rate in ``region``."""
        return set(self.regions.get(region, {}))

    @property
    def region_names(self) -> list[str]:
        """Regions with a catalog (not the global table)."""
        return sorted(r for r in self.regions if r != GLOBAL)


def checked_region(region: str, option: str) -> str:
    """``region`` when it is a real AWS region (``regions.yaml``); else a located InputError with a hint."""
    from moorage.data.regions import is_region, unknown_region_hint

    if is_region(region):
        return region
    raise InputError([Diagnostic("error", f"{option}: unknown AWS region '{region}'", None,
                                 unknown_region_hint(region))])


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
