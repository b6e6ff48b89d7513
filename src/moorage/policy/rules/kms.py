"""KMS keys."""

from __future__ import annotations

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN
from moorage.policy.checks import Outcome, issue, rule
from moorage.policy.rules.common import public_grants, retains


@rule("MOO-KMS-001")
def rotation(r: Resource) -> Outcome:
    if r.value("KeySpec") not in (None, "SYMMETRIC_DEFAULT") or r.value("KeyUsage") not in (None, "ENCRYPT_DECRYPT"):
        return None  # asymmetric and HMAC keys cannot rotate automatically
    if r.flag("EnableKeyRotation") or r.value("EnableKeyRotation") is UNKNOWN:
        return []
    return [issue("EnableKeyRotation is not true", "Properties")]


@rule("MOO-KMS-002")
def policy_not_public(r: Resource) -> Outcome:
    return [issue(g, "Properties", "KeyPolicy") for g in public_grants(r.get("KeyPolicy"))]


@rule("MOO-KMS-003")
def retained(r: Resource) -> Outcome:
    return [issue(f"{p}: data encrypted with the key becomes unreadable") for p in retains(r)]
