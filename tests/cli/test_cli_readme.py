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
