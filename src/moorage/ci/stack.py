"""The `ci` stack: the OIDC identity provider, the CI roles, and the CloudFormation execution role.

The pattern of CDK's bootstrap: the role CI assumes can only drive CloudFormation for this app's stacks (and
only with the execution role), push this app's images and write its release records; the resource permissions
belong to the execution role, which only CloudFormation can assume.
"""

from __future__ import annotations

from typing import Any, Literal

from troposphere import GetAtt, Output, Ref, Sub, Template, iam

from moorage import __version__
from moorage.ci.pipeline import CiSettings

Provider = Literal["github", "gitlab"]

ISSUERS = {"github": "token.actions.githubusercontent.com", "gitlab": "gitlab.com"}
AUDIENCE = "sts.amazonaws.com"

# What CloudFormation creates for a moorage app; the execution role may manage these services' resources.
MANAGED_SERVICES = (
    "acm", "application-autoscaling", "budgets", "cloudfront", "cloudwatch", "cognito-idp", "ec2", "ecr", "ecs",
    "elasticache", "elasticfilesystem", "elasticloadbalancing", "events", "kms", "lambda", "logs", "rds",
    "route53", "s3", "secretsmanager", "servicediscovery", "sns", "ssm", "wafv2", "xray",
)
IAM_ROLE_ACTIONS = ("iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:TagRole",
                    "iam:UntagRole", "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy",
                    "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:UpdateAssumeRolePolicy",
                    "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:PassRole")
CHANGE_ACTIONS = ("cloudformation:CreateChangeSet", "cloudformation:DeleteStack",
                  "cloudformation:ContinueUpdateRollback")
STACK_ACTIONS = ("cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet",
                 "cloudformation:DeleteChangeSet", "cloudformation:DescribeStacks",
                 "cloudformation:DescribeStackEvents", "cloudformation:GetTemplate",
                 "cloudformation:ListStackResources", "cloudformation:DescribeStackResources")
READ_ACTIONS = ("cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents", "cloudformation:GetTemplate")
ECR_PUSH = ("ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
            "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:DescribeRepositories",
            "ecr:DescribeImages", "ecr:CreateRepository", "ecr:TagResource")


def subject(provider: Provider, repo: str, *, environment: str | None = None, branch: str | None = None,
            review: bool = False) -> str:
    """The OIDC ``sub`` a role trusts: the repository and its environment / branch (review: pull requests)."""
    if provider == "github":
        if review:
            return f"repo:{repo}:pull_request"
        return f"repo:{repo}:environment:{environment}"
    if review:
        return f"project_path:{repo}:ref_type:branch:ref:*"
    return f"project_path:{repo}:ref_type:branch:ref:{branch}"


