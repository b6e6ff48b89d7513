"""Compose services whose images are databases, caches or S3-compatible stores -> managed AWS stores.

A :class:`Store` remembers how other services could refer to it (host names, port, the variables
and values of its credentials) so that their settings can be rewritten as connection references.
Credential values are kept only in memory, to recognise them; they are never copied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from moorage.compose.images import ImageInfo, elasticache_version, image_table
from moorage.compose.interpolate import Interp
from moorage.compose.notes import Notes
from moorage.compose.syntax import parse_volume, split_command
from moorage.kinds import kind, registry
from moorage.spec.source import KeyPath

StoreKind = str  # a kind of the registry that compose services become (moorage.kinds.compose_kinds)
_DB_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_DB_USER_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
_RESERVED_USERS = {"rdsadmin", "rdsrepladmin", "rdstopmgr", "root", "admin_rds", "mysql.sys", "mysql.session"}


@dataclass
class Store:
    """A data service mapped to a managed store."""

    cname: str  # compose service name
    kind: StoreKind
    family: str  # postgres | mysql | redis | bucket
    engine: str
    names: list[str]  # moorage names (one, or the buckets of an S3-compatible store)
    hosts: set[str]
    port: int | None
    path: KeyPath
    vars: dict[str, set[str]] = field(default_factory=dict)  # attr -> variable names
    values: dict[str, str] = field(default_factory=dict)  # attr -> value as compose had it (never copied)
    secret_values: set[str] = field(default_factory=set)
    secret_files: set[str] = field(default_factory=set)  # compose secrets holding its password
    explicit: set[str] = field(default_factory=set)  # attrs whose value the compose file sets
    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    bucket_sources: dict[str, str] = field(default_factory=dict)  # compose bucket name -> moorage name
    default_bucket: bool = False  # its one bucket is only named after the container (none was declared)

    @property
    def primary(self) -> str:
        """The moorage name connection references use."""
        return self.names[0]


def store_env_names(family: str) -> dict[str, Any]:
    """The env variable names that carry a store's credentials (from the image table)."""
    key = "bucket" if family == "bucket" else family
    data: dict[str, Any] = image_table()["store_env"].get(key, {})
    return data


def build_store(cname: str, svc: dict[str, Any], info: ImageInfo, name: str, hosts: set[str],
                env: list[tuple[str, Any, KeyPath]], path: KeyPath, notes: Notes) -> Store:
    """Map one data service; ``env`` is its environment as (name, value, compose path)."""
    kind: StoreKind = info.kind  # type: ignore[assignment]
    family = "bucket" if kind == "bucket" else ("redis" if kind == "cache" else info.engine)
    ports: dict[str, int] = image_table()["default_ports"]
    port = ports.get(info.engine) if kind != "bucket" else None
    store = Store(cname, kind, family, info.engine, [name], hosts, port, path)
    names = store_env_names(family)
    attrs = ("user", "password", "name", "port")
    for attr in attrs:
        store.vars[attr] = set()
    store.values["user"] = str(names.get("default_user", ""))
    others: list[str] = []
    for key, value, kpath in env:
        text = "" if value is None else str(value)
        matched = [a for a in attrs if key in names.get(a, [])]
        if not matched:
            if kind == "database" and key == "POSTGRES_HOST_AUTH_METHOD" and text == "trust":
                notes.warn(kpath, f"{cname}: trust authentication is not possible on RDS; a password is generated "
                           "and services that use it get it as a secret")
            else:
                others.append(key)
            continue
        attr = matched[0]
        if isinstance(value, Interp):
            store.vars[attr].update(value.refs)
        if key.endswith("_FILE"):
            m = re.match(r"^/run/secrets/(.+)$", text)
            if m:
                store.secret_files.add(m.group(1))
            continue
        if attr == "password":
            if text:
                store.secret_values.add(text)
            continue
        if attr == "user" and text and key in ("MINIO_ROOT_USER", "MINIO_ACCESS_KEY", "AWS_ACCESS_KEY_ID",
                                                 "S3_ACCESS_KEY", "ACCESS_KEY"):
            store.secret_values.add(text)
        if text:
            store.values[attr] = text
            store.explicit.add(attr)
    if kind == "database":
        _database(store, svc, info, name, notes)
    elif kind == "cache":
        _cache(store, svc, info, name, notes)
    else:
        store.blocks[name] = {}  # an item with moorage's defaults (x-moorage sets the rest: a queue's fifo, dlq ...)
    if others and not registry()[kind].endpoint:  # a store behind an AWS endpoint (S3, SQS) takes no settings
        notes.warn(path + ("environment",), f"{cname}: settings not carried to the managed {kind}: "
                   + ", ".join(sorted(others)), f"set what matters as {kind} parameters in x-moorage")
    if kind == "database" and "name" not in store.values and info.engine == "postgres":
        store.values["name"] = store.values["user"]
    _store_volumes(store, svc, notes)
    return store


