"""A failing and a passing template for every policy rule, and the helpers that run them.

Each :class:`Case` names the rule, a template set that must produce a finding of that rule on
``subject``, and one that must be evaluated by the rule and pass.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from moorage.cfn.sets import TemplateSet
from moorage.policy import Report, run_checks

Resources = dict[str, dict[str, Any]]
ROOT_ARN = "arn:aws:iam::111122223333:root"
KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
UAE = ("me-central-1",)
GCC = ("me-central-1", "me-south-1")


def res(type_: str, props: dict[str, Any] | None = None, **attrs: Any) -> dict[str, Any]:
    """A resource: ``res("AWS::S3::Bucket", {...}, DeletionPolicy="Retain")``."""
    body: dict[str, Any] = {"Type": type_, **attrs}
    if props is not None:
        body["Properties"] = props
    return body


def edit(base: dict[str, Any], drop: tuple[str, ...] = (), **props: Any) -> dict[str, Any]:
    """A deep copy of a resource with properties replaced (``props``) or removed (``drop``)."""
    out = copy.deepcopy(base)
    out.setdefault("Properties", {}).update(props)
    for key in drop:
        out["Properties"].pop(key, None)
    return out


def attrs(base: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A deep copy with top-level attributes (DeletionPolicy...) replaced; None removes one."""
    out = copy.deepcopy(base)
    for k, v in top.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    return out


@dataclass
class Case:
    """One rule's failing and passing templates."""

    rule: str
    fail: Resources | dict[str, Resources]
    ok: Resources | dict[str, Resources]
    subject: str  # logical id the failing finding is about
    region: str = "eu-west-1"
    residency: tuple[str, ...] = ()
    ok_residency: tuple[str, ...] | None = None  # when passing means "not applicable without residency"
    profile: str = "prod"
    regions: dict[str, str] = field(default_factory=dict)
    ok_regions: dict[str, str] = field(default_factory=dict)
    require: tuple[str, ...] = ()
    ok_evaluated: bool = True  # the passing template is evaluated by the rule (not merely skipped)


def template_set(resources: Resources | dict[str, Resources], *, region: str = "eu-west-1",
                 residency: tuple[str, ...] = (), profile: str | None = "prod",
                 regions: dict[str, str] | None = None, label: str = "test") -> TemplateSet:
    """A template set from one stack's resources, or from {stack: resources}."""
    multi = bool(resources) and all(isinstance(v, dict) and "Type" not in v for v in resources.values())
    stacks: dict[str, Resources] = resources if multi else {"main": resources}  # type: ignore[assignment]
    templates = {k: {"AWSTemplateFormatVersion": "2010-09-09", "Resources": v} for k, v in stacks.items()}
    return TemplateSet(label, region, templates, list(residency), profile, dict(regions or {}))


def run(resources: Resources | dict[str, Resources], *, require: tuple[str, ...] = (), **kw: Any) -> Report:
    """Check one template set built by :func:`template_set`."""
    suppressions = kw.pop("suppressions", ())
    return run_checks([template_set(resources, **kw)], require=require, suppressions=suppressions)


def rule_findings(report: Report, rule: str) -> list[Any]:
    """Findings of ``rule`` in ``report``."""
    return [f for f in report.findings if f.rule == rule]


# ---------------------------------------------------------------------------- building blocks

BUCKET = res("AWS::S3::Bucket", {
    "BucketEncryption": {"ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Ref": "Key"}}}]},
    "PublicAccessBlockConfiguration": {k: True for k in (
        "BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")},
    "VersioningConfiguration": {"Status": "Enabled"},
    "LifecycleConfiguration": {"Rules": [{"Status": "Enabled", "AbortIncompleteMultipartUpload":
                                          {"DaysAfterInitiation": 7}}]},
    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    "LoggingConfiguration": {"DestinationBucketName": {"Ref": "LogBucket"}},
}, DeletionPolicy="Retain")
TLS_POLICY = res("AWS::S3::BucketPolicy", {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": {"Statement": [{
    "Effect": "Deny", "Principal": "*", "Action": "s3:*",
    "Resource": [{"Fn::GetAtt": ["Bucket", "Arn"]}, {"Fn::Sub": "${Bucket.Arn}/*"}],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}})
KEY = res("AWS::KMS::Key", {"EnableKeyRotation": True, "KeyPolicy": {"Statement": [
    {"Effect": "Allow", "Principal": {"AWS": ROOT_ARN}, "Action": "kms:*", "Resource": "*"}]}},
    DeletionPolicy="Retain", UpdateReplacePolicy="Retain")
