"""The emulator process: ``python -m moorage.emulator.serve --state-dir DIR``.

Also :func:`start_in_thread`, the same server inside the current process (tests, notebooks).
"""

from __future__ import annotations

import argparse
import copyreg
import json
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from moorage.emulator import rotation, runtime
from moorage.emulator.sealed import (
    KeyStoreError,
    SealError,
    decrypt,
    encrypt,
    ensure_keys,
    os_cause,
    seal,
    unseal,
    write_private,
)
from moorage.emulator.server import (
    ALREADY_RUNNING_EXIT,
    BAD_STATE_EXIT,
    EMULATOR_LOCK,
    GENERATION_MARK,
    KEYS_EXIT,
    LEGACY_SNAPSHOT,
    NOT_SAVED,
    REASON_MARK,
    SERVER_FILE,
    SNAPSHOT_FILE,
    STOPPING_MARK,
    LocalServer,
    create_state_dir,
    hold_emulator_lock,
    idle_timeout,
    record_in_lock,
)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _backends() -> dict[str, Any]:
    """Every loaded moto backend dict, by ``module:attribute``."""
    from moto.core.base_backend import BackendDict

    found: dict[str, Any] = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("moto.") or not name.endswith(".models") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, BackendDict) and attr.endswith("_backends"):
                found[f"{name}:{attr}"] = value
    return found


_RLOCK, _LOCK = type(threading.RLock()), type(threading.Lock())


def _new_lock(reentrant: bool) -> Any:
    return threading.RLock() if reentrant else threading.Lock()


def _pickle_locks() -> None:
    # Some backends (ECR) hold a threading lock; a restored backend gets a fresh one.
    copyreg.pickle(_RLOCK, lambda _lock: (_new_lock, (True,)))
    copyreg.pickle(_LOCK, lambda _lock: (_new_lock, (False,)))


def _load_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key(pem, password=None)


def _load_certificate(pem: bytes) -> Any:
    from cryptography.x509 import load_pem_x509_certificate

    return load_pem_x509_certificate(pem)


def _pickle_keys() -> None:
    # KMS keys and ACM certificates hold private keys and certificates (cryptography objects): pickled as PEM.
    from cryptography.hazmat.bindings._rust import openssl as rust
    from cryptography.hazmat.bindings._rust import x509
    from cryptography.hazmat.primitives import serialization as ser

    def reduce(key: Any) -> tuple[Any, tuple[bytes]]:
        return _load_key, (key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption()),)
    for kind in (rust.rsa.RSAPrivateKey, rust.ec.ECPrivateKey):
        copyreg.pickle(kind, reduce)
    copyreg.pickle(x509.Certificate, lambda cert: (_load_certificate, (cert.public_bytes(ser.Encoding.PEM),)))


class BadState(Exception):
    """The saved state cannot be loaded: unsealed, sealed by someone else, or damaged."""


def _scope(path: Path) -> str:
    # The seal binds a snapshot to its project's state directory: another project's file is refused too.
    return str(path.parent.resolve())


_snapshot_lock = threading.Lock()
_GENERATION = GENERATION_MARK


class Loaded:
    """The generation of the snapshot this emulator loaded (0: none), raised by each of its saves."""

    generation = 0


def _payload(generation: int, state: bytes, scope: str) -> bytes:
    # The generation stays readable (under the seal) without decrypting or unpickling the state.
    return _GENERATION + str(generation).encode() + b"\n" + encrypt(state, scope)


def _generation_and_state(payload: bytes, scope: str) -> tuple[int, bytes | None]:
    """(generation, the decrypted state; None when only the generation was asked) of an unsealed payload;
    a payload of an older moorage (a pickle in clear, sealed) is generation 0."""
    if not payload.startswith(_GENERATION):
        return 0, payload
    head, _, rest = payload.partition(b"\n")
    return int(head[len(_GENERATION):]), (decrypt(rest, scope) if scope else None)


def saved_generation(path: Path) -> int | None:
    """The generation of the snapshot at ``path``; None when there is none or it cannot be read."""
    try:
        return _generation_and_state(unseal(path.read_bytes(), _scope(path)), "")[0]
    except (OSError, SealError, ValueError):
        return None


