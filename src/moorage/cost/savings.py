"""What would change the bill before anything is deployed: Graviton (arm64) and Spot for Fargate at catalog rates,
and the commitments (Savings Plans, Reserved Instances) that could cover the steady lines.

Every figure is a catalog rate (sourced, or the declared proxy, marked as such) times the quantities already in the
estimate. A commitment discount the catalog has no sourced rate for is listed with what it would cover, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moorage.cost.catalog import Catalog
from moorage.cost.model import CostReport, LineItem

# on-demand Fargate rate key -> (Graviton key, Spot key)
FARGATE_ALTERNATIVES = {
    "fargate.vcpu_hour.x86": ("fargate.vcpu_hour.arm", "fargate.spot.vcpu_hour.x86"),
    "fargate.gb_hour.x86": ("fargate.gb_hour.arm", "fargate.spot.gb_hour.x86"),
}
# Commitments: the on-demand rate prefixes of the line items each could cover, the prefix of the catalog key that
# names the committed rate of the same instance class or Fargate dimension (an effective hourly rate, e.g.
# elasticache.node_hour.redis.cache.r6g.large -> elasticache.ri_1y_no_upfront_hour.redis.cache.r6g.large), and the
# key of a region-wide 1-year no-upfront discount, used where no per-class rate is sourced.
COMMITMENTS = (
    ("Compute Savings Plan, 1 year, no upfront (Fargate)",
     {"fargate.vcpu_hour.": "fargate.compute_sp_1y_no_upfront.vcpu_hour.",
      "fargate.gb_hour.": "fargate.compute_sp_1y_no_upfront.gb_hour."}, "savings.compute_sp_1y_no_upfront"),
    ("RDS Reserved Instances, 1 year, no upfront", {"rds.instance_hour.": "rds.ri_1y_no_upfront_hour."},
     "savings.rds_ri_1y_no_upfront"),
    ("ElastiCache reserved nodes, 1 year, no upfront",
     {"elasticache.node_hour.": "elasticache.ri_1y_no_upfront_hour."}, "savings.elasticache_ri_1y_no_upfront"),
)


@dataclass
class Saving:
    """One option: what it applies to, the monthly cost today and with the option, and on what rates."""

    option: str
    applies_to: str
    current: float
    alternative: float | None
    basis: str  # "sourced", "proxy" (some rates are declared proxies) or "not priced"
    note: str = ""

    @property
    def saving(self) -> float | None:
        return None if self.alternative is None else self.current - self.alternative

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {"option": self.option, "applies_to": self.applies_to, "current": round(self.current, 2),
                "alternative": None if self.alternative is None else round(self.alternative, 2),
                "saving": None if self.saving is None else round(self.saving, 2), "basis": self.basis,
                "note": self.note}


def _cost(item: LineItem) -> float:
    return (item.monthly if item.counted else item.proxy_monthly) or 0.0


def _price(catalog: Catalog, region: str, key: str) -> tuple[float, bool] | None:
    """(price, sourced?) of ``key`` in ``region``: the catalog rate, else its proxy."""
    found = catalog.lookup(region, key).rate
    if found is not None:
        return found.price, True
    proxy = catalog.proxy(region, key)
    return (proxy.price, False) if proxy else None


def _alternative(report: CostReport, catalog: Catalog, which: int, option: str, note: str) -> Saving | None:
    current = alternative = 0.0
    sourced = True
    services: set[str] = set()
    for item in report.items:
        keys = FARGATE_ALTERNATIVES.get(item.rate)
        if not keys or item.status not in ("priced", "unknown") or _cost(item) == 0.0:
            continue
        price = _price(catalog, item.region, keys[which])
        if price is None:
            return Saving(option, "on-demand Fargate tasks", _cost(item), None, "not priced",
                          f"no rate or proxy for {keys[which]} in {item.region}")
        current += _cost(item)
        alternative += item.quantity * price[0]
        sourced = sourced and price[1] and item.counted
        services.add(f"{item.stack}/{item.resource}")
    if not services:
        return None
    return Saving(option, f"{len(services)} on-demand Fargate service(s)/job(s)", current, alternative,
                  "sourced" if sourced else "proxy", note)


def savings(report: CostReport, catalog: Catalog) -> list[Saving]:
    """The savings options for ``report``'s environment, at catalog rates."""
    out: list[Saving] = []
    graviton = _alternative(report, catalog, 0, "Graviton (arm64) Fargate tasks",
                            "needs arm64 (or multi-arch) images; the databases and caches already run on Graviton "
                            "classes (t4g, r6g) where moorage chooses them")
    spot = _alternative(report, catalog, 1, "Fargate Spot",
                        "only for interruption-tolerant work (workers, jobs, extra replicas): Spot tasks can be "
                        "stopped with two minutes' notice; Spot prices move with spare capacity")
    out += [s for s in (graviton, spot) if s is not None]
    for option, renames, key in COMMITMENTS:
        covered = [i for i in report.items if i.rate.startswith(tuple(renames)) and ".spot." not in i.rate and _cost(i)]
        if covered:
            out.append(_commitment(report, catalog, option, renames, key, covered))
    return out


def committed_key(rate: str, renames: dict[str, str]) -> str:
    """The catalog key of the committed (1-year no-upfront) rate that would replace on-demand ``rate``."""
    prefix = next(p for p in renames if rate.startswith(p))
    return renames[prefix] + rate[len(prefix):]


def _commitment(report: CostReport, catalog: Catalog, option: str, renames: dict[str, str], key: str,
                covered: list[LineItem]) -> Saving:
    """One commitment over ``covered``: each item at its class's sourced committed rate, else the region's sourced
    discount, else not estimated. Committed rates are never proxied: a commitment nobody sourced is not guessed."""
    discount = catalog.lookup(report.region, key).rate
    current = alternative = 0.0
    priced: list[LineItem] = []
    sources: list[str] = []
    # items compare by value (two repositories can give equal lines): the rest is found by identity
    for item in covered:
        rate = catalog.lookup(item.region, committed_key(item.rate, renames)).rate
        if rate is not None:
            alternative += item.quantity * rate.price
            found = f"{rate.key} ${rate.price:g}/h ({rate.source})"
        elif discount is not None:
            alternative += _cost(item) * (1 - discount.price)
            found = f"{discount.price:.0%} off on-demand ({discount.source})"
        else:
            continue
        current += _cost(item)
        priced.append(item)
        if found not in sources:
            sources.append(found)
    rest = [i for i in covered if not any(i is p for p in priced)]
    if not priced:
        return Saving(option, f"{len(covered)} line item(s)", sum(_cost(i) for i in covered), None, "not priced",
                      "no sourced 1-year no-upfront rate for this region in the catalog: the discount is not guessed "
                      "(the Price List publishes it; moorage has no sourced copy)")
    note = "; ".join(sources)
    if rest:
        note += (f"; {len(rest)} more line item(s) (${sum(_cost(i) for i in rest):,.2f}/month) have no sourced "
                 "1-year no-upfront rate: not estimated")
    basis = "sourced" if all(i.counted for i in priced) else "proxy"
    return Saving(option, f"{len(priced)} of {len(covered)} line item(s)", current, alternative, basis, note)
