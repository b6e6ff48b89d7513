"""Reference tables for docs/cost.md, generated from the catalog and the usage profiles (kept in sync by a test)."""

from __future__ import annotations

from moorage.cost.catalog import GLOBAL, Catalog, packaged_catalog
from moorage.cost.usage import usage_keys, usage_profiles


def catalog_markdown(catalog: Catalog | None = None) -> str:
    """Every rate of the catalog: region, key, price, unit, source and date."""
    cat = catalog or packaged_catalog()
    lines = ["| region | rate | USD | unit | source | taken |", "|---|---|---|---|---|---|"]
    for region in [*cat.region_names, GLOBAL]:
        for key, rate in sorted(cat.regions.get(region, {}).items()):
            source = rate.source if not rate.source.startswith("http") else f"<{rate.source}>"
            lines.append(f"| {region} | `{key}` | {rate.price:g} | {rate.unit} | {source} | {rate.taken} |")
    return "\n".join(lines) + "\n"


def usage_markdown() -> str:
    """Every usage key, what it measures and its default per profile."""
    data = usage_profiles()
    names = list(data["profiles"])
    lines = ["| key | what | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for key, what in usage_keys().items():
        lines.append(f"| `{key}` | {what} | " + " | ".join(f"{data['profiles'][n][key]:,}" for n in names) + " |")
    return "\n".join(lines) + "\n"
