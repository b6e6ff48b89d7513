"""One emulator per project (hout3 finding 7), its state kept out of git and encrypted (finding 9), and one
clear message for a snapshot that will not load (finding 15), on the real emulator in its own process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from moorage.emulator.server import (
    ALREADY_RUNNING_EXIT,
    EMULATOR_LOCK,
    SERVER_FILE,
    SNAPSHOT_FILE,
    EmulatorProcess,
    duplicate_emulators,
    ensure_server,
    running_emulators,
    server_status,
    state_dir,
    stop_server,
)

SECRET_VALUE = "sk_live_HLOCCANARY0123456789"


def moorage(*args: str, stdin: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process (exit codes as users see them)."""
    return subprocess.run([sys.executable, "-m", "moorage.cli.app", *args], capture_output=True, text=True,
                          input=stdin, timeout=timeout, check=False, env={**os.environ, "COLUMNS": "200"})


@pytest.fixture
def project(repo_root: Path, tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "hello"
    shutil.copytree(repo_root / "examples" / "hello", path)
    yield path
    stop_server(path)


def _emulators_of(project: Path) -> list[int]:
    return [e.pid for e in running_emulators() if e.project.resolve() == project.resolve()]


def test_a_lost_or_foreign_server_json_finds_the_running_emulator(project: Path) -> None:
    first = ensure_server(project)
    directory = state_dir(project)
    (directory / SERVER_FILE).unlink()
    assert ensure_server(project).pid == first.pid  # found by the lock file's record, not started again
    assert (directory / SERVER_FILE).is_file()  # and server.json names it again
    (directory / SERVER_FILE).write_text('{"endpoint": "http://127.0.0.1:9", "pid": 1, "port": 9}')
    again = ensure_server(project)
    assert again.pid == first.pid and again.note == ""
    assert server_status(project) == again
    assert _emulators_of(project) == [first.pid]


def test_a_second_emulator_of_the_project_exits_and_leaves_the_state_alone(project: Path) -> None:
    server = ensure_server(project)
    directory = state_dir(project)
    done = moorage("local", "stop", "--project", str(project))  # saves a snapshot; starts nothing
    assert done.returncode == 0
    server = ensure_server(project)
    before = (directory / SNAPSHOT_FILE).read_bytes()
    second = subprocess.run([sys.executable, "-m", "moorage.emulator.serve", "--state-dir", str(directory.resolve()),
                             "--lock-wait", "0.5"], capture_output=True, text=True, timeout=120, check=False)
    assert second.returncode == ALREADY_RUNNING_EXIT, second.stdout + second.stderr
    assert f"another emulator of this project holds {directory.resolve() / EMULATOR_LOCK}" in second.stdout
    assert (directory / SNAPSHOT_FILE).read_bytes() == before
    assert server_status(project) == server and _emulators_of(project) == [server.pid]


def test_save_never_overwrites_a_snapshot_saved_since_it_loaded(tmp_path: Path, emulator: str) -> None:
    from moorage.emulator import serve
    from moorage.emulator.serve import Loaded, saved_generation, snapshot

    path = tmp_path / "local" / SNAPSHOT_FILE
    loaded = Loaded.generation
    try:
        Loaded.generation = 0
        assert snapshot(path).startswith("saved ") and saved_generation(path) == 1
        assert snapshot(path).startswith("saved ") and saved_generation(path) == 2
        newer = path.read_bytes()
        Loaded.generation = 1  # this emulator loaded generation 1; another one saved 2 since
        result = snapshot(path)
        assert result.startswith("not saved: ") and "generation 2" in result, result
        assert path.read_bytes() == newer
        assert serve.restore(path).startswith("restored ") and Loaded.generation == 2
    finally:
        Loaded.generation = loaded


def test_duplicate_emulators_are_flagged() -> None:
    found = [EmulatorProcess(10, Path("/p/a"), 1.0), EmulatorProcess(11, Path("/p/a"), 1.0),
             EmulatorProcess(12, Path("/p/b"), 1.0)]
    assert duplicate_emulators(found) == {Path("/p/a"): [10, 11]}
    assert duplicate_emulators(found[1:]) == {}


def test_moorage_dir_is_git_ignored(project: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(project)], check=True)  # noqa: S607
    (project / ".gitignore").write_text("node_modules/\n")
    ensure_server(project)
    assert "*" in (project / ".moorage" / ".gitignore").read_text().splitlines()
    assert (project / ".gitignore").read_text() == "node_modules/\n"  # the user's own file is not edited
    status = subprocess.run(["git", "-C", str(project), "status", "--porcelain", "--untracked-files=all"],  # noqa: S607
                            capture_output=True, text=True, check=True).stdout
    assert ".moorage" not in status and "moorage.yml" in status


