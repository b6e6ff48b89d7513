"""What a cost estimate is made of: line items (one priced component of one resource) and the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["priced", "free", "not-priced", "unknown"]
HOURS_PER_MONTH = 730.0  # AWS's own convention for monthly estimates (365 * 24 / 12)


@dataclass
class LineItem:
    """One component of one resource: what is counted, how many, at which rate, and the monthly cost.

    ``status`` says how to read it: ``priced`` (a sourced rate times a quantity), ``free`` (the resource has
    no charge of its own), ``not-priced`` (moorage does not know how to price this resource type) or
    ``unknown`` (a known component with no sourced rate in the region, or a quantity that is not a literal).
    ``low``/``high`` differ from ``monthly`` only where an autoscaling range applies. An unknown item whose
    quantity is known carries a ``proxy_*`` upper bound (never counted as sourced) and its basis.
    """

    stack: str
    resource: str
    type: str
    component: str
    status: Status
    quantity: float = 0.0
    unit: str = ""
    unit_price: float | None = None
    monthly: float | None = None
    low: float | None = None
    high: float | None = None
    assumption: bool = False  # the quantity is a usage default, not something the user stated
    note: str = ""
    rate: str = ""  # catalog key of the rate
    source: str = ""  # where the rate comes from (URL or AWS Price List SKU)
    taken: str = ""  # date the rate was taken
    region: str = ""
    proxy_price: float | None = None  # upper-bound unit price of an unknown rate (see catalog.Proxy)
    proxy_monthly: float | None = None
    proxy_high: float | None = None
    proxy_basis: str = ""

    @property
    def counted(self) -> bool:
        """True when the item contributes money to the total."""
        return self.status == "priced" and self.monthly is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (see docs/cost.schema.json)."""
        return {
            "stack": self.stack, "resource": self.resource, "type": self.type, "component": self.component,
            "status": self.status, "quantity": round(self.quantity, 6), "unit": self.unit,
            "unit_price": self.unit_price, "monthly": _money(self.monthly), "low": _money(self.low),
            "high": _money(self.high), "assumption": self.assumption, "note": self.note, "rate": self.rate,
            "source": self.source, "taken": self.taken, "region": self.region,
            "proxy_price": self.proxy_price, "proxy_monthly": _money(self.proxy_monthly),
            "proxy_basis": self.proxy_basis,
        }


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass
class UsageFigure:
    """A usage quantity the estimate used, and where it came from."""

    key: str
    value: float
    origin: str  # "usage file", "profile small", ...
    assumed: bool
    description: str = ""


@dataclass
class Budget:
    """A monthly budget found in the templates (AWS::Budgets::Budget)."""

    amount: float
    name: str = ""
    stack: str = ""


@dataclass
class CostReport:
    """The itemized monthly estimate of one template set (one environment)."""

    label: str
    region: str
    profile: str | None
    usage_profile: str
    items: list[LineItem] = field(default_factory=list)
    usage: dict[str, UsageFigure] = field(default_factory=dict)
    budget: Budget | None = None
    currency: str = "USD"
    savings: list[Any] = field(default_factory=list)  # cost.savings.Saving (kept loose: model has no catalog)

    @property
    def monthly(self) -> float:
        """Expected monthly total (desired task counts, usage figures) of every priced item."""
        return sum(i.monthly or 0.0 for i in self.items if i.counted)

    @property
    def low(self) -> float:
        """Monthly total with every autoscaled service at its minimum."""
        return sum(i.low if i.low is not None else (i.monthly or 0.0) for i in self.items if i.counted)

    @property
    def high(self) -> float:
        """Monthly total with every autoscaled service at its maximum."""
        return sum(i.high if i.high is not None else (i.monthly or 0.0) for i in self.items if i.counted)

    @property
    def unknown(self) -> list[LineItem]:
        """Items that could not be priced (no sourced rate, not a literal, or an unknown resource type)."""
        return [i for i in self.items if i.status in ("unknown", "not-priced")]

    @property
    def proxied(self) -> float:
        """What the declared proxies add for unknown items (the bound's part that is not sourced)."""
        return sum(i.proxy_monthly or 0.0 for i in self.unknown)

    @property
    def upper(self) -> float:
        """The upper bound: the sourced total plus every unknown item at its proxy price."""
        return self.monthly + self.proxied

    @property
    def upper_high(self) -> float:
        """The upper bound with every autoscaled service at its maximum."""
        return self.high + sum(i.proxy_high if i.proxy_high is not None else (i.proxy_monthly or 0.0)
                               for i in self.unknown)

    @property
    def unbounded(self) -> list[LineItem]:
        """Unknown items no proxy could bound (no rate in any region, or a quantity that is not known)."""
        return [i for i in self.unknown if i.proxy_monthly is None]

    def basis_total(self, basis: str = "upper") -> float:
        """The total a comparison uses: ``upper`` (the default) or ``sourced``."""
        return self.upper if basis == "upper" else self.monthly

    @property
    def assumed(self) -> float:
        """The part of the monthly total that rests on assumed (default) usage figures."""
        return sum(i.monthly or 0.0 for i in self.items if i.counted and i.assumption)

    def to_dict(self, basis: str = "upper") -> dict[str, Any]:
        """JSON-able form (validated against docs/cost.schema.json); the budget compared on ``basis``."""
        budget = None
        if self.budget:
            total = self.basis_total(basis)
            unknowable = basis == "upper" and bool(self.unbounded)
            budget = {"amount": self.budget.amount, "name": self.budget.name, "stack": self.budget.stack,
                      "percent": round(100 * total / self.budget.amount, 1) if self.budget.amount else None,
                      "over": True if total > self.budget.amount else (None if unknowable else False),
                      "basis": basis}
        return {
            "environment": self.label, "region": self.region, "profile": self.profile,
            "usage_profile": self.usage_profile, "currency": self.currency,
            "monthly": round(self.monthly, 2), "low": round(self.low, 2), "high": round(self.high, 2),
            "assumed": round(self.assumed, 2), "unknown_count": len(self.unknown), "budget": budget,
            "sourced": round(self.monthly, 2), "proxied": round(self.proxied, 2), "upper": round(self.upper, 2),
            "upper_high": round(self.upper_high, 2), "unbounded_count": len(self.unbounded),
            "usage": [{"key": u.key, "value": u.value, "origin": u.origin, "assumed": u.assumed,
                       "description": u.description} for u in sorted(self.usage.values(), key=lambda u: u.key)],
            "items": [i.to_dict() for i in self.items],
            "savings": [s.to_dict() for s in self.savings],
        }
