"""`.moorage/local` comes with the checkout: a symlinked `.moorage` or `.moorage/local` is refused and nothing
outside the project is written, appended to or chmod-ed; `ps` lines with spaces in the project path parse whole."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from moorage.emulator.server import EmulatorError, emulator_of_ps_line, ensure_server, state_dir


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "server.log").write_text("precious")
    (victim / "server.log").chmod(0o644)
    return victim


@pytest.mark.parametrize("linked", [".moorage/local", ".moorage"])
def test_symlinked_state_dir_is_refused(tmp_path: Path, linked: str) -> None:
    victim = _victim(tmp_path)
    project = tmp_path / "repo"
    (project / ".moorage").mkdir(parents=True)
    if linked == ".moorage":
        (project / ".moorage").rmdir()
        (victim / "local").mkdir()
        (project / ".moorage").symlink_to(victim)
    else:
        (project / ".moorage" / "local").symlink_to(victim)
    with pytest.raises(EmulatorError) as info:
        state_dir(project)
    assert "symbolic link" in str(info.value) and "remove it" in info.value.hint
    with pytest.raises(EmulatorError):
        ensure_server(project, timeout=1)
    assert (victim / "server.log").read_text() == "precious"
    assert (victim / "server.log").stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in victim.iterdir()) == sorted(["server.log"] + (["local"] if linked == ".moorage"
                                                                                  else []))


def test_cli_refuses_a_symlinked_state_dir(tmp_path: Path, run_cli: Callable[..., object]) -> None:
    victim = _victim(tmp_path)
    project = tmp_path / "repo"
    (project / ".moorage").mkdir(parents=True)
    (project / ".moorage" / "local").symlink_to(victim)
    result = run_cli("local", "start", "--project", project)
    assert result.code != 0 and "symbolic link" in result.err  # type: ignore[attr-defined]
    assert (victim / "server.log").read_text() == "precious"


def test_real_state_dir_is_accepted(tmp_path: Path) -> None:
    assert state_dir(tmp_path) == tmp_path / ".moorage" / "local"


def test_ps_line_with_spaces_in_the_project() -> None:
    project = "/srv/my app $(touch PWN3)"
    line = f"  4242 20480 /usr/bin/python3 -m moorage.emulator.serve --state-dir {project}/.moorage/local"
    found = emulator_of_ps_line(line)
    assert found is not None and found.project == Path(project) and found.pid == 4242
    assert emulator_of_ps_line("  1 2 /usr/bin/python3 -m http.server") is None


def test_local_status_prints_a_quoted_start_command(tmp_path: Path, run_cli: Callable[..., object]) -> None:
    project = tmp_path / "my app $(touch PWN3)"
    project.mkdir()
    result = run_cli("local", "status", "--project", project)
    out = result.out  # type: ignore[attr-defined]
    assert result.code == 0, result.err  # type: ignore[attr-defined]
    command = out.split("start it: ", 1)[1].split(", or", 1)[0]
    assert shlex.split(command) == ["moorage", "local", "start", "--project", str(project)]
