"""Start, find and stop the emulator: moto's server with moorage's engine, in a background process.

The process listens on a free loopback port and records itself in ``.moorage/local/server.json``
(pid, port, endpoint), so that ``deploy``, ``status`` and ``destroy`` run as separate commands find
the same emulated account. The state is saved after each deploy and on ``moorage local stop`` to
``.moorage/local/state.snapshot`` (sealed, see :mod:`moorage.emulator.sealed`) and the next start
restores it. Everything under ``.moorage/`` may come from a cloned repository, so it is read as data:
``server.json`` is validated, and a process is signalled only once it has proved, over its loopback
port and its command line, that it is this project's emulator.

One emulator per project: the serving process holds an exclusive ``flock`` on ``.moorage/local/emulator.lock``
for its lifetime (the kernel drops it when the process ends, so it never goes stale) and records itself in
that file too; a second emulator of the same project waits briefly for the lock, then exits
(:data:`ALREADY_RUNNING_EXIT`) without loading or saving anything. A lost or stale ``server.json`` is
therefore not a reason to start another one: the lock file's record finds the running emulator.
"""

from __future__ import annotations

import fcntl
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
EMULATOR_LOCK = "emulator.lock"  # held (flock) by the serving process for its lifetime; holds its record too
#: The exit code of an emulator that found another emulator of the same project holding its lock.
ALREADY_RUNNING_EXIT = 5
#: The exit code of an emulator that would not load its saved state.
BAD_STATE_EXIT = 4
#: The exit code of an emulator that could not create or read the user's keys (it would never save its state).
KEYS_EXIT = 6
KEYS_HINT = ("set XDG_STATE_HOME to a directory you can write (moorage keeps the emulator's keys in "
             "$XDG_STATE_HOME/moorage/keys, default ~/.local/state/moorage/keys), or fix that directory")
#: How the emulator says a save failed (in the control API's answer and in its log when it stops).
NOT_SAVED = "state NOT saved: "
#: The log line of an emulator that stops, followed by what its last save did.
STOPPING_MARK = "moorage local: stopping; "
#: How a snapshot's sealed payload starts since its content is encrypted (an older moorage's is a pickle in clear).
GENERATION_MARK = b"generation "
#: Where a serving process that will not start writes its reason in the log (the starter reads it back once).
REASON_MARK = "moorage local: not started: "
RESET_HINT = "run `moorage local stop --reset` to start from an empty emulator (the saved state is lost)"


class EmulatorError(OperationalError):
    """The local emulator cannot be used; the message says why and what to do."""


class EmulatorStopped(EmulatorError):
    """A command that needs the running emulator found it stopped (it does not start it): exit 1, not bad usage."""


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


def create_state_dir(directory: Path) -> None:
    """Create ``directory`` (``.moorage/local``, 0700) and ``.moorage/.gitignore`` (``*``) beside it.

    The ignore file keeps the emulator's state, log and locks out of the user's repository (git honours a
    ``.gitignore`` inside the ignored folder); the user's own ``.gitignore`` is not edited."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    ignore = directory.parent / ".gitignore"
    if directory.parts[-2:] != STATE_DIR.parts or ignore.exists() or ignore.is_symlink():
        return  # a state directory given by hand (tests) is not a project's .moorage/local
    try:
        fd = os.open(ignore, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except FileExistsError:  # written by a concurrent command
        return
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# written by moorage: the local emulator's state (secret values, encrypted), logs and locks\n*\n")


def hold_emulator_lock(directory: Path, wait: float = 15.0) -> int | None:
    """Take the project's emulator lock for this process (its fd, kept open for the process's lifetime), or
    None when another emulator still holds it after ``wait`` seconds (one that is stopping releases it)."""
    fd = os.open(directory / EMULATOR_LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.fchmod(fd, 0o600)
            return fd
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.2)


def record_in_lock(fd: int, server: LocalServer) -> None:
    """Write the emulator's record into its held lock file (found there when ``server.json`` is lost)."""
    data = json.dumps(server.to_json()).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)


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
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            raw = os.read(fd, 4096)
        finally:
            os.close(fd)
        data = json.loads(raw)
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
    """The emulator running for ``project``, or None: the one ``server.json`` names, else the one the lock
    file records (``server.json`` lost or overwritten), each only once it proved it is this project's."""
    directory = state_dir(project)
    for name in (SERVER_FILE, EMULATOR_LOCK):
        server = read_server_file(directory / name)
        if server is not None and is_emulator_of(server, directory):
            return LocalServer(server.endpoint, server.pid, server.port, directory)
    return None


