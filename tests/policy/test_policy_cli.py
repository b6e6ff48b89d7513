"""`moorage check` and `moorage rules`, registered on a throwaway Typer app as the CLI will register them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from typer.testing import CliRunner

from moorage import api
from moorage.api import spec_suppressions, template_sets
from moorage.cli.check import check, rules
from moorage.errors import InputError
from moorage.policy import all_rules, run_checks
from moorage.render import write_synth

from .cases import BUCKET, edit

REPO = Path(__file__).resolve().parents[2]
MAESTRO = REPO / "examples" / "maestro" / "moorage.yml"
HELLO = REPO / "examples" / "hello" / "moorage.yml"

app = typer.Typer()
app.command()(check)
app.command()(rules)
runner = CliRunner()


def invoke(*args: str | Path) -> typer.testing.Result:  # type: ignore[name-defined]
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "prod"
    write_synth(api.synth_environment(api.load_app(MAESTRO), "prod"), out)
    return out


def test_check_a_spec_prints_findings_by_severity() -> None:
    result = invoke("check", HELLO, "--env", "prod", "--fail-on", "none")
    assert result.exit_code == 0, result.output
    assert "MEDIUM (" in result.output and "MOO-ECS-003" in result.output
    assert "prod: 6 templates" in result.output  # keys, network, platform, edge, svc-web, observability
    assert "0 critical, 0 high" in result.output


@pytest.mark.parametrize("level", ["critical", "high", "medium", "low"])
def test_fail_on_level(level: str) -> None:
    expected = 1 if run_checks(template_sets([MAESTRO], envs=["prod"])).failing(level) else 0
    result = invoke("check", MAESTRO, "-e", "prod", "--fail-on", level, "--format", "json")
    assert result.exit_code == expected, result.output


def test_every_format_to_a_file(tmp_path: Path) -> None:
    for fmt in ("json", "sarif", "junit", "markdown", "table"):
        out = tmp_path / f"report.{fmt}"
        result = invoke("check", HELLO, "-e", "prod", "-f", fmt, "-o", out, "--fail-on", "none")
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 100
    sarif = json.loads((tmp_path / "report.sarif").read_text(encoding="utf-8"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris and all(u.endswith("examples/hello/moorage.yml") for u in uris)  # templates made in memory
    ET.fromstring((tmp_path / "report.junit").read_text(encoding="utf-8"))
    assert (tmp_path / "report.markdown").read_text(encoding="utf-8").startswith("# moorage check")
    assert "MOO-" in (tmp_path / "report.table").read_text(encoding="utf-8")


def test_template_files_glob_with_manifest(synth_dir: Path) -> None:
    files = sorted(synth_dir.glob("*.json"))
    assert synth_dir / "manifest.json" in files  # what `out/prod/*.json` expands to
    result = invoke("check", *files, "-f", "json", "--fail-on", "none")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    [tset] = data["sets"]
    assert tset["residency"] == ["me-central-1"] and tset["regions"] == {"budget": "us-east-1"}
    assert not [f for f in data["findings"] if f["rule"] == "MOO-RES-005"]  # the budget stack is in us-east-1
    located = [f for f in data["findings"] if f["file"]]
    assert located and all(f["line"] for f in located)


def test_directory_and_residency_override(synth_dir: Path) -> None:
    result = invoke("check", synth_dir, "--residency", "eu", "-f", "json", "--fail-on", "critical")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert "DbDb" in {f["resource"] for f in data["findings"] if f["rule"] == "MOO-RES-001"}


def test_bare_template_in_bahrain_with_uae_residency(tmp_path: Path) -> None:
    path = tmp_path / "bucket.json"
    path.write_text(json.dumps({"Resources": {"Docs": BUCKET}}), encoding="utf-8")
    result = invoke("check", path, "--residency", "uae", "--region", "me-south-1", "-f", "json")
    assert result.exit_code == 1
    [finding] = [f for f in json.loads(result.output)["findings"] if f["rule"] == "MOO-RES-001"]
    assert finding["resource"] == "Docs" and "me-south-1" in finding["message"]
    ok = invoke("check", path, "--residency", "uae", "--region", "me-central-1", "-f", "json")
    assert not [f for f in json.loads(ok.output)["findings"] if f["rule"].startswith("MOO-RES")]


def test_env_profile_for_bare_templates(tmp_path: Path) -> None:
    path = tmp_path / "bucket.json"
    path.write_text(json.dumps({"Resources": {"Docs": edit(BUCKET, VersioningConfiguration={"Status": "Suspended"})}}),
                    encoding="utf-8")
    prod = json.loads(invoke("check", path, "-f", "json", "--fail-on", "none").output)
    dev = json.loads(invoke("check", path, "-f", "json", "--env-profile", "dev", "--fail-on", "none").output)
    assert "MOO-S3-007" in {f["rule"] for f in prod["findings"]}
    assert "MOO-S3-007" not in {f["rule"] for f in dev["findings"]}


def test_spec_suppressions_reach_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = SimpleNamespace(spec=SimpleNamespace(suppress=[{"rule": "MOO-ECS-003", "resource": "svc-web/*",
                                                             "reason": "nginx writes its cache to disk"}]))
    assert spec_suppressions(loaded) == loaded.spec.suppress
    assert spec_suppressions(SimpleNamespace(spec=SimpleNamespace())) == []
    monkeypatch.setattr(api, "spec_suppressions", lambda _: loaded.spec.suppress)
    result = invoke("check", HELLO, "-e", "prod", "-f", "json", "--fail-on", "medium")
    data = json.loads(result.output)
    [finding] = [f for f in data["findings"] if f["rule"] == "MOO-ECS-003"]
    assert finding["suppressed"] and finding["reason"] == "nginx writes its cache to disk"
    assert finding["suppressed_by"] == "spec"


def test_bad_options() -> None:
    assert invoke("check", HELLO, "--format", "xml").exit_code == 2
    assert invoke("check", HELLO, "--fail-on", "severe").exit_code == 2
    result = invoke("check", HELLO, "--residency", "atlantis")
    assert isinstance(result.exception, InputError)  # the CLI's main turns this into exit code 2
    result = invoke("check", HELLO, "--require", "quantum")
    assert isinstance(result.exception, InputError)


def test_rules_lists_every_rule() -> None:
    result = invoke("rules")
    assert result.exit_code == 0
    for r in all_rules():
        assert r.id in result.output
    assert "why:" in result.output and "fix:" in result.output
    data = json.loads(invoke("rules", "--format", "json").output)
    assert len(data) == len(all_rules())
    assert {"id", "severity", "title", "rationale", "remediation", "types"} <= set(data[0])
    s3 = json.loads(invoke("rules", "-f", "json", "--service", "s3").output)
    assert s3 and all(r["id"].startswith("MOO-S3-") for r in s3)
    assert invoke("rules", "--service", "nosuch").exit_code == 2
    assert invoke("rules", "-f", "markdown").output.startswith("| id | severity |")
