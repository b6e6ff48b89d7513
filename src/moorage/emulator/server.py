"""Start, find and stop the emulator: moto's server with moorage's engine, in a background process.

The process listens on a free loopback port and records itself in ``.moorage/local/server.json``
(pid, port, endpoint), so that ``deploy``, ``status`` and ``destroy`` run as separate commands find
the same emulated account. ``moorage local stop`` snapshots the state to ``.moorage/local/state.pickle``
and the next start restores it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_DIR = Path(".moorage") / "local"
SERVER_FILE = "server.json"
SNAPSHOT_FILE = "state.pickle"
LOG_FILE = "server.log"
IDLE_ENV = "MOORAGE_LOCAL_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 30.0


@dataclass(frozen=True)
class LocalServer:
    """A running emulator."""

    endpoint: str
    pid: int
    port: int
    state_dir: Path

    def to_json(self) -> dict[str, Any]:
        """What ``server.json`` holds."""
        return {"endpoint": self.endpoint, "pid": self.pid, "port": self.port}


def idle_timeout() -> float:
    """Seconds without a request after which the emulator stops itself (``MOORAGE_LOCAL_IDLE_MINUTES``, 30;
    0 keeps it running)."""
    text = os.environ.get(IDLE_ENV, "")
    try:
        minutes = float(text) if text else DEFAULT_IDLE_MINUTES
    except ValueError:
        minutes = DEFAULT_IDLE_MINUTES
    return max(minutes, 0.0) * 60.0


@dataclass(frozen=True)
class EmulatorProcess:
    """An emulator process found on this machine."""

    pid: int
    project: Path
    memory_mb: float


def running_emulators() -> list[EmulatorProcess]:
    """Every emulator process of this user (any project), from ``ps``; empty where ``ps`` is missing."""
    try:
        listing = subprocess.run(["ps", "-ww", "-o", "pid=,rss=,args=", "-u", str(os.getuid())],  # noqa: S603,S607
                                 capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError, AttributeError):
        return []
    found = []
    for line in listing.splitlines():
        parts = line.split(None, 2)
        if len(parts) < 3 or "moorage.emulator.serve" not in parts[2] or "--state-dir" not in parts[2]:
            continue
        directory = Path(parts[2].split("--state-dir", 1)[1].split()[0])
        project = directory.parent.parent if directory.parts[-2:] == STATE_DIR.parts else directory
        found.append(EmulatorProcess(int(parts[0]), project, int(parts[1]) / 1024))
    return sorted(found, key=lambda e: str(e.project))


def state_dir(project: Path) -> Path:
    """Where the emulator of the project at ``project`` keeps its files."""
    return project / STATE_DIR


def healthy(endpoint: str, timeout: float = 2.0) -> bool:
    """True when an emulator answers at ``endpoint``."""
    try:
        with urllib.request.urlopen(f"{endpoint}/_moorage/health", timeout=timeout) as resp:  # noqa: S310
            return bool(resp.status == 200)
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:  # reap it if it is our own child that exited (a zombie still answers kill 0)
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def server_status(project: Path) -> LocalServer | None:
    """The emulator running for ``project``, or None."""
    path = state_dir(project) / SERVER_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    server = LocalServer(str(data["endpoint"]), int(data["pid"]), int(data["port"]), state_dir(project))
    if _alive(server.pid) and healthy(server.endpoint):
        return server
    return None


def ensure_server(project: Path, timeout: float = 60.0) -> LocalServer:
    """The running emulator for ``project``, started in the background if needed."""
    running = server_status(project)
    if running is not None:
        return running
    directory = state_dir(project)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / SERVER_FILE).unlink(missing_ok=True)
    log = (directory / LOG_FILE).open("ab")
    subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "moorage.emulator.serve", "--state-dir", str(directory.resolve())],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True)
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = server_status(project)
        if running is not None:
            return running
        time.sleep(0.1)
    raise RuntimeError(f"the local emulator did not start within {timeout:.0f} s; see {directory / LOG_FILE}")


def stop_server(project: Path, timeout: float = 30.0) -> bool:
    """Stop the emulator of ``project`` (it snapshots its state first); False if none was running."""
    server = server_status(project)
    path = state_dir(project) / SERVER_FILE
    if server is None:
        path.unlink(missing_ok=True)
        return False
    os.kill(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(server.pid):
        time.sleep(0.1)
    path.unlink(missing_ok=True)
    return True


def reset_state(project: Path) -> bool:
    """Forget the snapshot of ``project``'s emulator; True if there was one."""
    snap = state_dir(project) / SNAPSHOT_FILE
    existed = snap.exists()
    snap.unlink(missing_ok=True)
    return existed
