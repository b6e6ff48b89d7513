"""Application / Network Load Balancers and their listeners."""

from __future__ import annotations

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN, as_list, dig
from moorage.policy.checks import Outcome, issue, params, rule
from moorage.policy.rules.common import application_lb, attribute_on, internet_facing

WAF_ASSOCIATIONS = ("AWS::WAFv2::WebACLAssociation", "AWS::WAFRegional::WebACLAssociation")


def _listener_lb(r: Resource) -> Resource | None:
    return r.target(r.get("LoadBalancerArn"))


@rule("MOO-ELB-001")
def http_redirects(r: Resource) -> Outcome:
    if r.value("Protocol") != "HTTP":
        return None
    lb = _listener_lb(r)
    if lb is None or not internet_facing(lb):
        return None
    for action in as_list(r.get("DefaultActions")):
        if r.resolve(dig(action, "Type")) == "redirect" and \
                r.resolve(dig(action, "RedirectConfig", "Protocol")) in ("HTTPS", "#{protocol}", UNKNOWN):
            return []
    return [issue(f"port {r.value('Port')} serves plain HTTP to the internet instead of redirecting to HTTPS",
                  "Properties", "DefaultActions")]


@rule("MOO-ELB-002")
def modern_tls(r: Resource) -> Outcome:
    if r.value("Protocol") not in ("HTTPS", "TLS"):
        return None
    policy = r.value("SslPolicy")
    prefixes = tuple(params("MOO-ELB-002")["prefixes"])
    if policy is UNKNOWN or (isinstance(policy, str) and policy.startswith(prefixes)):
        return []
    shown = policy or "unset (ELBSecurityPolicy-2016-08, which allows TLS 1.0)"
    return [issue(f"SslPolicy is {shown}", "Properties")]


def _alb_on_internet(r: Resource) -> bool:
    return application_lb(r) and internet_facing(r) is not False


@rule("MOO-ELB-003")
def waf_attached(r: Resource) -> Outcome:
    if not _alb_on_internet(r):
        return None
    for association in r.referrers(*WAF_ASSOCIATIONS):
        target = association.target(association.get("ResourceArn"))
        if target is not None and target.key == r.key:
            return []
    return [issue("no WAF web ACL is associated with this internet-facing load balancer")]


def _attribute(r: Resource, key: str, what: str) -> Outcome:
    if not application_lb(r) and key.startswith("routing.http"):
        return None
    on = attribute_on(r, key)
    return [issue(f"{what} ({key} is not true)", "Properties")] if on is False else []


@rule("MOO-ELB-004")
def drop_invalid_headers(r: Resource) -> Outcome:
    return _attribute(r, "routing.http.drop_invalid_header_fields.enabled", "invalid headers are passed on")


@rule("MOO-ELB-005")
def access_logs(r: Resource) -> Outcome:
    return _attribute(r, "access_logs.s3.enabled", "no access logs")


@rule("MOO-ELB-006")
def deletion_protection(r: Resource) -> Outcome:
    return _attribute(r, "deletion_protection.enabled", "deletion protection is off")