def emulator_lock_holder(directory: Path) -> int | None:
    """The pid the project's emulator lock records, when that process runs our serve module for this state
    directory (the record is data from the checkout until then), else None. The lock itself is not probed:
    a probe could make a starting emulator believe another one runs."""
    record = read_server_file(directory / EMULATOR_LOCK)
    if record is None or not _alive(record.pid):
        return None
    cmdline = _command_line(record.pid) or []
    return record.pid if "moorage.emulator.serve" in cmdline and str(directory.resolve()) in cmdline else None


def duplicate_emulators(emulators: list[EmulatorProcess]) -> dict[Path, list[int]]:
    """Projects with more than one running emulator (pids): the lock should make this impossible; an older
    moorage's emulator may still run beside a new one."""
    by_project: dict[Path, list[int]] = {}
    for e in emulators:
        by_project.setdefault(e.project, []).append(e.pid)
    return {project: pids for project, pids in by_project.items() if len(pids) > 1}


def ensure_server(project: Path, timeout: float = 60.0) -> LocalServer:
    """The running emulator for ``project``, started in the background if needed (one start at a time)."""
    from moorage.locks import FileLock

    running = server_status(project)
    if running is not None:
        return _attached(running)
    directory = state_dir(project)
    create_state_dir(directory)
    with FileLock(directory / START_LOCK, "the local emulator's start") as lock:
        lock.acquire(timeout)
        running = server_status(project)  # started by another process while we waited
        if running is not None:
            return _attached(running)
        note = ""
        if (directory / SERVER_FILE).exists():
            note = ("the local emulator had stopped without `moorage local stop`; started it again with the state "
                    "saved after the last completed deploy")
        (directory / SERVER_FILE).unlink(missing_ok=True)
        log_path = directory / LOG_FILE
        start_offset = log_path.stat().st_size if log_path.is_file() else 0
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
                raise _start_failure(project, code, _log_since(log_path, start_offset), log_path)
            time.sleep(0.1)
        process.terminate()
    raise EmulatorError(f"the local emulator did not start within {timeout:.0f} s",
                        f"see {directory / LOG_FILE}; if it names the saved state, {RESET_HINT}")


def _attached(server: LocalServer) -> LocalServer:
    """``server``, with ``server.json`` rewritten to name it when it was lost or overwritten."""
    path = server.state_dir / SERVER_FILE
    if read_server_file(path) != server:
        from moorage.emulator.sealed import write_private

        write_private(path, json.dumps(server.to_json()).encode())
    return server


def _log_since(path: Path, offset: int, limit: int = 8192) -> list[str]:
    """The lines the emulator logged from ``offset`` on (this start's, not an earlier run's), at most ``limit``
    bytes from their end."""
    try:
        with path.open("rb") as handle:
            handle.seek(max(offset, handle.seek(0, os.SEEK_END) - limit))
            text = handle.read().decode(errors="replace")
    except OSError:
        return []
    return [line for line in text.splitlines() if line.strip()]


