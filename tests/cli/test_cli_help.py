"""The CLI reads as finished: every command's help, workflow order, plain placeholders, --version, -h."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from moorage import __version__
from moorage.cli.app import moorage_command
from moorage.cli.help import summary

if TYPE_CHECKING:
    from conftest import CliResult

Run = Callable[..., "CliResult"]


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


PATHS = [path for path, _ in _commands(moorage_command())]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "moorage")
def test_every_help_is_plain_and_whole(run_cli: Run, path: tuple[str, ...]) -> None:
    result = run_cli(*path, "--help")
    assert result.code == 0, result.err
    text = result.out
    assert not re.search(r"<(str|int|float|path|list\[[^>]*\]|bool|[A-Za-z]+)>", text), text  # no Python types
    assert not re.search(r"\{[a-z_\[\] ]+\}", text), text  # no {spec} placeholders
    assert "..." not in text.split("Commands:")[-1].replace("COMMAND...", "") if "Commands:" in text else True
    short = run_cli(*path, "-h")
    assert short.code == 0 and short.out == text


def test_commands_are_listed_in_workflow_order_with_whole_descriptions(run_cli: Run) -> None:
    text = run_cli("--help").out
    listed = " ".join(text.split("Commands:")[1].split())
    for name, sub in moorage_command().commands.items():
        assert f"{name} {summary(sub.help)}" in listed  # the whole first line, never cut with "..."
    order = [m.group(1) for m in re.finditer(r"^  ([a-z]+)\s", text.split("Commands:")[1], re.M)]
    workflow = ["init", "plan", "synth", "validate", "check", "cost", "deploy", "diff", "status", "logs", "run",
                "exec", "secrets", "envs", "open", "destroy"]
    assert [n for n in order if n in workflow] == workflow


def test_version_and_quiet(run_cli: Run, repo_root: Path) -> None:
    result = run_cli("--version")
    assert result.code == 0 and result.out.strip() == f"moorage {__version__}"
    spec = repo_root / "examples" / "hello" / "moorage.yml"
    loud = run_cli("plan", spec, "--env", "prod")
    quiet = run_cli("-q", "plan", spec, "--env", "prod")
    assert "alarms have no recipient" in loud.err and "alarms have no recipient" not in quiet.err
    assert quiet.code == 0 and "hello / prod" in quiet.out


def test_warnings_are_printed_once(run_cli: Run, repo_root: Path) -> None:
    result = run_cli("plan", repo_root / "examples" / "hello" / "moorage.yml")
    lines = [line for line in result.err.splitlines() if "warning" in line]
    assert lines and len(lines) == len(set(lines))


def test_a_location_prints_as_text_not_an_emoji(run_cli: Run, tmp_path: Path) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text("name: demo\nservices:\n  web:\n    image: x:1\n" + "# filler\n" * 95 + "    imgae: y\n",
                    encoding="utf-8")
    result = run_cli("plan", spec)
    assert result.code == 2
    assert "moorage.yml:100:5" in result.err and "\N{HUNDRED POINTS SYMBOL}" not in result.err


def test_spec_defaults_to_the_file_in_the_current_directory(run_cli: Run, repo_root: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo_root / "examples" / "hello")
    result = run_cli("plan", "--env", "dev", "--json")
    assert result.code == 0 and '"app": "hello"' in result.out


def test_unknown_environment_in_deploy_gets_did_you_mean(run_cli: Run, repo_root: Path) -> None:
    result = run_cli("deploy", repo_root / "examples" / "hello" / "moorage.yml", "--env", "prdo", "--local")
    assert result.code == 2 and "did you mean 'prod'?" in result.err and "moorage.yml:" in result.err


def test_one_format_option(run_cli: Run, repo_root: Path) -> None:
    spec = repo_root / "examples" / "hello" / "moorage.yml"
    as_format = run_cli("plan", spec, "--env", "dev", "--format", "json")
    as_flag = run_cli("plan", spec, "--env", "dev", "--json")
    assert as_format.code == 0 and as_format.out == as_flag.out and '"app": "hello"' in as_format.out
    wrong = run_cli("plan", spec, "--format", "sarif")
    assert wrong.code == 2 and "is not one of 'table', 'json'" in wrong.err
    markdown = run_cli("check", spec, "--env", "dev", "--format", "md", "--fail-on", "none")
    assert markdown.code == 0 and markdown.out.startswith("# moorage check")


def _option_metavars() -> Iterator[tuple[str, str, str]]:
    import click

    for path, command in _commands(moorage_command()):
        if getattr(command, "commands", None):
            continue
        ctx = click.Context(command, info_name=" ".join(path))
        for param in command.params:
            if param.param_type_name != "option" or getattr(param, "is_flag", False) or param.hidden:
                continue
            record = param.get_help_record(ctx)
            assert record is not None
            longest = max(param.opts, key=len)
            yield " ".join(path), longest, record[0].rsplit(" ", 1)[-1]


def test_option_placeholders_say_what_the_value_is() -> None:
    """No placeholder is an option's own name in capitals (`--wait-lock WAIT_LOCK`, `--to TO`): it says what
    to type (SECONDS, RELEASE ...), or lists the choices."""
    found = list(_option_metavars())
    odd = [(c, o, m) for c, o, m in found
           if m == o.lstrip("-").upper().replace("-", "_") and o not in ("--env", "--service", "--region",
                                                                          "--profile", "--branch", "--standard",
                                                                          "--basis", "--source")]
    assert odd == [], odd
    shown = {(c, o): m for c, o, m in found}
    assert shown[("deploy", "--wait-lock")] == shown[("destroy", "--wait-lock")] == "SECONDS"
    assert shown[("rollback", "--to")] == "RELEASE" and shown[("run", "--timeout")] == "MINUTES"
    assert shown[("status", "--preview-of")] == "BASE_ENV" and shown[("logs", "--since")] == "DURATION"
    assert shown[("status", "--format")] == "<table|json>"