def snapshot(path: Path) -> str:
    """Save the emulated account to ``path`` (sealed, encrypted, 0600); returns what happened, in words.

    A snapshot written since this emulator loaded its own (a newer generation: another emulator of the
    project saved it) is never overwritten: this state is older, and saving it would lose releases."""
    _pickle_locks()
    _pickle_keys()
    saved: dict[str, Any] = {}
    skipped: list[str] = []
    with _snapshot_lock:
        on_disk = saved_generation(path)
        if on_disk is not None and on_disk > Loaded.generation:
            return (f"not saved: {path.name} was saved by another emulator of this project since this one loaded it "
                    f"(generation {on_disk}, this emulator loaded {Loaded.generation}); that newer state is kept")
        for key, backends in _backends().items():
            try:
                data = pickle.dumps(dict(backends))
            except Exception:  # noqa: BLE001 - a backend holding unpicklable state is left out, and said so
                skipped.append(key)
                continue
            saved[key] = data
        generation = Loaded.generation + 1
        write_private(path, seal(_payload(generation, pickle.dumps(saved), _scope(path)), _scope(path)))
        Loaded.generation = generation
    return f"saved {len(saved)} services" + (f", could not save {', '.join(sorted(skipped))}" if skipped else "")


def snapshot_said(path: Path) -> tuple[bool, str]:
    """(saved, what happened in words) of :func:`snapshot`; a save that fails (a key or file that cannot be
    written) is said (``state NOT saved: ...``), never raised into a request or a signal handler."""
    try:
        return True, snapshot(path)
    except OSError as exc:
        return False, f"{NOT_SAVED}{os_cause(exc)}" + (f" ({exc.filename})" if exc.filename else "")
    except SealError as exc:
        return False, f"{NOT_SAVED}{exc}"