def _start_failure(project: Path, code: int, lines: list[str], log_path: Path) -> EmulatorError:
    """The one error for an emulator that exited while starting: its reason once, one hint."""
    reason = next((line.split(REASON_MARK, 1)[1] for line in reversed(lines) if REASON_MARK in line), "")
    if code == BAD_STATE_EXIT:
        return EmulatorError(f"the local emulator did not start: {reason or 'it could not load its saved state'}",
                             RESET_HINT)
    if code == KEYS_EXIT:
        return EmulatorError(f"the local emulator did not start: {reason or 'it could not create its keys'}",
                             KEYS_HINT)
    if code == ALREADY_RUNNING_EXIT:
        holder = emulator_lock_holder(state_dir(project))
        return EmulatorError(f"another emulator of {project} holds {EMULATOR_LOCK}"
                             + (f" (pid {holder})" if holder else "") + " but does not answer",
                             "wait for it to finish stopping (it saves its state first) and run the command again"
                             + (f"; if it hangs, end it: kill {holder}" if holder else ""))
    tail = "\n".join(lines[-5:])
    return EmulatorError(f"the local emulator exited (code {code}) while starting" + (f":\n{tail}" if tail else ""),
                         f"see {log_path}; if it names the saved state, {RESET_HINT}")


def save_state(endpoint: str, timeout: float = 120.0) -> str:
    """Ask the emulator at ``endpoint`` to save its state now; returns what it did, in words.

    :class:`EmulatorError` when it could not (``state NOT saved: <cause>``): what the command changed runs in
    the emulator, but would be lost when it stops."""
    request = urllib.request.Request(f"{endpoint}/_moorage/snapshot", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - loopback
            answer = json.loads(resp.read())
    except (OSError, ValueError) as exc:
        answer = {"ok": False, "result": f"{NOT_SAVED}the emulator did not answer ({exc})"}
    said = str(answer.get("result", "")) if isinstance(answer, dict) else ""
    if not isinstance(answer, dict) or answer.get("ok") is False:
        raise EmulatorError(f"the local emulator's {said or NOT_SAVED + 'no answer'}",
                            "what this command changed runs in the emulator but is lost when it stops; fix the "
                            f"cause and save it with `moorage local stop` (see {LOG_FILE}); if it names a key, "
                            + KEYS_HINT)
    return said


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
    return stop_and_say(project, timeout) is not None


def stop_and_say(project: Path, timeout: float = 30.0) -> str | None:
    """Stop the emulator of ``project`` like :func:`stop_server`; None if none was running, else what its last
    save did, in words, as it logged it (``state NOT saved: ...`` when it failed; "" when it logged nothing)."""
    server = server_status(project)
    path = state_dir(project) / SERVER_FILE
    if server is None:
        path.unlink(missing_ok=True)
        return None
    log = state_dir(project) / LOG_FILE
    offset = log.stat().st_size if log.is_file() else 0
    os.kill(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(server.pid):
        time.sleep(0.1)
    path.unlink(missing_ok=True)
    said = [line.split(STOPPING_MARK, 1)[1] for line in _log_since(log, offset) if STOPPING_MARK in line]
    return said[-1] if said else ""


def saved_state_problem(project: Path) -> str | None:
    """Why the next start of ``project``'s emulator would refuse its saved state (seal or key), or None when it
    has none or it looks loadable (checked without decrypting or unpickling anything)."""
    from moorage.emulator.sealed import SealError, project_key_path, unseal

    snap = state_dir(project) / SNAPSHOT_FILE
    if not snap.is_file():
        return None
    scope = str(snap.parent.resolve())
    try:
        payload = unseal(snap.read_bytes(), scope)
    except SealError as exc:
        return f"{snap}: {exc}"
    except OSError as exc:
        return f"{snap}: {exc.strerror or exc}"
    key = project_key_path(scope)
    if payload.startswith(GENERATION_MARK) and not (key.is_file() and key.stat().st_size == 32):
        return f"{snap}: its encryption key {key} is missing or damaged (it stays on the machine that saved it)"
    return None


def reset_state(project: Path) -> bool:
    """Forget the saved state of ``project``'s emulator; True if there was one."""
    existed = False
    for name in (SNAPSHOT_FILE, LEGACY_SNAPSHOT):
        snap = state_dir(project) / name
        existed = existed or snap.exists()
        snap.unlink(missing_ok=True)
    return existed
