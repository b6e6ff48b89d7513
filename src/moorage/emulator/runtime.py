"""Clients the adapters use to create resources in the emulator's own service backends.

Adapters call the AWS API of the emulator they run in (over loopback), so they depend on the
documented AWS API rather than on moto's internal signatures.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config

ACCOUNT_ID = "123456789012"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

_lock = threading.Lock()
# Clients by (emulator endpoint, service, region): several emulators may serve in one process (tests start
# one per module), and an adapter must call the emulator whose request it runs in, not the last one started.
_clients: dict[tuple[str, str, str], Any] = {}
_session: list[Any] = []
# The endpoint of the emulator serving the request this thread (context) runs; set by the server per request.
_serving: contextvars.ContextVar[str | None] = contextvars.ContextVar("moorage_emulator_endpoint", default=None)
# Emulators serving in this process, oldest first. They share moto's backends (module-level state), so work
# started by one request and run on moto's own threads (Step Functions executions) may call any live one.
_live: list[str] = []


def started(url: str) -> None:
    """Record that an emulator serves at ``url`` in this process."""
    with _lock:
        _live.append(url)


def live_endpoint() -> str | None:
    """The endpoint of the request being served, else of the emulator started last that still serves, else None."""
    url = _serving.get()
    if url is not None:
        return url
    with _lock:
        return _live[-1] if _live else None


def share_botocore_loaders() -> None:
    """Give every botocore session in this process one data loader per data path.

    moto makes a botocore session per backend and three at import (for EC2's region list), and each new
    session parsed endpoints.json and the service's model again (~0.4 s of the emulator's start). The files
    are read-only data, so one cached loader serves them all; moto's own loader (extra paths) is untouched."""
    if not isinstance(botocore.session.create_loader, functools._lru_cache_wrapper):
        botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)


@contextlib.contextmanager
def serving(url: str) -> Iterator[None]:
    """Within this block, adapters call the emulator listening at ``url`` (the one serving the request)."""
    token = _serving.set(url)
    try:
        yield
    finally:
        _serving.reset(token)


def forget(url: str) -> None:
    """Drop the clients of the emulator at ``url`` (it stopped)."""
    with _lock:
        while url in _live:
            _live.remove(url)
        for key in [k for k in _clients if k[0] == url]:
            del _clients[key]


def endpoint() -> str:
    """The endpoint of the emulator serving the current request."""
    url = _serving.get()
    if url is None:
        raise RuntimeError("no emulator request is being served here: adapters run inside an emulator's request "
                           "(start the emulator through moorage.emulator.serve)")
    return url


def client(service: str, region: str) -> Any:
    """A cached boto3 client for ``service`` in ``region`` talking to the emulator serving this request."""
    url = endpoint()
    key = (url, service, region)
    with _lock:
        if key not in _clients:
            if not _session:
                # One session for every client: botocore's loaders (endpoints, partitions, service models) are
                # per session; a session per client re-read endpoints.json for each (a sixth of a deploy's CPU).
                _session.append(boto3.session.Session(**CREDENTIALS))
            _clients[key] = _session[0].client(service, region_name=region, endpoint_url=url,
                                               config=Config(retries={"max_attempts": 1}))
        return _clients[key]
