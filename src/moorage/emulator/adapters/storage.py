"""Where data lives: S3 buckets (every configuration CloudFormation sets), ECR repositories, CloudWatch
log groups (retention, KMS key) and EFS access points."""

from __future__ import annotations

import json
from typing import Any

from moorage.emulator.adapters.base import ApiResource, changed, short_name, tags, without
from moorage.emulator.shapes import api_kwargs


def _true(value: Any) -> bool:
    return str(value).lower() == "true"


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """One CloudFormation lifecycle rule as the API's rule."""
    out: dict[str, Any] = {"Status": str(rule.get("Status", "Enabled"))}
    if rule.get("Id"):
        out["ID"] = str(rule["Id"])
    out["Filter"] = {"Prefix": str(rule["Prefix"])} if "Prefix" in rule else {"Prefix": ""}
    if "ExpirationInDays" in rule:
        out["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    transitions = list(rule.get("Transitions") or []) + ([rule["Transition"]] if "Transition" in rule else [])
    if transitions:
        out["Transitions"] = [{"Days": int(t["TransitionInDays"]), "StorageClass": str(t["StorageClass"])}
                              for t in transitions]
    old = rule.get("NoncurrentVersionExpiration") or (
        {"NoncurrentDays": rule["NoncurrentVersionExpirationInDays"]}
        if "NoncurrentVersionExpirationInDays" in rule else None)
    if old:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(old["NoncurrentDays"])}
    if rule.get("AbortIncompleteMultipartUpload"):
        days = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        out["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(days)}
    return out


def _replication(config: dict[str, Any]) -> dict[str, Any]:
    rules = []
    for i, rule in enumerate(config.get("Rules") or []):
        dest = dict(rule["Destination"])
        out: dict[str, Any] = {"ID": str(rule.get("Id", f"rule-{i}")), "Status": str(rule.get("Status", "Enabled")),
                               "Priority": int(rule.get("Priority", i)), "Destination": dest,
                               "Filter": rule.get("Filter") or {"Prefix": str(rule.get("Prefix", ""))},
                               "DeleteMarkerReplication": rule.get("DeleteMarkerReplication") or {"Status": "Disabled"}}
        if rule.get("SourceSelectionCriteria"):
            out["SourceSelectionCriteria"] = rule["SourceSelectionCriteria"]
        rules.append(out)
    return {"Role": str(config["Role"]), "Rules": rules}


class Bucket(ApiResource):
    """``AWS::S3::Bucket``: Ref is the bucket name; attributes Arn, DomainName, RegionalDomainName,
    DualStackDomainName, WebsiteURL. moto's native model applies only encryption and tags."""

    TYPE = "AWS::S3::Bucket"
    SERVICE = "s3"
    NAME_PROPERTY = "BucketName"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        bucket = name if "BucketName" in props else short_name(name, 63, lower=True)
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        client.create_bucket(**kwargs)
        cls._configure(client, bucket, props, {})
        return bucket, {"Arn": f"arn:aws:s3:::{bucket}", "DomainName": f"{bucket}.s3.amazonaws.com",
                        "RegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
                        "DualStackDomainName": f"{bucket}.s3.dualstack.{region}.amazonaws.com",
                        "WebsiteURL": f"http://{bucket}.s3-website-{region}.amazonaws.com"}

    @staticmethod
    def _configure(client: Any, bucket: str, props: dict[str, Any], old: dict[str, Any]) -> None:
        """Apply every configuration of ``props``, removing those ``old`` had and ``props`` has not."""
        def gone(key: str) -> bool:
            return key in old and key not in props

        if props.get("BucketEncryption"):
            rules = [{"ApplyServerSideEncryptionByDefault" if k == "ServerSideEncryptionByDefault" else k: v
                      for k, v in rule.items()}
                     for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]]
            client.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=api_kwargs(
                client, "PutBucketEncryption", {"ServerSideEncryptionConfiguration": {"Rules": rules}})[
                "ServerSideEncryptionConfiguration"])
        elif gone("BucketEncryption"):
            client.delete_bucket_encryption(Bucket=bucket)
        if props.get("VersioningConfiguration"):
            client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={
                "Status": str(props["VersioningConfiguration"]["Status"])})
        elif gone("VersioningConfiguration"):
            client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
        if props.get("LifecycleConfiguration"):
            rules = [_lifecycle_rule(r) for r in props["LifecycleConfiguration"].get("Rules", [])]
            client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
        elif gone("LifecycleConfiguration"):
            client.delete_bucket_lifecycle(Bucket=bucket)
        if props.get("CorsConfiguration"):
            rules = [{**without(r, "Id", "MaxAge"), **({"MaxAgeSeconds": int(r["MaxAge"])} if "MaxAge" in r else {})}
                     for r in props["CorsConfiguration"]["CorsRules"]]
            client.put_bucket_cors(Bucket=bucket, CORSConfiguration=api_kwargs(
                client, "PutBucketCors", {"CORSConfiguration": {"CORSRules": rules}})["CORSConfiguration"])
        elif gone("CorsConfiguration"):
            client.delete_bucket_cors(Bucket=bucket)
        if props.get("PublicAccessBlockConfiguration"):
            client.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
                k: _true(v) for k, v in props["PublicAccessBlockConfiguration"].items()})
        elif gone("PublicAccessBlockConfiguration"):
            client.delete_public_access_block(Bucket=bucket)
        if props.get("OwnershipControls"):
            client.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls=props["OwnershipControls"])
        elif gone("OwnershipControls"):
            client.delete_bucket_ownership_controls(Bucket=bucket)
        logging = props.get("LoggingConfiguration")
        if logging is not None or gone("LoggingConfiguration"):
            status: dict[str, Any] = {}
            if logging:
                status["LoggingEnabled"] = {"TargetBucket": str(logging.get("DestinationBucketName", bucket)),
                                            "TargetPrefix": str(logging.get("LogFilePrefix", ""))}
            client.put_bucket_logging(Bucket=bucket, BucketLoggingStatus=status)
        if props.get("ReplicationConfiguration"):
            client.put_bucket_replication(Bucket=bucket,
                                          ReplicationConfiguration=_replication(props["ReplicationConfiguration"]))
        elif gone("ReplicationConfiguration"):
            client.delete_bucket_replication(Bucket=bucket)
        if props.get("Tags"):
            client.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags(props)})
        elif gone("Tags"):
            client.delete_bucket_tagging(Bucket=bucket)

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if changed(old, props, "BucketName", "ObjectLockEnabled"):
            return None
        cls._configure(client, old.physical_id, props, old.props)
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_bucket(Bucket=self.physical_id)  # fails when not empty, as on AWS


