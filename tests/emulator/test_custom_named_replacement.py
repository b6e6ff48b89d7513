"""The emulator fails the replacement of a resource whose template sets its name and keeps it, as
CloudFormation does (it would create the new one beside the old one under the same name); a renamed
replacement goes through, the new one first."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

Aws = Callable[[str, str], Any]
REGION = "eu-west-1"


def repo_template(name: str, encryption: str) -> str:
    return json.dumps({"Resources": {"Repo": {"Type": "AWS::ECR::Repository", "Properties": {
        "RepositoryName": name, "EncryptionConfiguration": {"EncryptionType": encryption}}}}})


def settled(cf: Any, stack: str) -> str:
    for _ in range(200):
        status: str = cf.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            return status
        time.sleep(0.05)
    raise AssertionError(f"{stack} still {status}")


def deploy(cf: Any, body: str, kind: str = "UPDATE") -> str:
    """Create and execute a change set (as deploy does), then the stack's settled status."""
    name = f"c{time.monotonic_ns()}"
    cf.create_change_set(StackName="named", ChangeSetName=name, ChangeSetType=kind, TemplateBody=body)
    cf.execute_change_set(ChangeSetName=name, StackName="named")
    return settled(cf, "named")


def test_same_name_replacement_fails_renamed_one_goes_through(aws: Aws) -> None:
    cf, ecr = aws("cloudformation", REGION), aws("ecr", REGION)
    assert deploy(cf, repo_template("app-repo", "AES256"), "CREATE") == "CREATE_COMPLETE"
    # EncryptionConfiguration is create-only: a replacement, under the same name.
    assert deploy(cf, repo_template("app-repo", "KMS")) == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [e.get("ResourceStatusReason", "") for e in cf.describe_stack_events(StackName="named")["StackEvents"]
               if e["LogicalResourceId"] == "Repo" and e["ResourceStatus"] == "UPDATE_FAILED"]
    assert reasons and "custom-named resource requires replacing" in reasons[0] and "app-repo" in reasons[0]
    [repo] = ecr.describe_repositories(repositoryNames=["app-repo"])["repositories"]
    assert repo["encryptionConfiguration"]["encryptionType"] == "AES256"  # the old one is untouched
    # Under a new name the new repository is created and the old one deleted.
    assert deploy(cf, repo_template("app-repo-2", "KMS")) == "UPDATE_COMPLETE"
    names = {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}
    assert names == {"app-repo-2"}
