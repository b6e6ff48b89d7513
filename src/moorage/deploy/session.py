"""Where a deploy goes: real AWS (boto3's default credential chain, a profile, a region) or the
embedded local emulator."""

from __future__ import annotations

import shlex
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"max_attempts": 8, "mode": "adaptive"})
_LOCAL_CONFIG = Config(retries={"max_attempts": 1})


@dataclass
class Target:
    """An AWS account (or the emulator) and how to reach it."""

    local: bool = False
    endpoint: str | None = None
    profile: str | None = None
    region: str | None = None  # overrides the manifest's region when set
    lock_dir: Path | None = None  # a project's emulator: deploy locks are files here
    note: str = ""  # something the user should hear about the target (an emulator that was restarted)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _session: Any = field(default=None, repr=False)  # one session: botocore reads its endpoint and service data once

    def region_for(self, region: str) -> str:
        """The region to use for a stack that the manifest places in ``region``."""
        return self.region or region

    def client(self, service: str, region: str) -> Any:
        """A cached boto3 client (thread-safe creation)."""
        region = self.region_for(region)
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                if self._session is None:
                    self._session = boto3.session.Session(
                        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region) \
                        if self.local else boto3.session.Session(profile_name=self.profile, region_name=region)
                self._clients[key] = self._session.client(service, region_name=region, endpoint_url=self.endpoint,
                                                          config=_LOCAL_CONFIG if self.local else _CONFIG)
            return self._clients[key]

    def describe(self) -> str:
        """Where deploys go, in words."""
        if self.local:
            return f"local emulator at {self.endpoint}"
        return "AWS" + (f" (profile {self.profile})" if self.profile else "")

    def aim(self, env: str, preview_of: str | None = None) -> str:
        """The options that aim a command at ``env`` on this target: ``--env ENV`` (``--preview-of BASE`` for a
        preview, ``--local``, ``--profile P``, ``--region R``), for the commands hints tell the user to run. Each
        value is shell-quoted: the line is pasted into a shell, and a profile or environment name is the user's."""
        words = ["--env", env] + (["--preview-of", preview_of] if preview_of else [])
        if self.local:
            words.append("--local")
        if self.profile:
            words += ["--profile", self.profile]
        if self.region:
            words += ["--region", self.region]
        return shlex.join(words)

    def aws(self, command: str, region: str = "") -> str:
        """``aws COMMAND`` aimed at this target, for the commands hints tell the user to run: ``--region``, the
        profile, and on the emulator its ``--endpoint-url`` with moto's dummy credentials (a plain ``aws``
        command pasted from a ``--local`` run would act on the user's real AWS account). ``region``: the
        manifest's; the target's own ``--region`` wins, as it does for the clients."""
        region = self.region_for(region) if region else (self.region or "")
        words = ["aws", command] + (["--region", region] if region else [])
        if self.local:
            if not self.endpoint:  # no emulator address to aim at: the way out is to forget the emulator's state
                project = self.lock_dir.parent.parent if self.lock_dir is not None else Path(".")
                return f"moorage local stop --reset --project {shlex.quote(str(project))} (forgets everything " \
                    "the emulator holds)"
            return " ".join(["AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "aws", command,
                             *map(shlex.quote, [*words[2:], "--endpoint-url", self.endpoint])])
        if self.profile:
            words += ["--profile", self.profile]
        return " ".join(["aws", command, *map(shlex.quote, words[2:])])

    def command(self, verb: str, env: str, *extra: str, preview_of: str | None = None) -> str:
        """``moorage VERB --env ENV ... EXTRA`` aimed at ``env`` (a preview of ``preview_of``) on this target
        (see :meth:`aim`); each of ``extra`` is one shell word, quoted."""
        return " ".join(["moorage", verb, self.aim(env, preview_of), *map(shlex.quote, extra)])


def aws_target(profile: str | None = None, region: str | None = None) -> Target:
    """Real AWS through boto3's default credential chain (or ``profile``)."""
    return Target(local=False, profile=profile, region=region)


def local_target(project: Path) -> Target:
    """The project's emulator, started in the background if it is not running."""
    from moorage.emulator.server import ensure_server

    server = ensure_server(project)
    return Target(local=True, endpoint=server.endpoint, lock_dir=server.state_dir, note=server.note)


def endpoint_target(endpoint: str) -> Target:
    """An emulator already listening at ``endpoint`` (tests)."""
    return Target(local=True, endpoint=endpoint)