def test_secret_values_are_in_no_project_file_and_a_bad_snapshot_says_so_once(project: Path) -> None:
    spec = project / "moorage.yml"
    text = spec.read_text().replace("    health: /\n", "    health: /\n    secrets: [STRIPE_KEY]\n")
    spec.write_text(text + "secrets:\n  STRIPE_KEY: {generate: false}\n")
    first = moorage("deploy", str(spec), "--env", "dev", "--local")
    assert first.returncode == 0, first.stdout + first.stderr
    done = moorage("secrets", "set", str(spec), "STRIPE_KEY", "--env", "dev", "--local", stdin=SECRET_VALUE + "\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert moorage("local", "stop", "--project", str(project)).returncode == 0  # saves the state
    assert (state_dir(project) / SNAPSHOT_FILE).stat().st_size > 100_000
    for path in project.rglob("*"):
        if path.is_file():
            assert SECRET_VALUE.encode() not in path.read_bytes(), path
    # The value was saved (encrypted), not dropped: the restarted emulator holds it.
    server = ensure_server(project)
    client = boto3.client("secretsmanager", region_name="eu-west-1", endpoint_url=server.endpoint,
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106
    arn = next(s["ARN"] for s in client.list_secrets()["SecretList"] if "STRIPE_KEY" in s["Name"])
    assert client.get_secret_value(SecretId=arn)["SecretString"] == SECRET_VALUE
    stop_server(project)
    # A damaged snapshot: refused, said once, with one hint and no line of an earlier run's log.
    snap = state_dir(project) / SNAPSHOT_FILE
    data = bytearray(snap.read_bytes())
    data[len(data) // 2] ^= 1
    snap.write_bytes(bytes(data))
    refused = moorage("deploy", str(spec), "--env", "dev", "--local")
    assert refused.returncode == 1
    assert refused.stderr.count("seal does not match") == 1, refused.stderr
    assert refused.stderr.count("hint:") == 1 and refused.stderr.count("--reset") == 1, refused.stderr
    assert " services" not in refused.stderr and "stopping" not in refused.stderr, refused.stderr


def test_local_status_warns_of_two_emulators_for_one_project(tmp_path: Path, run_cli: Any,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import moorage.emulator.server as server

    two = [EmulatorProcess(4242, tmp_path, 200.0), EmulatorProcess(4343, tmp_path, 210.0)]
    monkeypatch.setattr(server, "running_emulators", lambda: two)
    shown = run_cli("local", "status", "--project", tmp_path)
    assert shown.code == 0 and "warning: 2 emulators run for" in shown.err and "4242, 4343" in shown.err
    as_json = run_cli("local", "status", "--project", tmp_path, "--json")
    assert '"duplicates": {"' in as_json.out and "[4242, 4343]" in as_json.out


def test_a_snapshot_of_an_older_moorage_is_encrypted_as_it_loads(tmp_path: Path, emulator: str) -> None:
    import pickle

    from moorage.emulator.sealed import seal, unseal
    from moorage.emulator.serve import Loaded, restore, saved_generation, snapshot

    path = tmp_path / "local" / SNAPSHOT_FILE
    path.parent.mkdir()
    scope = str(path.parent.resolve())
    path.write_bytes(seal(pickle.dumps({}), scope))  # sealed, unencrypted, no generation: before this change
    loaded = Loaded.generation
    try:
        said = restore(path)
        assert said.startswith("restored 0 services; re-saved encrypted") and "): saved " in said
        assert saved_generation(path) == 1 and Loaded.generation == 1  # re-sealed at load (finding 17)
        snapshot(path)
        payload = unseal(path.read_bytes(), scope)
        assert payload.startswith(b"generation 2\n") and b"moto." not in payload  # backend names are encrypted too
    finally:
        Loaded.generation = loaded


def test_a_held_lock_whose_holder_does_not_answer_is_said_once_and_starts_nothing(project: Path) -> None:
    from moorage.emulator.server import create_state_dir, hold_emulator_lock

    directory = state_dir(project)
    create_state_dir(directory)
    held = hold_emulator_lock(directory, wait=0)  # this test process stands for a hung emulator
    assert held is not None
    try:
        refused = moorage("deploy", str(project / "moorage.yml"), "--env", "dev", "--local")
    finally:
        os.close(held)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"holds {EMULATOR_LOCK} but does not answer" in refused.stderr and refused.stderr.count("hint:") == 1
    assert "Traceback" not in refused.stderr and not (directory / SNAPSHOT_FILE).exists()
    assert _emulators_of(project) == []
