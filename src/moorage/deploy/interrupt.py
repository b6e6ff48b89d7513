"""Ctrl-C during a deploy or a rollback: the first one stops starting stacks, a second one stops waiting.

Before a deploy starts changing stacks, Ctrl-C stops it at once (nothing changed). Once stacks are changing,
a KeyboardInterrupt raised wherever Python happens to be would skip the release record and leave history
disagreeing with what runs; so from then on the first SIGINT only sets :attr:`Interruption.requested`:
the deploy starts no new stack, lets the ones in flight finish, and records the release as ``interrupted``.
A second SIGINT raises KeyboardInterrupt, which the deploy turns into "stopped waiting" (CloudFormation
carries on with the stacks in flight) and still records. It raises only while the deploy waits for stacks
(:attr:`Interruption.stoppable`) and only once: a Ctrl-C after the waiting (the stacks finished first, or the
record is being written, which takes under a second) is held, so the release is always recorded.
:func:`report` says what changed and what did not.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any


class Interruption:
    """SIGINT handling for one deploy or rollback (installed only from the main thread; elsewhere it never
    fires)."""

    def __init__(self) -> None:
        self.requested = False  # a first Ctrl-C arrived while stacks were changing
        self.deferring = False  # stacks are changing: the first Ctrl-C is deferred, not raised
        #: the deploy waits for stacks here: a second Ctrl-C raises KeyboardInterrupt (stop waiting); elsewhere
        #: once deferring (the waiting is over, the release is being recorded) it is held
        self.stoppable = False
        self.stopped = False  # a second Ctrl-C stopped the waiting (later ones are held)
        self.held = 0  # Ctrl-Cs held so the release is recorded
        #: called once, when the first Ctrl-C is deferred (a rollback waits for one stack in the main thread:
        #: this says at once that it stops after it)
        self.on_request: Callable[[], None] | None = None
        self._previous: Any = None
        self._installed = False

    def install(self) -> Interruption:
        """Handle SIGINT here until :meth:`restore`; returns self."""
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.getsignal(signal.SIGINT)
            signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def restore(self) -> None:
        """Put back the SIGINT handler that was there before :meth:`install`."""
        if self._installed:
            signal.signal(signal.SIGINT, self._previous if self._previous is not None else signal.default_int_handler)
            self._installed = False

    def request(self) -> None:
        """What the first Ctrl-C does while deferring (also callable directly)."""
        first, self.requested = not self.requested, True
        if first and self.on_request is not None:
            self.on_request()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if not self.deferring:
            raise KeyboardInterrupt
        if not self.requested:
            self.request()
            return
        if self.stoppable and not self.stopped:
            self.stopped = True
            raise KeyboardInterrupt
        self.held += 1

    def __enter__(self) -> Interruption:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.restore()


def report(command: str, actions: Mapping[str, str], not_started: str) -> str:
    """What an interrupted ``command`` (deploy, rollback) changed and what it did not, in plain words, from each
    stack's action (``create``/``update``: changed, ``interrupted``: still changing, ``failed``, ``skipped``/
    ``planned``: ``not_started``)."""
    def names(*wanted: str) -> str:
        return ", ".join(f"{name} ({action})" if len(wanted) > 1 else name
                         for name, action in actions.items() if action in wanted) or "none"
    lines = [f"{command} interrupted (Ctrl-C): no stack was started after it",
             f"    changed: {names('create', 'update')}"]
    if "interrupted" in actions.values():
        lines.append(f"    still changing, not waited for (CloudFormation finishes or rolls them back): "
                     f"{names('interrupted')}")
    if "failed" in actions.values():
        lines.append(f"    failed: {names('failed')}")
    lines.append(f"    {not_started}: {names('skipped', 'planned')}")
    if not any(a in ("create", "update", "interrupted") for a in actions.values()):
        lines.append("    nothing changed: no release is recorded")
    return "\n".join(lines)
