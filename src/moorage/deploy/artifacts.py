"""The artifacts bucket: templates over CloudFormation's inline limit (51,200 bytes) go through S3 (under
``templates/``, expired after 30 days); release records live under ``releases/`` and are kept."""

from __future__ import annotations

from botocore.exceptions import ClientError

from moorage.deploy.session import Target


def artifacts_bucket(target: Target, region: str, tags: dict[str, str]) -> str:
    """The name of the account's moorage artifacts bucket in ``region``, created if missing."""
    account = target.client("sts", region).get_caller_identity()["Account"]
    name = f"moorage-artifacts-{account}-{region}"
    s3 = target.client("s3", region)
    try:
        s3.head_bucket(Bucket=name)
        return name
    except ClientError:
        pass
    kwargs: dict[str, object] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
        {"ID": "expire-templates", "Status": "Enabled", "Filter": {"Prefix": "templates/"},
         "Expiration": {"Days": 30}}]})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v}
                                                           for k, v in sorted(tags.items())
                                                           if k in ("moorage:app", "moorage:version")]})
    return name


def upload_template(target: Target, region: str, key: str, body: str, tags: dict[str, str]) -> str:
    """Upload a template and return the URL CloudFormation reads it from."""
    bucket = artifacts_bucket(target, region, tags)
    key = f"templates/{key}"
    target.client("s3", region).put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType="application/json")
    # The emulator reads TemplateURL the way CloudFormation does: the virtual-hosted S3 address.
    return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"