DB = res("AWS::RDS::DBInstance", {
    "Engine": "postgres", "EngineVersion": "16.4", "DBInstanceClass": "db.r6g.large", "DBInstanceIdentifier": "app-db",
    "StorageEncrypted": True, "KmsKeyId": KEY_ARN, "PubliclyAccessible": False, "DeletionProtection": True,
    "BackupRetentionPeriod": 30, "MultiAZ": True, "EnableCloudwatchLogsExports": ["postgresql"],
    "AutoMinorVersionUpgrade": True, "EnablePerformanceInsights": True, "MasterUsername": "app",
    "MasterUserPassword": "{{resolve:secretsmanager:app/db:SecretString:password}}",
}, DeletionPolicy="Snapshot", UpdateReplacePolicy="Snapshot")
CACHE = res("AWS::ElastiCache::ReplicationGroup", {
    "ReplicationGroupDescription": "sessions", "ReplicationGroupId": "app-cache", "Engine": "redis",
    "CacheNodeType": "cache.t4g.medium", "NumCacheClusters": 2, "AutomaticFailoverEnabled": True,
    "MultiAZEnabled": True, "AtRestEncryptionEnabled": True, "TransitEncryptionEnabled": True,
    "AuthToken": "{{resolve:secretsmanager:app/cache:SecretString:token}}", "SnapshotRetentionLimit": 7,
    "KmsKeyId": KEY_ARN,
}, DeletionPolicy="Snapshot", UpdateReplacePolicy="Snapshot")
EFS = res("AWS::EFS::FileSystem", {"Encrypted": True, "BackupPolicy": {"Status": "ENABLED"}},
          DeletionPolicy="Retain", UpdateReplacePolicy="Retain")
LOGS = res("AWS::Logs::LogGroup", {"RetentionInDays": 180, "KmsKeyId": KEY_ARN})
CONTAINER = {"Name": "web", "Image": "ghcr.io/acme/web:1.4.2", "Essential": True, "ReadonlyRootFilesystem": True,
             "LogConfiguration": {"LogDriver": "awslogs", "Options": {"awslogs-group": "/app/web",
                                                                     "awslogs-region": {"Ref": "AWS::Region"}}},
             "Secrets": [{"Name": "DB_PASSWORD", "ValueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:db"}],
             "Environment": [{"Name": "LOG_LEVEL", "Value": "info"}, {"Name": "TOKEN_TTL", "Value": "3600"}]}
ROLE = res("AWS::IAM::Role", {
    "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]},
    "Policies": [{"PolicyName": "app", "PolicyDocument": {"Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::app-data/*"},
        {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]}}]})
TASK = res("AWS::ECS::TaskDefinition", {
    "Family": "web", "NetworkMode": "awsvpc", "RequiresCompatibilities": ["FARGATE"], "Cpu": "256", "Memory": "512",
    "ExecutionRoleArn": {"Fn::GetAtt": ["ExecutionRole", "Arn"]}, "TaskRoleArn": {"Fn::GetAtt": ["TaskRole", "Arn"]},
    "ContainerDefinitions": [CONTAINER]})
