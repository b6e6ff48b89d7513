"""Per-service compose keys -> moorage service fields (ports, health checks, sizes, volumes...)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from moorage.compose.keys import check_keys
from moorage.compose.notes import Notes, list_at
from moorage.compose.syntax import (
    PortSpec,
    mib,
    moorage_name,
    parse_bytes,
    parse_duration,
    parse_port,
    parse_volume,
    split_command,
)
from moorage.spec.fargate import fargate_sizes, nearest_size
from moorage.spec.source import KeyPath

_DOCKER_SOCKET_RE = re.compile(r"docker\.sock|/var/run/docker|podman\.sock|containerd\.sock")


@dataclass
class Ports:
    """A service's ports as compose declares them."""

    published: list[tuple[PortSpec, KeyPath]] = field(default_factory=list)
    exposed: list[tuple[int, KeyPath]] = field(default_factory=list)

    @property
    def tcp(self) -> list[tuple[PortSpec, KeyPath]]:
        """Published TCP ports."""
        return [(p, k) for p, k in self.published if p.protocol == "tcp"]

    @property
    def main(self) -> tuple[int, KeyPath] | None:
        """The port moorage keeps: the first published TCP port, else the first exposed one."""
        if self.tcp:
            spec, path = self.tcp[0]
            return spec.target, path
        return self.exposed[0] if self.exposed else None

    @property
    def extra(self) -> list[int]:
        """The other TCP ports (published or exposed), in order: each reachable at the service's host."""
        main = self.main
        ports = [p.target for p, _ in self.tcp] + [port for port, _ in self.exposed]
        return [p for p in dict.fromkeys(ports) if main is None or p != main[0]]

    @property
    def public(self) -> bool:
        """Published on a non-loopback interface."""
        return any(not p.local_only for p, _ in self.tcp)


def read_ports(svc: dict[str, Any], path: KeyPath, notes: Notes) -> Ports:
    """Parse ``ports`` and ``expose`` (all syntaxes); malformed entries are located errors."""
    out = Ports()
    ports = list_at(svc, "ports", path, notes)
    for i, item in enumerate(ports):
        ppath = path + ("ports", i)
        if isinstance(item, dict):
            check_keys(item, "port", ppath, notes, "a port")
        try:
            spec = parse_port(item)
        except ValueError as exc:
            notes.error(ppath, f"port: {exc}", 'e.g. "8080:80", "127.0.0.1:5432:5432" or {target: 80}')
            continue
        out.published.append((spec, ppath))
    expose = list_at(svc, "expose", path, notes)
    for i, item in enumerate(expose):
        try:
            spec = parse_port(item)
        except ValueError as exc:
            notes.error(path + ("expose", i), f"expose: {exc}")
            continue
        if spec.protocol == "tcp":
            out.exposed.append((spec.target, path + ("expose", i)))
    return out


def report_ports(cname: str, ports: Ports, notes: Notes) -> None:
    """Note the extra ports carried; warn about those moorage cannot carry (udp, ranges)."""
    main = ports.main
    for spec, ppath in ports.published:
        if spec.protocol != "tcp":
            notes.warn(ppath, f"{cname}: {spec.protocol} port {spec.target} is not carried "
                       "(the load balancer and service discovery use TCP)")
        elif main and spec.target != main[0]:
            notes.info(ppath, f"{cname}: port {spec.target} -> ports (reached at its host by the services that "
                       f"use it; the route, if any, goes to port {main[0]})")
        if spec.is_range:
            notes.warn(ppath, f"{cname}: a port range is given; only port {spec.target} is kept")
    for port, epath in ports.exposed[1 if not ports.tcp else 0:]:
        if main and port != main[0]:
            notes.info(epath, f"{cname}: exposed port {port} -> ports (reached at its host)")


