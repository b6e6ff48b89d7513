"""Deploy locks: a file lock (the emulator) and a conditional-put object in the artifacts bucket (AWS,
here against the emulator's S3)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import pytest

from moorage.deploy.lock import STALE_AFTER, BucketLock, FileLock, Holder, LockBusy, environment_lock
from moorage.deploy.session import Target, endpoint_target


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from moorage.emulator.serve import start_in_thread

    url, stop = start_in_thread()
    yield url
    stop()


def test_file_lock_names_its_holder_and_can_be_waited_for(tmp_path: Path) -> None:
    first = FileLock(tmp_path / "deploy.lock", "app/dev")
    first.acquire()
    second = FileLock(tmp_path / "deploy.lock", "app/dev")
    with pytest.raises(LockBusy) as busy:
        second.acquire()
    assert busy.value.holder is not None and busy.value.holder == Holder.parse((tmp_path / "deploy.lock").read_text())
    assert "app/dev is locked by" in str(busy.value) and f"(pid {busy.value.holder.pid})" in str(busy.value)
    assert "--wait-lock" in busy.value.hint
    seen: list[Holder | None] = []
    threading.Timer(0.3, first.release).start()
    started = time.monotonic()
    second.acquire(wait=10, waiting=seen.append, poll=0.05)
    assert 0.2 < time.monotonic() - started < 5 and len(seen) == 1
    second.release()
    assert (tmp_path / "deploy.lock").read_text() == ""  # released: no holder recorded


def test_bucket_lock_is_a_conditional_put(endpoint: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    s3.create_bucket(Bucket="locks")
    first, second = (BucketLock(s3, "locks", "app/dev/deploy.lock", "app/dev") for _ in range(2))
    first.acquire()
    with pytest.raises(LockBusy) as busy:
        second.acquire()
    assert busy.value.holder is not None and "--break-lock" in busy.value.hint
    # --break-lock takes it over; the first holder's release must not then free the second's lock ...
    second.acquire(force=True)
    body = s3.get_object(Bucket="locks", Key="app/dev/deploy.lock")["Body"].read()
    assert Holder.parse(body) is not None
    first.release()
    assert s3.get_object(Bucket="locks", Key="app/dev/deploy.lock")["Body"].read() == body
    second.release()
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="locks", Key="app/dev/deploy.lock")


def test_stale_bucket_lock_is_taken_over(endpoint: str) -> None:
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    s3.create_bucket(Bucket="stale")
    old = replace(Holder.me(), host="elsewhere", started=time.time() - STALE_AFTER - 60)
    s3.put_object(Bucket="stale", Key="k", Body=old.to_json().encode())
    lock = BucketLock(s3, "stale", "k", "app/dev")
    lock.acquire()
    holder = Holder.parse(s3.get_object(Bucket="stale", Key="k")["Body"].read())
    assert holder is not None and holder.host != "elsewhere"
    lock.release()
    # A live holder elsewhere that is recent is not stale.
    assert not replace(Holder.me(), host="elsewhere").stale()
    # A holder on this host whose process is gone is.
    assert replace(Holder.me(), pid=2**22 - 1).stale()


def test_environment_lock_uses_the_artifacts_bucket_without_a_project(endpoint: str, tmp_path: Path) -> None:
    manifest = {"app": "locked", "environment": "dev", "region": "eu-west-1"}
    lock = environment_lock(endpoint_target(endpoint), manifest)
    assert isinstance(lock, BucketLock) and lock.key == "locked/dev/deploy.lock"
    assert lock.bucket.startswith("moorage-artifacts-")
    local = environment_lock(Target(local=True, endpoint=endpoint, lock_dir=tmp_path), manifest)
    assert isinstance(local, FileLock) and local.path == tmp_path / "deploy-locked-dev.lock"
