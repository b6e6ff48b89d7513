"""Which pricer handles which CloudFormation resource type, and which types are free."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

from moorage.cost.context import PricingContext, Resource
from moorage.cost.model import LineItem
from moorage.data import load_data

Pricer = Callable[[PricingContext, Resource], list[LineItem]]


def _pricers() -> dict[str, Pricer]:
    """Every component module's ``PRICERS`` (type -> pricer), so a new module needs no edit here."""
    found: dict[str, Pricer] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        found.update(getattr(importlib.import_module(f"{__name__}.{info.name}"), "PRICERS", {}))
    return found


PRICERS: dict[str, Pricer] = _pricers()


def free_types() -> dict[str, str]:
    """Resource types with no charge of their own, with the reason (``moorage/data/prices_free.yaml``)."""
    return dict(load_data("prices_free"))


def known_types() -> set[str]:
    """Every resource type the estimate understands (priced or free)."""
    return set(PRICERS) | set(free_types())


def price_resource(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """The line items of one resource: its pricer's, free with the reason, or "not priced"."""
    pricer = PRICERS.get(res.type)
    if pricer is not None:
        return pricer(ctx, res)
    free = free_types().get(res.type)
    if free is not None:
        return [ctx.free(res, free)]
    return [LineItem(res.stack, res.lid, res.type, "resource", "not-priced",
                     note=f"not priced: moorage has no pricing for {res.type}", region=res.region)]
