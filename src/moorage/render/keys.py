"""Keys and registry stacks: the environment's customer-managed KMS key; ECR repositories for built services."""

from __future__ import annotations

import json
from typing import Any

from troposphere import GetAtt, Ref, Sub, ecr, kms

from moorage.render.context import StackContext

KEY_OUTPUT = "KeyArn"


def key_arn(ctx: StackContext) -> Any:
    """The environment's customer-managed key (a parameter from the keys stack)."""
    return ctx.take("keys", KEY_OUTPUT)


def render_keys(ctx: StackContext) -> None:
    """Fill the keys stack: one symmetric key with yearly rotation, kept when the stack goes."""
    plan = ctx.plan
    logs_arn = f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/moorage/{plan.app}/" \
               f"{plan.env.env}/*"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "AccountAdministers", "Effect": "Allow",
         "Principal": {"AWS": Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
         "Action": "kms:*", "Resource": "*"},
        # CloudWatch Logs encrypts this environment's log groups (and only those) with the key.
        {"Sid": "CloudWatchLogs", "Effect": "Allow",
         "Principal": {"Service": Sub("logs.${AWS::Region}.amazonaws.com")},
         "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
         "Resource": "*",
         "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": Sub(logs_arn)}}},
    ]}
    ctx.add(kms.Key(
        "Key", Description=f"{plan.prefix}: data at rest (databases, caches, buckets, secrets, logs)",
        EnableKeyRotation=True, KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT", KeyPolicy=policy,
        Tags=ctx.tags(), DeletionPolicy="Retain", UpdateReplacePolicy="Retain"))
    ctx.add(kms.Alias("KeyAlias", AliasName=f"alias/{plan.prefix}", TargetKeyId=Ref("Key")))
    ctx.give(KEY_OUTPUT, GetAtt("Key", "Arn"), "customer-managed key of this environment")


def lifecycle_policy(keep: int) -> str:
    """Untagged images expire after 7 days; of the rest, the newest ``keep`` stay."""
    return json.dumps({"rules": [
        {"rulePriority": 1, "description": "untagged images go after 7 days",
         "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days",
                       "countNumber": 7}, "action": {"type": "expire"}},
        {"rulePriority": 2, "description": f"keep the last {keep} images",
         "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
         "action": {"type": "expire"}},
    ]}, sort_keys=True)


def render_registry(ctx: StackContext) -> None:
    """Fill a registry stack: one repository per service built from source that the plan placed in it."""
    plan = ctx.plan
    env = plan.env
    dev = not plan.keep_on_delete
    for service, name in sorted(plan.repositories.items()):
        if plan.home("repo", service) != ctx.stack.key:
            continue  # in another part of a registry split under CloudFormation's limits (plan.layout)
        lid = "Repo" + "".join(w.title() for w in service.split("-"))
        encryption: dict[str, Any] = {"EncryptionType": "AES256"}
        if plan.customer_key:
            encryption = {"EncryptionType": "KMS", "KmsKey": ctx.take("keys", KEY_OUTPUT)}
        ctx.add(ecr.Repository(
            lid, RepositoryName=name, ImageTagMutability="IMMUTABLE",
            ImageScanningConfiguration=ecr.ImageScanningConfiguration(ScanOnPush=env.registry_scan),
            EncryptionConfiguration=ecr.EncryptionConfiguration(**encryption),
            LifecyclePolicy=ecr.LifecyclePolicy(LifecyclePolicyText=lifecycle_policy(env.registry_keep)),
            Tags=ctx.tags(**{"moorage:service": service}),
            **({"EmptyOnDelete": True, "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"} if dev
               else {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})))
        ctx.give(f"{lid}Uri", GetAtt(lid, "RepositoryUri"), f"repository of {service}")
