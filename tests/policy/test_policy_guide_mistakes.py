"""The examples README's table of guide mistakes names the rules that catch each one: every named rule
must report a template that makes that mistake. A row naming a rule without a template here fails."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from moorage.api import template_sets
from moorage.policy import Report, run_checks

from .cases import (
    BUCKET,
    CACHE,
    CONTAINER,
    DB,
    EDGE,
    FORWARD,
    REPO,
    SERVICE_STACK,
    TASK,
    UAE,
    allow,
    attrs,
    edit,
    listener,
    policy_role,
    res,
    rule_findings,
    run,
)

ROOT = Path(__file__).resolve().parents[2]
CERT = {"CertificateArn": "arn:aws:acm:eu-west-1:111122223333:certificate/x"}
HANDWRITTEN = Path(__file__).parent / "data" / "handwritten"


def mistakes_table() -> dict[int, set[str]]:
    """Row number -> rule ids the README names for it ("MOO-SEC-001/003" names two)."""
    text = (ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    table = text.split("## Mistakes in the guides", 1)[1].split("\n## ", 1)[0]
    rows: dict[int, set[str]] = {}
    for line in table.splitlines():
        match = re.match(r"\|\s*(\d+)\s*\|", line)
        if not match:
            continue
        ids: set[str] = set()
        for group in re.findall(r"MOO-[A-Z]+-\d{3}(?:/\d{3})*", line):
            prefix, first, *more = re.match(r"(MOO-[A-Z]+-)(\d{3})((?:/\d{3})*)", group).groups()  # type: ignore[union-attr]
            ids |= {prefix + n for n in [first, *(more[0].split("/")[1:] if more and more[0] else [])]}
        if ids:
            rows[int(match[1])] = ids
    return rows


def from_files(*names: str) -> Report:
    paths = [p for n in names for p in ((sorted((HANDWRITTEN / n).glob("*.yaml"))) if (HANDWRITTEN / n).is_dir()
                                        else [HANDWRITTEN / f"{n}.yaml"])]
    return run_checks(template_sets(paths))


def merged(*reports: Report) -> Report:
    out = Report()
    for r in reports:
        out.findings += r.findings
    return out


def _cluster_mode_without_replicas() -> dict[str, Any]:
    return {"Cache": edit(CACHE, drop=("NumCacheClusters",), NumNodeGroups=3, ReplicasPerNodeGroup=0,
                          AutomaticFailoverEnabled=False, MultiAZEnabled=False)}


# Row number -> the mistake as a template set (built from cases.py blocks or read from handwritten/).
MISTAKES: dict[int, Any] = {
    1: lambda: run({"Bucket": BUCKET}, region="me-south-1", residency=UAE),
    3: lambda: run({"Db": edit(DB, AutomaticBackupReplicationRegion="eu-south-1")}, region="me-central-1",
                   residency=UAE),
    4: lambda: run({"Cdn": res("AWS::CloudFront::Distribution", {"DistributionConfig": {"Enabled": True}})},
                   region="me-central-1", residency=UAE),
    5: lambda: run({k: v for k, v in EDGE.items() if k != "WebAclAssociation"}),
    6: lambda: run({**EDGE, "Https": listener("HTTPS", 443, DefaultActions=FORWARD, Certificates=[CERT])}),
    7: lambda: from_files("route_tables"),
    8: lambda: from_files("port_mismatch"),
    9: lambda: from_files("sg_ranges"),
    10: lambda: from_files("capacity_providers"),
    12: lambda: run(_cluster_mode_without_replicas()),
    13: lambda: run({"Cache": edit(CACHE, drop=("AuthToken",), AutomaticFailoverEnabled=False,
                                   MultiAZEnabled=False)}),
    14: lambda: from_files("env_secrets"),
    19: lambda: from_files("health_check"),
    20: lambda: run({"Repo": edit(REPO, drop=("LifecyclePolicy",))}),
    22: lambda: from_files("managed_policies"),
    25: lambda: run({"Db": attrs(DB, DeletionPolicy="Delete", UpdateReplacePolicy="Delete"),
                    "Cache": attrs(CACHE, DeletionPolicy=None, UpdateReplacePolicy=None)}),
    27: lambda: run({**SERVICE_STACK, "Service": edit(SERVICE_STACK["Service"], EnableExecuteCommand=True)}),
    28: lambda: merged(from_files("debug_flags"), run({"TaskRole": policy_role(
        allow(["cognito-idp:AdminGetUser", "cognito-idp:AdminCreateUser"], "*"))})),
    29: lambda: run({"TaskDefinition": edit(TASK, ContainerDefinitions=[{**CONTAINER, "Image": "nginx:latest"}])}),
}


TABLE = mistakes_table()


def test_the_table_names_rules_and_each_row_has_a_template() -> None:
    assert len(TABLE) >= 15
    assert sorted(TABLE) == sorted(MISTAKES), "a README row names rules without a template here (or vice versa)"


@pytest.mark.parametrize("row", sorted(TABLE))
def test_each_named_rule_catches_the_mistake(row: int) -> None:
    report = MISTAKES[row]()
    missing = sorted(r for r in TABLE[row] if not rule_findings(report, r))
    assert not missing, f"mistake {row}: {missing} report nothing; found {sorted({f.rule for f in report.findings})}"
