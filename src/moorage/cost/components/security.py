"""Security services: Secrets Manager secrets, KMS keys, WAF web ACLs, SSM parameters, private CAs."""

from __future__ import annotations

from moorage.cost.context import PricingContext, Resource
from moorage.cost.model import LineItem

# AWS managed rule groups with a subscription and request fee on top of the rule price.
PAID_RULE_GROUPS = {"AWSManagedRulesBotControlRuleSet", "AWSManagedRulesATPRuleSet", "AWSManagedRulesACFPRuleSet",
                    "AWSManagedRulesAntiDDoSRuleSet"}


def price_secret(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A secret: per secret per month, plus API calls (each replica region is another secret)."""
    calls, assumed = ctx.use("secret_api_calls", res)
    replicas = res.prop("ReplicaRegions")
    count = 1 + (len(replicas) if isinstance(replicas, list) else 0)
    return [ctx.charge(res, "secret", count, "secret-month", "secretsmanager.secret_month",
                       note=f"{count - 1} replica(s)" if count > 1 else ""),
            ctx.charge(res, "Secrets Manager API calls", calls / 10000.0, "10,000 calls", "secretsmanager.api_10k",
                       assumption=assumed)]


def price_kms_key(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A customer managed KMS key: per key per month, plus requests."""
    requests, assumed = ctx.use("kms_requests", res)
    return [ctx.charge(res, "KMS customer managed key", 1.0, "key-month", "kms.key_month"),
            ctx.charge(res, "KMS requests", requests / 10000.0, "10,000 requests", "kms.requests_10k",
                       assumption=assumed)]


def price_web_acl(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A WAF web ACL: per ACL and per rule (a rule group counts as one rule) per month, plus requests."""
    rules = res.prop("Rules") or []
    rules = rules if isinstance(rules, list) else []
    requests, assumed = ctx.use("requests_per_month", res)
    items = [ctx.charge(res, "WAF web ACL", 1.0, "ACL-month", "waf.web_acl_month"),
             ctx.charge(res, f"WAF rules ({len(rules)})", float(len(rules)), "rule-month", "waf.rule_month"),
             ctx.charge(res, "WAF requests inspected", requests / 1e6, "million requests", "waf.requests_million",
                        assumption=assumed)]
    for rule in rules:
        group = ((rule.get("Statement") or {}).get("ManagedRuleGroupStatement") or {}) if isinstance(rule, dict) else {}
        if group.get("Name") in PAID_RULE_GROUPS:
            items.append(ctx.unknown(res, f"{group['Name']} subscription",
                                     "not priced: paid managed rule group fees are not in the catalog"))
    return items


def price_ssm_parameter(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """SSM parameters: the standard tier is free; advanced parameters bill per parameter per month."""
    if str(res.prop("Tier", "Standard")) == "Standard":
        return [ctx.free(res, "standard-tier parameters have no charge")]
    return [ctx.charge(res, "advanced parameter", 1.0, "parameter-month", "ssm.advanced_parameter_month")]


def price_certificate(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """ACM: public certificates are free; private ones bill through AWS Private CA."""
    if res.props.get("CertificateAuthorityArn") is not None:
        return [ctx.unknown(res, "private certificate", "not priced: AWS Private CA rates are not in the catalog")]
    return [ctx.free(res, "public ACM certificates have no charge")]


# The resource types this module prices (collected by moorage.cost.components).
PRICERS = {
    "AWS::SecretsManager::Secret": price_secret,
    "AWS::KMS::Key": price_kms_key,
    "AWS::WAFv2::WebACL": price_web_acl,
    "AWS::SSM::Parameter": price_ssm_parameter,
    "AWS::CertificateManager::Certificate": price_certificate,
}
