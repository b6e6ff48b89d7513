"""The `moorage` command, run through its entry point (``moorage.cli.app:main``) as users run it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from moorage import __version__
from moorage.cli.app import app
from moorage.render import MANIFEST, to_json

if TYPE_CHECKING:
    from conftest import CliResult

Run = Callable[..., "CliResult"]
BROKEN = {"AWSTemplateFormatVersion": "2010-09-09",
          "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketNam": "x"}}}}
CLEAN = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}


def test_version(run_cli: Run) -> None:
    result = run_cli("version")
    assert result.code == 0
    assert result.out.strip() == __version__


def test_plan_table_shows_decisions(run_cli: Run, repo_root: Path) -> None:
    result = run_cli("plan", repo_root / "examples" / "hello" / "moorage.yml", "--env", "prod")
    assert result.code == 0, result.err
    assert "hello / prod" in result.out and "per-az" in result.out
    assert "network.nat" in result.out and "hello-prod-network" in result.out
    assert "hello / dev" not in result.out
    assert "alarms have no recipient" in result.err  # warnings go to stderr


def test_plan_json_parses(run_cli: Run, repo_root: Path) -> None:
    result = run_cli("plan", repo_root / "examples" / "maestro" / "moorage.yml", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert set(data) == {"dev", "staging", "prod"}
    prod = data["prod"]
    assert (prod["app"], prod["profile"], prod["region"]) == ("maestro", "prod", "me-central-1")
    decisions = {d["topic"]: d for d in prod["decisions"]}
    assert decisions["network.nat"]["value"] == "per-az" and decisions["network.nat"]["reason"]
    assert decisions["budget.region"]["value"] == "us-east-1"
    assert prod["services"]["web"]["route"] == "/*" and prod["services"]["migrate"]["kind"] == "job"
    # the customer key comes first: the network's flow logs are encrypted with it
    assert [s["name"] for s in prod["stacks"]][:2] == ["maestro-prod-keys", "maestro-prod-network"]
    assert prod["stacks"][1]["depends_on"] == ["keys"]


def test_synth_writes_templates_and_manifest_and_removes_stale_ones(run_cli: Run, spec_file, tmp_path: Path) -> None:
    spec = spec_file("""
        name: demo
        budget: {monthly: 50, email: a@example.com}
        services:
          web: {image: x:1, port: 80, route: "/*"}
        environments:
          dev: {}
          prod: {}
        """)
    out = tmp_path / "out"
    result = run_cli("synth", spec, "-o", out)
    assert result.code == 0, result.err
    for env in ("dev", "prod"):
        manifest = json.loads((out / env / MANIFEST).read_text())
        assert sorted(p.name for p in (out / env).glob("*.json")) == sorted(
            [s["template"] for s in manifest["stacks"]] + [MANIFEST])
        assert f"{env}:" in result.out
    assert (out / "dev" / "budget.json").is_file()
    spec.write_text(spec.read_text().replace("budget: {monthly: 50, email: a@example.com}\n", ""))
    result = run_cli("synth", spec, "-o", out, "--env", "dev")
    assert result.code == 0, result.err
    assert not (out / "dev" / "budget.json").exists(), "stale template of a stack no longer planned"
    assert (out / "prod" / "budget.json").is_file(), "other environments are left alone"


def test_validate_passes_a_clean_synth(run_cli: Run, spec_file, tmp_path: Path) -> None:
    spec = spec_file("name: demo\nservices:\n  worker: {image: x:1}\nenvironments:\n  dev: {}\n")
    assert run_cli("synth", spec, "-o", tmp_path / "out").code == 0
    result = run_cli("validate", tmp_path / "out" / "dev")
    assert result.code == 0, result.out + result.err
    assert "3 templates checked: 0 errors, 0 warnings" in result.out


def test_validate_command_exits_1_on_an_error(tmp_path: Path) -> None:
    # through typer's runner (standalone mode): the command itself asks for exit code 1
    path = tmp_path / "bad.json"
    path.write_text(to_json(BROKEN))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert "E3002" in result.output and "1 template checked: 1 error, 0 warnings" in result.output


def test_validate_exits_1_on_a_template_with_an_error(run_cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(to_json(BROKEN))
    result = run_cli("validate", path)
    assert "E3002" in result.out
    assert result.code == 1


def test_validate_warnings_fail_only_when_asked(run_cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "warn.json"
    path.write_text(to_json({**CLEAN, "Parameters": {"Unused": {"Type": "String"}}}))
    result = run_cli("validate", path)
    assert result.code == 0 and "W2001" in result.out and "0 errors, 1 warning" in result.out
    assert run_cli("validate", path, "--warnings-fail").code == 1


def test_validate_of_nothing_is_bad_input(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("validate", tmp_path / "missing")
    assert result.code == 2
    assert "no such file or directory" in result.err and "Traceback" not in result.err


def test_schema_is_json_schema_that_accepts_hello(run_cli: Run, repo_root: Path) -> None:
    result = run_cli("schema")
    assert result.code == 0
    schema = json.loads(result.out)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    hello = YAML(typ="safe").load((repo_root / "examples" / "hello" / "moorage.yml").read_text())
    assert list(validator.iter_errors(hello)) == []
    hello["services"]["web"]["imgae"] = "typo"
    assert any("imgae" in e.message for e in validator.iter_errors(hello)), "unknown keys must be rejected"
    del hello["services"]["web"]["imgae"]
    hello["services"]["web"]["port"] = 70000
    assert list(validator.iter_errors(hello)), "out-of-range ports must be rejected"


def test_schema_accepts_every_native_example(run_cli: Run, examples: list[Path]) -> None:
    schema = json.loads(run_cli("schema").out)
    validator = jsonschema.Draft202012Validator(schema)
    for path in examples:
        if path.name == "moorage.yml":
            errors = [e.message for e in validator.iter_errors(YAML(typ="safe").load(path.read_text()))]
            assert errors == [], f"{path}: {errors}"


def test_schema_to_a_file(run_cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    assert run_cli("schema", "-o", target).code == 0
    assert json.loads(target.read_text())["title"] == "moorage.yml"


def test_usage_errors_exit_2(run_cli: Run, repo_root: Path) -> None:
    result = run_cli("plan", repo_root / "examples" / "hello" / "moorage.yml", "--no-such-option")
    assert result.code == 2
    assert "internal error" not in result.err


def test_init_needs_a_source_and_will_not_overwrite(run_cli: Run, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_cli("init", "-o", tmp_path / "moorage.yml")
    assert result.code == 2 and "no compose file here" in result.err and "--from" in result.err
    existing = tmp_path / "existing.yml"
    existing.write_text("keep me\n")
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  web:\n    image: nginx:1.27\n")
    result = run_cli("init", "--from", compose, "-o", existing)
    assert result.code == 2 and "already exists" in result.err
    assert existing.read_text() == "keep me\n"
    found = run_cli("init")  # the compose file in the current directory
    assert found.code == 0 and (tmp_path / "moorage.yml").is_file() and "1 service, 0 databases" in found.out


def test_entry_point_as_a_process(tmp_path: Path, write_spec) -> None:
    spec = write_spec(tmp_path, "name: demo\nservices:\n  web:\n    imgae: x:1\n")
    proc = subprocess.run([sys.executable, "-m", "moorage.cli.app", "plan", str(spec)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert f"{spec}:4:5: error: [services.web.imgae] unknown key 'imgae'" in proc.stderr
    assert "did you mean 'image'?" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("command", ["check", "cost"])
def test_check_and_cost_default_to_the_spec_in_the_current_directory(
        command: str, run_cli: Run, repo_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo_root / "examples" / "hello")
    here = run_cli(command, "--env", "dev", "--format", "json")
    named = run_cli(command, "moorage.yml", "--env", "dev", "--format", "json")
    assert "Missing argument" not in here.err
    assert here.code == named.code and here.code in (0, 1), here.err
    assert here.out == named.out and json.loads(here.out)  # the same report as naming the spec


def test_check_without_a_spec_here_is_bad_input(run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shown = run_cli("cost", "--env", "dev")
    assert shown.code == 2 and "internal error" not in shown.err, shown.err
