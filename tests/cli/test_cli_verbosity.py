"""-q and --verbose mean the same on every command: -q drops warnings (results and errors stay), and each
warning is printed once however many environments or steps repeat it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import CliResult

Run = Callable[..., "CliResult"]
# smartboard's compose file gives located import warnings (secrets set after the first deploy, dropped keys)
COMMANDS = {
    "plan": ("plan", "{spec}", "-e", "dev"),
    "synth": ("synth", "{spec}", "-e", "dev", "-o", "{tmp}/out"),
    "docs": ("docs", "{spec}", "-e", "dev", "-o", "{tmp}/site"),
    "diagram": ("diagram", "{spec}", "-e", "dev", "--format", "mermaid"),
}


def _args(name: str, spec: Path, tmp: Path) -> list[str]:
    return [a.format(spec=spec, tmp=tmp) for a in COMMANDS[name]]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_quiet_drops_warnings_and_keeps_the_result(name: str, run_cli: Run, repo_root: Path, tmp_path: Path) -> None:
    spec = repo_root / "examples" / "smartboard"
    normal = run_cli(*_args(name, spec, tmp_path))
    assert normal.code == 0, normal.err
    warnings = [line for line in normal.err.splitlines() if ": warning: " in line]
    assert warnings and len(warnings) == len(set(warnings))  # each once
    quiet = run_cli("-q", *_args(name, spec, tmp_path))
    assert quiet.code == 0 and ": warning: " not in quiet.err
    assert quiet.out.strip() and quiet.out.splitlines()[-1] == normal.out.splitlines()[-1]


def test_quiet_and_verbose_together_are_bad_usage(run_cli: Run, repo_root: Path) -> None:
    result = run_cli("-q", "--verbose", "plan", repo_root / "examples" / "hello", "-e", "dev")
    assert result.code == 2 and "--quiet and --verbose contradict each other" in result.err


def test_quiet_keeps_errors(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "moorage.yml").write_text("name: x\nregion: eu-west-1\nservices:\n  web: {imgae: x:1}\n",
                                          encoding="utf-8")
    result = run_cli("-q", "plan", tmp_path / "moorage.yml")
    assert result.code == 2 and "moorage.yml:4:" in result.err and "unknown key 'imgae'" in result.err


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_quiet_after_the_command_means_the_same(name: str, run_cli: Run, repo_root: Path, tmp_path: Path) -> None:
    spec = repo_root / "examples" / "smartboard"
    before = run_cli("-q", *_args(name, spec, tmp_path))
    after = run_cli(*_args(name, spec, tmp_path), "-q")
    assert after.code == 0 and ": warning: " not in after.err, after.err
    assert after.out.splitlines()[-1] == before.out.splitlines()[-1]
    long = run_cli(*_args(name, spec, tmp_path), "--quiet")
    assert long.code == 0 and ": warning: " not in long.err


def test_verbose_after_the_command_and_contradictions(run_cli: Run, repo_root: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOORAGE_DEBUG", raising=False)  # --verbose sets it; undone after the test
    hello = repo_root / "examples" / "hello"
    verbose = run_cli("plan", hello, "-e", "dev", "--verbose")
    assert verbose.code == 0, verbose.err
    for args in (("plan", hello, "-e", "dev", "-q", "--verbose"), ("-q", "plan", hello, "-e", "dev", "--verbose"),
                 ("--verbose", "plan", hello, "-e", "dev", "-q")):
        both = run_cli(*args)
        assert both.code == 2 and "--quiet and --verbose contradict each other" in both.err, args
    # a group's leaf commands take them too
    nested = run_cli("local", "status", "--project", hello, "-q")
    assert nested.code == 0 and "No such option" not in nested.err
