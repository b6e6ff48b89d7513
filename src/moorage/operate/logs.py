"""The services' CloudWatch log streams, merged in time order; ``follow`` polls with back-off."""

from __future__ import annotations

import heapq
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moorage.errors import Diagnostic, InputError
from moorage.operate.deployed import Deployed, DeployedService

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SINCE = re.compile(r"^(\d+)([smhdw])$")


@dataclass(frozen=True)
class LogLine:
    """One log event of one service."""

    timestamp: int  # milliseconds since the epoch
    service: str
    stream: str
    message: str
    event_id: str = ""

    @property
    def time(self) -> datetime:
        """The event's time (UTC)."""
        return datetime.fromtimestamp(self.timestamp / 1000, tz=UTC)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (one line of ``logs --json``)."""
        return {"time": self.time.isoformat(timespec="milliseconds"), "service": self.service,
                "stream": self.stream, "message": self.message}


def since_millis(text: str, now: float | None = None) -> int:
    """``30m``, ``2h``, ``1d`` ago, or an ISO 8601 time, as epoch milliseconds."""
    now = time.time() if now is None else now
    match = _SINCE.match(text.strip())
    if match:
        return _after_epoch(text, int((now - int(match.group(1)) * _UNITS[match.group(2)]) * 1000))
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError([Diagnostic(
            "error", f"--since {text!r} is not a duration or a time", None,
            "expected a number and a unit (45s, 30m, 2h, 1d, 1w) or an ISO 8601 time (2026-11-29T10:00)")]) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _after_epoch(text, int(moment.timestamp() * 1000))


def _after_epoch(text: str, start: int) -> int:
    """``start``, or an error when it lies before 1970: CloudWatch takes no earlier start time (it failed with
    botocore's ParamValidationError, reported as a moorage bug)."""
    if start < 0:
        raise InputError([Diagnostic(
            "error", f"--since {text!r} reaches back before 1970, the earliest time CloudWatch logs can hold", None,
            "CloudWatch keeps logs at most 10 years: --since 3653d reads all of them")])
    return start


def in_future(start: int, now: float | None = None) -> bool:
    """True when a ``--since`` start (epoch ms) lies after now: no line can be there yet."""
    return start > (time.time() if now is None else now) * 1000


def logged_services(deployed: Deployed, names: list[str] | None) -> list[DeployedService]:
    """The services whose logs to read (``names``, default all), each with its log group."""
    chosen = [deployed.service(n) for n in names] if names else list(deployed.services.values())
    with_groups = [s for s in chosen if s.log_group]
    if not with_groups:
        from moorage.operate.deployed import not_deployed_error

        raise not_deployed_error(deployed)
    return with_groups


def _events(logs: Any, service: DeployedService, start: int, pattern: str | None) -> Iterator[LogLine]:
    kwargs: dict[str, Any] = {"logGroupName": service.log_group, "startTime": start, "interleaved": True}
    if pattern:
        kwargs["filterPattern"] = pattern
    while True:
        page = logs.filter_log_events(**kwargs)
        for e in page.get("events", []):
            yield LogLine(int(e["timestamp"]), service.name, e.get("logStreamName", ""),
                          str(e.get("message", "")).rstrip("\n"), str(e.get("eventId", "")))
        token = page.get("nextToken")
        if not token or not page.get("events"):
            return
        kwargs["nextToken"] = token


def read_logs(deployed: Deployed, services: list[DeployedService], start: int,
              pattern: str | None = None) -> list[LogLine]:
    """Every event since ``start`` (epoch ms) of ``services``, merged in time order."""
    logs = deployed.client("logs")
    per_service = [sorted(_events(logs, s, start, pattern), key=lambda e: (e.timestamp, e.event_id))
                   for s in services]
    return list(heapq.merge(*per_service, key=lambda e: (e.timestamp, e.service)))


def pause(seconds: float) -> None:
    """Wait between polls (Ctrl-C raises KeyboardInterrupt here)."""
    time.sleep(seconds)


def follow_logs(deployed: Deployed, services: list[DeployedService], start: int, pattern: str | None = None,
                first_wait: float = 1.0, max_wait: float = 15.0) -> Iterator[LogLine]:
    """New events as they arrive, forever: polls again after 1 s, doubling up to 15 s while nothing comes.

    The caller ends it (Ctrl-C raises KeyboardInterrupt out of ``sleep``).
    """
    seen: set[str] = set()
    wait = first_wait
    while True:
        fresh = [e for e in read_logs(deployed, services, start, pattern) if (e.event_id or repr(e)) not in seen]
        for event in fresh:
            seen.add(event.event_id or repr(event))
            start = max(start, event.timestamp)  # re-read from the newest; ids drop what was shown
            yield event
        wait = first_wait if fresh else min(wait * 2, max_wait)
        pause(wait)