TASK_STACK = {"TaskDefinition": TASK, "TaskRole": ROLE, "ExecutionRole": ROLE}
SERVICE = res("AWS::ECS::Service", {
    "Cluster": "app", "TaskDefinition": {"Ref": "TaskDefinition"}, "DesiredCount": 2, "LaunchType": "FARGATE",
    "NetworkConfiguration": {"AwsvpcConfiguration": {"AssignPublicIp": "DISABLED", "Subnets": ["subnet-1"]}},
    "DeploymentConfiguration": {"DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}},
    "LoadBalancers": [{"ContainerName": "web", "ContainerPort": 3000, "TargetGroupArn": {"Ref": "TargetGroup"}}]})
TARGET_GROUP = res("AWS::ElasticLoadBalancingV2::TargetGroup", {
    "Port": 3000, "Protocol": "HTTP", "TargetType": "ip", "VpcId": "vpc-1", "HealthCheckPath": "/health"})
ALARM = res("AWS::CloudWatch::Alarm", {
    "Namespace": "AWS/ApplicationELB", "MetricName": "HTTPCode_Target_5XX_Count", "Statistic": "Sum", "Period": 60,
    "EvaluationPeriods": 3, "Threshold": 10, "ComparisonOperator": "GreaterThanThreshold",
    "Dimensions": [{"Name": "TargetGroup", "Value": {"Fn::GetAtt": ["TargetGroup", "TargetGroupFullName"]}}],
    "AlarmActions": [{"Ref": "Topic"}]})
SERVICE_STACK = {"Service": SERVICE, "TargetGroup": TARGET_GROUP, "Alarm": ALARM, **TASK_STACK}
REPO = res("AWS::ECR::Repository", {
    "ImageScanningConfiguration": {"ScanOnPush": True}, "ImageTagMutability": "IMMUTABLE",
    "LifecyclePolicy": {"LifecyclePolicyText": '{"rules": []}'}})
EGRESS = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0", "Description": "HTTPS out"}]


def sg(*ingress: tuple[int, str], **extra: Any) -> dict[str, Any]:
    """A security group with (port, cidr) ingress rules, described, HTTPS-only egress."""
    rules = [{"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "CidrIp": c, "Description": f"port {p}"}
             for p, c in ingress]
    return res("AWS::EC2::SecurityGroup", {"GroupDescription": "app", "VpcId": "vpc-1",
                                           "SecurityGroupIngress": rules, "SecurityGroupEgress": EGRESS, **extra})


LB = res("AWS::ElasticLoadBalancingV2::LoadBalancer", {
    "Type": "application", "Scheme": "internet-facing", "Subnets": ["subnet-1", "subnet-2"],
    "SecurityGroups": [{"Ref": "SgAlb"}],
    "LoadBalancerAttributes": [
        {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
        {"Key": "access_logs.s3.enabled", "Value": "true"}, {"Key": "access_logs.s3.bucket", "Value": "logs"},
        {"Key": "deletion_protection.enabled", "Value": "true"}]})
WEB_ACL = res("AWS::WAFv2::WebACL", {
    "Scope": "REGIONAL", "DefaultAction": {"Allow": {}},
    "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "waf"},
    "Rules": [{"Name": "common", "Priority": 0, "OverrideAction": {"None": {}},
               "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS",
                                                           "Name": "AWSManagedRulesCommonRuleSet"}},
               "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                    "MetricName": "common"}}]})
WAF_ASSOC = res("AWS::WAFv2::WebACLAssociation", {"ResourceArn": {"Ref": "LoadBalancer"},
                                                 "WebACLArn": {"Fn::GetAtt": ["WebAcl", "Arn"]}})
EDGE = {"LoadBalancer": LB, "SgAlb": sg((443, "0.0.0.0/0")), "WebAcl": WEB_ACL, "WebAclAssociation": WAF_ASSOC}


def listener(protocol: str, port: int, **props: Any) -> dict[str, Any]:
    """A listener on the edge load balancer."""
    return res("AWS::ElasticLoadBalancingV2::Listener", {"LoadBalancerArn": {"Ref": "LoadBalancer"}, "Port": port,
                                                        "Protocol": protocol, **props})


FORWARD = [{"Type": "forward", "TargetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/x/1"}]
REDIRECT = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]


def policy_role(statement: dict[str, Any]) -> dict[str, Any]:
    """A role whose one inline policy holds ``statement``."""
    return edit(ROLE, Policies=[{"PolicyName": "p", "PolicyDocument": {"Statement": [statement]}}])


def allow(action: Any, resource: Any = "arn:aws:s3:::app-data/*", **extra: Any) -> dict[str, Any]:
    """An Allow statement."""
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


# ---------------------------------------------------------------------------- the cases

CASES: list[Case] = [
    # S3
    Case("MOO-S3-001", {"Bucket": edit(BUCKET, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False})},
         {"Bucket": BUCKET}, "Bucket"),
    Case("MOO-S3-002", {"Bucket": edit(BUCKET, AccessControl="PublicRead")},
         {"Bucket": edit(BUCKET, AccessControl="Private")}, "Bucket"),
    Case("MOO-S3-003",
         {"Bucket": BUCKET, "Policy": edit(TLS_POLICY, PolicyDocument={"Statement": [allow("s3:GetObject",
                                                                                           Principal="*")]})},
         {"Bucket": BUCKET, "Policy": edit(TLS_POLICY, PolicyDocument={"Statement": [allow(
             "s3:GetObject", Principal="*",
             Condition={"StringEquals": {"AWS:SourceArn": "arn:aws:cloudfront::1:x"}})]})},
         "Policy"),
    Case("MOO-S3-004", {"Bucket": edit(BUCKET, drop=("BucketEncryption",))}, {"Bucket": BUCKET}, "Bucket"),
    Case("MOO-S3-005", {"Bucket": BUCKET}, {"Bucket": BUCKET, "Policy": TLS_POLICY}, "Bucket"),
    Case("MOO-S3-006", {"Bucket": edit(BUCKET, BucketEncryption={"ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})}, {"Bucket": BUCKET, "Key": KEY}, "Bucket",
         require=("cmk",)),
    Case("MOO-S3-007", {"Bucket": edit(BUCKET, VersioningConfiguration={"Status": "Suspended"})},
         {"Bucket": BUCKET}, "Bucket"),
    Case("MOO-S3-008", {"Bucket": edit(BUCKET, drop=("LifecycleConfiguration",))}, {"Bucket": BUCKET}, "Bucket"),
    Case("MOO-S3-009", {"Bucket": edit(BUCKET, drop=("OwnershipControls",))}, {"Bucket": BUCKET}, "Bucket"),
    Case("MOO-S3-010", {"Bucket": edit(BUCKET, drop=("LoggingConfiguration",))}, {"Bucket": BUCKET}, "Bucket"),
    # RDS
    Case("MOO-RDS-001", {"Db": edit(DB, StorageEncrypted=False)}, {"Db": DB}, "Db"),
    Case("MOO-RDS-002", {"Db": edit(DB, PubliclyAccessible=True)}, {"Db": DB}, "Db"),
    Case("MOO-RDS-003", {"Db": edit(DB, Engine="mysql", EngineVersion="8.0.40")},
         {"Db": edit(DB, Engine="mysql", EngineVersion="8.0.40", DBParameterGroupName={"Ref": "Params"}),
          "Params": res("AWS::RDS::DBParameterGroup", {"Family": "mysql8.0", "Description": "tls",
                                                       "Parameters": {"require_secure_transport": "ON"}})}, "Db"),
    Case("MOO-RDS-004", {"Db": edit(DB, DeletionProtection=False)}, {"Db": DB}, "Db"),
    Case("MOO-RDS-005", {"Db": edit(DB, BackupRetentionPeriod=3)}, {"Db": DB}, "Db"),
    Case("MOO-RDS-006", {"Db": edit(DB, MultiAZ=False)}, {"Db": DB}, "Db"),
    Case("MOO-RDS-007", {"Db": attrs(DB, DeletionPolicy="Delete")}, {"Db": DB}, "Db"),
    Case("MOO-RDS-008", {"Db": edit(DB, drop=("EnableCloudwatchLogsExports",))}, {"Db": DB}, "Db"),
    Case("MOO-RDS-009", {"Db": edit(DB, AutoMinorVersionUpgrade=False)}, {"Db": DB}, "Db"),
    Case("MOO-RDS-010", {"Db": edit(DB, drop=("KmsKeyId",))}, {"Db": DB}, "Db", require=("cmk",)),
    Case("MOO-RDS-011", {"Db": edit(DB, EnablePerformanceInsights=False)}, {"Db": DB}, "Db"),
    # ElastiCache
    Case("MOO-EC-001", {"Cache": edit(CACHE, AtRestEncryptionEnabled=False)}, {"Cache": CACHE}, "Cache"),
    Case("MOO-EC-002", {"Cache": edit(CACHE, TransitEncryptionEnabled=False, drop=("AuthToken",))},
         {"Cache": CACHE}, "Cache"),
    Case("MOO-EC-003", {"Cache": edit(CACHE, drop=("AuthToken",))}, {"Cache": CACHE}, "Cache"),
    Case("MOO-EC-004", {"Cache": edit(CACHE, NumCacheClusters=1, AutomaticFailoverEnabled=False,
                                      MultiAZEnabled=False)}, {"Cache": CACHE}, "Cache"),
    Case("MOO-EC-005", {"Cache": edit(CACHE, SnapshotRetentionLimit=0)}, {"Cache": CACHE}, "Cache"),
    Case("MOO-EC-006", {"Cache": edit(CACHE, drop=("KmsKeyId",))}, {"Cache": CACHE}, "Cache", require=("cmk",)),
    Case("MOO-EC-007", {"Cache": attrs(CACHE, DeletionPolicy=None, UpdateReplacePolicy=None)},
         {"Cache": CACHE}, "Cache"),
    Case("MOO-EC-008", {"Cache": edit(CACHE, ClusterMode="enabled", NumNodeGroups=2, drop=("NumCacheClusters",)),
                        "TaskDefinition": edit(TASK, ContainerDefinitions=[{
                            **CONTAINER, "Command": ["bundle", "exec", "sidekiq"], "Environment": [
                                {"Name": "REDIS_HOST",
                                 "Value": {"Fn::GetAtt": ["Cache", "ConfigurationEndPoint.Address"]}}]}])},
         {"Cache": CACHE, "TaskDefinition": edit(TASK, ContainerDefinitions=[{
             **CONTAINER, "Command": ["bundle", "exec", "sidekiq"], "Environment": [
                 {"Name": "REDIS_HOST", "Value": {"Fn::GetAtt": ["Cache", "PrimaryEndPoint.Address"]}}]}])},
         "TaskDefinition"),
    # EFS
    Case("MOO-EFS-001", {"Files": edit(EFS, Encrypted=False)}, {"Files": EFS}, "Files"),
    Case("MOO-EFS-002",
         {"TaskDefinition": edit(TASK, Volumes=[{"Name": "data", "EFSVolumeConfiguration": {"FilesystemId": "fs-1"}}])},
         {"TaskDefinition": edit(TASK, Volumes=[{"Name": "data", "EFSVolumeConfiguration": {
             "FilesystemId": "fs-1", "TransitEncryption": "ENABLED"}}])}, "TaskDefinition"),
    Case("MOO-EFS-003", {"Files": edit(EFS, BackupPolicy={"Status": "DISABLED"})}, {"Files": EFS}, "Files"),
    Case("MOO-EFS-004", {"Files": attrs(EFS, DeletionPolicy=None)}, {"Files": EFS}, "Files"),
    # SQS
    Case("MOO-SQS-001", {"Jobs": res("AWS::SQS::Queue", {"SqsManagedSseEnabled": False})},
         {"Jobs": res("AWS::SQS::Queue", {"KmsMasterKeyId": "alias/app"})}, "Jobs"),
    Case("MOO-SQS-002", {"Jobs": res("AWS::SQS::Queue", {"SqsManagedSseEnabled": True})},
         {"Jobs": res("AWS::SQS::Queue", {"RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                                                            "maxReceiveCount": 5}}),
          "Dlq": res("AWS::SQS::Queue", {"SqsManagedSseEnabled": True})}, "Jobs"),
    # Logs
    Case("MOO-LOG-001", {"Logs": edit(LOGS, drop=("RetentionInDays",))}, {"Logs": LOGS}, "Logs"),
    Case("MOO-LOG-002", {"Logs": edit(LOGS, RetentionInDays=30)}, {"Logs": LOGS}, "Logs"),
    Case("MOO-LOG-003", {"Logs": edit(LOGS, drop=("KmsKeyId",))}, {"Logs": LOGS}, "Logs", require=("cmk",)),
    # KMS
    Case("MOO-KMS-001", {"Key": edit(KEY, EnableKeyRotation=False)}, {"Key": KEY}, "Key"),
    Case("MOO-KMS-002", {"Key": edit(KEY, KeyPolicy={"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}]})},
         {"Key": edit(KEY, KeyPolicy={"Statement": [
             {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
              "Condition": {"StringEquals": {"kms:CallerAccount": "111122223333"}}}]})}, "Key"),
    Case("MOO-KMS-003", {"Key": attrs(KEY, DeletionPolicy=None)}, {"Key": KEY}, "Key"),
    # Secrets
    Case("MOO-SEC-001", {"TaskDefinition": edit(TASK, ContainerDefinitions=[
        {**CONTAINER, "Environment": [{"Name": "DB_PASSWORD", "Value": "hunter2-prod"}]}])},
         {"TaskDefinition": TASK}, "TaskDefinition"),
    Case("MOO-SEC-002", {"Db": edit(DB, MasterUserPassword="Sup3rSecret!")}, {"Db": DB}, "Db"),
    Case("MOO-SEC-003", {"Secret": res("AWS::SecretsManager::Secret", {"SecretString": "sk_live_abcdef"})},
         {"Secret": res("AWS::SecretsManager::Secret", {"GenerateSecretString": {"PasswordLength": 32}})}, "Secret"),
    Case("MOO-SEC-004", {"Param": res("AWS::SSM::Parameter", {"Name": "/app/prod/api-key", "Type": "String",
                                                              "Value": "sk_live_abcdef"})},
         {"Param": res("AWS::SSM::Parameter", {"Name": "/app/prod/token-ttl", "Type": "String", "Value": "3600"})},
         "Param"),
    Case("MOO-SEC-005", {"Secret": res("AWS::SecretsManager::Secret", {"GenerateSecretString": {}})},
         {"Secret": res("AWS::SecretsManager::Secret", {"GenerateSecretString": {}, "KmsKeyId": {"Ref": "Key"}}),
          "Key": KEY}, "Secret", require=("cmk",)),
    Case("MOO-SEC-006",
         {"Db": DB, "Secret": res("AWS::SecretsManager::Secret", {"GenerateSecretString": {}}),
          "Attachment": res("AWS::SecretsManager::SecretTargetAttachment", {
              "SecretId": {"Ref": "Secret"}, "TargetId": {"Ref": "Db"}, "TargetType": "AWS::RDS::DBInstance"})},
         {"Db": DB, "Secret": res("AWS::SecretsManager::Secret", {"GenerateSecretString": {}}),
          "Attachment": res("AWS::SecretsManager::SecretTargetAttachment", {
              "SecretId": {"Ref": "Secret"}, "TargetId": {"Ref": "Db"}, "TargetType": "AWS::RDS::DBInstance"}),
          "Rotation": res("AWS::SecretsManager::RotationSchedule", {
              "SecretId": {"Ref": "Secret"}, "RotationRules": {"AutomaticallyAfterDays": 30},
              "HostedRotationLambda": {"RotationType": "PostgreSQLSingleUser"}})}, "Attachment"),
    # ECS
    Case("MOO-ECS-001", {"TaskDefinition": edit(TASK, ContainerDefinitions=[{**CONTAINER, "Privileged": True}])},
         {"TaskDefinition": edit(TASK, ContainerDefinitions=[{**CONTAINER, "Privileged": False}])}, "TaskDefinition"),
    Case("MOO-ECS-002", {"TaskDefinition": edit(TASK, ContainerDefinitions=[
        {**CONTAINER, "LinuxParameters": {"Capabilities": {"Add": ["SYS_ADMIN"]}}}])},
         {"TaskDefinition": edit(TASK, ContainerDefinitions=[
             {**CONTAINER, "LinuxParameters": {"Capabilities": {"Add": ["NET_BIND_SERVICE"], "Drop": ["ALL"]}}}])},
         "TaskDefinition"),
    Case("MOO-ECS-003", {"TaskDefinition": edit(TASK, ContainerDefinitions=[
        {**CONTAINER, "ReadonlyRootFilesystem": False}])}, {"TaskDefinition": TASK}, "TaskDefinition"),
    Case("MOO-ECS-004", {**SERVICE_STACK, "Service": edit(SERVICE, NetworkConfiguration={"AwsvpcConfiguration": {
        "AssignPublicIp": "ENABLED", "Subnets": ["subnet-1"]}})}, SERVICE_STACK, "Service"),
    Case("MOO-ECS-005", {"TaskDefinition": edit(TASK, ContainerDefinitions=[{**CONTAINER, "Image": "nginx:latest"}])},
         {"TaskDefinition": edit(TASK, ContainerDefinitions=[
             {**CONTAINER, "Image": "nginx@sha256:" + "a" * 64}])}, "TaskDefinition"),
    Case("MOO-ECS-006", {**TASK_STACK, "TaskDefinition": edit(TASK, TaskRoleArn={"Fn::GetAtt": ["ExecutionRole",
                                                                                              "Arn"]})},
         TASK_STACK, "TaskDefinition"),
    Case("MOO-ECS-007", {"TaskDefinition": edit(TASK, ContainerDefinitions=[
        {k: v for k, v in CONTAINER.items() if k != "LogConfiguration"}])}, {"TaskDefinition": TASK},
         "TaskDefinition"),
    Case("MOO-ECS-008", {**SERVICE_STACK, "TargetGroup": edit(TARGET_GROUP, HealthCheckEnabled=False)},
         SERVICE_STACK, "Service"),
    Case("MOO-ECS-009", {**SERVICE_STACK, "Service": edit(SERVICE, DeploymentConfiguration={})}, SERVICE_STACK,
         "Service"),
    Case("MOO-ECS-010", {"Cluster": res("AWS::ECS::Cluster", {})},
         {"Cluster": res("AWS::ECS::Cluster", {"ClusterSettings": [{"Name": "containerInsights",
                                                                    "Value": "enabled"}]})},
         "Cluster"),
    Case("MOO-ECS-011", {**SERVICE_STACK, "Service": edit(SERVICE, DesiredCount=1)}, SERVICE_STACK, "Service"),
    Case("MOO-ECS-012", {"TaskDefinition": edit(TASK, NetworkMode="host")}, {"TaskDefinition": TASK},
         "TaskDefinition"),
    Case("MOO-ECS-013", {**SERVICE_STACK, "Service": edit(SERVICE, EnableExecuteCommand=True)}, SERVICE_STACK,
         "Service"),
    # ECR
    Case("MOO-ECR-001", {"Repo": edit(REPO, ImageScanningConfiguration={"ScanOnPush": False})}, {"Repo": REPO}, "Repo"),
    Case("MOO-ECR-002", {"Repo": edit(REPO, drop=("LifecyclePolicy",))}, {"Repo": REPO}, "Repo"),
    Case("MOO-ECR-003", {"Repo": edit(REPO, ImageTagMutability="MUTABLE")}, {"Repo": REPO}, "Repo"),
    Case("MOO-ECR-004", {"Repo": edit(REPO, RepositoryPolicyText={"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage"]}]})},
         {"Repo": edit(REPO, RepositoryPolicyText={"Statement": [
             {"Effect": "Allow", "Principal": {"AWS": ROOT_ARN}, "Action": ["ecr:BatchGetImage"]}]})}, "Repo"),
    # IAM
    Case("MOO-IAM-001", {"Role": policy_role(allow("*", "*"))}, {"Role": ROLE}, "Role"),
    Case("MOO-IAM-002", {"Role": edit(ROLE, ManagedPolicyArns=["arn:aws:iam::aws:policy/AdministratorAccess"])},
         {"Role": edit(ROLE, ManagedPolicyArns=[{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/"
                                                            "AmazonS3ReadOnlyAccess"}])}, "Role"),
    Case("MOO-IAM-003", {"Role": policy_role(allow("iam:PassRole", "*"))},
         {"Role": policy_role(allow("iam:PassRole", {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:role/app-prod-*"}))},
         "Role"),
    Case("MOO-IAM-004", {"Role": policy_role(allow("s3:*"))}, {"Role": ROLE}, "Role"),
    Case("MOO-IAM-005", {"Role": policy_role(allow(["s3:GetObject", "ec2:DescribeInstances"], "*"))},
         {"Role": ROLE}, "Role"),
    Case("MOO-IAM-006", {"Role": edit(ROLE, AssumeRolePolicyDocument={"Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})}, {"Role": ROLE}, "Role"),
    Case("MOO-IAM-007", {"User": res("AWS::IAM::User", {}), "Key": res("AWS::IAM::AccessKey", {
        "UserName": {"Ref": "User"}})},
         {"User": res("AWS::IAM::User", {}), "Key": res("AWS::IAM::AccessKey", {
             "UserName": {"Ref": "User"}, "Status": "Inactive"})}, "Key"),
    # Network
    Case("MOO-NET-001", {"Sg": sg((22, "0.0.0.0/0"))}, {"Sg": sg((22, "10.0.0.0/16"))}, "Sg"),
    Case("MOO-NET-002", {"Sg": sg((8080, "0.0.0.0/0"))}, {"Sg": sg((8080, "10.0.0.0/8"))}, "Sg"),
    Case("MOO-NET-003", {"SgAlb": sg((443, "0.0.0.0/0"))}, EDGE, "SgAlb"),
    Case("MOO-NET-004", {"Sg": edit(sg((443, "10.0.0.0/8")), SecurityGroupIngress=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"}])},
         {"Sg": sg((443, "10.0.0.0/8"))}, "Sg"),
    Case("MOO-NET-005", {"Vpc": res("AWS::EC2::VPC", {"CidrBlock": "10.0.0.0/16"})},
         {"Vpc": res("AWS::EC2::VPC", {"CidrBlock": "10.0.0.0/16"}),
          "FlowLog": res("AWS::EC2::FlowLog", {"ResourceId": {"Ref": "Vpc"}, "ResourceType": "VPC",
                                               "TrafficType": "ALL", "LogDestinationType": "s3",
                                               "LogDestination": "arn:aws:s3:::flow-logs"})}, "Vpc"),
    Case("MOO-NET-006", {"Subnet": res("AWS::EC2::Subnet", {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24",
                                                            "MapPublicIpOnLaunch": True})},
         {"Subnet": res("AWS::EC2::Subnet", {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24",
                                             "MapPublicIpOnLaunch": False})}, "Subnet"),
    Case("MOO-NET-007", {"Sg": edit(sg(), drop=("SecurityGroupEgress",))}, {"Sg": sg()}, "Sg"),
    # Load balancing and WAF
    Case("MOO-ELB-001", {**EDGE, "Http": listener("HTTP", 80, DefaultActions=FORWARD)},
         {**EDGE, "Http": listener("HTTP", 80, DefaultActions=REDIRECT)}, "Http"),
    Case("MOO-ELB-002", {**EDGE, "Https": listener("HTTPS", 443, DefaultActions=FORWARD,
                                                    SslPolicy="ELBSecurityPolicy-2016-08")},
         {**EDGE, "Https": listener("HTTPS", 443, DefaultActions=FORWARD,
                                    SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06")}, "Https"),
    Case("MOO-ELB-003", {k: v for k, v in EDGE.items() if k != "WebAclAssociation"}, EDGE, "LoadBalancer"),
    Case("MOO-ELB-004", {**EDGE, "LoadBalancer": edit(LB, LoadBalancerAttributes=[
        {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "false"}])}, EDGE, "LoadBalancer"),
    Case("MOO-ELB-005", {**EDGE, "LoadBalancer": edit(LB, LoadBalancerAttributes=[])}, EDGE, "LoadBalancer"),
    Case("MOO-ELB-006", {**EDGE, "LoadBalancer": edit(LB, LoadBalancerAttributes=[
        {"Key": "deletion_protection.enabled", "Value": "false"}])}, EDGE, "LoadBalancer"),
    Case("MOO-WAF-001", {"WebAcl": edit(WEB_ACL, Rules=[])}, {"WebAcl": WEB_ACL}, "WebAcl"),
    Case("MOO-WAF-002", {"WebAcl": WEB_ACL},
         {"WebAcl": WEB_ACL, "WafLogs": res("AWS::WAFv2::LoggingConfiguration", {
             "ResourceArn": {"Fn::GetAtt": ["WebAcl", "Arn"]},
             "LogDestinationConfigs": ["arn:aws:logs:eu-west-1:111122223333:log-group:aws-waf-logs-app"]})}, "WebAcl"),
    # Monitoring
    Case("MOO-MON-001", {k: v for k, v in SERVICE_STACK.items() if k != "Alarm"}, SERVICE_STACK, "Service"),
    Case("MOO-MON-002", {"Db": DB}, {"Db": DB, "DbCpu": edit(ALARM, Namespace="AWS/RDS", MetricName="CPUUtilization",
                                                               Dimensions=[{"Name": "DBInstanceIdentifier",
                                                                            "Value": "app-db"}])}, "Db"),
    Case("MOO-MON-003", {"Cache": CACHE},
         {"Cache": CACHE, "CacheCpu": edit(ALARM, Namespace="AWS/ElastiCache", MetricName="EngineCPUUtilization",
                                           Dimensions=[{"Name": "CacheClusterId", "Value": "app-cache-001"}])},
         "Cache"),
    Case("MOO-MON-004", {"Alarm": edit(ALARM, drop=("AlarmActions",))}, {"Alarm": ALARM}, "Alarm"),
    # A topic fails only when someone is subscribed (a topic nobody hears holds no message at rest).
    Case("MOO-MON-005", {"Topic": res("AWS::SNS::Topic", {}), "Sub": res("AWS::SNS::Subscription", {
        "TopicArn": {"Ref": "Topic"}, "Protocol": "email", "Endpoint": "ops@example.com"})},
         {"Topic": res("AWS::SNS::Topic", {"KmsMasterKeyId": KEY_ARN}), "Sub": res("AWS::SNS::Subscription", {
             "TopicArn": {"Ref": "Topic"}, "Protocol": "email", "Endpoint": "ops@example.com"})}, "Topic"),
    Case("MOO-MON-006", {"Alarm": ALARM, "Topic": res("AWS::SNS::Topic", {"KmsMasterKeyId": "alias/aws/sns"})},
         {"Alarm": ALARM, "Topic": res("AWS::SNS::Topic", {"KmsMasterKeyId": {"Ref": "Key"}}),
          "Key": res("AWS::KMS::Key", {"KeyPolicy": {"Statement": [{
              "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
              "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}]}})}, "Alarm"),
    # Residency and regions
    Case("MOO-RES-001", {"Bucket": BUCKET}, {"Bucket": BUCKET}, "Bucket", region="me-south-1", residency=UAE,
         ok_residency=GCC),
    Case("MOO-RES-002", {"Db": edit(DB, AutomaticBackupReplicationRegion="eu-central-1")},
         {"Db": edit(DB, AutomaticBackupReplicationRegion="me-south-1")}, "Db", region="me-central-1",
         residency=UAE, ok_residency=GCC),
    Case("MOO-RES-003", {"Cdn": res("AWS::CloudFront::Distribution", {"DistributionConfig": {"Enabled": True}})},
         {"Cdn": res("AWS::CloudFront::Distribution", {"DistributionConfig": {"Enabled": True}})}, "Cdn",
         region="me-central-1", residency=UAE, ok_residency=(), ok_evaluated=False),
    Case("MOO-RES-004", {"Bucket": edit(BUCKET, ReplicationConfiguration={"Role": "arn:aws:iam::1:role/r", "Rules": [
        {"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::somewhere"}}]})},
         {"Bucket": edit(BUCKET, ReplicationConfiguration={"Role": "arn:aws:iam::1:role/r", "Rules": [
             {"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::somewhere", "EncryptionConfiguration": {
                 "ReplicaKmsKeyID": "arn:aws:kms:me-south-1:111122223333:key/x"}}}]})}, "Bucket",
         region="me-central-1", residency=GCC),
    Case("MOO-RES-005", {"budget": {"Budget": res("AWS::Budgets::Budget", {"Budget": {
        "BudgetType": "COST", "TimeUnit": "MONTHLY", "BudgetLimit": {"Amount": 100, "Unit": "USD"}}})}},
         {"budget": {"Budget": res("AWS::Budgets::Budget", {"Budget": {
             "BudgetType": "COST", "TimeUnit": "MONTHLY", "BudgetLimit": {"Amount": 100, "Unit": "USD"}}})}},
         "Budget", region="me-central-1", ok_regions={"budget": "us-east-1"}),  # where moorage puts budgets
    # Cross-resource and value rules (hand-written templates for each class: tests/policy/data/handwritten)
    Case("MOO-SEC-007", {"TaskDefinition": edit(TASK, ContainerDefinitions=[
        {**CONTAINER, "Environment": [{"Name": "DATABASE_URL", "Value": "postgresql://app:hunter2@db:5432/app"}]}])},
         {"TaskDefinition": edit(TASK, ContainerDefinitions=[
             {**CONTAINER, "Environment": [{"Name": "DATABASE_URL", "Value": "postgresql://db:5432/app"}]}])},
         "TaskDefinition"),
    Case("MOO-ECS-014", {**SERVICE_STACK, "TaskDefinition": edit(TASK, ContainerDefinitions=[
        {**CONTAINER, "PortMappings": [{"ContainerPort": 3040}]}])},
         {**SERVICE_STACK, "TaskDefinition": edit(TASK, ContainerDefinitions=[
             {**CONTAINER, "PortMappings": [{"ContainerPort": 3000}]}])}, "Service"),
    Case("MOO-ECS-015", {"Provider": res("AWS::ECS::CapacityProvider", {"Name": "FARGATE_SPOT",
         "AutoScalingGroupProvider": {"AutoScalingGroupArn": "arn:aws:autoscaling:eu-west-1:1:asg"}})},
         {"Provider": res("AWS::ECS::CapacityProvider", {"Name": "app-ec2-spot",
          "AutoScalingGroupProvider": {"AutoScalingGroupArn": "arn:aws:autoscaling:eu-west-1:1:asg"}})}, "Provider"),
    Case("MOO-ECS-016", {"TaskDefinition": edit(TASK, ContainerDefinitions=[
        {**CONTAINER, "Environment": [{"Name": "NODE_ENV", "Value": "development"}]}])},
         {"TaskDefinition": edit(TASK, ContainerDefinitions=[
             {**CONTAINER, "Environment": [{"Name": "NODE_ENV", "Value": "production"}]}])}, "TaskDefinition"),
    Case("MOO-RDS-012", {"Db": DB, "Replica": res("AWS::RDS::DBInstance", {
        "SourceDBInstanceIdentifier": {"Ref": "Db"}, "DBInstanceClass": "db.r6g.large", "BackupRetentionPeriod": 0})},
         {"Db": DB, "Replica": res("AWS::RDS::DBInstance", {
             "SourceDBInstanceIdentifier": {"Ref": "Db"}, "DBInstanceClass": "db.r6g.large",
             "BackupRetentionPeriod": 7})}, "Replica"),
    Case("MOO-NET-008", {"Sg": res("AWS::EC2::SecurityGroup", {"GroupDescription": "tasks", "SecurityGroupIngress": [
        {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "SourceSecurityGroupId": "sg-alb"}]})},
         {"Sg": res("AWS::EC2::SecurityGroup", {"GroupDescription": "tasks", "SecurityGroupIngress": [
             {"IpProtocol": "tcp", "FromPort": 3000, "ToPort": 3000, "SourceSecurityGroupId": "sg-alb"}]})}, "Sg"),
    Case("MOO-NET-009", {**SERVICE_STACK, "Service": edit(SERVICE, NetworkConfiguration={"AwsvpcConfiguration": {
        "AssignPublicIp": "DISABLED", "Subnets": [{"Ref": "Subnet"}]}}),
        "Subnet": res("AWS::EC2::Subnet", {"VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24"}),
        "Table": res("AWS::EC2::RouteTable", {"VpcId": "vpc-1"}),
        "Assoc": res("AWS::EC2::SubnetRouteTableAssociation", {"SubnetId": {"Ref": "Subnet"},
                                                               "RouteTableId": {"Ref": "Table"}})},
         {**SERVICE_STACK, "Service": edit(SERVICE, NetworkConfiguration={"AwsvpcConfiguration": {
             "AssignPublicIp": "DISABLED", "Subnets": [{"Ref": "Subnet"}]}}),
          "Subnet": res("AWS::EC2::Subnet", {"VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24"}),
          "Table": res("AWS::EC2::RouteTable", {"VpcId": "vpc-1"}),
          "Assoc": res("AWS::EC2::SubnetRouteTableAssociation", {"SubnetId": {"Ref": "Subnet"},
                                                                 "RouteTableId": {"Ref": "Table"}}),
          "Nat": res("AWS::EC2::Route", {"RouteTableId": {"Ref": "Table"}, "DestinationCidrBlock": "0.0.0.0/0",
                                         "NatGatewayId": "nat-1"})}, "Service"),
    Case("MOO-ELB-007", {**EDGE, "Https": listener("HTTPS", 443, DefaultActions=FORWARD),
                         "Check": res("AWS::Route53::HealthCheck", {"HealthCheckConfig": {
                             "Type": "HTTP", "Port": 3000, "ResourcePath": "/health",
                             "FullyQualifiedDomainName": {"Fn::GetAtt": ["LoadBalancer", "DNSName"]}}})},
         {**EDGE, "Https": listener("HTTPS", 443, DefaultActions=FORWARD),
          "Check": res("AWS::Route53::HealthCheck", {"HealthCheckConfig": {
              "Type": "HTTPS", "Port": 443, "ResourcePath": "/health",
              "FullyQualifiedDomainName": {"Fn::GetAtt": ["LoadBalancer", "DNSName"]}}})}, "Check"),
]
