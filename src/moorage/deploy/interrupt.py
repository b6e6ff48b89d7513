"""Ctrl-C during a deploy: the first one stops starting stacks, a second one stops waiting.

Before a deploy starts changing stacks, Ctrl-C stops it at once (nothing changed). Once stacks are changing,
a KeyboardInterrupt raised wherever Python happens to be would skip the release record and leave history
disagreeing with what runs; so from then on the first SIGINT only sets :attr:`Interruption.requested`:
the deploy starts no new stack, lets the ones in flight finish, and records the release as ``interrupted``.
A second SIGINT raises KeyboardInterrupt, which the deploy turns into "stopped waiting" (CloudFormation
carries on with the stacks in flight) and still records.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any


class Interruption:
    """SIGINT handling for one deploy (installed only from the main thread; elsewhere it never fires)."""

    def __init__(self) -> None:
        self.requested = False  # a first Ctrl-C arrived while stacks were changing
        self.deferring = False  # stacks are changing: the first Ctrl-C is deferred, not raised
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
        self.requested = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.deferring and not self.requested:
            self.request()
            return
        raise KeyboardInterrupt

    def __enter__(self) -> Interruption:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.restore()
