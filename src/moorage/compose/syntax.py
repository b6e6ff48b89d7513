"""Parsers for compose's short syntaxes: durations, byte sizes, ports, volumes, commands, names."""

from __future__ import annotations

import hashlib
import math
import re
import shlex
from dataclasses import dataclass
from typing import Any

_DURATION_RE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: Any) -> float | None:
    """Seconds in a Go duration (``30s``, ``1m30s``, ``500ms``); numbers are seconds; "" is None.

    Raises ``ValueError`` for text that is not a duration.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    pos = 0
    total = 0.0
    for m in _DURATION_RE.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    if pos != len(text) or pos == 0:
        raise ValueError(f"{text!r} is not a duration (e.g. 30s, 1m30s, 500ms)")
    return total


_BYTES_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.I)
_BYTE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_bytes(value: Any) -> int | None:
    """Bytes in ``512m``, ``1g``, ``1.5GB``, ``256mb`` or a plain number; "" is None.

    Raises ``ValueError`` for anything else.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    if not text:
        return None
    m = _BYTES_RE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a size (e.g. 512m, 1g)")
    return int(float(m.group(1)) * _BYTE_UNITS[m.group(2).lower()])


def mib(n_bytes: int) -> int:
    """Bytes -> MiB, rounded up."""
    return max(1, math.ceil(n_bytes / 1024**2))


@dataclass(frozen=True)
class PortSpec:
    """One port mapping."""

    target: int
    published: str  # host port text ("" = any)
    host_ip: str
    protocol: str
    is_range: bool = False

    @property
    def local_only(self) -> bool:
        """True when bound to the loopback interface only."""
        return self.host_ip in ("127.0.0.1", "localhost", "::1", "[::1]")


def parse_port(item: Any) -> PortSpec:
    """Parse one ``ports:`` entry (short or long syntax); raise ``ValueError`` when malformed."""
    if isinstance(item, bool):
        raise ValueError("a port must be a number or a string")
    if isinstance(item, int):
        return _checked(PortSpec(item, "", "", "tcp"))
    if isinstance(item, dict):
        if "target" not in item:
            raise ValueError("the long port syntax needs `target`")
        target = _port_number(item["target"])
        published = item.get("published")
        return _checked(PortSpec(target, "" if published is None else str(published),
                                 str(item.get("host_ip") or ""), str(item.get("protocol") or "tcp").lower()))
    text = str(item).strip()
    protocol = "tcp"
    if "/" in text:
        text, protocol = text.rsplit("/", 1)
        protocol = protocol.lower() or "tcp"
    host_ip = ""
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise ValueError(f"unclosed '[' in port {item!r}")
        host_ip = text[:end + 1]
        text = text[end + 1:].lstrip(":")
        left, _, container = text.rpartition(":")
        published = left
    else:
        left, sep, container = text.rpartition(":")
        if not sep:
            published = ""
        else:
            host_ip, _, published = left.rpartition(":")
    is_range = "-" in container
    first = container.split("-")[0]
    return _checked(PortSpec(_port_number(first), published, host_ip, protocol, is_range))


def _port_number(value: Any) -> int:
    try:
        n = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a port number") from None
    return n


def _checked(spec: PortSpec) -> PortSpec:
    if not 1 <= spec.target <= 65535:
        raise ValueError(f"port {spec.target} is out of range (1-65535)")
    return spec


@dataclass(frozen=True)
class VolumeSpec:
    """One ``volumes:`` entry of a service."""

    type: str  # volume | bind | tmpfs | npipe | cluster | image
    source: str
    target: str
    read_only: bool


def parse_volume(item: Any) -> VolumeSpec:
    """Parse one service ``volumes:`` entry; raise ``ValueError`` when malformed."""
    if isinstance(item, dict):
        target = str(item.get("target") or "")
        if not target:
            raise ValueError("the long volume syntax needs `target`")
        vtype = str(item.get("type") or "volume")
        source = str(item.get("source") or "")
        return VolumeSpec(vtype, source, target, bool(item.get("read_only", False)))
    text = str(item).strip()
    if not text:
        raise ValueError("empty volume entry")
    parts = text.split(":")
    if len(parts) > 3:
        raise ValueError(f"{text!r} is not SOURCE:TARGET[:MODE]")
    mode = parts[2] if len(parts) == 3 else ""
    if len(parts) == 1:
        source, target = "", parts[0]
    else:
        source, target = parts[0], parts[1]
    if not target:
        raise ValueError(f"{text!r} has no target path")
    read_only = "ro" in mode.split(",")
    if len(parts) == 1:
        return VolumeSpec("volume", "", target, read_only)
    if not source:
        return VolumeSpec("bind", "", target, read_only)  # an empty host path (usually an unset variable)
    is_path = source.startswith((".", "/", "~", "$")) or "/" in source or "\\" in source
    return VolumeSpec("bind" if is_path else "volume", source, target, read_only)


def split_command(value: Any) -> list[str]:
    """A compose command/entrypoint: a string is split like a POSIX shell; a list is kept."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return shlex.split(str(value))


_NAME_MAX = 40


def moorage_name(raw: str, taken: set[str] | None = None) -> str:
    """A valid moorage name (``^[a-z][a-z0-9-]{0,38}[a-z0-9]$``) for a compose name, unique in ``taken``."""
    text = re.sub(r"[^a-z0-9-]+", "-", str(raw).lower().replace("_", "-").replace(".", "-"))
    text = re.sub(r"-{2,}", "-", text).strip("-")
    if not text or not text[0].isalpha():
        text = "s-" + text if text else "app"
    if len(text) > _NAME_MAX:
        digest = hashlib.sha1(str(raw).encode()).hexdigest()[:6]
        text = text[:_NAME_MAX - 7].rstrip("-") + "-" + digest
    if len(text) < 2:
        text += "-svc"
    text = text.rstrip("-")
    if taken is not None:
        base, n = text, 2
        while text in taken:
            suffix = f"-{n}"
            text = base[:_NAME_MAX - len(suffix)].rstrip("-") + suffix
            n += 1
        taken.add(text)
    return text


def env_name(raw: str) -> str:
    """An environment-variable name (``^[A-Za-z_][A-Za-z0-9_]*$``) for a compose secret name."""
    text = re.sub(r"[^A-Za-z0-9_]+", "_", str(raw)).upper().strip("_") or "SECRET"
    return "_" + text if text[0].isdigit() else text


def name_tokens(name: str) -> list[str]:
    """Lower-case words of a service name (split on '-', '_' and '.')."""
    return [t for t in re.split(r"[-_.]+", name.lower()) if t]
