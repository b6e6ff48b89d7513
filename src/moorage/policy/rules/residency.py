"""Data residency and regional availability: where data is stored and copied, and what a region offers."""

from __future__ import annotations

from cfnlint.helpers import REGIONS

from moorage.cfn.index import Resource
from moorage.data.aws import resource_available
from moorage.policy.checks import Outcome, issue, rule
from moorage.policy.residency import describe_region, destinations, stores_data


def _allowed(r: Resource) -> str:
    return ", ".join(r.index.residency)


@rule("MOO-RES-001")
def stored_in_residency(r: Resource) -> Outcome:
    if not stores_data(r.type):
        return None
    if r.region in r.index.residency:
        return []
    return [issue(f"{r.type} stores data in {describe_region(r.region)}, outside the residency ({_allowed(r)})")]


@rule("MOO-RES-002")
def copies_in_residency(r: Resource) -> Outcome:
    found = [(d, d.region) for d in destinations(r) if d.region is not None and d.region != r.region]
    if not found:
        return None  # copies in the resource's own region: MOO-RES-001 judges that region
    return [issue(f"{d.what} in {describe_region(region)} is outside the residency ({_allowed(r)})"
                  + (f": {d.target}" if d.target and d.target != region else ""), *d.path)
            for d, region in found if region not in r.index.residency]


@rule("MOO-RES-003")
def no_edge_caching(r: Resource) -> Outcome:
    return [issue(f"CloudFront caches and logs responses at edge locations outside the residency ({_allowed(r)})")]


@rule("MOO-RES-004")
def destinations_located(r: Resource) -> Outcome:
    found = destinations(r)
    if not found:
        return None
    return [issue(f"cannot tell the region of the {d.what} {d.target}", *d.path) for d in found if d.region is None]


@rule("MOO-RES-005")
def offered_in_region(r: Resource) -> Outcome:
    if not r.type.startswith("AWS::") or r.region not in REGIONS:
        return None
    if resource_available(r.region, r.type):
        return []
    return [issue(f"{r.type} is not offered in {describe_region(r.region)}")]
