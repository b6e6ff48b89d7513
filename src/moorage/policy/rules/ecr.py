"""ECR repositories."""

from __future__ import annotations

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN
from moorage.policy.checks import Outcome, issue, rule
from moorage.policy.rules.common import public_grants


@rule("MOO-ECR-001")
def scan_on_push(r: Resource) -> Outcome:
    flag = r.flag("ImageScanningConfiguration", "ScanOnPush")
    if flag or r.value("ImageScanningConfiguration", "ScanOnPush") is UNKNOWN:
        return []
    return [issue("images are not scanned on push", "Properties")]


@rule("MOO-ECR-002")
def lifecycle(r: Resource) -> Outcome:
    if r.get("LifecyclePolicy", "LifecyclePolicyText") is not None:
        return []
    return [issue("no lifecycle policy: every image is kept", "Properties")]


@rule("MOO-ECR-003")
def immutable_tags(r: Resource) -> Outcome:
    mode = r.value("ImageTagMutability")
    if mode is UNKNOWN or (isinstance(mode, str) and mode.startswith("IMMUTABLE")):
        return []
    return [issue(f"image tags are {str(mode or 'MUTABLE').lower()}", "Properties")]


@rule("MOO-ECR-004")
def policy_not_public(r: Resource) -> Outcome:
    return [issue(g, "Properties", "RepositoryPolicyText") for g in public_grants(r.get("RepositoryPolicyText"))]
