"""Files only this user can have written: private (0600) writes and an HMAC seal with a per-user key.

The emulator's saved state is a pickle of moto's backends, and unpickling runs code. A snapshot is
therefore sealed with HMAC-SHA256 under a random key kept in the user's state directory (outside any
project, 0600) and bound to the project's state directory; a file that does not carry a valid seal
(copied from a cloned repository, another machine, another project, or damaged) is never unpickled.

The state holds secret values (those given to ``moorage secrets set``, generated passwords), so its
content is also encrypted (AES-256-GCM) with a key per project kept outside the project
(``keys/<project id>.key`` in the same user directory, 0600): a backup, zip or commit of the project carries
no value in clear, and is useless without this user's key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

MAGIC = b"MOORAGE-SEALED-1\n"
KEY_FILE = "snapshot.key"
KEYS_DIR = "keys"  # one encryption key per project (its id: a digest of its state directory's path)
_NONCE = 12
_HINT_MOVED = "move it back there to load its state"


class SealError(Exception):
    """A sealed file is missing its seal, damaged, or was sealed by someone else or for another project."""


class KeyStoreError(Exception):
    """The user's key directory cannot be created, read or written (the message names the path and the cause)."""


def user_state_dir() -> Path:
    """The user's moorage state directory (``$XDG_STATE_HOME/moorage``, default ``~/.local/state/moorage``)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "moorage"


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable and writable by this user only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to a file left over from a crash
        with os.fdopen(fd, "wb") as handle:
            fd = -1
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    finally:
        if fd != -1:
            os.close(fd)
    tmp.replace(path)


def user_key() -> bytes:
    """This user's sealing key, created (32 random bytes, 0600) on first use."""
    path = user_state_dir() / KEY_FILE
    try:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private(path, os.urandom(32))
    return path.read_bytes()


def _mac(key: bytes, scope: str, payload: bytes) -> str:
    return hmac.new(key, scope.encode() + b"\0" + payload, hashlib.sha256).hexdigest()


def seal(payload: bytes, scope: str) -> bytes:
    """``payload`` with a seal that :func:`unseal` checks for the same user and ``scope``."""
    return MAGIC + _mac(user_key(), scope, payload).encode() + b"\n" + payload


def unseal(data: bytes, scope: str) -> bytes:
    """The payload of ``data`` sealed by :func:`seal` for ``scope``; :class:`SealError` otherwise."""
    if not data.startswith(MAGIC):
        raise SealError("it is not a sealed moorage snapshot")
    head, sep, payload = data[len(MAGIC):].partition(b"\n")
    if not sep or not hmac.compare_digest(head, _mac(user_key(), scope, payload).encode()):
        origin = _sealed_for(head, payload, scope)
        if origin is not None:
            raise SealError(f"it was saved for the project at {origin}: this project was moved or copied from "
                            f"there, and its state and key are bound to that path ({_HINT_MOVED})")
        raise SealError("its seal does not match: it is damaged, or was not written by this user for this project "
                        "(nor for any other project path this user's keys know)")
    return payload


def _sealed_for(head: bytes, payload: bytes, scope: str) -> str | None:
    """The other project path ``payload`` was sealed for, among those this user keeps keys for; None if none."""
    try:
        records = sorted((user_state_dir() / KEYS_DIR).glob("*.path"))
        key = user_key()
    except OSError:
        return None
    for record in records:
        try:
            other = record.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if other != scope and hmac.compare_digest(head, _mac(key, other, payload).encode()):
            return str(Path(other).parent.parent) if Path(other).parts[-2:] == (".moorage", "local") else other
    return None


def project_key_path(scope: str) -> Path:
    """Where the encryption key of the project whose state directory is ``scope`` lives (outside it)."""
    return user_state_dir() / KEYS_DIR / (hashlib.sha256(scope.encode()).hexdigest()[:32] + ".key")


def _project_key(scope: str, create: bool) -> bytes:
    path = project_key_path(scope)
    try:
        key = path.read_bytes()
        if len(key) == 32:
            return key
    except OSError:
        pass
    if not create:
        raise SealError(f"its encryption key {path} is missing or damaged (it stays on the machine that saved it)")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_private(path, os.urandom(32))
    _record_path(scope)
    return path.read_bytes()


def _record_path(scope: str) -> None:
    # Which project path a key is for (beside it, private): a project moved or copied away is then named.
    record = project_key_path(scope).with_suffix(".path")
    try:
        if record.read_text(encoding="utf-8") == scope:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_private(record, scope.encode())


def ensure_keys(scope: str) -> None:
    """Create (or check) this user's sealing key and the encryption key of ``scope``, so that a save cannot fail
    later for want of them; :class:`KeyStoreError` names the path and the cause when they cannot be written."""
    try:
        user_key()
        _project_key(scope, create=True)
        _record_path(scope)
    except OSError as exc:
        where = exc.filename or user_state_dir() / KEYS_DIR
        raise KeyStoreError(f"cannot create the emulator's keys in {where}: {os_cause(exc)}") from None


def os_cause(exc: OSError) -> str:
    """Why ``exc`` happened, in words (mkdir over a file says "File exists": said as what it is)."""
    if isinstance(exc, FileExistsError) and exc.filename and not Path(exc.filename).is_dir():
        return "it is a file, not a directory"
    return exc.strerror or str(exc) or type(exc).__name__


def encrypt(payload: bytes, scope: str) -> bytes:
    """``payload`` encrypted (AES-256-GCM, bound to ``scope``) with the project's key, created on first use."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(_project_key(scope, create=True)).encrypt(nonce, payload, scope.encode())


def decrypt(data: bytes, scope: str) -> bytes:
    """The payload :func:`encrypt` encrypted for ``scope``; :class:`SealError` when the key is missing or wrong."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        return AESGCM(_project_key(scope, create=False)).decrypt(data[:_NONCE], data[_NONCE:], scope.encode())
    except InvalidTag:
        raise SealError("it does not decrypt with this project's key (the key was replaced)") from None
