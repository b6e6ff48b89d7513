"""S3 buckets and bucket policies."""

from __future__ import annotations

from collections.abc import Mapping

from moorage.cfn.index import Resource
from moorage.cfn.values import UNKNOWN, as_bool, as_list, dig, is_intrinsic
from moorage.policy.checks import Outcome, issue, rule
from moorage.policy.rules.common import allows, public_grants, statements

BLOCK_FLAGS = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
PUBLIC_ACLS = ("PublicRead", "PublicReadWrite", "AuthenticatedRead")
LOG_WRITERS = ("AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancing::LoadBalancer",
               "AWS::S3::Bucket", "AWS::CloudFront::Distribution", "AWS::CloudTrail::Trail", "AWS::EC2::FlowLog")


def receives_logs(bucket: Resource) -> bool:
    """True when a load balancer, another bucket, a distribution, a trail or a flow log writes logs here."""
    for other in bucket.referrers(*LOG_WRITERS):
        if other.type == "AWS::S3::Bucket":
            target = other.target(other.get("LoggingConfiguration", "DestinationBucketName"))
            if target is not None and target.key == bucket.key:
                return True
        else:
            return True
    return False


def bucket_policies(bucket: Resource) -> list[Resource]:
    """The bucket policies attached to ``bucket`` in the set."""
    return [p for p in bucket.referrers("AWS::S3::BucketPolicy")
            if (t := p.target(p.get("Bucket"))) is not None and t.key == bucket.key]


@rule("MOO-S3-001")
def block_public_access(r: Resource) -> Outcome:
    config = r.get("PublicAccessBlockConfiguration")
    if config is None or is_intrinsic(config):
        return []  # absent: new buckets block all public access by default (since April 2023)
    off = [k for k in BLOCK_FLAGS if r.value("PublicAccessBlockConfiguration", k) is not UNKNOWN
           and r.flag("PublicAccessBlockConfiguration", k) is not True]
    return [issue(f"public access is not fully blocked: {', '.join(off)} off", "Properties",
                  "PublicAccessBlockConfiguration")] if off else []


@rule("MOO-S3-002")
def no_public_acl(r: Resource) -> Outcome:
    acl = r.value("AccessControl")
    return [issue(f"canned ACL {acl} makes objects public", "Properties", "AccessControl")] \
        if acl in PUBLIC_ACLS else []


@rule("MOO-S3-003")
def policy_not_public(r: Resource) -> Outcome:
    return [issue(g, "Properties", "PolicyDocument") for g in public_grants(r.get("PolicyDocument"))]


@rule("MOO-S3-004")
def default_encryption(r: Resource) -> Outcome:
    rules = r.get("BucketEncryption", "ServerSideEncryptionConfiguration")
    if rules is None:
        return [issue("no BucketEncryption: default encryption is not set explicitly", "Properties")]
    return []


def _denies_plain_http(statement: Mapping[str, object]) -> bool:
    if allows(statement):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            if str(key).lower() == "aws:securetransport" and str(operator).lower().startswith("bool") and \
                    as_bool(value[0] if isinstance(value, list) and value else value) is False:
                return True
            if str(key).lower() == "s3:tlsversion" and str(operator).lower().startswith("numericlessthan"):
                return True
    return False


@rule("MOO-S3-005")
def tls_only(r: Resource) -> Outcome:
    for policy in bucket_policies(r):
        if any(_denies_plain_http(st) for _, st in statements(policy.get("PolicyDocument"))):
            return []
    return [issue("no bucket policy denies requests without TLS (aws:SecureTransport false)")]


@rule("MOO-S3-006")
def customer_managed_key(r: Resource) -> Outcome:
    if receives_logs(r):
        return None  # log delivery writes with SSE-S3 only
    for i, enc in enumerate(as_list(r.get("BucketEncryption", "ServerSideEncryptionConfiguration"))):
        default = dig(enc, "ServerSideEncryptionByDefault")
        algorithm = r.resolve(dig(default, "SSEAlgorithm"))
        key = dig(default, "KMSMasterKeyID")
        if algorithm in ("aws:kms", "aws:kms:dsse") and key is not None and r.resolve(key) != "alias/aws/s3":
            return []
        return [issue(f"encrypted with {algorithm or 'the default'}, not a customer-managed KMS key", "Properties",
                      "BucketEncryption", "ServerSideEncryptionConfiguration", i)]
    return [issue("not encrypted with a customer-managed KMS key")]


@rule("MOO-S3-007")
def versioning(r: Resource) -> Outcome:
    status = r.value("VersioningConfiguration", "Status")
    if status is UNKNOWN or status == "Enabled":
        return []
    return [issue(f"versioning is {status or 'off'}", "Properties", "VersioningConfiguration")]


@rule("MOO-S3-008")
def lifecycle(r: Resource) -> Outcome:
    rules = r.get("LifecycleConfiguration", "Rules")
    return [] if rules else [issue("no lifecycle rules", "Properties")]


@rule("MOO-S3-009")
def acls_disabled(r: Resource) -> Outcome:
    owners = [r.resolve(dig(x, "ObjectOwnership")) for x in as_list(r.get("OwnershipControls", "Rules"))]
    if "BucketOwnerEnforced" in owners or UNKNOWN in owners:
        return []
    return [issue(f"ACLs are enabled (ObjectOwnership {owners[0] if owners else 'not set'})", "Properties")]


@rule("MOO-S3-010")
def access_logging(r: Resource) -> Outcome:
    if receives_logs(r):
        return None
    if r.get("LoggingConfiguration") is not None:
        return []
    return [issue("no server access logging (LoggingConfiguration)", "Properties")]