def healthcheck(cname: str, hc: Any, path: KeyPath, notes: Notes) -> dict[str, Any] | None:
    """A compose healthcheck -> a moorage ``healthcheck`` block (None when absent or disabled)."""
    if hc is None:
        return None
    if not isinstance(hc, dict):
        notes.error(path, "healthcheck must be a mapping (test, interval, timeout, retries, start_period)")
        return None
    check_keys(hc, "healthcheck", path, notes, "a healthcheck")
    if hc.get("disable") is True or str(hc.get("disable")).lower() == "true":
        notes.info(path + ("disable",), f"{cname}: health check disabled")
        return None
    test = hc.get("test")
    if test is None:
        if set(hc) - {"disable"}:
            notes.warn(path, f"{cname}: the image's own health check timings are changed here, but its command "
                       "is not known to moorage; no container health check is set",
                       "give the full test: [\"CMD\", ...] in the compose file")
        return None
    if isinstance(test, str):
        command = ["CMD-SHELL", str(test)]
    elif isinstance(test, list) and test:
        head = str(test[0]).upper()
        if head == "NONE":
            notes.info(path + ("test",), f"{cname}: health check disabled (NONE)")
            return None
        if head == "CMD-SHELL":
            command = ["CMD-SHELL", " ".join(str(t) for t in test[1:])]
        elif head == "CMD":
            command = ["CMD"] + [str(t) for t in test[1:]]
        else:
            command = ["CMD"] + [str(t) for t in test]
        if len(command) < 2 or not command[1].strip():
            notes.error(path + ("test",), "healthcheck test has no command")
            return None
    else:
        notes.error(path + ("test",), "healthcheck test must be a string or a list")
        return None
    out: dict[str, Any] = {"command": command}
    limits = {"interval": (5, 300), "timeout": (2, 60), "start_period": (0, 300)}
    for key, (lo, hi) in limits.items():
        if key not in hc:
            continue
        try:
            seconds = parse_duration(hc[key])
        except ValueError as exc:
            notes.error(path + (key,), f"healthcheck {key}: {exc}")
            continue
        if seconds is None:
            continue
        out[key] = _clamp(cname, f"healthcheck {key}", math.ceil(seconds), lo, hi, path + (key,), notes, "s")
    if "retries" in hc and str(hc["retries"]).strip() != "":
        try:
            retries = int(str(hc["retries"]).strip())
            out["retries"] = _clamp(cname, "healthcheck retries", retries, 1, 10, path + ("retries",), notes, "")
        except ValueError:
            notes.error(path + ("retries",), f"healthcheck retries must be a number (got {hc['retries']!r})")
    if "start_interval" in hc:
        pass  # reported by the key table
    notes.info(path, f"{cname}: container health check kept ({command[0]})")
    return out


def _clamp(cname: str, what: str, value: int, lo: int, hi: int, path: KeyPath, notes: Notes, unit: str) -> int:
    if value < lo or value > hi:
        new = min(max(value, lo), hi)
        notes.warn(path, f"{cname}: {what} {value}{unit} is outside what ECS allows ({lo}..{hi}); {new}{unit} used")
        return new
    return value


def health_path(hc: dict[str, Any] | None, port: int, hosts: set[str]) -> str | None:
    """The HTTP path a container health check probes on the service's own port, if any."""
    if not hc:
        return None
    text = " ".join(hc["command"][1:])
    names = ["localhost", r"127\.0\.0\.1", r"0\.0\.0\.0", r"\[::1\]"] + [re.escape(h) for h in hosts]
    rx = re.compile(r"(https?://)?(?:" + "|".join(names) + r")(?::(\d+))?(/[^\s'\"|;&)>]*)?")
    for m in rx.finditer(text):
        scheme, p, route = m.group(1), m.group(2), m.group(3)
        if not scheme and not p:
            continue
        if (p and int(p) == port) or (not p and port == (443 if scheme == "https://" else 80)):
            return route or "/"
    return None