def ci_template(ci: CiSettings, provider: Provider, provider_arn: str | None = None) -> dict[str, Any]:
    """The `ci` stack's template (deploy it once per account, in the app's region)."""
    t = Template()
    t.set_version("2010-09-09")
    t.set_description(f"moorage {__version__}: {ci.app} CI roles for {provider} ({ci.repo}), OIDC only")
    issuer = ISSUERS[provider]
    if provider_arn:
        provider_ref: Any = provider_arn
    else:
        t.add_resource(iam.OIDCProvider("OidcProvider", Url=f"https://{issuer}", ClientIdList=[AUDIENCE]))
        provider_ref = Ref("OidcProvider")
    account = "${AWS::AccountId}"
    app = ci.app
    stacks = f"arn:${{AWS::Partition}}:cloudformation:*:{account}:stack/{app}-"
    t.add_resource(iam.Role(
        "ExecutionRole", RoleName=ci.role_name("execution"),
        Description=f"{app}: CloudFormation creates and changes the app's resources with this role",
        AssumeRolePolicyDocument={"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": Ref("AWS::AccountId")}}}]},
        Policies=[iam.Policy(PolicyName="app-resources", PolicyDocument={"Version": "2012-10-17", "Statement": [
            {"Sid": "AppServices", "Effect": "Allow", "Action": [f"{s}:*" for s in MANAGED_SERVICES],
             "Resource": "*"},
            {"Sid": "AppRoles", "Effect": "Allow", "Action": list(IAM_ROLE_ACTIONS),
             "Resource": [Sub(f"arn:${{AWS::Partition}}:iam::{account}:role/{app}-*")]},
            {"Sid": "ServiceLinkedRoles", "Effect": "Allow", "Action": ["iam:CreateServiceLinkedRole"],
             "Resource": [Sub(f"arn:${{AWS::Partition}}:iam::{account}:role/aws-service-role/*")]}]})]))
    for env in ci.environments:
        key = "".join(p.title() for p in env.name.replace("_", "-").replace(".", "-").split("-"))
        sub = subject(provider, ci.repo, environment=env.name, branch=ci.branch)
        t.add_resource(iam.Role(
            f"DeployRole{key}", RoleName=ci.role_name(f"deploy-{env.name}"),
            Description=f"{app}: {provider} deploys {env.name} ({sub}) through CloudFormation only",
            MaxSessionDuration=3600,
            AssumeRolePolicyDocument=_trust(provider_ref, issuer, sub, like=False),
            Policies=[iam.Policy(PolicyName="deploy", PolicyDocument=_deploy_policy(ci, env.name, stacks))]))
        t.add_output(Output(f"DeployRole{key}Arn", Value=GetAtt(f"DeployRole{key}", "Arn"),
                            Description=f"assumed by the {env.name} deploy job"))
    if ci.preview_base:
        _preview_role(t, ci, provider, provider_ref, issuer, stacks)
    review_sub = subject(provider, ci.repo, review=True)
    t.add_resource(iam.Role(
        "ReviewRole", RoleName=ci.role_name("review"), MaxSessionDuration=3600,
        Description=f"{app}: pull-request checks read the deployed stacks ({review_sub})",
        AssumeRolePolicyDocument=_trust(provider_ref, issuer, review_sub, like=provider == "gitlab"),
        Policies=[iam.Policy(PolicyName="read", PolicyDocument={"Version": "2012-10-17", "Statement": [
            {"Sid": "ReadStacks", "Effect": "Allow", "Action": list(READ_ACTIONS),
             "Resource": [Sub(stacks + "*/*")]},
            {"Sid": "ReadReleases", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": [Sub(f"arn:${{AWS::Partition}}:s3:::moorage-artifacts-{account}-*"),
                          Sub(f"arn:${{AWS::Partition}}:s3:::moorage-artifacts-{account}-*/releases/{app}/*")]}]})]))
    t.add_output(Output("ReviewRoleArn", Value=GetAtt("ReviewRole", "Arn"), Description="pull-request checks"))
    t.add_output(Output("ExecutionRoleArn", Value=GetAtt("ExecutionRole", "Arn"),
                        Description="MOORAGE_CFN_ROLE_ARN: CloudFormation's role for every app stack"))
    t.add_output(Output("ProviderArn", Value=provider_ref, Description=f"the {issuer} OIDC identity provider"))
    data: dict[str, Any] = t.to_dict()
    return data


