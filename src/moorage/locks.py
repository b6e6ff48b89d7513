"""Locks with a holder: who holds them, since when, and waiting for them (a file lock here; deploy adds
the bucket lock of an AWS environment). Low level: the emulator and deploy both take them."""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from moorage.errors import OperationalError

#: A lock older than this is stale: no deploy takes that long (CloudFormation's own timeouts are shorter).
STALE_AFTER = 6 * 3600.0


@dataclass(frozen=True)
class Holder:
    """Who holds a lock."""

    owner: str
    host: str
    pid: int
    started: float
    command: str

    @staticmethod
    def me() -> Holder:
        """This process."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = str(os.getuid())
        command = " ".join(["moorage", *sys.argv[1:]])[:300]
        return Holder(user, socket.gethostname(), os.getpid(), time.time(), command)

    @staticmethod
    def parse(text: str | bytes) -> Holder | None:
        """A holder from a lock's JSON, or None when it is not one (a lock being written, or damaged)."""
        try:
            data = json.loads(text)
            return Holder(str(data["owner"])[:100], str(data["host"])[:255], int(data["pid"]),
                          float(data["started"]), str(data["command"])[:300])
        except (ValueError, TypeError, KeyError, OverflowError):
            return None

    def to_json(self) -> str:
        """The lock's content."""
        return json.dumps(asdict(self), sort_keys=True)

    def describe(self) -> str:
        """``alice@laptop (pid 123) since 2026-01-01 12:00:00 UTC: moorage deploy ...``."""
        since = datetime.fromtimestamp(self.started, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{self.owner}@{self.host} (pid {self.pid}) since {since}: {self.command}"

    def stale(self, now: float | None = None) -> bool:
        """True when the holder is certainly gone: its process ended on this host, or the lock is too old."""
        now = time.time() if now is None else now
        if now - self.started > STALE_AFTER:
            return True
        if self.host == socket.gethostname():
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                return False
        return False


class LockBusy(OperationalError):
    """Another deploy holds the environment's lock."""

    def __init__(self, what: str, holder: Holder | None, hint: str) -> None:
        self.what, self.holder, self.hint = what, holder, hint
        who = holder.describe() if holder else "another moorage process"
        super().__init__(f"{what} is locked by {who}", hint)


class Lock:
    """A lock held for a whole deploy; a context manager."""

    what = "the environment"

    def try_acquire(self, holder: Holder, force: bool) -> Holder | None:
        """Take the lock (None), or return who holds it."""
        raise NotImplementedError

    def release(self) -> None:
        """Give the lock back."""
        raise NotImplementedError

    def acquire(self, wait: float = 0.0, force: bool = False,
                waiting: Callable[[Holder | None], None] | None = None, poll: float = 1.0) -> None:
        """Take the lock, waiting up to ``wait`` seconds; :class:`LockBusy` names the holder otherwise."""
        me = Holder.me()
        deadline = time.monotonic() + wait
        told = False
        while True:
            holder = self.try_acquire(me, force)
            if holder is None and not self._busy:
                return
            if time.monotonic() >= deadline:
                raise LockBusy(self.what, holder, "wait for it with --wait-lock, or if its holder is gone, "
                                                  "rerun with --break-lock")
            if waiting is not None and not told:
                waiting(holder)
                told = True
            time.sleep(min(poll, max(0.05, deadline - time.monotonic())))

    _busy = False

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class FileLock(Lock):
    """An ``fcntl`` lock on ``path`` (the emulator, and the emulator's start)."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        self._fd: int | None = None

    def try_acquire(self, holder: Holder, force: bool) -> Holder | None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._busy = True
            try:
                return Holder.parse(os.pread(fd, 4096, 0))
            finally:
                os.close(fd)
        self._busy = False
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.to_json().encode(), 0)
        self._fd = fd
        return None

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
