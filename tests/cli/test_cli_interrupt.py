"""Ctrl-C at any moment of the `moorage` command (its imports included): "interrupted", exit 130, no traceback.

Real SIGINTs to a real process; the moment is made exact by sending it from an import hook (while the CLI's
modules are imported, or while a command lazily imports its work) rather than by a timer."""

from __future__ import annotations

import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

HOOKED = """\
import builtins, importlib, os, signal, sys
real, real_module = builtins.__import__, importlib.import_module
def ctrl_c(name):
    if name == {module!r}:
        for _ in range({times}):
            os.kill(os.getpid(), signal.SIGINT)
def hooked(name, *args, **kwargs):
    ctrl_c(name)
    return real(name, *args, **kwargs)
def hooked_module(name, *args, **kwargs):
    ctrl_c(name)
    return real_module(name, *args, **kwargs)
builtins.__import__, importlib.import_module = hooked, hooked_module
sys.argv = ["moorage", *{args!r}]
from moorage.cli.entry import main
main()
"""


def _run(module: str, args: list[str], times: int = 1) -> subprocess.CompletedProcess[str]:
    code = HOOKED.format(module=module, times=times, args=args)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
                          cwd=ROOT)


def test_the_console_script_is_the_interrupt_safe_entry() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["moorage"] == "moorage.cli.entry:main"


@pytest.mark.parametrize("times", [1, 2])
def test_ctrl_c_while_the_cli_is_imported_says_interrupted(times: int) -> None:
    done = _run("typer", ["plan", "examples/does-not-matter.yml"], times)
    assert done.returncode == 130, done.stderr  # not -SIGINT (death by signal)
    assert done.returncode != -signal.SIGINT
    assert "interrupted (Ctrl-C)" in done.stderr
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr


def test_ctrl_c_in_a_command_before_it_says_anything_says_interrupted(tmp_path: Path) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text("name: tiny\nservices:\n  web: {image: nginx:1.27, port: 80}\n", encoding="utf-8")
    done = _run("moorage.plan", ["plan", str(spec)])  # the CLI loaded; the command loads its work lazily
    assert done.returncode == 130, done.stdout + done.stderr
    assert "interrupted (Ctrl-C)" in done.stderr
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr
