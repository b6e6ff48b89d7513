"""The README's command lines run as written (those that need no AWS account: the ``sh`` blocks run on the
embedded emulator)."""

from __future__ import annotations

import re
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moorage.emulator.server import stop_server

if TYPE_CHECKING:
    from conftest import CliResult

Run = Callable[..., "CliResult"]


def _sh_lines(readme: str) -> list[str]:
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", readme, re.S):
        for line in block.splitlines():
            command = line.split("  #", 1)[0].strip()
            if command.startswith(("moorage ", "cd ")):
                lines.append(command)
    return lines


def test_readme_sh_blocks_run_as_written(run_cli: Run, repo_root: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _sh_lines((repo_root / "README.md").read_text(encoding="utf-8"))
    assert sum(line.startswith("moorage ") for line in lines) >= 9  # the day-two walk-through is there
    shutil.copytree(repo_root / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    here = tmp_path
    try:
        for line in lines:
            words = shlex.split(line)
            if words[0] == "cd":
                here = here / words[1]
                monkeypatch.chdir(here)
                continue
            result = run_cli(*words[1:])
            assert result.code == 0, f"{line}\n{result.out}\n{result.err}"
            assert "internal error" not in result.err
    finally:
        stop_server(here)


# Concrete values for the placeholders of the README's command table, on examples/hello and the emulator.
PLACEHOLDERS = {"SPEC": "moorage.yml", "E": "dev", "out/prod": "out/dev",
                "api=REF": "web=public.ecr.aws/nginx/nginx:1.27.4", "S": "web", "N": "1", "DIR": ".",
                "OWNER/NAME": "acme/hello", "usage.yml": "usage.yml"}
NEEDS_ACCOUNT = ("deploy", "diff", "status", "destroy", "history", "rollback")  # run with --local
MAY_FIND = ("check", "cost")  # exit 1 means findings / over a limit: the command ran


def _table_commands(readme: str) -> list[str]:
    """The first code span of each row of the Commands table."""
    section = readme.split("## Commands", 1)[1].split("\n## ", 1)[0]
    return [m.group(1) for m in re.finditer(r"^\| `(moorage [^`]*)`", section, re.M)]


def _concrete(command: str, accepts: Callable[[str, str], bool]) -> list[list[str]]:
    """Each command line a table row documents, with concrete values: ``a / b`` and ``a|b`` subcommands give one
    line each, optional ``[...]`` parts must be options of each subcommand, other ``a|b`` take a."""
    words = command.replace("\\|", "|").split()[1:]
    head: list[str] = []
    while words and not words[0].startswith(("-", "[")) and words[0] not in PLACEHOLDERS:
        head.append(words.pop(0))
    groups = [g.split() for g in " ".join(head).split(" / ")]
    prefix = groups[0][:-1]  # `local start / stop`: stop is `local stop`
    subcommands = [groups[0]] + [prefix + g for g in groups[1:]]
    subcommands = [[*s[:-1], alt] for s in subcommands for alt in s[-1].split("|")]
    lines = []
    for sub in subcommands:
        args: list[str] = []
        for part in re.findall(r"\[[^\]]*\]|\S+", " ".join(words)):
            tokens = part.strip("[]").split()
            # an optional part the README shows must be an option of every subcommand of the row
            assert not part.startswith("[") or accepts(" ".join(sub), tokens[0]), \
                f"README says `moorage {' '.join(sub)}` takes {tokens[0]}; its --help does not list it"
            args += [PLACEHOLDERS.get(token, token.split("|")[0]) for token in tokens]
        args = ["dev" if i and args[i - 1] in ("--env", "-e") else a for i, a in enumerate(args)]  # deployed
        if sub[0] in NEEDS_ACCOUNT and "--local" not in args:
            args.append("--local")
        if sub[0] == "destroy":
            args.append("--yes")  # it asks first; a test has no terminal to answer on
        lines.append([*sub, *args])
    return lines


def test_readme_names_only_example_files_that_exist(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"examples/[A-Za-z0-9_./-]*[A-Za-z0-9_-]", readme))
    assert named and not [p for p in sorted(named) if not (repo_root / p).exists()]


def test_every_command_table_line_runs_with_concrete_values(run_cli: Run, repo_root: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    rows = _table_commands(readme)
    assert len(rows) >= 15
    project = tmp_path / "hello"
    shutil.copytree(repo_root / "examples" / "hello", project)
    shutil.copy(repo_root / "examples" / "smartboard" / "docker-compose.yml", project / "docker-compose.yml")
    (project / "usage.yml").write_text("profile: small\nrequests_per_month: 1000000\n", encoding="utf-8")
    monkeypatch.chdir(project)
    helps: dict[str, str] = {}

    def accepts(sub: str, option: str) -> bool:
        if not option.startswith("-"):
            return True
        if sub not in helps:
            helps[sub] = run_cli(*sub.split(), "--help").out
        return option in helps[sub]

    ran: list[str] = []
    try:
        for row in rows:
            if "logs / run / exec" in row:
                day_two = " ".join(_sh_lines(readme))
                assert all(f"moorage {c}" in day_two for c in ("logs", "run", "secrets", "envs", "open"))
                # exec needs a terminal and the Session Manager plugin: the README names it in prose, and
                # tests/cli/test_cli_operate.py drives it on the emulator
                assert "`moorage exec --env dev --service web`" in readme
                continue  # the Day two walk-through runs these (test above)
            if "--preview-of" in row:
                # a preview needs `previews:` in the spec and its base deployed first: deploy, diff, plan, envs
                # and destroy --expired of a preview run on the emulator in tests/emulator/test_previews.py
                previews = (repo_root / "tests" / "emulator" / "test_previews.py").read_text(encoding="utf-8")
                assert '"--preview-of", "staging", "--local"' in previews
                continue
            for words in _concrete(row, accepts):
                if words[0] == "init":
                    words += ["-o", str(tmp_path / "init" / "moorage.yml")]
                    (tmp_path / "init").mkdir(exist_ok=True)
                result = run_cli(*words)
                allowed = (0, 1) if words[0] in MAY_FIND else (0,)
                assert result.code in allowed, f"{row} -> {' '.join(words)}\n{result.out}\n{result.err}"
                assert "internal error" not in result.err
                ran.append(" ".join(words))
    finally:
        stop_server(project)
    for expected in ("init --from docker-compose.yml", "validate out/dev", "diff moorage.yml --env dev --local",
                     "destroy moorage.yml --env dev --local --yes",
                     "rollback moorage.yml --env dev --service web --to 1 --local",
                     "ci github moorage.yml --repo acme/hello", "ci gitlab moorage.yml --repo acme/hello",
                     "local stop --project .", "schema --format markdown"):
        assert any(line.startswith(expected) for line in ran), (expected, ran)


def test_the_readme_counts_the_rules_there_are(repo_root: Path) -> None:
    from moorage.policy import all_rules

    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    assert f"| {len(all_rules())} security, reliability and data-residency rules" in readme