class Repository(ApiResource):
    """``AWS::ECR::Repository``: Ref is the name; attributes Arn and RepositoryUri."""

    TYPE = "AWS::ECR::Repository"
    SERVICE = "ecr"
    NAME_PROPERTY = "RepositoryName"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        repo_name = name if "RepositoryName" in props else short_name(name, 256, lower=True)
        kwargs = api_kwargs(client, "CreateRepository",
                            without(props, "Tags", "LifecyclePolicy", "RepositoryPolicyText", "EmptyOnDelete"),
                            extra={"repositoryName": repo_name})
        if props.get("Tags"):
            kwargs["tags"] = tags(props)
        repo = client.create_repository(**kwargs)["repository"]
        cls._policies(client, repo_name, props, {})
        return repo_name, {"Arn": repo["repositoryArn"], "RepositoryUri": repo["repositoryUri"]}

    @staticmethod
    def _policies(client: Any, repo: str, props: dict[str, Any], old: dict[str, Any]) -> None:
        lifecycle = (props.get("LifecyclePolicy") or {}).get("LifecyclePolicyText")
        if lifecycle:
            client.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=str(lifecycle))
        elif (old.get("LifecyclePolicy") or {}).get("LifecyclePolicyText"):
            client.delete_lifecycle_policy(repositoryName=repo)
        policy = props.get("RepositoryPolicyText")
        if policy:
            client.set_repository_policy(repositoryName=repo,
                                         policyText=policy if isinstance(policy, str) else json.dumps(policy))
        elif old.get("RepositoryPolicyText"):
            client.delete_repository_policy(repositoryName=repo)

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if changed(old, props, "RepositoryName", "EncryptionConfiguration"):
            return None
        scan = props.get("ImageScanningConfiguration") or {}
        client.put_image_scanning_configuration(repositoryName=old.physical_id, imageScanningConfiguration={
            "scanOnPush": _true(scan.get("ScanOnPush", False))})
        client.put_image_tag_mutability(repositoryName=old.physical_id,
                                        imageTagMutability=str(props.get("ImageTagMutability", "MUTABLE")))
        cls._policies(client, old.physical_id, props, old.props)
        return old.attributes

    def remove(self, client: Any) -> None:
        # As on AWS: a repository holding images is deleted only with EmptyOnDelete.
        client.delete_repository(repositoryName=self.physical_id, force=_true(self.props.get("EmptyOnDelete")))


