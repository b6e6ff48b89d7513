"""The emulator's keys and snapshot (hout4 findings 1, 12, 17), on the real emulator in its own process: a key
directory that cannot be written stops the emulator before it serves anything; a save that fails is said; a
moved project's state names where it came from; an older moorage's clear snapshot is encrypted at start."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from moorage.emulator.server import (
    NOT_SAVED,
    SNAPSHOT_FILE,
    EmulatorError,
    ensure_server,
    running_emulators,
    save_state,
    state_dir,
    stop_server,
)

CANARY = "sk_live_F1KEYCANARY0123456789"


def moorage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process (exit codes as users see them)."""
    return subprocess.run([sys.executable, "-m", "moorage.cli.app", *args], capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, "COLUMNS": "200", **(env or {})})


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own user state directory (for this process and the emulators it starts)."""
    path = tmp_path / "state-home"
    monkeypatch.setenv("XDG_STATE_HOME", str(path))
    return path


@pytest.fixture
def project(repo_root: Path, tmp_path: Path, home: Path) -> Iterator[Path]:
    path = tmp_path / "hello"
    shutil.copytree(repo_root / "examples" / "hello", path)
    yield path
    stop_server(path)


def _emulators_of(project: Path) -> list[int]:
    return [e.pid for e in running_emulators() if e.project.resolve() == project.resolve()]


def test_an_unwritable_key_directory_stops_the_emulator_before_anything_is_deployed(project: Path,
                                                                                     tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a regular file\n")
    unwritable = {"XDG_STATE_HOME": str(blocker / "state")}
    for command in (("deploy", str(project / "moorage.yml"), "--env", "dev", "--local"),
                    ("local", "start", "--project", str(project))):
        refused = moorage(*command, env=unwritable)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert f"cannot create the emulator's keys in {blocker}" in refused.stderr, refused.stderr
        assert "Not a directory" in refused.stderr and "XDG_STATE_HOME" in refused.stderr, refused.stderr
        assert refused.stderr.count("hint:") == 1, refused.stderr
        assert "HTTP Error" not in refused.stderr and "Traceback" not in refused.stderr, refused.stderr
        assert "CREATE_COMPLETE" not in refused.stdout + refused.stderr  # nothing was deployed
        assert _emulators_of(project) == []
    assert not (state_dir(project) / SNAPSHOT_FILE).exists()


def test_a_save_that_fails_is_said_by_the_command_and_by_local_stop(project: Path, home: Path) -> None:
    server = ensure_server(project)
    assert save_state(server.endpoint).startswith("saved ")
    # The key directory breaks while the emulator runs (the key is gone, a file stands where its folder was).
    keys = home / "moorage" / "keys"
    shutil.rmtree(keys)
    keys.write_text("not a directory\n")
    with pytest.raises(EmulatorError) as failed:
        save_state(server.endpoint)
    assert str(failed.value).startswith(f"the local emulator's {NOT_SAVED}") and str(keys) in str(failed.value)
    assert "lost when it stops" in failed.value.hint
    stopped = moorage("local", "stop", "--project", str(project))
    assert stopped.returncode == 1, stopped.stdout + stopped.stderr
    assert "local emulator stopped" in stopped.stdout
    assert f"error: {NOT_SAVED}" in stopped.stderr and "Traceback" not in stopped.stderr, stopped.stderr
    assert _emulators_of(project) == []


def test_a_moved_project_names_the_path_its_state_was_saved_for(project: Path, tmp_path: Path) -> None:
    from moorage.api import stopped_emulator

    ensure_server(project)
    assert stop_server(project)
    assert stopped_emulator(project / "moorage.yml").hint.startswith("start it (its saved state is restored)")
    moved = tmp_path / "moved"
    shutil.copytree(project, moved)
    with pytest.raises(EmulatorError) as refused:
        ensure_server(moved)
    assert f"it was saved for the project at {project.resolve()}: this project was moved or copied" \
        in str(refused.value), str(refused.value)
    assert "--reset" in refused.value.hint
    said = stopped_emulator(moved / "moorage.yml")
    assert "saved state cannot be loaded" in said.message and "moved or copied" in said.message
    assert "restored" not in said.hint and "--reset" in said.hint
    shown = moorage("status", str(moved / "moorage.yml"), "--env", "dev", "--local")
    said_to_user = shown.stdout + shown.stderr  # a view of a stopped emulator exits 0 (tests/cli)
    assert "saved state cannot be loaded" in said_to_user and "moved or copied" in said_to_user, said_to_user
    assert "its saved state is restored" not in said_to_user
    # A damaged snapshot (no other path's seal matches) is still called damaged.
    snap = state_dir(project) / SNAPSHOT_FILE
    data = bytearray(snap.read_bytes())
    data[len(data) // 2] ^= 1
    snap.write_bytes(bytes(data))
    assert "seal does not match" in (stopped_emulator(project / "moorage.yml").message)


def test_an_older_moorage_clear_snapshot_is_encrypted_as_the_emulator_starts(project: Path, emulator: str) -> None:
    from moorage.emulator.sealed import seal
    from moorage.emulator.serve import _backends, _pickle_keys, _pickle_locks

    # What an older moorage wrote: moto's backends pickled in clear under the seal, holding a secret value.
    client = boto3.client("secretsmanager", region_name="eu-west-1", endpoint_url=emulator,
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106
    client.create_secret(Name="f1key-canary", SecretString=CANARY)
    _pickle_locks()
    _pickle_keys()
    clear = {key: pickle.dumps(dict(backends)) for key, backends in _backends().items() if "secretsmanager" in key}
    snap = state_dir(project) / SNAPSHOT_FILE
    snap.parent.mkdir(parents=True)
    snap.write_bytes(seal(pickle.dumps(clear), str(snap.parent.resolve())))
    assert CANARY.encode() in snap.read_bytes()
    server = ensure_server(project)
    # Running, and the canary is in no file of the project any more (not only after the next save).
    for path in project.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
    restarted = boto3.client("secretsmanager", region_name="eu-west-1", endpoint_url=server.endpoint,
                             aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106
    assert restarted.get_secret_value(SecretId="f1key-canary")["SecretString"] == CANARY
    assert "re-saved encrypted" in (state_dir(project) / "server.log").read_text()
