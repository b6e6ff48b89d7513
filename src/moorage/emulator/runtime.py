"""Clients the adapters use to create resources in the emulator's own service backends.

Adapters call the AWS API of the emulator they run in (over loopback), so they depend on the
documented AWS API rather than on moto's internal signatures.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

ACCOUNT_ID = "123456789012"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

_lock = threading.Lock()
_clients: dict[tuple[str, str], Any] = {}
_endpoint: list[str] = []
_session: list[Any] = []


def set_endpoint(url: str) -> None:
    """Tell the adapters where the emulator they run in listens."""
    with _lock:
        _endpoint[:] = [url]
        _clients.clear()


def endpoint() -> str:
    """The emulator's own endpoint URL."""
    if not _endpoint:
        raise RuntimeError("emulator endpoint not set: start the emulator through moorage.emulator.server")
    return _endpoint[0]


def client(service: str, region: str) -> Any:
    """A cached boto3 client for ``service`` in ``region`` talking to the emulator itself."""
    key = (service, region)
    with _lock:
        if key not in _clients:
            if not _session:
                # One session for every client: botocore's loaders (endpoints, partitions, service models) are
                # per session; a session per client re-read endpoints.json for each (a sixth of a deploy's CPU).
                _session.append(boto3.session.Session(**CREDENTIALS))
            _clients[key] = _session[0].client(service, region_name=region,
                                               endpoint_url=_endpoint[0] if _endpoint else None,
                                               config=Config(retries={"max_attempts": 1}))
        return _clients[key]
