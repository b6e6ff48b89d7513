"""What a deploy shows while it runs: one live line per stack (rich), or one JSON event per line."""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from moorage.deploy.changes import ResourceChange
from moorage.deploy.stacks import Event


class Reporter(Protocol):
    """Receives everything a deploy, diff or destroy has to say."""

    def info(self, message: str) -> None:
        """A line of news."""

    def warn(self, message: str) -> None:
        """Something the user should notice."""

    def changes(self, stack: str, changes: list[ResourceChange], new: bool) -> None:
        """The change list of one stack."""

    def stack_started(self, stack: str, action: str, total: int) -> None:
        """An operation on ``stack`` began; ``total`` resources are expected to move."""

    def event(self, stack: str, event: Event) -> None:
        """A CloudFormation event arrived."""

    def stack_finished(self, stack: str, status: str, detail: str = "") -> None:
        """The operation on ``stack`` ended."""

    def close(self) -> None:
        """Stop live output."""


@dataclass
class _Line:
    action: str
    total: int
    started: float = field(default_factory=time.monotonic)
    done: set[str] = field(default_factory=set)
    status: str = "starting"
    last: str = ""
    ended: float | None = None
    complete: bool = False


_ACTION_STYLE = {"add": "green", "modify": "yellow", "replace": "bold magenta", "remove": "red"}


def stack_progress(stack: str, status: str, done: int, total: int, elapsed: float) -> str:
    """One plain line of a stack's progress: ``network: CREATE_COMPLETE, 12/12 resources, 4.2s``."""
    return f"{stack}: {status}, {done}/{total} resources, {elapsed:.1f}s"


class RichReporter:
    """Human output: change lists, a live table with one line per stack (state, resources done/total,
    elapsed), and events as they arrive. Not on a terminal (or ``live=False``, as with ``-q``) the table
    gives way to plain lines: the events (unless ``show_events`` is off) and one line per finished stack."""

    def __init__(self, console: Console | None = None, live: bool | None = None, show_events: bool = True) -> None:
        self.console = console or Console(highlight=False, soft_wrap=True, emoji=False)
        self.lines: dict[str, _Line] = {}
        self.show_events = show_events
        self._lock = threading.Lock()
        use_live = self.console.is_terminal if live is None else live
        self._live: Live | None = Live(self._table(), console=self.console, refresh_per_second=4,
                                       transient=False) if use_live else None
        self._live_started = False

    def _print(self, text: str) -> None:
        self.console.print(text, markup=True, highlight=False)

    def info(self, message: str) -> None:
        self._print(escape(message))

    def warn(self, message: str) -> None:
        self._print(f"[yellow]{escape(message)}[/yellow]")

    def changes(self, stack: str, changes: list[ResourceChange], new: bool) -> None:
        head = f"{stack}: " + ("new stack, " if new else "") + f"{len(changes)} change(s)"
        self._print(f"[bold]{escape(head)}[/bold]")
        for change in changes:
            style = _ACTION_STYLE.get(change.action, "white")
            flag = ""
            if change.impossible:
                flag = f"  [red]{escape(change.impossible)}[/red]"
            elif change.loses_data:
                flag = "  [red]stateful: data would be lost[/red]"
            elif change.breaks_credentials:
                flag = "  [red]stateful: credentials would break[/red]"
            elif change.major_upgrade:
                flag = f"  [red]major upgrade {escape(change.major_upgrade)}: downtime, no rollback[/red]"
            if change.allowed and not change.impossible:
                flag += f" [yellow](allowed by {escape(change.allowed)})[/yellow]"
            self._print(f"  [{style}]{escape(change.describe())}[/{style}]{flag}")
            for value in change.values:
                self._print(f"      {escape(value.render())}")

    def stack_started(self, stack: str, action: str, total: int) -> None:
        with self._lock:
            self.lines[stack] = _Line(action, max(total, 1))
            if self._live is not None and not self._live_started:
                self._live.start()
                self._live_started = True
        self._refresh()

    def event(self, stack: str, event: Event) -> None:
        with self._lock:
            line = self.lines.get(stack)
            if line is not None and event.resource_type != "AWS::CloudFormation::Stack" and \
                    event.status.endswith(("_COMPLETE", "_SKIPPED")):
                line.done.add(event.logical_id)
            if line is not None:
                line.status = event.status if event.resource_type == "AWS::CloudFormation::Stack" else line.status
                line.last = f"{event.logical_id} {event.status}"
        if self.show_events:
            color = "red" if event.status.endswith("FAILED") else ("green" if event.status.endswith("COMPLETE")
                                                                    else "cyan")
            reason = f" - {event.reason}" if event.reason else ""
            stamp = event.time.strftime("%H:%M:%S") if event.time else "--:--:--"
            text = f"  {stamp} {stack} {event.logical_id} [{color}]{event.status}[/{color}]{escape(reason)}"
            if self._live is not None and self._live_started:
                self._live.console.print(text, markup=True, highlight=False)
            else:
                self._print(text)
        self._refresh()

    def stack_finished(self, stack: str, status: str, detail: str = "") -> None:
        with self._lock:
            line = self.lines.get(stack)
            if line is not None:
                line.status = status
                line.ended = time.monotonic()
                line.complete = status.endswith("COMPLETE") and "ROLLBACK" not in status
        self._refresh()
        if self._live is None:
            ok = status.endswith("COMPLETE") and "ROLLBACK" not in status
            color = "green" if ok else "red"
            text = escape(stack) + ": " + escape(status)
            if line is not None:
                text = escape(stack_progress(stack, status, *self._counts(line), (line.ended or 0) - line.started))
            self._print(f"[{color}]{text}[/{color}]" + (f" {escape(detail)}" if detail else ""))

    @staticmethod
    def _counts(line: _Line) -> tuple[int, int]:
        return (line.total if line.complete else min(len(line.done), line.total)), line.total

    def _table(self) -> Table:
        table = Table(show_header=True, header_style="bold", box=None)
        for col in ("stack", "action", "status", "resources", "elapsed", "latest"):
            table.add_column(col)
        now = time.monotonic()
        for name, line in self.lines.items():
            elapsed = (line.ended or now) - line.started
            done, _ = self._counts(line)
            table.add_row(name, line.action, line.status, f"{done}/{line.total}",
                          f"{elapsed:5.1f}s", line.last)
        return table

    def _refresh(self) -> None:
        if self._live is not None and self._live_started:
            with self._lock:
                self._live.update(self._table())

    def close(self) -> None:
        if self._live is not None and self._live_started:
            self._live.stop()
            self._live_started = False


