"""Start, find and stop the emulator: moto's server with moorage's engine, in a background process.

The process listens on a free loopback port and records itself in ``.moorage/local/server.json``
(pid, port, endpoint), so that ``deploy``, ``status`` and ``destroy`` run as separate commands find
the same emulated account. The state is saved after each deploy and on ``moorage local stop`` to
``.moorage/local/state.snapshot`` (sealed, see :mod:`moorage.emulator.sealed`) and the next start
restores it. Everything under ``.moorage/`` may come from a cloned repository, so it is read as data:
``server.json`` is validated, and a process is signalled only once it has proved, over its loopback
port and its command line, that it is this project's emulator.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from moorage.errors import OperationalError

STATE_DIR = Path(".moorage") / "local"
SERVER_FILE = "server.json"
SNAPSHOT_FILE = "state.snapshot"
LEGACY_SNAPSHOT = "state.pickle"  # written by moorage before issue 14; never loaded (unsealed pickle)
LOG_FILE = "server.log"
IDLE_ENV = "MOORAGE_LOCAL_IDLE_MINUTES"
DEFAULT_IDLE_MINUTES = 30.0
START_LOCK = "start.lock"
#: The exit code of an emulator that would not load its saved state.
BAD_STATE_EXIT = 4
RESET_HINT = "run `moorage local stop --reset` to start from an empty emulator (the saved state is lost)"


class EmulatorError(OperationalError):
    """The local emulator cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class LocalServer:
    """A running emulator."""

    endpoint: str
    pid: int
    port: int
    state_dir: Path
    note: str = ""  # said once, when this start was not the first (the previous emulator died)

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
    found = [e for e in map(emulator_of_ps_line, listing.splitlines()) if e is not None]
    return sorted(found, key=lambda e: str(e.project))


def emulator_of_ps_line(line: str) -> EmulatorProcess | None:
    """The emulator a ``ps -o pid=,rss=,args=`` line shows, or None for another process."""
    parts = line.split(None, 2)
    if len(parts) < 3 or "moorage.emulator.serve" not in parts[2] or "--state-dir " not in parts[2]:
        return None
    # --state-dir is the last argument: the rest of the line, spaces and all, is the directory
    directory = Path(parts[2].split("--state-dir ", 1)[1].strip())
    project = directory.parent.parent if directory.parts[-2:] == STATE_DIR.parts else directory
    return EmulatorProcess(int(parts[0]), project, int(parts[1]) / 1024)


def state_dir(project: Path) -> Path:
    """Where the emulator of the project at ``project`` keeps its files.

    ``.moorage/`` comes with the checkout (untrusted): a ``.moorage`` or ``.moorage/local`` that is a
    symlink, or that resolves out of the project, is refused so that no state, lock or log is written,
    appended to or chmod-ed outside it.
    """
    directory = project / STATE_DIR
    link = next((p for p in (project / STATE_DIR.parts[0], directory) if p.is_symlink()), None)
    outside = not directory.resolve().is_relative_to(project.resolve())
    if link is not None or outside:
        what = f"{link} is a symbolic link" if link is not None else f"{directory} leads out of {project}"
        raise EmulatorError(f"{what}; moorage keeps the local emulator's state only in a real directory "
                            "inside the project", f"remove it (rm {shlex.quote(str(link or directory))}) and run "
                            "the command again: moorage creates .moorage/local itself")
    return directory


