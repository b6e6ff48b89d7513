"""One deploy at a time per environment.

On AWS the lock is an object in the account's artifacts bucket, created with a conditional put
(``If-None-Match: *``) so that exactly one deployer wins; it records who holds it and since when. A
lock whose holder is gone (same host, process dead) or older than :data:`STALE_AFTER` is stale and
taken over; ``--break-lock`` takes over any lock. On the emulator the lock is an ``fcntl`` lock on a
file in ``.moorage/local/``: the kernel releases it when its holder dies, so it is never stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError

from moorage.locks import STALE_AFTER, FileLock, Holder, Lock, LockBusy

__all__ = ["STALE_AFTER", "BucketLock", "FileLock", "Holder", "Lock", "LockBusy", "environment_lock",
           "environment_locked", "lock_key"]



class BucketLock(Lock):
    """An object in the artifacts bucket, created with ``If-None-Match: *``."""

    def __init__(self, s3: Any, bucket: str, key: str, what: str) -> None:
        self.s3, self.bucket, self.key, self.what = s3, bucket, key, what
        self._held = ""  # the content we wrote, while we hold the lock

    def try_acquire(self, holder: Holder, force: bool) -> Holder | None:
        try:
            self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=holder.to_json().encode(), IfNoneMatch="*",
                               ContentType="application/json")
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code not in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                raise
        else:
            self._busy, self._held = False, holder.to_json()
            return None
        self._busy = True
        try:
            current = Holder.parse(self.s3.get_object(Bucket=self.bucket, Key=self.key)["Body"].read(4096))
        except ClientError:
            return None  # released between our put and our read: try again
        if force or (current is not None and current.stale()):
            self.s3.delete_object(Bucket=self.bucket, Key=self.key)
            return self.try_acquire(holder, False)  # a racer may win this one; then it holds the lock
        return current

    def release(self) -> None:
        if not self._held:
            return
        try:  # a lock taken over with --break-lock is no longer ours to delete
            current = self.s3.get_object(Bucket=self.bucket, Key=self.key)["Body"].read(4096).decode()
        except ClientError:
            current = ""
        if current == self._held:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key)
        self._held = ""


def lock_key(app: str, environment: str) -> str:
    """The lock object's key in the artifacts bucket."""
    return f"{app}/{environment}/deploy.lock"


def environment_lock(target: Any, manifest: dict[str, Any]) -> Lock:
    """The lock of the environment of ``manifest`` on ``target`` (a file for a project's emulator,
    the artifacts bucket otherwise)."""
    app, env = str(manifest["app"]), str(manifest["environment"])
    what = f"{app}/{env}"
    if target.lock_dir is not None:
        return FileLock(target.lock_dir / f"deploy-{app}-{env}.lock", what)
    from moorage.deploy.artifacts import artifacts_bucket

    region = target.region_for(manifest["region"])
    bucket = artifacts_bucket(target, region, {"moorage:app": app})
    return BucketLock(target.client("s3", region), bucket, lock_key(app, env), what)


@contextmanager
def environment_locked(target: Any, manifest: dict[str, Any], wait: float = 0.0, force: bool = False,
                       waiting: Callable[[Holder | None], None] | None = None) -> Iterator[None]:
    """Hold the environment's lock for the ``with`` block; afterwards a project's emulator saves its state
    (so that a crash of the emulator later loses nothing this deploy did)."""
    lock = environment_lock(target, manifest)
    lock.acquire(wait, force, waiting)
    try:
        yield
    finally:
        try:
            if target.lock_dir is not None and target.endpoint:
                from moorage.emulator.server import save_state

                save_state(target.endpoint)
        finally:
            lock.release()
