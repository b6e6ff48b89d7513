"""IAM roles, users, groups and policies: least privilege."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from moorage.cfn.index import Resource
from moorage.cfn.values import as_list, dig, strings
from moorage.policy.checks import Issue, Outcome, facts, issue, rule
from moorage.policy.rules.common import (
    actions,
    allows,
    matches_any,
    public_principal,
    restricted,
    statements,
    wildcard_resource,
)

Where = tuple[str | int, ...]


def documents(r: Resource) -> Iterator[tuple[Any, Where, str]]:
    """(policy document, path, name) of every permission policy the resource carries."""
    if r.type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        name = r.value("PolicyName") or r.value("ManagedPolicyName") or r.id
        yield r.get("PolicyDocument"), ("Properties", "PolicyDocument"), str(name)
        return
    for i, policy in enumerate(as_list(r.get("Policies"))):
        yield (dig(policy, "PolicyDocument"), ("Properties", "Policies", i, "PolicyDocument"),
               str(dig(policy, "PolicyName") or i + 1))


def allow_statements(r: Resource) -> Iterator[tuple[Mapping[str, Any], Where, str]]:
    """(statement, path, label) of each Allow statement in the resource's policies."""
    for document, path, name in documents(r):
        for i, st in statements(document):
            if allows(st):
                yield st, (*path, "Statement", i), f"policy {name} statement {st.get('Sid') or i + 1}"


@rule("MOO-IAM-001")
def no_full_access(r: Resource) -> Outcome:
    out = []
    for st, path, label in allow_statements(r):
        if st.get("NotAction") is not None:
            out.append(issue(f"{label} allows NotAction: everything but a list", *path))
        elif {"*", "*:*"} & set(actions(st)):
            out.append(issue(f"{label} allows every action", *path))
    return out


def role_use(r: Resource) -> str:
    """What a role is for: "execution" / "task" (of an ECS task definition), "ci" (trusted by a CI
    provider or build service), else "other"."""
    for task in r.referrers("AWS::ECS::TaskDefinition"):
        for key, use in (("ExecutionRoleArn", "execution"), ("TaskRoleArn", "task")):
            target = task.target(task.get(key))
            if target is not None and target.key == r.key:
                return use
    trusted = " ".join(strings(r.get("AssumeRolePolicyDocument"))).lower()
    return "ci" if any(p in trusted for p in facts()["ci_principals"]) else "other"


def broad_policy(arn: str) -> tuple[str, Mapping[str, str]] | None:
    """(name, {grants, what}) when ``arn`` is an AWS managed policy in the table of broad ones."""
    if ":aws:policy/" not in arn:
        return None
    name = arn.rsplit("/", 1)[-1]
    table = facts()["managed_policies"]
    key = name if name in table else next((k for k in table if fnmatchcase(name, k)), None)
    return (name, table[key]) if key else None


@rule("MOO-IAM-002")
def no_admin_policies(r: Resource) -> Outcome:
    out = []
    use: str | None = None
    for i, arn in enumerate(as_list(r.get("ManagedPolicyArns"))):
        hit = broad_policy(" ".join(strings(arn)))
        if hit is None:
            continue
        use = use or (role_use(r) if r.type == "AWS::IAM::Role" else "other")
        name, meta = hit
        severity = facts()["severity_by_use"][meta["grants"]][use]
        role = {"execution": "an ECS execution role", "task": "an ECS task role", "ci": "a CI role"}.get(use, "it")
        out.append(issue(f"attaches the AWS managed policy {name} ({meta['what']}) to {role}",
                         "Properties", "ManagedPolicyArns", i, severity=severity))
    return out


@rule("MOO-IAM-003")
def escalation_scoped(r: Resource) -> Outcome:
    patterns = [str(p) for p in facts()["escalation_actions"]]
    out: list[Issue] = []
    for st, path, label in allow_statements(r):
        if not wildcard_resource(st):
            continue
        risky = sorted({a for a in actions(st) if a not in ("*", "*:*") and matches_any(a, patterns)})
        if risky:
            out.append(issue(f"{label} allows {', '.join(risky)} on every resource", *path))
    return out


@rule("MOO-IAM-004")
def no_service_wildcards(r: Resource) -> Outcome:
    out = []
    for st, path, label in allow_statements(r):
        wild = sorted(a for a in actions(st) if a.endswith(":*") and a != "*:*")
        if wild:
            out.append(issue(f"{label} allows {', '.join(wild)}", *path))
    return out


@rule("MOO-IAM-005")
def no_needless_star_resource(r: Resource) -> Outcome:
    star_only = [str(p) for p in facts()["star_only_actions"]]
    escalation = [str(p) for p in facts()["escalation_actions"]]
    out = []
    for st, path, label in allow_statements(r):
        if not wildcard_resource(st):
            continue
        narrowable = sorted({a for a in actions(st) if a not in ("*", "*:*")
                             and not matches_any(a, star_only) and not matches_any(a, escalation)})
        if narrowable:
            out.append(issue(f"{label} allows {', '.join(narrowable)} on Resource \"*\"", *path))
    return out


@rule("MOO-IAM-006")
def trust_not_public(r: Resource) -> Outcome:
    out = []
    for i, st in statements(r.get("AssumeRolePolicyDocument")):
        if allows(st) and public_principal(st) and not restricted(st):
            out.append(issue(f"trust statement {st.get('Sid') or i + 1} lets any AWS principal assume the role",
                             "Properties", "AssumeRolePolicyDocument", "Statement", i))
    return out


@rule("MOO-IAM-007")
def no_access_keys(r: Resource) -> Outcome:
    if r.value("Status") == "Inactive":
        return []
    return [issue("creates a long-lived access key for an IAM user", "Properties")]