def _preview_role(t: Template, ci: CiSettings, provider: Provider, provider_ref: Any, issuer: str,
                  stacks: str) -> None:
    """The role pull-request previews assume: drives only ``<app>-pr-*`` stacks (with the execution role), pushes
    images to the base's repositories (under tags of their own), reads the base's stacks and lists stacks to
    find previews. GitHub: jobs in the ``preview`` environment; GitLab: merge-request pipelines of any branch."""
    from moorage.ci.pipeline import PREVIEW_PREFIX

    assert ci.preview_base is not None
    account = "${AWS::AccountId}"
    sub = subject(provider, ci.repo, environment="preview", review=provider == "gitlab")
    policy = _deploy_policy(ci, PREVIEW_PREFIX, stacks)
    for statement in policy["Statement"]:
        if statement["Sid"] == "PushImages":
            statement["Resource"] = [Sub(f"arn:${{AWS::Partition}}:ecr:*:{account}:repository/{ci.app}/"
                                         f"{ci.preview_base}/*")]
    policy["Statement"] = [s for s in policy["Statement"] if s["Sid"] not in ("RunJobs", "PassTaskRolesToJobs")]
    policy["Statement"] += [
        {"Sid": "ReadBaseStacks", "Effect": "Allow", "Action": list(READ_ACTIONS),
         "Resource": [Sub(stacks + f"{ci.preview_base}-*/*")]},
        {"Sid": "FindPreviews", "Effect": "Allow", "Action": ["cloudformation:DescribeStacks"], "Resource": "*"},
        # a free block of listener priorities on the base's listener (Describe* takes no resource ARN)
        {"Sid": "ReadListenerRules", "Effect": "Allow", "Action": ["elasticloadbalancing:DescribeRules"],
         "Resource": "*"},
        # destroy empties a preview's own buckets (CloudFormation deletes only empty ones)
        {"Sid": "EmptyOwnBuckets", "Effect": "Allow",
         "Action": ["s3:ListBucketVersions", "s3:DeleteObject", "s3:DeleteObjectVersion"],
         "Resource": [Sub(f"arn:${{AWS::Partition}}:s3:::{ci.app}-{PREVIEW_PREFIX}-*"),
                      Sub(f"arn:${{AWS::Partition}}:s3:::{ci.app}-{PREVIEW_PREFIX}-*/*")]}]
    t.add_resource(iam.Role(
        "DeployRolePreview", RoleName=ci.role_name("deploy-preview"), MaxSessionDuration=3600,
        Description=f"{ci.app}: {provider} previews of {ci.preview_base} ({sub}), {ci.app}-{PREVIEW_PREFIX}-* "
                    "stacks only",
        AssumeRolePolicyDocument=_trust(provider_ref, issuer, sub, like=provider == "gitlab"),
        Policies=[iam.Policy(PolicyName="preview", PolicyDocument=policy)]))
    t.add_output(Output("DeployRolePreviewArn", Value=GetAtt("DeployRolePreview", "Arn"),
                        Description="assumed by the pull-request preview jobs"))


def _trust(provider_ref: Any, issuer: str, sub: str, like: bool) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider_ref}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{issuer}:aud": AUDIENCE, **({} if like else {f"{issuer}:sub": sub})},
                      **({"StringLike": {f"{issuer}:sub": sub}} if like else {})}}]}


def _deploy_policy(ci: CiSettings, env: str, stacks: str) -> dict[str, Any]:
    account = "${AWS::AccountId}"
    app = ci.app
    own = Sub(stacks + f"{env}-*/*")
    execution = GetAtt("ExecutionRole", "Arn")
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "ChangeOwnStacksAsExecutionRole", "Effect": "Allow", "Action": list(CHANGE_ACTIONS),
         "Resource": [own], "Condition": {"StringEquals": {"cloudformation:RoleArn": [execution]}}},
        {"Sid": "DriveOwnStacks", "Effect": "Allow", "Action": list(STACK_ACTIONS), "Resource": [own]},
        {"Sid": "PassExecutionRole", "Effect": "Allow", "Action": ["iam:PassRole"], "Resource": [execution],
         "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}},
        {"Sid": "PassTaskRolesToJobs", "Effect": "Allow", "Action": ["iam:PassRole"],
         "Resource": [Sub(f"arn:${{AWS::Partition}}:iam::{account}:role/{app}-{env}-*")],
         "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}},
        {"Sid": "RunJobs", "Effect": "Allow", "Action": ["ecs:RunTask"],
         "Resource": [Sub(f"arn:${{AWS::Partition}}:ecs:*:{account}:task-definition/{app}-{env}-*")]},
        {"Sid": "ReadServicesAndTasks", "Effect": "Allow",
         "Action": ["ecs:DescribeTasks", "ecs:DescribeServices", "ecs:DescribeTaskDefinition", "ecs:ListServices"],
         "Resource": "*"},
        {"Sid": "PushImages", "Effect": "Allow", "Action": list(ECR_PUSH),
         "Resource": [Sub(f"arn:${{AWS::Partition}}:ecr:*:{account}:repository/{app}/{env}/*")]},
        {"Sid": "RegistryLogin", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": "*"},
        {"Sid": "ArtifactsAndReleases", "Effect": "Allow",
         "Action": ["s3:CreateBucket", "s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:PutBucketTagging",
                    "s3:PutEncryptionConfiguration", "s3:PutBucketPublicAccessBlock", "s3:PutLifecycleConfiguration",
                    "s3:GetLifecycleConfiguration"],
         "Resource": [Sub(f"arn:${{AWS::Partition}}:s3:::moorage-artifacts-{account}-*"),
                      Sub(f"arn:${{AWS::Partition}}:s3:::moorage-artifacts-{account}-*/*")]}]}