def _database(store: Store, svc: dict[str, Any], info: ImageInfo, name: str, notes: Notes) -> None:
    block: dict[str, Any] = {"engine": info.engine}
    if info.version:
        block["version"] = info.version
        if info.engine == "postgres" and int(info.version) < int(image_table()["postgres_oldest_supported"]):
            notes.warn(store.path + ("image",), f"Postgres {info.version} is past RDS standard support",
                       "upgrade to a supported major version (x-moorage: {version: \"16\"})")
    else:
        notes.info(store.path + ("image",), f"{store.cname}: no engine version in the image tag; "
                   "the profile's default version is used")
    for note in info.tag_notes:
        notes.info(store.path + ("image",), f"{store.cname}: {note}")
    db_name = store.values.get("name")
    if db_name:
        if _DB_NAME_RE.match(db_name):
            block["name"] = db_name
        else:
            notes.warn(store.path + ("environment",), f"{store.cname}: database name {db_name!r} is not valid on "
                       "RDS (letters, digits, _; starting with a letter); the default name is used")
    user = store.values.get("user", "")
    if "user" in store.explicit and user:
        if _DB_USER_RE.match(user) and user.lower() not in _RESERVED_USERS:
            block["username"] = user
        else:
            notes.warn(store.path + ("environment",), f"{store.cname}: user {user!r} cannot be the RDS master "
                       "user (1-16 letters, digits or _; not reserved); 'app' is used")
    if info.extensions:
        block["extensions"] = list(info.extensions)
    if info.note:
        notes.warn(store.path + ("image",), f"{store.cname}: {info.note}")
    tag = info.ref.tag.lower()
    if any(t in tag for t in ("vectorchord", "pgvecto", "vchord")):
        block["extensions"] = sorted(set(block.get("extensions", [])) | {"vector"})
        notes.warn(store.path + ("image",), f"{store.cname}: the image bundles VectorChord/pgvecto.rs, which RDS "
                   "does not offer; pgvector (extension 'vector') is enabled instead")
    command = svc.get("command")
    if command:
        try:
            args = split_command(command)
        except ValueError:
            args = []
        settings = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-c"]
        settings += [a[2:] for a in args if a.startswith("--") and "=" in a]
        if settings:
            notes.warn(store.path + ("command",), f"{store.cname}: server settings not carried: "
                       + ", ".join(s.split("=")[0] for s in settings),
                       f"set the ones RDS allows under databases.{name}.parameters (x-moorage)")
    store.blocks[name] = block
    desc = f"RDS {info.engine}" + (f" {info.version}" if info.version else "")
    if block.get("extensions"):
        desc += " with " + ", ".join(block["extensions"])
    notes.info(store.path, f"{store.cname} -> databases.{name}: {desc} (image {info.ref.repository}"
               + (f":{info.ref.tag}" if info.ref.tag else "") + "); its password is generated in Secrets Manager")


def _cache(store: Store, svc: dict[str, Any], info: ImageInfo, name: str, notes: Notes) -> None:
    block: dict[str, Any] = {"engine": info.engine}
    version, note = elasticache_version(info.engine, info.version)
    if version:
        block["version"] = version
    if note:
        notes.info(store.path + ("image",), f"{store.cname}: {note}")
    if info.note:
        notes.warn(store.path + ("image",), f"{store.cname}: {info.note}")
    command = svc.get("command")
    if command:
        refs: set[str] = set()
        for part in command if isinstance(command, list) else [command]:
            if isinstance(part, Interp):
                refs.update(part.refs)
        try:
            args = split_command(command)
        except ValueError:
            args = []
        flags = [a for a in args if a.startswith("--")]
        if "--requirepass" in args:
            i = args.index("--requirepass")
            if i + 1 < len(args) and args[i + 1]:
                store.secret_values.add(args[i + 1])
            store.vars["password"].update(refs)
        rest = [f for f in flags if f != "--requirepass"]
        if rest:
            notes.warn(store.path + ("command",), f"{store.cname}: server flags not carried to ElastiCache: "
                       + ", ".join(rest), "ElastiCache sets these through its parameter group")
        elif any(a.endswith(".conf") for a in args):
            notes.warn(store.path + ("command",), f"{store.cname}: its config file is not carried to ElastiCache")
    store.blocks[name] = block
    notes.info(store.path, f"{store.cname} -> caches.{name}: ElastiCache {info.engine}"
               + (f" {version}" if version else "") + f" (image {info.ref.repository}"
               + (f":{info.ref.tag}" if info.ref.tag else "") + "); an auth token is generated")


def _store_volumes(store: Store, svc: dict[str, Any], notes: Notes) -> None:
    vols = svc.get("volumes") or []
    if not isinstance(vols, list):
        return
    for i, item in enumerate(vols):
        try:
            spec = parse_volume(item)
        except ValueError:
            continue
        vpath = store.path + ("volumes", i)
        if "docker-entrypoint-initdb.d" in spec.target:
            notes.warn(vpath, f"{store.cname}: init script {spec.target} is not run on the managed database",
                       "run it from a before-deploy job (x-moorage: {run: before-deploy}) that uses the database")
    managed = kind(store.kind).managed_by
    if vols:
        notes.info(store.path + ("volumes",), f"{store.cname}: its volumes are replaced by {managed}; "
                   "existing data is not migrated")


def bucket_names(store_cname: str, svc: dict[str, Any], env: list[tuple[str, Any, KeyPath]],
                 helper_commands: list[str]) -> list[str]:
    """Bucket names an S3-compatible store is set up with (env, `mc mb`, `mkdir /data/x`)."""
    found: list[str] = []
    names = store_env_names("bucket").get("name", [])
    for key, value, _ in env:
        if key in names and value:
            for part in re.split(r"[,;\s]+", str(value)):
                bucket = part.split(":")[0].strip()
                if bucket:
                    found.append(bucket)
    texts = list(helper_commands)
    for key in ("command", "entrypoint"):
        value = svc.get(key)
        if value:
            texts.append(" ".join(str(v) for v in value) if isinstance(value, list) else str(value))
    for text in texts:
        for m in re.finditer(r"\bmc\s+mb\s+(?:-{1,2}[\w-]+\s+)*[^\s/]+/([A-Za-z0-9][A-Za-z0-9.\-]*)", text):
            found.append(m.group(1))
        for m in re.finditer(r"\bmkdir\s+(?:-p\s+)?/data/([A-Za-z0-9][A-Za-z0-9.\-]*)", text):
            found.append(m.group(1))
    return list(dict.fromkeys(found)) or [store_cname]