def resources(cname: str, svc: dict[str, Any], path: KeyPath, notes: Notes) -> tuple[int | None, int | None]:
    """cpus/memory (deploy.resources limits or reservations, cpus/mem_limit) -> a Fargate (cpu, memory)."""
    cpus: float | None = None
    memory: int | None = None
    where: KeyPath = path
    deploy = svc.get("deploy")
    if isinstance(deploy, dict):
        res = deploy.get("resources")
        if isinstance(res, dict):
            check_keys(res, "resources", path + ("deploy", "resources"), notes, "deploy.resources")
            for block in ("limits", "reservations"):
                spec = res.get(block)
                if not isinstance(spec, dict):
                    continue
                bpath = path + ("deploy", "resources", block)
                devices = spec.get("devices")
                if devices:
                    gpu = any(isinstance(d, dict) and ("gpu" in [str(c) for c in d.get("capabilities") or []]
                                                       or str(d.get("driver", "")).lower() == "nvidia")
                              for d in (devices if isinstance(devices, list) else []))
                    notes.error(bpath + ("devices",), f"{cname}: " + ("Fargate has no GPUs" if gpu else
                                "host devices are not available on Fargate"),
                                "run this service elsewhere (e.g. ECS on EC2 GPU instances), or drop the reservation")
                if spec.get("pids") is not None:
                    notes.warn(bpath + ("pids",), f"{cname}: pids limit is not carried")
                if cpus is None and spec.get("cpus") not in (None, ""):
                    cpus = _cpus(spec["cpus"], bpath + ("cpus",), notes)
                    where = bpath
                if memory is None and spec.get("memory") not in (None, ""):
                    memory = _memory(spec["memory"], bpath + ("memory",), notes)
                    where = bpath
    if cpus is None and svc.get("cpus") not in (None, ""):
        cpus = _cpus(svc["cpus"], path + ("cpus",), notes)
        where = path + ("cpus",)
    for key in ("mem_limit", "mem_reservation"):
        if memory is None and svc.get(key) not in (None, ""):
            memory = _memory(svc[key], path + (key,), notes)
            where = path + (key,)
    if cpus is None and memory is None:
        return None, None
    units = math.ceil(cpus * 1024) if cpus else None
    cpu, mem = nearest_size(units, memory)
    biggest = max(fargate_sizes())
    if (units and units > biggest) or (memory and memory > fargate_sizes()[biggest][-1]):
        notes.warn(where, f"{cname}: asks for more than the largest Fargate task; {cpu} cpu / {mem} MiB used")
    asked = " / ".join(x for x in (f"{cpus:g} CPU" if cpus else "", f"{memory} MiB" if memory else "") if x)
    notes.info(where, f"{cname}: {asked} -> Fargate {cpu} cpu units / {mem} MiB (nearest valid size)")
    return cpu, mem


def _cpus(value: Any, path: KeyPath, notes: Notes) -> float | None:
    try:
        n = float(str(value).strip())
    except ValueError:
        notes.error(path, f"cpus must be a number of CPUs (got {value!r})")
        return None
    return n if n > 0 else None


def _memory(value: Any, path: KeyPath, notes: Notes) -> int | None:
    try:
        n = parse_bytes(value)
    except ValueError as exc:
        notes.error(path, f"memory: {exc}")
        return None
    return mib(n) if n else None


def command(cname: str, svc: dict[str, Any], key: str, path: KeyPath, notes: Notes) -> list[str] | None:
    """``command``/``entrypoint``: a string is split like a shell; a list is kept."""
    value = svc.get(key)
    if value is None:
        return None
    if not isinstance(value, str | list):
        notes.error(path + (key,), f"{key} must be a string or a list")
        return None
    try:
        parts = split_command(value)
    except ValueError as exc:
        notes.error(path + (key,), f"{key} cannot be split like a shell would: {exc}", "check the quotes")
        return None
    if isinstance(value, str) and parts:
        notes.info(path + (key,), f"{cname}: {key} split into {len(parts)} arguments")
    return parts


@dataclass
class VolumeResult:
    """What a service's volumes became."""

    volumes: list[dict[str, Any]] = field(default_factory=list)
    paths: list[KeyPath] = field(default_factory=list)


def fargate_blockers(svc: dict[str, Any]) -> list[str]:
    """Why this compose service cannot run on Fargate at all (Docker socket, privileged mode); empty if it can."""
    reasons: list[str] = []
    if svc.get("privileged") is True:
        reasons.append("it runs privileged")
    vols = svc.get("volumes")
    for item in vols if isinstance(vols, list) else []:
        try:
            spec = parse_volume(item)
        except ValueError:
            continue
        if _DOCKER_SOCKET_RE.search(spec.source) or _DOCKER_SOCKET_RE.search(spec.target):
            reasons.append(f"it mounts the Docker socket ({spec.target})")
    return reasons


def skip_hint(cname: str) -> str:
    """How to leave a service out of the import."""
    return f"leave it out with `--skip {cname}` (or x-moorage: {{skip: true}} on it), or drop the feature that needs it"


