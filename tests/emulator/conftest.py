"""The emulator in this process on a loopback port, and helpers to deploy synthesized environments to it."""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from moorage.deploy.progress import QuietReporter
from moorage.deploy.run import DeployOptions, DeployResult, deploy
from moorage.deploy.session import Target, endpoint_target
from moorage.render import Synth


@pytest.fixture(scope="session")
def emulator() -> Iterator[str]:
    """The endpoint of an emulator (moto + moorage's engine) running in this process."""
    from moorage.emulator.serve import start_in_thread

    endpoint, stop = start_in_thread()
    yield endpoint
    stop()


@pytest.fixture
def fresh(emulator: str) -> str:
    """The emulator, with an empty account."""
    request = urllib.request.Request(f"{emulator}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback
        pass
    return emulator


@pytest.fixture
def target(fresh: str) -> Target:
    return endpoint_target(fresh)


@pytest.fixture
def aws(fresh: str) -> Callable[[str, str], Any]:
    """boto3 clients on the emulator, for verification independent of moorage's own records."""
    def client(service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=fresh, aws_access_key_id="testing",
                            aws_secret_access_key="testing")
    return client


@pytest.fixture
def run_deploy(target: Target) -> Callable[..., tuple[DeployResult, QuietReporter]]:
    def run(synth: Synth, **options: Any) -> tuple[DeployResult, QuietReporter]:
        reporter = QuietReporter()
        options.setdefault("poll", 0.05)
        return deploy(synth, target, DeployOptions(**options), reporter), reporter
    return run
