"""A finding on a value inside one Fn::If branch points at that branch's line (a hand-written template with the
short form `!If`, block and flow style), not at the property or the resource."""

from __future__ import annotations

from pathlib import Path

import pytest

from moorage.cfn import file_template_sets
from moorage.policy.engine import run_checks
from moorage.policy.findings import Finding

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Env: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties:
      PublicAccessBlockConfiguration: !If
        - IsProd
        - BlockPublicAcls: true
          BlockPublicPolicy: true
          IgnorePublicAcls: true
          RestrictPublicBuckets: true
        - BlockPublicAcls: false
          BlockPublicPolicy: false
          IgnorePublicAcls: false
          RestrictPublicBuckets: false
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      Engine: postgres
      DBInstanceClass: db.t4g.micro
      AllocatedStorage: "20"
      MasterUsername: app
      ManageMasterUserPassword: true
      StorageEncrypted: !If
        - IsProd
        - true
        - false
      PubliclyAccessible: !If [IsProd, false, true]
      Tags:
        - !If [IsProd, !Ref AWS::NoValue, {Key: team, Value: data}]
        - Key: owner
          Value: ops
"""


def line_of(needle: str, occurrence: int = 1) -> int:
    hits = [n for n, row in enumerate(TEMPLATE.splitlines(), 1) if needle in row]
    return hits[occurrence - 1]


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Finding]:
    path = tmp_path_factory.mktemp("if") / "stack.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    report = run_checks(file_template_sets([path]))
    return {f.rule: f for f in report.findings}


def test_a_finding_in_a_mapping_branch_points_at_that_branch(findings: dict[str, Finding]) -> None:
    found = findings["MOO-S3-001"]
    assert "when condition IsProd is false" in found.message
    assert found.line == line_of("- BlockPublicAcls: false")


def test_a_finding_in_a_scalar_branch_points_at_that_branch(findings: dict[str, Finding]) -> None:
    found = findings["MOO-RDS-001"]
    assert "when condition IsProd is false" in found.message
    assert found.line == line_of("        - false")


def test_a_flow_style_if_points_at_its_own_line(findings: dict[str, Finding]) -> None:
    found = findings["MOO-RDS-002"]
    assert "when condition IsProd is false" in found.message
    assert found.line == line_of("PubliclyAccessible: !If")


def test_a_finding_in_every_branch_points_at_the_property(tmp_path: Path) -> None:
    path = tmp_path / "both.yaml"
    path.write_text(TEMPLATE.replace("        - true\n        - false\n", "        - false\n        - false\n"),
                    encoding="utf-8")
    [found] = [f for f in run_checks(file_template_sets([path])).findings if f.rule == "MOO-RDS-001"]
    assert "when condition" not in found.message
    assert found.line == line_of("StorageEncrypted: !If")


def test_list_items_dropped_by_no_value_do_not_shift_the_lines(tmp_path: Path) -> None:
    from cfnlint.decode import decode_str

    from moorage.policy.engine import locate

    template, _ = decode_str(TEMPLATE)
    tags = ("Properties", "Tags", 0)
    assert locate(template, "Db", tags, assignment={"IsProd": True}) == line_of("- Key: owner")
    assert locate(template, "Db", tags, assignment={"IsProd": False}) == line_of("- !If [IsProd, !Ref AWS::NoValue")
    assert locate(template, "Db", ("Properties", "Tags", 1), assignment={"IsProd": False}) == line_of("- Key: owner")