class LogGroup(ApiResource):
    """``AWS::Logs::LogGroup``: Ref is the name; attribute Arn; retention and KMS key applied and updated."""

    TYPE = "AWS::Logs::LogGroup"
    SERVICE = "logs"
    NAME_PROPERTY = "LogGroupName"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        group = name if "LogGroupName" in props else short_name(name, 512)
        kwargs: dict[str, Any] = {"logGroupName": group}
        if props.get("KmsKeyId"):
            kwargs["kmsKeyId"] = str(props["KmsKeyId"])
        if props.get("LogGroupClass"):
            kwargs["logGroupClass"] = str(props["LogGroupClass"])
        if props.get("Tags"):
            kwargs["tags"] = {t["Key"]: t["Value"] for t in tags(props)}
        client.create_log_group(**kwargs)
        if props.get("RetentionInDays"):
            client.put_retention_policy(logGroupName=group, retentionInDays=int(props["RetentionInDays"]))
        arn = client.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"]
        return group, {"Arn": arn}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if changed(old, props, "LogGroupName", "LogGroupClass"):
            return None
        if props.get("RetentionInDays"):
            client.put_retention_policy(logGroupName=old.physical_id, retentionInDays=int(props["RetentionInDays"]))
        elif old.props.get("RetentionInDays"):
            client.delete_retention_policy(logGroupName=old.physical_id)
        if props.get("KmsKeyId") and props.get("KmsKeyId") != old.props.get("KmsKeyId"):
            client.associate_kms_key(logGroupName=old.physical_id, kmsKeyId=str(props["KmsKeyId"]))
        elif old.props.get("KmsKeyId") and not props.get("KmsKeyId"):
            client.disassociate_kms_key(logGroupName=old.physical_id)
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_log_group(logGroupName=self.physical_id)


class AccessPoint(ApiResource):
    """``AWS::EFS::AccessPoint``: Ref is the access point id; attributes AccessPointId and Arn."""

    TYPE = "AWS::EFS::AccessPoint"
    SERVICE = "efs"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        kwargs = api_kwargs(client, "CreateAccessPoint", without(props, "AccessPointTags", "ClientToken"),
                            extra={"ClientToken": str(props.get("ClientToken") or short_name(name, 64)),
                                   "Tags": [{"Key": t["Key"], "Value": str(t["Value"])}
                                            for t in props.get("AccessPointTags") or []]})
        point = client.create_access_point(**kwargs)
        return str(point["AccessPointId"]), {"AccessPointId": point["AccessPointId"], "Arn": point["AccessPointArn"]}

    def remove(self, client: Any) -> None:
        client.delete_access_point(AccessPointId=self.physical_id)
