"""Clients the adapters use to create resources in the emulator's own service backends.

Adapters call the AWS API of the emulator they run in (over loopback), so they depend on the
documented AWS API rather than on moto's internal signatures.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config

ACCOUNT_ID = "123456789012"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

_lock = threading.Lock()
_clients: dict[tuple[str, str], Any] = {}
_endpoint: list[str] = []
_session: list[Any] = []


def share_botocore_loaders() -> None:
    """Give every botocore session in this process one data loader per data path.

    moto makes a botocore session per backend and three at import (for EC2's region list), and each new
    session parsed endpoints.json and the service's model again (~0.4 s of the emulator's start). The files
    are read-only data, so one cached loader serves them all; moto's own loader (extra paths) is untouched."""
    if not isinstance(botocore.session.create_loader, functools._lru_cache_wrapper):
        botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)


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