class JsonReporter:
    """Machine output: one JSON object per line."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def emit(self, kind: str, **data: Any) -> None:
        """Write one event line."""
        with self._lock:
            self.stream.write(json.dumps({"event": kind, **data}, sort_keys=True, default=str) + "\n")
            self.stream.flush()

    def info(self, message: str) -> None:
        self.emit("info", message=message)

    def warn(self, message: str) -> None:
        self.emit("warning", message=message)

    def changes(self, stack: str, changes: list[ResourceChange], new: bool) -> None:
        self.emit("changes", stack=stack, new=new, changes=[c.to_json() for c in changes])

    def stack_started(self, stack: str, action: str, total: int) -> None:
        self.emit("stack_started", stack=stack, action=action, total=total)

    def event(self, stack: str, event: Event) -> None:
        self.emit("resource", stack=stack, **event.to_json())

    def stack_finished(self, stack: str, status: str, detail: str = "") -> None:
        self.emit("stack_finished", stack=stack, status=status, detail=detail)

    def close(self) -> None:
        """Nothing to stop."""


class QuietReporter:
    """Collects everything (tests, library callers)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.events: list[tuple[str, Event]] = []
        self.change_lists: dict[str, list[ResourceChange]] = {}

    def info(self, message: str) -> None:
        self.lines.append(message)

    def warn(self, message: str) -> None:
        self.lines.append("warning: " + message)

    def changes(self, stack: str, changes: list[ResourceChange], new: bool) -> None:
        self.change_lists[stack] = changes

    def stack_started(self, stack: str, action: str, total: int) -> None:
        self.lines.append(f"{stack}: {action} started")

    def event(self, stack: str, event: Event) -> None:
        self.events.append((stack, event))

    def stack_finished(self, stack: str, status: str, detail: str = "") -> None:
        self.lines.append(f"{stack}: {status} {detail}".strip())

    def close(self) -> None:
        """Nothing to stop."""