def restore(path: Path) -> str:
    """Load a snapshot written by :func:`snapshot` into moto's backends.

    The file's seal is checked before anything is decrypted or unpickled; :class:`BadState` when it fails
    or the sealed content is damaged."""
    import importlib

    if not path.is_file():
        legacy = path.with_name(LEGACY_SNAPSHOT)
        return "no saved state" + (f" ({legacy.name} from an older moorage is ignored: it is not sealed)"
                                   if legacy.exists() else "")
    try:
        payload = unseal(path.read_bytes(), _scope(path))
        in_clear = not payload.startswith(_GENERATION)
        generation, state = _generation_and_state(payload, _scope(path))
        saved = pickle.loads(state or b"")  # noqa: S301 - sealed by this user for this project (see sealed.py)
    except SealError as exc:
        raise BadState(f"{path}: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - a sealed but damaged file
        raise BadState(f"{path}: damaged ({type(exc).__name__})") from None
    if not isinstance(saved, dict):
        raise BadState(f"{path}: not a moorage snapshot")
    Loaded.generation = generation
    restored, failed = 0, []
    for key, data in saved.items():
        module_name, _, attr = str(key).partition(":")
        try:
            target = getattr(importlib.import_module(module_name), attr)
            target.clear()
            target.update(pickle.loads(data))  # noqa: S301 - inside the sealed file
            restored += 1
        except Exception:  # noqa: BLE001 - a service that cannot be restored starts empty, and is named
            failed.append(key)
    said = f"restored {restored} services" + (f"; could not restore {', '.join(sorted(failed))}" if failed else "")
    if in_clear:  # an older moorage's snapshot holds secret values in clear: encrypted now, not at the next save
        said += "; re-saved encrypted (it was in clear, from an older moorage): " + snapshot_said(path)[1]
    return said


class Activity:
    """When the emulator last served a request (health checks do not count)."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def touch(self) -> None:
        """Record a request now."""
        self.last = time.monotonic()

    def idle(self) -> float:
        """Seconds since the last request."""
        return time.monotonic() - self.last


ACTIVITY = Activity()


def make_app(state_dir: Path | None) -> WsgiApp:
    """moto's WSGI app behind moorage's small control API under ``/_moorage/``."""
    runtime.share_botocore_loaders()  # before moto's import makes its sessions
    from moto.server import DomainDispatcherApplication, create_backend_app

    from moorage.emulator import engine

    engine.install()
    moto_app = DomainDispatcherApplication(create_backend_app)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path not in ("/_moorage/health", "/_moorage/identity"):
            ACTIVITY.touch()  # looking at the emulator (status checks, the stop handshake) is not using it
        if not path.startswith("/_moorage/"):
            # Adapters run inside this request and call back the emulator that serves it (by its own port).
            with runtime.serving(f"http://127.0.0.1:{environ['SERVER_PORT']}"):
                return moto_app(environ, start_response)  # type: ignore[no-any-return]
        body: dict[str, Any] = {"ok": True}
        if path == "/_moorage/identity":
            # The handshake `local stop` checks before it signals this process (see server.is_emulator_of).
            body.update(pid=os.getpid(), state_dir=str(state_dir.resolve()) if state_dir else None)
        elif path == "/_moorage/snapshot" and state_dir is not None:
            body["ok"], body["result"] = snapshot_said(state_dir / SNAPSHOT_FILE)
        elif path.startswith("/_moorage/emulation/"):
            rtype = path.rsplit("/", 1)[-1]
            body["emulation"] = engine.emulation_of(rtype)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]
    return app


def _serve(state_dir: Path | None, port: int = 0) -> tuple[Any, str]:
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import make_server

    class QuietHandler(MotoRequestHandler):
        """moto's request handler (keeps S3 metadata headers) without a log line per request."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """Requests are not logged; errors still are."""

    server = make_server("127.0.0.1", port, make_app(state_dir), threaded=True, request_handler=QuietHandler)
    endpoint = f"http://127.0.0.1:{server.server_port}"
    rotation.install(server.server_port)
    runtime.started(endpoint)
    return server, endpoint


def start_in_thread() -> tuple[str, Callable[[], None]]:
    """Start the emulator in this process on a free loopback port; returns (endpoint, stop)."""
    server, endpoint = _serve(None)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        thread.join()
        server.server_close()
        runtime.forget(endpoint)
    return endpoint, stop


def _stop_when_idle(limit: float, stop: Callable[[], None], check: float = 5.0) -> None:
    """Call ``stop`` once no request came for ``limit`` seconds (an idle emulator frees its memory)."""
    while True:
        idle = ACTIVITY.idle()
        if idle >= limit:
            print(f"moorage local: idle for {idle / 60:.0f} min", flush=True)
            stop()
            return
        time.sleep(min(check, limit - idle + 0.05))


def main(argv: list[str] | None = None) -> None:
    """Run the emulator until SIGTERM; snapshot on the way out."""
    parser = argparse.ArgumentParser(prog="moorage.emulator.serve")
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--idle-minutes", type=float, default=None,
                        help="stop after this long without a request (default: $MOORAGE_LOCAL_IDLE_MINUTES or 30)")
    parser.add_argument("--lock-wait", type=float, default=15.0,
                        help="seconds to wait for another emulator of the project to stop (default 15)")
    args = parser.parse_args(argv)
    state_dir: Path = args.state_dir
    create_state_dir(state_dir)
    # One emulator per project, held before the state is loaded: the lock is released only when this process ends.
    lock_fd = hold_emulator_lock(state_dir, args.lock_wait)
    if lock_fd is None:
        print(f"{REASON_MARK}another emulator of this project holds {state_dir / EMULATOR_LOCK}", flush=True)
        sys.exit(ALREADY_RUNNING_EXIT)
    try:  # before any request: a save that could not write its key would lose everything deployed
        ensure_keys(_scope(state_dir / SNAPSHOT_FILE))
    except KeyStoreError as exc:
        print(f"{REASON_MARK}{exc}", flush=True)
        sys.exit(KEYS_EXIT)
    server, endpoint = _serve(state_dir)
    try:
        print(f"moorage local: {restore(state_dir / SNAPSHOT_FILE)}", flush=True)
    except BadState as exc:
        print(f"{REASON_MARK}cannot load the saved state: {exc}", flush=True)  # the starter adds the hint, once
        server.server_close()
        sys.exit(BAD_STATE_EXIT)

    def on_term(signum: int, frame: Any) -> None:
        print(f"{STOPPING_MARK}{snapshot_said(state_dir / SNAPSHOT_FILE)[1]}", flush=True)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    limit = args.idle_minutes * 60.0 if args.idle_minutes is not None else idle_timeout()
    if limit > 0:
        ACTIVITY.touch()  # the idle clock starts when the emulator can serve
        threading.Thread(target=_stop_when_idle, args=(limit, lambda: on_term(signal.SIGTERM, None)),
                         daemon=True).start()
    record = LocalServer(endpoint, os.getpid(), server.server_port, state_dir)
    record_in_lock(lock_fd, record)
    write_private(state_dir / SERVER_FILE, json.dumps(record.to_json()).encode())
    print(f"moorage local: listening on {endpoint}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
