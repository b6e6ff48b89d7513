"""WAF web ACLs."""

from __future__ import annotations

from moorage.cfn.index import Resource
from moorage.cfn.values import as_list, dig, walk
from moorage.policy.checks import Outcome, issue, rule


@rule("MOO-WAF-001")
def managed_rules(r: Resource) -> Outcome:
    for rule_ in as_list(r.get("Rules")):
        for _, node in walk(dig(rule_, "Statement")):
            if isinstance(node, dict) and "ManagedRuleGroupStatement" in node and \
                    r.resolve(dig(node, "ManagedRuleGroupStatement", "VendorName")) == "AWS":
                return []
    return [issue("no AWS managed rule group in the web ACL", "Properties")]


@rule("MOO-WAF-002")
def logging(r: Resource) -> Outcome:
    for config in r.referrers("AWS::WAFv2::LoggingConfiguration"):
        target = config.target(config.get("ResourceArn"))
        if target is not None and target.key == r.key:
            return []
    return [issue("no WAFv2 LoggingConfiguration records this web ACL's decisions")]
