"""One output option: `--format`/`-f` with the same spelling on every command that writes more than one format;
the spellings before it (`--json`, `--markdown`) keep working, unlisted."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, get_args

import pytest

if TYPE_CHECKING:
    from conftest import CliResult

Run = Callable[..., "CliResult"]
COMMANDS = ("plan", "schema", "cost", "check", "status", "envs", "history", "rules")


# what each command writes: its --help lists these, and a bad value's error names every one of them
FORMATS = {"plan": ["table", "json"], "schema": ["json", "markdown", "md"], "cost": ["table", "markdown", "md", "json"],
           "check": ["table", "json", "sarif", "junit", "markdown", "md"], "status": ["table", "json"],
           "envs": ["table", "json"], "history": ["table", "json"], "rules": ["table", "json", "markdown", "md"],
           "deploy": ["table", "json"], "diff": ["table", "json"], "destroy": ["table", "json"],
           "run": ["table", "json"], "logs": ["table", "json"]}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_lists_one_format_option_and_hides_the_old_spellings(run_cli: Run, command: str) -> None:
    result = run_cli(command, "--help")
    assert result.code == 0, result.err
    assert "-f, --format <" in result.out and "output format" in result.out
    assert "--json" not in result.out and "--markdown" not in result.out


@pytest.mark.parametrize("command", sorted(FORMATS))
def test_a_bad_format_lists_every_format_the_command_writes(run_cli: Run, command: str) -> None:
    needs_env = command not in ("plan", "schema", "cost", "check", "envs", "rules")
    args = [command, *(["--env", "dev"] if needs_env else []), *(["--service", "web"] if command == "run" else [])]
    wrong = run_cli(*args, "--format", "bogus")
    assert wrong.code == 2 and "internal error" not in wrong.err
    named = re.findall(r"'([a-z]+)'", wrong.err.split("is not one of", 1)[1])
    assert sorted(named) == sorted(FORMATS[command]), wrong.err
    listed = re.search(r"--format <([a-z|]+)>", run_cli(command, "--help").out)
    assert listed is not None and sorted(listed.group(1).split("|")) == sorted(FORMATS[command])


def test_check_accepts_exactly_the_reports_policy_writes() -> None:
    from moorage.cli.check import CheckFormat
    from moorage.policy.report import FORMATS as REPORTS

    assert set(get_args(CheckFormat)) == {*REPORTS, "md"}


def test_plan_format_json_is_what_json_wrote(run_cli: Run, repo_root: Path) -> None:
    spec = repo_root / "examples" / "hello" / "moorage.yml"
    new = run_cli("plan", spec, "--env", "dev", "-f", "json")
    old = run_cli("plan", spec, "--env", "dev", "--json")
    assert new.code == old.code == 0, new.err
    assert json.loads(new.out) == json.loads(old.out) and json.loads(new.out)["dev"]["app"] == "hello"


def test_schema_writes_json_by_default_and_markdown_on_request(run_cli: Run) -> None:
    assert "$defs" in json.loads(run_cli("schema").out)
    markdown = run_cli("schema", "--format", "md")
    assert markdown.code == 0 and markdown.out.startswith("# moorage.yml reference")
    assert run_cli("schema", "--markdown").out == markdown.out  # the old spelling


def test_a_format_a_command_does_not_write_is_bad_usage(run_cli: Run, repo_root: Path) -> None:
    schema = run_cli("schema", "--format", "table")
    assert schema.code == 2 and "is not one of 'json', 'markdown', 'md'" in schema.err
    spec = repo_root / "examples" / "hello" / "moorage.yml"
    plan = run_cli("plan", spec, "--env", "dev", "--format", "sarif")
    assert plan.code == 2 and "is not one of 'table', 'json'" in plan.err
    assert "internal error" not in plan.err
    both = run_cli("plan", spec, "--env", "dev", "--json", "--format", "table")
    assert both.code == 2 and "expected one of: table, json" in both.err


def test_cost_takes_md_and_markdown_alike(run_cli: Run, repo_root: Path) -> None:
    spec = repo_root / "examples" / "hello" / "moorage.yml"
    short = run_cli("cost", spec, "--env", "dev", "-f", "md")
    long = run_cli("cost", spec, "--env", "dev", "--format", "markdown")
    assert short.code == long.code == 0 and short.out == long.out and "| resource |" in short.out
    priced = json.loads(run_cli("cost", spec, "--env", "dev", "-f", "json").out)
    assert priced


def test_check_and_rules_use_the_same_option(run_cli: Run, repo_root: Path) -> None:
    rules = run_cli("rules", "-f", "json")
    assert rules.code == 0 and json.loads(rules.out)[0]["id"]
    spec = repo_root / "examples" / "hello" / "moorage.yml"
    found = run_cli("check", spec, "--env", "dev", "-f", "json", "--fail-on", "none")
    assert found.code == 0, found.err
    assert "findings" in json.loads(found.out)
