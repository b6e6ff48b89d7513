"""One small template per emulated type the planner emits beyond the examples' basics: deployed through
change sets on the real emulator (loopback moto server), verified with describe/get calls, updated, and
deleted."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

Aws = Callable[[str, str], Any]
R = "us-east-1"


def out(*pairs: tuple[str, Any]) -> dict[str, Any]:
    """Template outputs from (name, value) pairs."""
    return {name: {"Value": value} for name, value in pairs}


def att(logical: str, attribute: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [logical, attribute]}


def ref(logical: str) -> dict[str, Any]:
    return {"Ref": logical}


def test_kms_key_alias_and_encrypted_log_group(stacks: Any, aws: Aws) -> None:
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
        "AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]}
    tpl: dict[str, Any] = {"Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"Description": "app data", "EnableKeyRotation": True,
                                                         "KeyPolicy": policy}},
        "Alias": {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": "alias/app", "TargetKeyId": ref("Key")}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/app/web", "RetentionInDays": 7,
                                                                "KmsKeyId": att("Key", "Arn")}},
    }, "Outputs": out(("KeyId", ref("Key")), ("KeyArn", att("Key", "Arn")), ("Id", att("Key", "KeyId")),
                      ("Alias", ref("Alias")), ("LogsArn", att("Logs", "Arn")))}
    o = stacks.deploy("kms", tpl)
    kms, logs = aws("kms", R), aws("logs", R)
    meta = kms.describe_key(KeyId=o["KeyId"])["KeyMetadata"]
    assert meta["Arn"] == o["KeyArn"] and o["Id"] == o["KeyId"] and meta["Description"] == "app data"
    assert kms.get_key_rotation_status(KeyId=o["KeyId"])["KeyRotationEnabled"] is True
    assert json.loads(kms.get_key_policy(KeyId=o["KeyId"], PolicyName="default")["Policy"]) == policy
    assert o["Alias"] == "alias/app"
    assert [a["TargetKeyId"] for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/app"] == [o["KeyId"]]
    [group] = logs.describe_log_groups(logGroupNamePrefix="/app/web")["logGroups"]
    assert group["kmsKeyId"] == o["KeyArn"] and group["retentionInDays"] == 7
    assert o["LogsArn"].startswith(f"arn:aws:logs:{R}:123456789012:log-group:/app/web")
    # Update in place: description, rotation, retention.
    tpl["Resources"]["Key"]["Properties"].update(Description="app data v2", EnableKeyRotation=False)
    tpl["Resources"]["Logs"]["Properties"]["RetentionInDays"] = 30
    assert stacks.deploy("kms", tpl)["KeyId"] == o["KeyId"]
    assert kms.describe_key(KeyId=o["KeyId"])["KeyMetadata"]["Description"] == "app data v2"
    assert kms.get_key_rotation_status(KeyId=o["KeyId"])["KeyRotationEnabled"] is False
    assert logs.describe_log_groups(logGroupNamePrefix="/app/web")["logGroups"][0]["retentionInDays"] == 30
    stacks.delete("kms")
    assert kms.describe_key(KeyId=o["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/app"] == []
    assert logs.describe_log_groups(logGroupNamePrefix="/app/web")["logGroups"] == []


def test_ecr_repository_and_ssm_parameter(stacks: Any, aws: Aws) -> None:
    lifecycle = json.dumps({"rules": [{"rulePriority": 1, "selection": {
        "tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
        "action": {"type": "expire"}}]})
    tpl: dict[str, Any] = {"Resources": {
        "Repo": {"Type": "AWS::ECR::Repository", "Properties": {
            "RepositoryName": "shop/web", "ImageScanningConfiguration": {"ScanOnPush": True},
            "ImageTagMutability": "IMMUTABLE", "LifecyclePolicy": {"LifecyclePolicyText": lifecycle},
            "Tags": [{"Key": "team", "Value": "web"}]}},
        "Param": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/shop/web/url", "Type": "String",
                                                                 "Value": {"Fn::GetAtt": ["Repo", "RepositoryUri"]},
                                                                 "Tags": {"team": "web"}}},
    }, "Outputs": out(("Repo", ref("Repo")), ("Arn", att("Repo", "Arn")), ("Uri", att("Repo", "RepositoryUri")),
                      ("Param", ref("Param")), ("Value", att("Param", "Value")), ("Type", att("Param", "Type")))}
    o = stacks.deploy("ecr", tpl)
    ecr, ssm = aws("ecr", R), aws("ssm", R)
    [repo] = ecr.describe_repositories(repositoryNames=["shop/web"])["repositories"]
    assert o["Repo"] == "shop/web" and o["Arn"] == repo["repositoryArn"] and o["Uri"] == repo["repositoryUri"]
    assert repo["imageScanningConfiguration"]["scanOnPush"] is True and repo["imageTagMutability"] == "IMMUTABLE"
    assert json.loads(ecr.get_lifecycle_policy(repositoryName="shop/web")["lifecyclePolicyText"]) == json.loads(
        lifecycle)
    assert o["Param"] == "/shop/web/url" and o["Type"] == "String" and o["Value"] == repo["repositoryUri"]
    assert ssm.get_parameter(Name="/shop/web/url")["Parameter"]["Value"] == repo["repositoryUri"]
    tpl["Resources"]["Repo"]["Properties"]["ImageScanningConfiguration"]["ScanOnPush"] = False
    tpl["Resources"]["Param"]["Properties"]["Value"] = "changed"
    stacks.deploy("ecr", tpl)
    assert ecr.describe_repositories(repositoryNames=["shop/web"])["repositories"][0][
        "imageScanningConfiguration"]["scanOnPush"] is False
    assert ssm.get_parameter(Name="/shop/web/url")["Parameter"]["Value"] == "changed"
    stacks.delete("ecr")
    assert ecr.describe_repositories()["repositories"] == []
    assert ssm.describe_parameters()["Parameters"] == []


def test_route53_health_check(stacks: Any, aws: Aws) -> None:
    config = {"Type": "HTTPS", "FullyQualifiedDomainName": "app.example.com", "ResourcePath": "/health",
              "Port": 443, "RequestInterval": 30, "FailureThreshold": 3}
    tpl: dict[str, Any] = {"Resources": {"Check": {"Type": "AWS::Route53::HealthCheck", "Properties": {
        "HealthCheckConfig": config, "HealthCheckTags": [{"Key": "Name", "Value": "app"}]}}},
        "Outputs": out(("Id", ref("Check")), ("Att", att("Check", "HealthCheckId")))}
    o = stacks.deploy("hc", tpl)
    r53 = aws("route53", R)
    check = r53.get_health_check(HealthCheckId=o["Id"])["HealthCheck"]
    assert o["Att"] == o["Id"] and check["HealthCheckConfig"]["ResourcePath"] == "/health"
    assert check["HealthCheckConfig"]["FullyQualifiedDomainName"] == "app.example.com"
    config["ResourcePath"] = "/ready"
    assert stacks.deploy("hc", tpl)["Id"] == o["Id"]
    assert r53.get_health_check(HealthCheckId=o["Id"])["HealthCheck"]["HealthCheckConfig"]["ResourcePath"] == "/ready"
    stacks.delete("hc")
    assert r53.list_health_checks()["HealthChecks"] == []


def test_cognito_user_pool_client_and_domain(stacks: Any, aws: Aws) -> None:
    tpl: dict[str, Any] = {"Resources": {
        "Pool": {"Type": "AWS::Cognito::UserPool", "Properties": {
            "UserPoolName": "shop-users", "UsernameAttributes": ["email"], "AutoVerifiedAttributes": ["email"],
            "MfaConfiguration": "OFF", "Policies": {"PasswordPolicy": {"MinimumLength": 12, "RequireSymbols": True}},
            "UserPoolTags": {"app": "shop"}}},
        "Client": {"Type": "AWS::Cognito::UserPoolClient", "Properties": {
            "UserPoolId": ref("Pool"), "ClientName": "web", "GenerateSecret": True,
            "AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["openid", "email"],
            "AllowedOAuthFlowsUserPoolClient": True, "CallbackURLs": ["https://shop.example.com/callback"],
            "SupportedIdentityProviders": ["COGNITO"]}},
        "Domain": {"Type": "AWS::Cognito::UserPoolDomain", "Properties": {"UserPoolId": ref("Pool"),
                                                                          "Domain": "shop-auth"}},
    }, "Outputs": out(("Pool", ref("Pool")), ("Arn", att("Pool", "Arn")), ("Url", att("Pool", "ProviderURL")),
                      ("Provider", att("Pool", "ProviderName")), ("Client", ref("Client")),
                      ("Secret", att("Client", "ClientSecret")), ("Domain", ref("Domain")),
                      ("Cf", att("Domain", "CloudFrontDistribution")))}
    o = stacks.deploy("cognito", tpl)
    idp = aws("cognito-idp", R)
    pool = idp.describe_user_pool(UserPoolId=o["Pool"])["UserPool"]
    assert pool["Name"] == "shop-users" and pool["Arn"] == o["Arn"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert o["Url"] == f"https://cognito-idp.{R}.amazonaws.com/{o['Pool']}" and o["Url"].endswith(o["Provider"])
    app = idp.describe_user_pool_client(UserPoolId=o["Pool"], ClientId=o["Client"])["UserPoolClient"]
    assert app["ClientName"] == "web" and app["ClientSecret"] == o["Secret"] and app["AllowedOAuthFlows"] == ["code"]
    domain = idp.describe_user_pool_domain(Domain="shop-auth")["DomainDescription"]
    assert domain["UserPoolId"] == o["Pool"] and o["Domain"] == "shop-auth" and o["Cf"]
    tpl["Resources"]["Client"]["Properties"]["CallbackURLs"] = ["https://shop.example.com/cb2"]
    assert stacks.deploy("cognito", tpl)["Client"] == o["Client"]
    assert idp.describe_user_pool_client(UserPoolId=o["Pool"], ClientId=o["Client"])["UserPoolClient"][
        "CallbackURLs"] == ["https://shop.example.com/cb2"]
    stacks.delete("cognito")
    assert idp.list_user_pools(MaxResults=10)["UserPools"] == []


def test_cloudfront_distribution_with_origin_access_control(stacks: Any, aws: Aws) -> None:
    tpl: dict[str, Any] = {"Resources": {
        "Assets": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "shop-assets"}},
        "Oac": {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {"OriginAccessControlConfig": {
            "Name": "shop-assets", "OriginAccessControlOriginType": "s3", "SigningBehavior": "always",
            "SigningProtocol": "sigv4"}}},
        "Cache": {"Type": "AWS::CloudFront::CachePolicy", "Properties": {"CachePolicyConfig": {
            "Name": "shop", "DefaultTTL": 60, "MaxTTL": 600, "MinTTL": 0, "ParametersInCacheKeyAndForwardedToOrigin": {
                "EnableAcceptEncodingGzip": True, "CookiesConfig": {"CookieBehavior": "none"},
                "HeadersConfig": {"HeaderBehavior": "none"}, "QueryStringsConfig": {"QueryStringBehavior": "none"}}}}},
        "Cdn": {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": {
            "Enabled": True, "Comment": "shop", "Aliases": ["shop.example.com"], "HttpVersion": "http2",
            "IPV6Enabled": True, "PriceClass": "PriceClass_100", "DefaultRootObject": "index.html",
            "Origins": [{"Id": "assets", "DomainName": att("Assets", "RegionalDomainName"), "S3OriginConfig": {},
                         "OriginAccessControlId": att("Oac", "Id")},
                        {"Id": "api", "DomainName": "api.example.com", "CustomOriginConfig": {
                            "OriginProtocolPolicy": "https-only", "HTTPSPort": 443, "HTTPPort": 80,
                            "OriginSSLProtocols": ["TLSv1.2"]}}],
            "DefaultCacheBehavior": {"TargetOriginId": "assets", "ViewerProtocolPolicy": "redirect-to-https",
                                     "CachePolicyId": ref("Cache"), "Compress": True,
                                     "AllowedMethods": ["GET", "HEAD"], "CachedMethods": ["GET", "HEAD"]},
            "CacheBehaviors": [{"PathPattern": "/api/*", "TargetOriginId": "api",
                                "ViewerProtocolPolicy": "https-only",
                                "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
                                "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]}],
            "ViewerCertificate": {"AcmCertificateArn": f"arn:aws:acm:{R}:123456789012:certificate/abc",
                                  "SslSupportMethod": "sni-only", "MinimumProtocolVersion": "TLSv1.2_2021"},
            "Logging": {"Bucket": "shop-logs.s3.amazonaws.com", "Prefix": "cdn/"},
            "Restrictions": {"GeoRestriction": {"RestrictionType": "none"}}}}},
    }, "Outputs": out(("Id", ref("Cdn")), ("Domain", att("Cdn", "DomainName")), ("Oac", ref("Oac")),
                      ("Cache", att("Cache", "Id")))}
    o = stacks.deploy("cdn", tpl)
    cf = aws("cloudfront", R)
    dist = cf.get_distribution(Id=o["Id"])["Distribution"]
    assert dist["DomainName"] == o["Domain"] and o["Domain"].endswith(".cloudfront.net")
    config = dist["DistributionConfig"]
    assert config["Aliases"]["Items"] == ["shop.example.com"] and config["Comment"] == "shop"
    origins = {x["Id"]: x for x in config["Origins"]["Items"]}
    assert origins["assets"]["DomainName"] == f"shop-assets.s3.{R}.amazonaws.com"
    assert origins["assets"]["OriginAccessControlId"] == o["Oac"]
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == o["Cache"]
    assert config["ViewerCertificate"]["ACMCertificateArn"].endswith("certificate/abc")
    assert cf.get_origin_access_control(Id=o["Oac"])["OriginAccessControl"]["OriginAccessControlConfig"][
        "SigningBehavior"] == "always"
    tpl["Resources"]["Cdn"]["Properties"]["DistributionConfig"]["Comment"] = "shop v2"
    assert stacks.deploy("cdn", tpl)["Id"] == o["Id"]
    assert cf.get_distribution(Id=o["Id"])["Distribution"]["DistributionConfig"]["Comment"] == "shop v2"
    stacks.delete("cdn")
    assert cf.list_distributions()["DistributionList"].get("Items", []) == []


def test_waf_logging_configuration(stacks: Any, aws: Aws) -> None:
    tpl: dict[str, Any] = {"Resources": {
        "Acl": {"Type": "AWS::WAFv2::WebACL", "Properties": {
            "Name": "shop", "Scope": "REGIONAL", "DefaultAction": {"Allow": {}}, "VisibilityConfig": {
                "SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "shop"}}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "aws-waf-logs-shop"}},
        "WafLogs": {"Type": "AWS::WAFv2::LoggingConfiguration", "Properties": {
            "ResourceArn": att("Acl", "Arn"), "LogDestinationConfigs": [att("Logs", "Arn")],
            "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}]}},
    }, "Outputs": out(("Acl", att("Acl", "Arn")), ("Ref", ref("WafLogs")))}
    o = stacks.deploy("waf", tpl)
    waf = aws("wafv2", R)
    config = waf.get_logging_configuration(ResourceArn=o["Acl"])["LoggingConfiguration"]
    assert o["Ref"] == o["Acl"] and config["LogDestinationConfigs"][0].startswith(f"arn:aws:logs:{R}:")
    stacks.delete("waf")
    assert waf.list_logging_configurations(Scope="REGIONAL").get("LoggingConfigurations", []) == []


def test_secret_rotation_schedule(stacks: Any, aws: Aws) -> None:
    tpl: dict[str, Any] = {"Resources": {
        "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {
            "Name": "shop/db", "GenerateSecretString": {"SecretStringTemplate": "{\"username\": \"app\"}",
                                                       "GenerateStringKey": "password", "PasswordLength": 24}}},
        "Rotation": {"Type": "AWS::SecretsManager::RotationSchedule", "Properties": {
            "SecretId": ref("Secret"), "RotationLambdaARN": f"arn:aws:lambda:{R}:123456789012:function:rotate",
            "RotationRules": {"AutomaticallyAfterDays": 30}}},
    }, "Outputs": out(("Secret", ref("Secret")), ("Rotation", ref("Rotation")))}
    o = stacks.deploy("rotation", tpl)
    sm = aws("secretsmanager", R)
    described = sm.describe_secret(SecretId="shop/db")
    assert o["Rotation"] == o["Secret"] == described["ARN"]
    assert described["RotationEnabled"] is True and described["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert described["RotationLambdaARN"].endswith(":function:rotate")
    tpl["Resources"]["Rotation"]["Properties"]["RotationRules"]["AutomaticallyAfterDays"] = 7
    stacks.deploy("rotation", tpl)
    assert sm.describe_secret(SecretId="shop/db")["RotationRules"]["AutomaticallyAfterDays"] == 7
    stacks.delete("rotation")
    assert sm.list_secrets()["SecretList"] == []


def test_s3_bucket_replication_logging_lifecycle(stacks: Any, aws: Aws) -> None:
    role = "arn:aws:iam::123456789012:role/replication"
    tpl: dict[str, Any] = {"Resources": {
        "Logs": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "shop-logs",
                                                           "OwnershipControls": {"Rules": [
                                                               {"ObjectOwnership": "BucketOwnerPreferred"}]}}},
        "LogsPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": ref("Logs"), "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                "Resource": {"Fn::Sub": "arn:aws:s3:::${Logs}/*"}}]}}},
        "Replica": {"Type": "AWS::S3::Bucket", "Properties": {
            "BucketName": "shop-replica", "VersioningConfiguration": {"Status": "Enabled"}}},
        "Data": {"Type": "AWS::S3::Bucket", "DependsOn": "LogsPolicy", "Properties": {
            "BucketName": "shop-data", "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/app"}, "BucketKeyEnabled": True}]},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                               "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
            "LifecycleConfiguration": {"Rules": [{"Id": "tmp", "Status": "Enabled", "Prefix": "tmp/",
                                                  "ExpirationInDays": 7},
                                                 {"Id": "old", "Status": "Enabled", "NoncurrentVersionExpiration": {
                                                     "NoncurrentDays": 30}, "Transitions": [
                                                     {"StorageClass": "GLACIER_IR", "TransitionInDays": 90}]}]},
            "CorsConfiguration": {"CorsRules": [{"AllowedOrigins": ["https://shop.example.com"],
                                                 "AllowedMethods": ["GET"], "MaxAge": 600}]},
            "LoggingConfiguration": {"DestinationBucketName": ref("Logs"), "LogFilePrefix": "data/"},
            "ReplicationConfiguration": {"Role": role, "Rules": [{
                "Id": "all", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
                "DeleteMarkerReplication": {"Status": "Enabled"},
                "Destination": {"Bucket": att("Replica", "Arn"), "StorageClass": "STANDARD_IA"}}]},
            "Tags": [{"Key": "app", "Value": "shop"}]}},
    }, "Outputs": out(("Data", ref("Data")), ("Arn", att("Data", "Arn")),
                      ("Regional", att("Data", "RegionalDomainName")))}
    o = stacks.deploy("s3", tpl)
    s3 = aws("s3", R)
    assert o["Data"] == "shop-data" and o["Arn"] == "arn:aws:s3:::shop-data"
    assert o["Regional"] == f"shop-data.s3.{R}.amazonaws.com"
    assert s3.get_bucket_versioning(Bucket="shop-data")["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket="shop-data")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert s3.get_public_access_block(Bucket="shop-data")["PublicAccessBlockConfiguration"]["BlockPublicAcls"]
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket="shop-data")["Rules"]}
    assert rules["tmp"]["Expiration"]["Days"] == 7 and rules["old"]["Transitions"][0]["Days"] == 90
    assert s3.get_bucket_cors(Bucket="shop-data")["CORSRules"][0]["MaxAgeSeconds"] == 600
    logging = s3.get_bucket_logging(Bucket="shop-data")["LoggingEnabled"]
    assert logging == {"TargetBucket": "shop-logs", "TargetPrefix": "data/"}
    replication = s3.get_bucket_replication(Bucket="shop-data")["ReplicationConfiguration"]
    assert replication["Role"] == role
    assert replication["Rules"][0]["Destination"]["Bucket"] == "arn:aws:s3:::shop-replica"
    assert {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket="shop-data")["TagSet"]} == {"app": "shop"}
    assert s3.get_bucket_ownership_controls(Bucket="shop-logs")["OwnershipControls"]["Rules"][0][
        "ObjectOwnership"] == "BucketOwnerPreferred"
    # Dropping logging and replication in an update removes them.
    props = tpl["Resources"]["Data"]["Properties"]
    del props["LoggingConfiguration"], props["ReplicationConfiguration"]
    stacks.deploy("s3", tpl)
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket="shop-data")
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_replication(Bucket="shop-data")
    # As on AWS, a bucket holding objects (the access logs of the requests above) is not deleted ...
    stacks.cfn.delete_stack(StackName="s3")
    assert stacks.cfn.describe_stacks(StackName="s3")["Stacks"][0]["StackStatus"] == "DELETE_FAILED"
    assert "BucketNotEmpty" in stacks.problems("s3")[-1][2]
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["shop-logs"]
    # ... until it is emptied; deleting again finishes.
    for item in s3.list_objects_v2(Bucket="shop-logs").get("Contents", []):
        s3.delete_object(Bucket="shop-logs", Key=item["Key"])
    stacks.delete("s3")
    assert s3.list_buckets()["Buckets"] == []


def test_ecs_cluster_exec_and_service_exec(stacks: Any, aws: Aws) -> None:
    ec2 = aws("ec2", R)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    tpl: dict[str, Any] = {"Resources": {
        "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {
            "ClusterName": "shop", "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}],
            "Configuration": {"ExecuteCommandConfiguration": {"Logging": "OVERRIDE", "LogConfiguration": {
                "CloudWatchLogGroupName": "/shop/exec", "CloudWatchEncryptionEnabled": True}}},
            "Tags": [{"Key": "app", "Value": "shop"}]}},
        "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
            "Family": "shop-web", "RequiresCompatibilities": ["FARGATE"], "NetworkMode": "awsvpc", "Cpu": "256",
            "Memory": "512", "ContainerDefinitions": [{"Name": "web", "Image": "nginx:1.27", "Essential": True}]}},
        "Service": {"Type": "AWS::ECS::Service", "Properties": {
            "Cluster": ref("Cluster"), "ServiceName": "web", "TaskDefinition": ref("Task"), "DesiredCount": 1,
            "LaunchType": "FARGATE", "EnableExecuteCommand": True, "EnableECSManagedTags": True,
            "DeploymentConfiguration": {"MinimumHealthyPercent": 100, "MaximumPercent": 200,
                                        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}},
            "NetworkConfiguration": {"AwsvpcConfiguration": {
                "Subnets": [subnet], "SecurityGroups": [group], "AssignPublicIp": "DISABLED"}}}},
    }, "Outputs": out(("Cluster", ref("Cluster")), ("Arn", att("Cluster", "Arn")))}
    o = stacks.deploy("ecs", tpl)
    ecs = aws("ecs", R)
    [cluster] = ecs.describe_clusters(clusters=["shop"])["clusters"]
    assert o["Cluster"] == "shop" and o["Arn"] == cluster["clusterArn"]
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert cluster["configuration"]["executeCommandConfiguration"]["logConfiguration"][
        "cloudWatchLogGroupName"] == "/shop/exec"
    [service] = ecs.describe_services(cluster="shop", services=["web"])["services"]
    assert service["enableExecuteCommand"] is True and service["enableECSManagedTags"] is True
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    tpl["Resources"]["Service"]["Properties"]["EnableExecuteCommand"] = False
    tpl["Resources"]["Cluster"]["Properties"]["ClusterSettings"][0]["Value"] = "disabled"
    stacks.deploy("ecs", tpl)
    assert ecs.describe_services(cluster="shop", services=["web"])["services"][0]["enableExecuteCommand"] is False
    assert ecs.describe_clusters(clusters=["shop"])["clusters"][0]["settings"][0]["value"] == "disabled"
    stacks.delete("ecs")
    assert [c["status"] for c in ecs.describe_clusters(clusters=["shop"])["clusters"]] in ([], ["INACTIVE"])


def test_efs_access_point(stacks: Any, aws: Aws) -> None:
    tpl: dict[str, Any] = {"Resources": {
        "Fs": {"Type": "AWS::EFS::FileSystem", "Properties": {"Encrypted": True}},
        "Point": {"Type": "AWS::EFS::AccessPoint", "Properties": {
            "FileSystemId": ref("Fs"), "PosixUser": {"Uid": "1000", "Gid": "1000"},
            "RootDirectory": {"Path": "/data", "CreationInfo": {"OwnerUid": "1000", "OwnerGid": "1000",
                                                                "Permissions": "750"}},
            "AccessPointTags": [{"Key": "Name", "Value": "data"}]}},
    }, "Outputs": out(("Id", ref("Point")), ("Arn", att("Point", "Arn")), ("Att", att("Point", "AccessPointId")),
                      ("Fs", ref("Fs")))}
    o = stacks.deploy("efs", tpl)
    efs = aws("efs", R)
    [point] = efs.describe_access_points(AccessPointId=o["Id"])["AccessPoints"]
    assert point["AccessPointArn"] == o["Arn"] and o["Att"] == o["Id"] and point["FileSystemId"] == o["Fs"]
    assert point["PosixUser"]["Uid"] == 1000 and point["RootDirectory"]["Path"] == "/data"
    stacks.delete("efs")
    assert efs.describe_access_points(FileSystemId=o["Fs"]).get("AccessPoints", []) == [] \
        if efs.describe_file_systems()["FileSystems"] else True


def test_rds_managed_master_password_and_monitoring_role(stacks: Any, aws: Aws) -> None:
    ec2 = aws("ec2", R)
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.8.{i}.0/24", AvailabilityZone=f"{R}{z}")["Subnet"][
        "SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    tpl: dict[str, Any] = {"Resources": {
        "Subnets": {"Type": "AWS::RDS::DBSubnetGroup", "Properties": {"DBSubnetGroupDescription": "db",
                                                                      "SubnetIds": subnets}},
        "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "DBInstanceIdentifier": "shop-db", "Engine": "postgres", "EngineVersion": "16.4",
            "DBInstanceClass": "db.t4g.micro", "AllocatedStorage": "20", "MasterUsername": "shop",
            "ManageMasterUserPassword": True, "StorageEncrypted": True, "DBSubnetGroupName": ref("Subnets"),
            "MonitoringInterval": 60, "MonitoringRoleArn": "arn:aws:iam::123456789012:role/rds-monitoring",
            "EnablePerformanceInsights": True}},
    }, "Outputs": out(("Db", ref("Db")), ("Secret", att("Db", "MasterUserSecret.SecretArn")))}
    o = stacks.deploy("rds", tpl)
    [db] = aws("rds", R).describe_db_instances(DBInstanceIdentifier="shop-db")["DBInstances"]
    assert db["MasterUserSecret"]["SecretArn"] == o["Secret"]
    assert db["MonitoringRoleArn"].endswith("role/rds-monitoring") and db["MonitoringInterval"] == 60
    assert "password" in json.loads(aws("secretsmanager", R).get_secret_value(SecretId=o["Secret"])["SecretString"])
    stacks.delete("rds")
    assert aws("rds", R).describe_db_instances()["DBInstances"] == []


def test_elasticache_with_kms_key(stacks: Any, aws: Aws) -> None:
    ec2 = aws("ec2", R)
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
    tpl: dict[str, Any] = {"Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "Subnets": {"Type": "AWS::ElastiCache::SubnetGroup", "Properties": {"Description": "c",
                                                                            "SubnetIds": [subnet]}},
        "Cache": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
            "ReplicationGroupDescription": "cache", "Engine": "redis", "CacheNodeType": "cache.t4g.micro",
            "NumCacheClusters": 1, "CacheSubnetGroupName": ref("Subnets"), "AtRestEncryptionEnabled": True,
            "TransitEncryptionEnabled": True, "KmsKeyId": ref("Key")}},
    }, "Outputs": out(("Cache", ref("Cache")), ("Key", att("Key", "Arn")))}
    o = stacks.deploy("cache", tpl)
    [group] = aws("elasticache", R).describe_replication_groups(ReplicationGroupId=o["Cache"])["ReplicationGroups"]
    assert group["AtRestEncryptionEnabled"] is True and group.get("KmsKeyId") in (o["Key"], o["Key"].split("/")[-1])
    stacks.delete("cache")


def test_read_replica_and_aurora_mysql_of_variants(variants: Any, run_deploy: Any, aws: Aws) -> None:
    """A MySQL read replica is created as a replica of its source (CreateDBInstanceReadReplica)."""
    synth = variants("prod").synth
    result, _ = run_deploy(synth)
    assert result.ok, result.to_json()
    rds = aws("rds", synth.manifest["region"])
    sources = {d["DBInstanceIdentifier"]: d.get("ReadReplicaSourceDBInstanceIdentifier")
               for d in rds.describe_db_instances()["DBInstances"]}
    assert sources["variants-prod-orders-replica1"] == "variants-prod-orders"
    assert rds.describe_db_instances(DBInstanceIdentifier="variants-prod-orders")["DBInstances"][0][
        "ReadReplicaDBInstanceIdentifiers"] == ["variants-prod-orders-replica1"]


def test_snapshot_keeps_kms_keys_and_certificates(stacks: Any, aws: Aws, fresh: str, tmp_path: Any) -> None:
    """`moorage local stop` pickles every backend: KMS keys and ACM certificates hold cryptography objects."""
    import urllib.request

    from moorage.emulator.serve import restore, snapshot

    o = stacks.deploy("keys", {"Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"Description": "kept"}},
        "Cert": {"Type": "AWS::CertificateManager::Certificate", "Properties": {"DomainName": "a.example.com"}}},
        "Outputs": out(("Key", ref("Key")), ("Cert", ref("Cert")))})
    said = snapshot(tmp_path / "state.pickle")
    assert "could not save" not in said, said
    with urllib.request.urlopen(urllib.request.Request(f"{fresh}/moto-api/reset", method="POST"), timeout=10):  # noqa: S310
        pass
    restore(tmp_path / "state.pickle")
    assert aws("kms", R).describe_key(KeyId=o["Key"])["KeyMetadata"]["Description"] == "kept"
    assert aws("acm", R).describe_certificate(CertificateArn=o["Cert"])["Certificate"]["DomainName"] == "a.example.com"


def test_rds_proxy_and_target_group(stacks: Any, aws: Aws) -> None:
    ec2 = aws("ec2", R)
    vpc = ec2.create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.6.{i}.0/24", AvailabilityZone=f"{R}{z}")["Subnet"][
        "SubnetId"] for i, z in ((1, "a"), (2, "b"))]
    group = ec2.create_security_group(GroupName="proxy", Description="proxy", VpcId=vpc)["GroupId"]
    tpl: dict[str, Any] = {"Resources": {
        "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "shop/db", "SecretString": "{}"}},
        "Subnets": {"Type": "AWS::RDS::DBSubnetGroup", "Properties": {"DBSubnetGroupDescription": "db",
                                                                      "SubnetIds": subnets}},
        "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "DBInstanceIdentifier": "shop-db", "Engine": "postgres", "DBInstanceClass": "db.t4g.micro",
            "AllocatedStorage": "20", "MasterUsername": "shop", "MasterUserPassword": "secret-password",
            "DBSubnetGroupName": ref("Subnets")}},
        "Proxy": {"Type": "AWS::RDS::DBProxy", "Properties": {
            "DBProxyName": "shop-proxy", "EngineFamily": "POSTGRESQL", "RequireTLS": True, "IdleClientTimeout": 1800,
            "RoleArn": "arn:aws:iam::123456789012:role/proxy", "VpcSubnetIds": subnets,
            "VpcSecurityGroupIds": [group],
            "Auth": [{"AuthScheme": "SECRETS", "SecretArn": ref("Secret"), "IAMAuth": "DISABLED"}]}},
        "Targets": {"Type": "AWS::RDS::DBProxyTargetGroup", "Properties": {
            "DBProxyName": ref("Proxy"), "TargetGroupName": "default", "DBInstanceIdentifiers": [ref("Db")]}},
    }, "Outputs": out(("Proxy", ref("Proxy")), ("Endpoint", att("Proxy", "Endpoint")),
                      ("Arn", att("Proxy", "DBProxyArn")), ("Targets", ref("Targets")))}
    o = stacks.deploy("proxy", tpl)
    rds = aws("rds", R)
    [proxy] = rds.describe_db_proxies(DBProxyName="shop-proxy")["DBProxies"]
    assert proxy["DBProxyArn"] == o["Arn"] and proxy["Endpoint"] == o["Endpoint"] and proxy["RequireTLS"] is True
    [target_group] = rds.describe_db_proxy_target_groups(DBProxyName="shop-proxy")["TargetGroups"]
    assert target_group["TargetGroupArn"] == o["Targets"]
    targets = rds.describe_db_proxy_targets(DBProxyName="shop-proxy")["Targets"]
    assert [t.get("RdsResourceId") for t in targets] == ["shop-db"]
    tpl["Resources"]["Proxy"]["Properties"]["IdleClientTimeout"] = 600
    assert stacks.deploy("proxy", tpl)["Arn"] == o["Arn"]
    assert rds.describe_db_proxies(DBProxyName="shop-proxy")["DBProxies"][0]["IdleClientTimeout"] == 600
    stacks.delete("proxy")
    assert rds.describe_db_proxies()["DBProxies"] == []
