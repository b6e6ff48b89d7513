"""`moorage check` lists the Checkov checks a template skips in its Metadata, with their reasons."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from moorage.api import template_sets
from moorage.cli.check import check
from moorage.policy import run_checks
from moorage.policy.report import to_json, to_markdown

TEMPLATE = """\
Resources:
  Logs:
    Type: AWS::S3::Bucket
    Metadata:
      checkov:
        skip:
          - id: CKV_AWS_18
            comment: this bucket receives the access logs of the others
  Site:
    Type: AWS::S3::Bucket
    Metadata:
      checkov:
        skip:
          - id: CKV_AWS_21
  Plain:
    Type: AWS::S3::Bucket
"""

app = typer.Typer()
app.command()(check)
app.command()(lambda: None)  # two commands keep typer's subcommand parsing, as in the real app


def _template(tmp_path: Path) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE, encoding="utf-8")
    return path


def test_report_holds_every_skip_with_its_reason(tmp_path: Path) -> None:
    report = run_checks(template_sets([_template(tmp_path)]))
    skips = [(s.scanner, s.check, s.resource, s.reason) for s in report.scanner_skips]
    assert skips == [("checkov", "CKV_AWS_18", "Logs", "this bucket receives the access logs of the others"),
                     ("checkov", "CKV_AWS_21", "Site", "")]
    data = json.loads(to_json(report))
    assert [s["check"] for s in data["scanner_suppressions"]] == ["CKV_AWS_18", "CKV_AWS_21"]
    md = to_markdown(report)
    assert "## Skipped scanner checks (2)" in md and "| checkov CKV_AWS_21 | template/Site | (no reason given) |" in md


def test_check_prints_the_skips_of_a_synthesized_spec(tmp_path: Path) -> None:
    """moorage's own prod templates carry reasons for what Checkov flags on purpose; the table shows them."""
    repo = Path(__file__).resolve().parents[2]
    result = CliRunner().invoke(app, ["check", str(repo / "examples" / "rupaya" / "moorage.yml"), "--env", "prod",
                                      "--fail-on", "none"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "SKIPPED SCANNER CHECKS" in result.output
    assert "CKV_AWS_116" in result.output and "dead-letter queue only catches asynchronous" in result.output
    assert "CKV_AWS_260" not in result.output  # behind CloudFront port 80 is closed: nothing left to skip
