"""The project emulator under faults and hostile files: crafted state is never unpickled, state files
are private, a server.json naming another process is not signalled, a killed emulator comes back with
the state of the last deploy, damaged state says `local stop --reset`, and concurrent deploys take
turns (two processes)."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from moorage.deploy.lock import FileLock
from moorage.emulator.server import (
    LOG_FILE,
    SERVER_FILE,
    SNAPSHOT_FILE,
    EmulatorError,
    ensure_server,
    read_server_file,
    server_status,
    state_dir,
    stop_server,
)


class Planted:
    """Unpickling this creates a marker file: the proof that a pickle ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, ...]]:
        return (os.system, (f"touch {self.marker}",))


def moorage(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process (exit codes as users see them)."""
    return subprocess.run([sys.executable, "-m", "moorage.cli.app", *args], capture_output=True, text=True,
                          timeout=timeout, check=False, env={**os.environ, "COLUMNS": "200"})


@pytest.fixture
def project(repo_root: Path, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "hello"
    shutil.copytree(repo_root / "examples" / "hello", path)
    yield path
    stop_server(path)


def test_crafted_state_is_never_unpickled_and_says_reset(project: Path) -> None:
    directory = state_dir(project)
    directory.mkdir(parents=True)
    marker = project / "pwned"
    (directory / "state.pickle").write_bytes(pickle.dumps(Planted(marker)))  # an older moorage's name
    server = ensure_server(project)
    assert not marker.exists()
    assert "is ignored: it is not sealed" in (directory / LOG_FILE).read_text()
    stop_server(project)
    # A crafted file under the current name (no seal, or a seal made with another key) is refused.
    (directory / SNAPSHOT_FILE).write_bytes(b"MOORAGE-SEALED-1\n" + b"0" * 64 + b"\n" + pickle.dumps(Planted(marker)))
    started = time.monotonic()
    with pytest.raises(EmulatorError) as refused:
        ensure_server(project)
    assert time.monotonic() - started < 30
    assert not marker.exists()
    assert "seal does not match" in str(refused.value) and "moorage local stop --reset" in refused.value.hint
    done = moorage("local", "stop", "--project", str(project), "--reset")
    assert done.returncode == 0 and "saved state removed" in done.stdout
    server = ensure_server(project)
    assert server_status(project) == server


def test_state_files_are_private_and_saved_after_each_deploy_and_survive_a_killed_emulator(project: Path) -> None:
    spec = str(project / "moorage.yml")
    first = moorage("deploy", spec, "--env", "dev", "--local")
    assert first.returncode == 0, first.stdout + first.stderr
    directory = state_dir(project)
    for name in (SNAPSHOT_FILE, SERVER_FILE, LOG_FILE):
        assert (directory / name).stat().st_mode & 0o777 == 0o600, name
    # The emulator dies without `local stop` (killed): what the deploy did is not lost.
    server = read_server_file(directory / SERVER_FILE)
    assert server is not None
    os.kill(server.pid, signal.SIGKILL)
    again = moorage("deploy", spec, "--env", "dev", "--local")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "had stopped without `moorage local stop`" in again.stderr
    assert "No changes: 4 stacks of hello/dev are up to date." in again.stdout


def test_server_json_naming_another_process_is_not_signalled(project: Path) -> None:
    directory = state_dir(project)
    directory.mkdir(parents=True)
    victim = subprocess.Popen(["sleep", "60"])  # noqa: S607
    try:
        (directory / SERVER_FILE).write_text(json.dumps(
            {"endpoint": "http://127.0.0.1:9", "pid": victim.pid, "port": 9}))
        done = moorage("local", "stop", "--project", str(project))
        assert done.returncode == 0 and "signalled nothing" in done.stdout, done.stdout + done.stderr
        assert victim.poll() is None  # still running
        assert not (directory / SERVER_FILE).exists()
    finally:
        victim.kill()
        victim.wait()


@pytest.mark.parametrize("content", ['{"pid": "x"}', "[1, 2]", "{not json", '{"endpoint": 1, "pid": 1e999}',
                                     '{"endpoint": "http://evil:1", "pid": 1, "port": 1}'])
def test_damaged_server_json_is_handled(project: Path, content: str) -> None:
    directory = state_dir(project)
    directory.mkdir(parents=True)
    (directory / SERVER_FILE).write_text(content)
    assert read_server_file(directory / SERVER_FILE) is None
    done = moorage("local", "stop", "--project", str(project))
    assert done.returncode == 0 and "no local emulator was running" in done.stdout, done.stdout + done.stderr


def test_dead_emulator_is_reported_with_how_to_restart(project: Path) -> None:
    from moorage.cli.deploy import _emulator_guard
    from moorage.deploy.session import Target

    target = Target(local=True, endpoint="http://127.0.0.1:9", lock_dir=state_dir(project))
    with pytest.raises(EmulatorError) as dead, _emulator_guard(target, project):
        target.client("cloudformation", "us-east-1").describe_stacks()
    assert "stopped answering" in str(dead.value) and "moorage local stop" in dead.value.hint


def test_two_deploys_take_turns(project: Path) -> None:
    spec = str(project / "moorage.yml")
    # A deploy while another holds the lock exits 1 naming the holder.
    ensure_server(project)
    held = FileLock(state_dir(project) / "deploy-hello-dev.lock", "hello/dev")
    held.acquire()
    try:
        busy = moorage("deploy", spec, "--env", "dev", "--local")
    finally:
        held.release()
    assert busy.returncode == 1, busy.stdout + busy.stderr
    assert "hello/dev is locked by" in busy.stderr and f"(pid {os.getpid()})" in busy.stderr
    assert "--wait-lock" in busy.stderr
    stop_server(project)
    # Two processes at once, one emulator start between them: the second waits, both succeed.
    args = [sys.executable, "-m", "moorage.cli.app", "deploy", spec, "--env", "dev", "--local", "--wait-lock", "600"]
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,  # noqa: S603
                              env={**os.environ, "COLUMNS": "200"}) for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    text = "".join(o + e for o, e in outputs)
    assert "waiting for the lock of hello/dev, held by" in text
    assert text.count("4 create") == 1 and text.count("No changes: 4 stacks") == 1
    wanted = ["moorage.emulator.serve", "--state-dir", str(state_dir(project).resolve())]
    serving = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = proc.joinpath("cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if all(part in cmdline for part in wanted):
            serving.append(proc.name)
    assert len(serving) == 1, serving
