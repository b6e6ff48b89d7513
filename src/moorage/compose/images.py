"""Classify container images: managed database, cache, bucket, other stateful server, or app.

The rules are data (``data/compose_images.yaml``); this module parses image references and reads
engine versions from tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from moorage.data import load_data
from moorage.kinds import compose_image_rules

# A kind of the registry (moorage.kinds.compose_kinds: database, cache, bucket, queue ...), or bucket_init,
# stateful, app.
ImageKind = str


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference."""

    registry: str
    repository: str  # without registry and "library/"
    tag: str
    digest: str

    @property
    def pinned(self) -> bool:
        """True when a digest or a tag other than ``latest`` is given."""
        return bool(self.digest) or (bool(self.tag) and self.tag not in ("latest", "stable", "release", "main"))


@dataclass(frozen=True)
class ImageInfo:
    """What an image is, for the importer."""

    ref: ImageRef
    kind: ImageKind
    engine: str = ""
    version: str | None = None
    extensions: tuple[str, ...] = ()
    note: str = ""
    alternative: str = ""
    tag_notes: tuple[str, ...] = field(default_factory=tuple)


def parse_image(image: str) -> ImageRef:
    """Split ``[registry/]path[:tag][@digest]``."""
    text = image.strip()
    digest = ""
    if "@" in text:
        text, digest = text.split("@", 1)
    tag = ""
    slash = text.rfind("/")
    colon = text.rfind(":")
    if colon > slash:
        text, tag = text[:colon], text[colon + 1:]
    parts = text.split("/")
    registry = ""
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry = parts[0]
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "library":
        parts = parts[1:]
    return ImageRef(registry, "/".join(parts).lower(), tag, digest)


@cache
def _rules() -> list[tuple[re.Pattern[str], dict[str, Any]]]:
    # The managed kinds' rules (data/kinds.yaml) first, then helpers and other stateful servers.
    rules = [*compose_image_rules(), *load_data("compose_images")["images"]]
    return [(re.compile(rule["match"]), rule) for rule in rules]


def image_table() -> dict[str, Any]:
    """The whole image table (rules, ports, versions, name hints)."""
    data: dict[str, Any] = load_data("compose_images")
    return data


def _environment(environment: Any) -> dict[str, str]:
    """A compose ``environment:`` (mapping or KEY=VALUE list) as text values; anything else is empty."""
    if isinstance(environment, dict):
        return {str(k): "" if v is None else str(v) for k, v in environment.items()}
    if isinstance(environment, list):
        return dict((str(i).split("=", 1) + [""])[:2] for i in environment)  # type: ignore[misc]
    return {}


def _env_matches(wanted: dict[str, str], environment: Any) -> bool:
    """True when every variable of ``wanted`` lists its value (comma-separated, e.g. LocalStack's SERVICES)."""
    env = _environment(environment)
    return all(value in [p.strip().lower() for p in env.get(key, "").split(",")] for key, value in wanted.items())


def classify(image: str, environment: Any = None) -> ImageInfo:
    """Classify ``image`` by the first matching rule; anything else is an app image. A rule with ``env`` matches
    only when the service's ``environment`` sets those variables (LocalStack runs SQS when SERVICES lists sqs)."""
    ref = parse_image(image)
    for pattern, rule in _rules():
        if rule.get("env") and not _env_matches(rule["env"], environment):
            continue
        if pattern.search(ref.repository):
            kind: ImageKind = rule["kind"]
            version, notes = _version(ref.tag, str(rule.get("version", "none")), str(rule.get("engine", "")))
            return ImageInfo(ref, kind, str(rule.get("engine", "")), version,
                             tuple(rule.get("extensions") or ()), str(rule.get("note", "")),
                             str(rule.get("alternative", "")), tuple(notes))
    return ImageInfo(ref, "app")


def _version(tag: str, how: str, engine: str) -> tuple[str | None, list[str]]:
    notes: list[str] = []
    if not tag or how == "none":
        return None, notes
    if how == "pg":
        m = re.search(r"pg(\d{2})", tag)
        if m:
            return m.group(1), notes
        how = "major"
    if how == "major":
        m = re.match(r"^(\d+)", tag)
        if not m:
            return None, notes
        major = int(m.group(1))
        if engine == "postgres" and not 9 <= major <= 30:
            notes.append(f"tag {tag!r} does not name a Postgres version")
            return None, notes
        return str(major), notes
    m = re.match(r"^(\d+)(?:\.(\d+))?", tag)
    if not m:
        return None, notes
    if m.group(2) is None:
        if engine == "mysql":
            notes.append(f"tag {tag!r} names no minor version")
            return None, notes
        return m.group(1), notes
    return f"{m.group(1)}.{m.group(2)}", notes


def elasticache_version(engine: str, version: str | None) -> tuple[str | None, str]:
    """The ElastiCache version to ask for, and a note when it differs from the tag."""
    if version is None:
        return None, ""
    offered: list[str] = list(image_table()["elasticache_versions"].get(engine, []))
    major = version.split(".")[0]
    same = [v for v in offered if v.split(".")[0] == major]
    if not same:
        return None, (f"ElastiCache does not offer {engine} {version}; the default version is used "
                      f"(offered: {', '.join(offered)})")
    if version in same:
        return version, ""
    if "." in version:
        lower = [v for v in same if _vkey(v) <= _vkey(version)]
        pick = max(lower, key=_vkey) if lower else min(same, key=_vkey)
    else:
        pick = max(same, key=_vkey)
    return pick, f"ElastiCache offers {engine} {pick} for tag version {version}"


def _vkey(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split(".") if p.isdigit())
