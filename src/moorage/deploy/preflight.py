"""Checks a deploy makes before any change set, on what only the deploy knows: the account it deploys to."""

from __future__ import annotations

from moorage.deploy.session import Target
from moorage.plan.model import Plan
from moorage.spec.validate import arn_account


def deploy_account(target: Target, region: str) -> str:
    """The account id the deploy reaches (STS GetCallerIdentity; the emulator answers with its own account)."""
    return str(target.client("sts", region).get_caller_identity()["Account"])


def rotation_refusals(plan: Plan, target: Target, region: str) -> list[str]:
    """:func:`foreign_rotation_functions` for the deploy's account; asks STS only when a secret names a function."""
    if not any(s.spec.rotation_function for s in plan.secrets.values()):
        return []
    return foreign_rotation_functions(plan, deploy_account(target, region))


def foreign_rotation_functions(plan: Plan, account: str) -> list[str]:
    """One located refusal per secret whose ``rotation_function`` lives in another account than ``account``:
    the stack grants Secrets Manager the invoke (lambda:AddPermission), which an account may do only on its own
    functions, so CloudFormation would fail halfway through the data stack. The spec check catches this only
    when a certificate ARN names the account."""
    out = []
    for name, secret in sorted(plan.secrets.items()):
        theirs = arn_account(secret.spec.rotation_function)
        if theirs and theirs != account:
            out.append(
                f"secrets.{name}.rotation_function: the function is in account {theirs}, this deploy goes to "
                f"account {account}; the deploy could not grant Secrets Manager the right to invoke it (the data "
                f"stack would fail and roll back)\n"
                f"    fix: name a rotation function in account {account}; to keep the code in {theirs}, deploy a "
                f"function in {account} that calls it (and give that one a resource policy allowing it there)")
    return out
