"""Reference tables for docs/cost.md, generated from the catalog and the usage profiles (kept in sync by a test)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from moorage.cfn.sets import TemplateSet
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


def example_specs(root: Path) -> list[Path]:
    """The spec of every example under ``root/examples`` (moorage.yml, or the compose file)."""
    return sorted(p / ("docker-compose.yml" if (p / "docker-compose.yml").exists() else "moorage.yml")
                  for p in (root / "examples").iterdir() if p.is_dir())


SetsOf = Callable[[Sequence[Path]], list[TemplateSet]]  # spec paths -> template sets (``moorage.api.template_sets``)


def examples_markdown(root: Path, sets_of: SetsOf) -> str:
    """Every example x environment: the sourced sum, the upper bound, what is bounded by proxy, the budget.

    ``sets_of`` synthesizes a spec (``moorage.api.template_sets``): cost reads templates, it does not make them.
    """
    from moorage.cost.estimate import estimate_template_set
    from moorage.cost.report import money

    lines = ["| example | env | region | sourced | upper bound (unknowns at proxy prices) | items at a proxy price | "
             "items with no price at all | budget |", "|---|---|---|---|---|---|---|---|"]
    for spec in example_specs(root):
        for tset in sets_of([spec]):
            r = estimate_template_set(tset)
            upper = money(r.upper) + (f" ({money(r.upper)}-{money(r.upper_high)} autoscaling)"
                                      if round(r.upper_high, 2) != round(r.upper, 2) else "")
            unbounded = ", ".join(sorted({f"`{i.rate or i.component}`" for i in r.unbounded})) or "0"
            budget = (f"{money(r.budget.amount)} ({100 * r.upper / r.budget.amount:.0f}% of it)"
                      if r.budget and r.budget.amount else "-")
            lines.append(f"| {spec.parent.name} | {tset.label} | {tset.region} | {money(r.monthly)} | {upper} | "
                         f"{len(r.unknown) - len(r.unbounded)} | {unbounded} | {budget} |")
    return "\n".join(lines) + "\n"


GENERATED = {"catalog_markdown": catalog_markdown, "usage_markdown": usage_markdown}
DOC_FILES = ("docs/cost.md", "examples/README.md")


def generated_blocks(root: Path, sets_of: SetsOf) -> dict[str, str]:
    """Every generated block's current content, by the name its marker uses."""
    return {**{name: fn() for name, fn in GENERATED.items()}, "examples_markdown": examples_markdown(root, sets_of)}


def _keep_markers(content: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return match.group(1) + content + match.group(2)
    return replace


def refresh_docs(root: Path, sets_of: SetsOf) -> list[Path]:
    """Rewrite the generated blocks of the cost docs (``<!-- generated: moorage.cost.docs.NAME() -->``).

    ``refresh_docs(ROOT, moorage.api.template_sets)``.
    """
    blocks = generated_blocks(root, sets_of)
    changed = []
    for rel in DOC_FILES:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        for name, content in blocks.items():
            pattern = re.compile(rf"(<!-- generated: moorage\.cost\.docs\.{name}\(\) -->\n).*?(<!-- end generated -->)",
                                 re.S)
            text = pattern.sub(_keep_markers(content), text)
        if text != path.read_text(encoding="utf-8"):
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed
