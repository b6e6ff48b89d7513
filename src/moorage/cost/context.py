"""What a pricer sees: one resource, its template, the whole template set, the catalog and the usage.

Values are read through :mod:`moorage.cfn` (the one CloudFormation reader).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from moorage.cfn.index import SetIndex
from moorage.cfn.sections import resource, resources_of
from moorage.cfn.sets import TemplateSet
from moorage.cfn.values import UNKNOWN, to_number
from moorage.cost.catalog import Catalog
from moorage.cost.model import HOURS_PER_MONTH, LineItem
from moorage.cost.usage import Usage


@dataclass
class Resource:
    """One CloudFormation resource, with where it lives."""

    stack: str
    lid: str
    type: str
    props: dict[str, Any]
    template: dict[str, Any]
    region: str
    index: SetIndex  # the whole set, to follow parameters fed by other stacks

    def literal(self, value: Any) -> Any:
        """``value`` as a literal (parameter defaults and values fed from other stacks followed); else None.

        Pricing takes "not knowable" as None, so a pricer reports the item as unknown rather than guess.
        """
        found = self.index.literal(self.stack, value)
        return None if found is UNKNOWN else found

    def prop(self, name: str, default: Any = None) -> Any:
        """A property as a literal (None when it is an intrinsic that cannot be resolved)."""
        if name not in self.props:
            return default
        return self.literal(self.props[name])

    def number(self, name: str, default: float | None = None) -> float | None:
        """A numeric property (numbers are often strings in CloudFormation)."""
        return to_number(self.prop(name, default))

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean property ("true"/"false" strings included)."""
        value = self.prop(name, default)
        if isinstance(value, str):
            return value.strip().lower() == "true"
        return bool(value)


class PricingContext:
    """Shared by every pricer of one estimate: catalog look-ups, usage, and the template set."""

    def __init__(self, tset: TemplateSet, catalog: Catalog, usage: Usage):
        self.set = tset
        self.index = SetIndex(tset, tset.profile or "")
        self.catalog = catalog
        self.usage = usage
        self.hours = HOURS_PER_MONTH
        self._by_type: dict[str | None, list[tuple[str, Any, Any]]] | None = None  # resources(), indexed once

    def region_of(self, stack: str) -> str:
        """The region a stack deploys to."""
        return self.set.regions.get(stack, self.set.region)

    def resources(self, type_: str | None = None) -> Iterator[Resource]:
        """Every resource of the set (of ``type_``), in stack then logical-id order."""
        if self._by_type is None:  # pricers ask per resource: sort and group once, not on every call
            self._by_type = {None: []}
            for stack, template in self.set.templates.items():
                for found in sorted(resources_of(template), key=lambda r: r.lid):
                    self._by_type[None].append((stack, template, found))
                    self._by_type.setdefault(found.type, []).append((stack, template, found))
        for stack, template, found in self._by_type.get(type_, []):
            yield Resource(stack, found.lid, found.type, dict(found.props), template, self.region_of(stack),
                           self.index)

    def in_stack(self, res: Resource, lid: str | None) -> Resource | None:
        """The resource ``lid`` in the same template as ``res``."""
        if not lid:
            return None
        found = resource(res.template, lid)
        if found is None:
            return None
        return Resource(res.stack, lid, found.type, dict(found.props), res.template, res.region, self.index)

    def referenced(self, res: Resource, value: Any) -> Resource | None:
        """The resource ``value`` in ``res`` points at: Ref, GetAtt, Sub, ImportValue, or a parameter fed
        from another stack's output (:meth:`moorage.cfn.SetIndex.resolve`)."""
        key = self.index.resolve(res.stack, value)
        found = self.index.resources.get(key) if key else None
        if found is None:
            return None
        return Resource(found.stack, found.id, found.type, dict(found.props), self.set.templates[found.stack],
                        self.region_of(found.stack), self.index)

    def use(self, key: str, res: Resource) -> tuple[float, bool]:
        """A usage figure for ``res`` (resource > environment > file > profile)."""
        return self.usage.get(key, res.stack, res.lid)

    def charge(self, res: Resource, component: str, quantity: float, unit: str, key: str, *,
               assumption: bool = False, note: str = "", low_quantity: float | None = None,
               high_quantity: float | None = None, scale: float = 1.0) -> LineItem:
        """A line item: ``quantity`` units at the catalog rate ``key`` (times ``scale``, e.g. per-1,000 rates).

        Without a sourced rate the item is ``unknown``, says why, and carries an upper bound at the declared
        proxy price (see ``Catalog.proxy``) that is never counted as sourced.
        """
        found = self.catalog.lookup(res.region, key)
        item = LineItem(res.stack, res.lid, res.type, component, "unknown", quantity, unit, None, None,
                        assumption=assumption, rate=key, region=res.region)
        if found.rate is None:
            proxy = self.catalog.proxy(res.region, key)
            if proxy is not None:
                item.proxy_price = proxy.price
                item.proxy_monthly = quantity * proxy.price * scale
                if high_quantity is not None:
                    item.proxy_high = high_quantity * proxy.price * scale
                item.proxy_basis = proxy.basis
            item.note = "; ".join(n for n in (found.reason, note) if n)
            return item
        rate = found.rate
        item.status = "priced"
        item.unit_price = rate.price
        item.monthly = quantity * rate.price * scale
        if low_quantity is not None:
            item.low = low_quantity * rate.price * scale
        if high_quantity is not None:
            item.high = high_quantity * rate.price * scale
        item.source, item.taken = rate.source, rate.taken
        item.note = "; ".join(n for n in (note, rate.note) if n)
        return item

    @staticmethod
    def free(res: Resource, reason: str) -> LineItem:
        """A resource with no charge of its own."""
        return LineItem(res.stack, res.lid, res.type, "no charge", "free", note=reason, region=res.region)

    @staticmethod
    def unknown(res: Resource, component: str, reason: str) -> LineItem:
        """A component that cannot be priced, with the reason."""
        return LineItem(res.stack, res.lid, res.type, component, "unknown", note=reason, region=res.region)