def identity(endpoint: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """What the emulator at ``endpoint`` says it is (pid, state dir), or None when nothing sane answers."""
    try:
        with urllib.request.urlopen(f"{endpoint}/_moorage/identity", timeout=timeout) as resp:  # noqa: S310
            data = json.loads(resp.read(4096))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def healthy(endpoint: str, timeout: float = 2.0) -> bool:
    """True when an emulator answers at ``endpoint``."""
    return identity(endpoint, timeout) is not None


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


def read_server_file(path: Path) -> LocalServer | None:
    """``server.json`` as a :class:`LocalServer`, or None when absent or not a valid record (any content
    other than a loopback endpoint, a pid and a port that agree is treated as no record)."""
    try:
        data = json.loads(path.read_bytes()[:4096])
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    pid, port, endpoint = data.get("pid"), data.get("port"), data.get("endpoint")
    if type(pid) is not int or type(port) is not int or not isinstance(endpoint, str):
        return None
    if not (1 < pid < 2**22 and 0 < port < 65536 and endpoint == f"http://127.0.0.1:{port}"):
        return None
    return LocalServer(endpoint, pid, port, path.parent)


def _command_line(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def is_emulator_of(server: LocalServer, directory: Path) -> bool:
    """True when the process ``server`` names is the emulator of the state dir ``directory``: it runs,
    answers on its port with that pid and state dir, and (where /proc exists) runs our serve module."""
    if not _alive(server.pid):
        return False
    ident = identity(server.endpoint)
    if ident is None or ident.get("pid") != server.pid or ident.get("state_dir") != str(directory.resolve()):
        return False
    cmdline = _command_line(server.pid)
    if cmdline is None:
        return not Path("/proc/self/cmdline").exists()  # no /proc on this system: the handshake decides
    return "moorage.emulator.serve" in cmdline and str(directory.resolve()) in cmdline


def server_status(project: Path) -> LocalServer | None:
    """The emulator running for ``project``, or None."""
    directory = state_dir(project)
    server = read_server_file(directory / SERVER_FILE)
    if server is None or not is_emulator_of(server, directory):
        return None
    return server


def _log_tail(path: Path, lines: int = 5) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def ensure_server(project: Path, timeout: float = 60.0) -> LocalServer:
    """The running emulator for ``project``, started in the background if needed (one start at a time)."""
    from moorage.locks import FileLock

    running = server_status(project)
    if running is not None:
        return running
    directory = state_dir(project)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    with FileLock(directory / START_LOCK, "the local emulator's start") as lock:
        lock.acquire(timeout)
        running = server_status(project)  # started by another process while we waited
        if running is not None:
            return running
        note = ""
        if (directory / SERVER_FILE).exists():
            note = ("the local emulator had stopped without `moorage local stop`; started it again with the state "
                    "saved after the last completed deploy")
        (directory / SERVER_FILE).unlink(missing_ok=True)
        log_path = directory / LOG_FILE
        log = os.fdopen(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW,
                                      0o600), "ab")
        os.fchmod(log.fileno(), 0o600)
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "moorage.emulator.serve", "--state-dir", str(directory.resolve())],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            running = server_status(project)
            if running is not None:
                return replace(running, note=note)
            code = process.poll()
            if code is not None:
                tail = _log_tail(log_path)
                if code == BAD_STATE_EXIT:
                    raise EmulatorError(f"the local emulator would not load its saved state:\n{tail}", RESET_HINT)
                raise EmulatorError(f"the local emulator exited (code {code}) while starting:\n{tail}",
                                    f"see {log_path}; if it names the saved state, {RESET_HINT}")
            time.sleep(0.1)
        process.terminate()
    raise EmulatorError(f"the local emulator did not start within {timeout:.0f} s",
                        f"see {directory / LOG_FILE}; if it names the saved state, {RESET_HINT}")


def save_state(endpoint: str, timeout: float = 120.0) -> str:
    """Ask the emulator at ``endpoint`` to save its state now; returns what it did, in words."""
    request = urllib.request.Request(f"{endpoint}/_moorage/snapshot", method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - loopback
        return str(json.loads(resp.read()).get("result", ""))


def dead_emulator(project: Path) -> EmulatorError:
    """The error for an emulator that stopped answering during a command."""
    log = state_dir(project) / LOG_FILE
    return EmulatorError(f"the local emulator of {project} stopped answering",
                         f"see {log}; run `moorage local stop`, then the same command again: the emulator "
                         "restarts with the state saved after the last completed deploy")


def stop_server(project: Path, timeout: float = 30.0) -> bool:
    """Stop the emulator of ``project`` (it saves its state first); False if none was running.

    A ``server.json`` that is damaged or names a process that is not this project's emulator is removed
    and nothing is signalled."""
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
    """Forget the saved state of ``project``'s emulator; True if there was one."""
    existed = False
    for name in (SNAPSHOT_FILE, LEGACY_SNAPSHOT):
        snap = state_dir(project) / name
        existed = existed or snap.exists()
        snap.unlink(missing_ok=True)
    return existed