def volumes(cname: str, svc: dict[str, Any], path: KeyPath, defs: dict[str, Any], notes: Notes,
            stateful_alt: str = "") -> VolumeResult:
    """Named volumes -> persistent EFS; anonymous/tmpfs -> ephemeral; bind mounts warn; sockets fail."""
    out = VolumeResult()
    seen: set[str] = set()
    vols = list_at(svc, "volumes", path, notes)
    persistent = False
    for i, item in enumerate(vols):
        vpath = path + ("volumes", i)
        if isinstance(item, dict):
            check_keys(item, "volume", vpath, notes, "a volume")
        try:
            spec = parse_volume(item)
        except ValueError as exc:
            notes.error(vpath, f"volume: {exc}", "SOURCE:TARGET[:ro] or {type, source, target}")
            continue
        if _DOCKER_SOCKET_RE.search(spec.source) or _DOCKER_SOCKET_RE.search(spec.target):
            notes.error(vpath, f"{cname}: mounts the Docker socket ({spec.target}); there is no Docker daemon on "
                        "Fargate, so it is not runnable there", skip_hint(cname))
            continue
        if not spec.target.startswith("/"):
            notes.error(vpath, f"{cname}: volume target {spec.target!r} must be an absolute path")
            continue
        if spec.target in seen:
            notes.warn(vpath, f"{cname}: {spec.target} is mounted twice; the first mount is kept")
            continue
        if spec.type == "bind":
            hint = ("bake the file into the image (COPY in the Dockerfile)" if spec.read_only or "." in
                    spec.target.rsplit("/", 1)[-1] else
                    "for data that must persist use a named volume (persistent EFS); for config, bake it "
                    "into the image")
            src = spec.source or "(an unset variable)"
            notes.warn(vpath, f"{cname}: bind mount {src} -> {spec.target} is not carried to AWS", hint)
            continue
        if spec.type in ("npipe", "cluster", "image"):
            notes.error(vpath, f"{cname}: {spec.type} volumes are not available on Fargate")
            continue
        seen.add(spec.target)
        if spec.type == "tmpfs" or (spec.type == "volume" and not spec.source):
            out.volumes.append({"path": spec.target})
            out.paths.append(vpath)
            notes.info(vpath, f"{cname}: {spec.target} -> ephemeral task storage")
            continue
        vdef = defs.get(spec.source, {}) if isinstance(defs, dict) else {}
        if spec.source not in (defs or {}):
            notes.warn(vpath, f"{cname}: volume {spec.source!r} is not declared under top-level volumes; "
                       "treated as a named volume")
        name = moorage_name(spec.source)
        vol: dict[str, Any] = {"path": spec.target, "name": name, "persistent": True}
        if spec.read_only:
            vol["readonly"] = True
        out.volumes.append(vol)
        out.paths.append(vpath)
        persistent = True
        notes.info(vpath, f"{cname}: named volume {spec.source} -> persistent EFS volume {name} at {spec.target}")
        if isinstance(vdef, dict) and vdef.get("external"):
            notes.warn(vpath, f"{cname}: volume {spec.source} is external: its data is not migrated; "
                       "a new, empty EFS volume is created")
    tmpfs = svc.get("tmpfs")
    for j, item in enumerate(tmpfs if isinstance(tmpfs, list) else ([tmpfs] if tmpfs else [])):
        target = str(item).split(":")[0].strip()
        tpath = path + (("tmpfs", j) if isinstance(tmpfs, list) else ("tmpfs",))
        if not target.startswith("/"):
            notes.error(tpath, f"{cname}: tmpfs path {target!r} must be absolute")
            continue
        if target not in seen:
            seen.add(target)
            out.volumes.append({"path": target})
            out.paths.append(tpath)
            notes.info(tpath, f"{cname}: tmpfs {target} -> ephemeral task storage (Fargate has no tmpfs)")
    if stateful_alt and persistent:
        notes.warn(path, f"{cname}: its data lives on EFS, which is slow for a database-like server",
                   f"{stateful_alt} would be better")
    return out


def platform_arch(cname: str, value: Any, path: KeyPath, notes: Notes) -> str | None:
    """``platform: linux/arm64`` -> ``arm64``; ``linux/amd64`` -> ``x86_64``."""
    text = str(value or "").strip().lower()
    if not text:
        return None
    if "arm64" in text or "aarch64" in text:
        return "arm64"
    if "amd64" in text or "x86_64" in text:
        return "x86_64"
    notes.warn(path, f"{cname}: platform {text!r} is not available on Fargate; x86_64 is used")
    return None


def int_value(value: Any, path: KeyPath, notes: Notes, what: str) -> int | None:
    """An integer setting that may have been interpolated from a string."""
    if value is None or str(value).strip() == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        notes.error(path, f"{what} must be a whole number (got {value!r})")
        return None
