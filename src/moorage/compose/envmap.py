"""A service's environment -> plain env, connection references and secrets.

Rules, in order, for each variable:

1. names moorage cannot express (``discovery.type``) are dropped with a warning;
2. static AWS credentials and S3-compatible store keys are dropped (the task role grants access);
3. a URL or host name pointing at a managed store becomes ``{{ store.url }}`` / ``{{ store.host }}``...;
   one pointing at another service becomes ``{{ service.url }}`` / ``{{ service.host }}`` (when the
   ``uses`` edge can be added without a cycle);
4. host/port/user/password/name variables of a store the service uses (same variable as the store's
   own ``POSTGRES_PASSWORD``, equal value, or a telling name) become its attributes;
5. credential-like names, and URLs with a password in them, become generated secrets (values dropped);
6. everything else stays plain.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from moorage.compose.clients import cache_clients, local_sibling
from moorage.compose.envfile import read_env_file
from moorage.compose.interpolate import Interp
from moorage.compose.issued import issued_key
from moorage.compose.notes import Notes
from moorage.compose.project import (
    ENV_FILE_MAX_VARIABLES,
    OUTSIDE_HINT,
    ProjectFileError,
    env_file_size_problem,
    project_file,
    project_root,
)
from moorage.compose.stores import Store
from moorage.data import load_data
from moorage.errors import Location
from moorage.kinds import registry
from moorage.spec.models import ENV_NAME_PATTERN, SECRET_NAME_RE, embedded_credential
from moorage.spec.source import KeyPath
from moorage.url_passwords import url_passwords

# Names that hold credentials even though SECRET_NAME_RE does not say so.
EXTRA_SECRET_RE = re.compile(
    r"(ENCRYPTION_KEY|ENC_KEY|CRYPTO_KEY|SIGNING_KEY|MASTER_KEY|SERVICE_ROLE_KEY|SERVICE_KEY$|LICENSE_KEY|"
    r"^SALT$|_SALT$|_PWD$|SECRET_KEY)", re.I)
# Credentials a third party issues (an OAuth client secret, an API key, an error-tracker DSN): a random value
# would never work, so their secrets are not generated; the user sets them (`moorage secrets set`).
ISSUED_SECRET_RE = re.compile(r"(CLIENT_SECRET|API_KEY|APIKEY|_DSN$|WEBHOOK|ACCESS_TOKEN|AUTH_TOKEN$)", re.I)
_AWS_CREDENTIAL_NAMES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                         "AWS_SHARED_CREDENTIALS_FILE"}
_URL_RE = re.compile(
    r"^(?P<jdbc>jdbc:)?(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?:(?P<userinfo>[^@/?#\s]*)@)?"
    r"(?P<host>\[[^\]]*\]|[^:/?#\s,@]*)(?::(?P<port>[^/?#\s]*))?(?P<rest>[/?#]\S*)?$")
_FAMILY_SCHEMES = {
    "postgres": {"postgres", "postgresql", "postgis", "pgsql", "psql", "ecto", "timescale"},
    "mysql": {"mysql", "mysql2", "mariadb", "mysqlx"},
    "redis": {"redis", "rediss", "valkey", "valkeys"},
}
_HOST_HINT = re.compile(r"(HOST|HOSTS|HOSTNAME|ADDR|ADDRESS|SERVER|SERVERS|ENDPOINT|URL|URI|DSN|BROKER|BROKERS|"
                        r"NODE|NODES|SERVICE)$", re.I)
_ATTR_SUFFIX = [
    ("url", re.compile(r"(URL|URI|DSN|CONNECTION_STRING)$", re.I)),
    ("host", re.compile(r"(HOST|HOSTNAME|SERVER|ADDR|ADDRESS)$", re.I)),
    ("port", re.compile(r"PORT$", re.I)),
    ("user", re.compile(r"(USER|USERNAME|LOGIN)$", re.I)),
    ("password", re.compile(r"(PASSWORD|PASS|PASSWD|PWD|AUTH|TOKEN)$", re.I)),
    ("name", re.compile(r"(_DB|DATABASE|DB_NAME|DBNAME|DATABASE_NAME|^DB)$", re.I)),
]
_FAMILY_HINT = {
    "postgres": re.compile(r"(^|_)(DB|DATABASE|PG|POSTGRES|POSTGRESQL|PSQL|SQL|POSTGRESDB)(_|$)", re.I),
    "mysql": re.compile(r"(^|_)(DB|DATABASE|MYSQL|MARIADB|SQL)(_|$)", re.I),
    "redis": re.compile(r"(^|_)(REDIS|VALKEY|CACHE)(_|$)", re.I),
}
# Names about some other system: never read as a setting of a database or cache.
_OTHER_SYSTEM_RE = re.compile(r"(CLICKHOUSE|MONGO|ELASTIC|OPENSEARCH|KAFKA|RABBIT|AMQP|SMTP|MAIL|LDAP|S3_|MINIO|"
                              r"INFLUX|NEO4J|QDRANT|MEILI|GEO|SENTRY|VECTOR|SEARCH|BROKER|QUEUE_URL)", re.I)
BUCKET_NAME_RE = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")  # what S3 accepts as a bucket name
_BARE_HOST_RE = re.compile(r"[a-z][a-z0-9_\-]*", re.I)  # a compose service name: no dots, not an address
_LOCAL_HOSTS = {"localhost", "host-gateway"}
_BUCKET_CRED_RE = re.compile(r"(ACCESS_KEY|SECRET_KEY|SECRET_ACCESS|ACCESS_ID|_SECRET$)", re.I)


@cache
def wiring_conventions() -> dict[str, dict[str, Any]]:
    """Variable name -> {kind, attr, frameworks}, from data/compose_wiring.yaml."""
    return {row["name"]: row for row in load_data("compose_wiring")["conventions"]}


def is_credential_name(name: str) -> bool:
    """True for variable names that hold credentials."""
    return bool(SECRET_NAME_RE.search(name) or EXTRA_SECRET_RE.search(name))


@dataclass
class EnvItem:
    """One variable of a service's environment, with where it was written."""

    name: str
    value: Any  # Interp | int | float | bool | None
    path: KeyPath
    location: Location | None = None  # set for env_file entries (their line in that file)


@dataclass
class Pending:
    """A value that names another service: rewritten only if the `uses` edge is kept."""

    name: str
    rewritten: str
    original: Any
    targets: list[str]
    path: KeyPath


@dataclass
class EnvResult:
    """What a service's environment became."""

    env: dict[str, Any] = field(default_factory=dict)
    where: dict[str, EnvItem] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    stores: list[Store] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


class SecretRegistry:
    """Top-level secrets by name, each tied to where its value came from (never the value itself)."""

    def __init__(self) -> None:
        self.blocks: dict[str, dict[str, Any]] = {}
        self._identity: dict[str, str] = {}
        self.values: set[str] = set()  # in memory only, to scrub accidental copies

    def known(self, identity: str) -> bool:
        """True when a secret already stands for ``identity``."""
        return identity in self._identity.values()

    def identity_of(self, name: str) -> str:
        """Where secret ``name``'s value came from ("" for a secret this registry did not claim)."""
        return self._identity.get(name, "")

    def claim(self, preferred: str, identity: str, suffix: str, description: str, generate: bool = True) -> str:
        """The secret name for ``identity``, ``preferred`` unless another source took it; ``generate`` False for
        a value the user sets."""
        for name, ident in self._identity.items():
            if ident == identity:
                return name
        name = preferred
        if name in self._identity:
            name = f"{preferred}_{suffix}"
            n = 2
            while name in self._identity:
                name = f"{preferred}_{suffix}_{n}"
                n += 1
        self._identity[name] = identity
        self.blocks[name] = {"generate": generate, "description": description}
        return name


@dataclass
class EnvContext:
    """What env mapping needs to know about the other services."""

    stores: dict[str, Store]
    hosts: dict[str, tuple[str, str]]  # host name -> (store|app|excluded, compose service)
    app_ports: dict[str, int | None]
    app_names: dict[str, str]
    secrets: SecretRegistry
    notes: Notes
    app_extra_ports: dict[str, list[int]] = field(default_factory=dict)
    host_re: re.Pattern[str] | None = None
    # host port -> (compose service, container port, a host name of it): what localhost:PORT reached
    published: dict[int, tuple[str, int, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.hosts:
            alts = "|".join(re.escape(h) for h in sorted(self.hosts, key=len, reverse=True))
            self.host_re = re.compile(
                r"(?:(?<=//)|(?<=@)|(?<![\w.\-/@:]))(" + alts + r")(?::(\d+))?(?![\w\-])(?!\.[A-Za-z0-9])")


def read_service_env(svc: dict[str, Any], path: KeyPath, base_dir: Path, env: dict[str, str],
                     notes: Notes) -> list[EnvItem]:
    """The service's environment: ``env_file`` entries first, then ``environment`` (which wins)."""
    items: dict[str, EnvItem] = {}
    files = svc.get("env_file")
    root = project_root(base_dir)
    if files is not None:
        entries = files if isinstance(files, list) else [files]
        for i, entry in enumerate(entries):
            epath = path + ("env_file",) + ((i,) if isinstance(files, list) else ())
            required = True
            if isinstance(entry, dict):
                unknown = set(entry) - {"path", "required", "format"}
                for key in sorted(unknown):
                    notes.error(epath + (key,), f"{key!r} is not an env_file key", "use path, required, format")
                required = bool(entry.get("required", True))
                entry = entry.get("path")
            if not isinstance(entry, str) or not entry:
                notes.error(epath, "env_file entries must be file paths (or {path: F, required: bool})")
                continue
            try:
                file = project_file(root, base_dir, entry)
                too_big = env_file_size_problem(file)
            except ProjectFileError as exc:
                notes.error(epath, f"env_file {exc}", OUTSIDE_HINT)
                continue
            except FileNotFoundError:
                if required:
                    notes.warn(epath, f"env_file {entry} is not there: its variables are not imported",
                               "put it next to the compose file, or set the values with x-moorage/secrets")
                else:
                    notes.info(epath, f"optional env_file {entry} is not there")
                continue
            if too_big:
                notes.error(epath, f"env_file {entry}: {too_big}", "a .env holds a few dozen variables: is this "
                            "the right file?")
                continue
            try:
                parsed = read_env_file(file, env)
            except (OSError, UnicodeDecodeError) as exc:
                notes.error(epath, f"cannot read env_file {entry}: {exc}")
                continue
            if len(parsed.entries) > ENV_FILE_MAX_VARIABLES:
                notes.error(epath, f"env_file {entry} sets {len(parsed.entries):,} variables; moorage reads at "
                            f"most {ENV_FILE_MAX_VARIABLES:,}", "a .env holds a few dozen variables: is this the "
                            "right file?")
                continue
            for line, problem in parsed.problems:
                notes.add("warning", epath, f"{entry}: {problem}; line skipped",
                          location=Location(str(file), line, 1))
            for e in parsed.entries:
                items[e.name] = EnvItem(e.name, e.value, epath, Location(str(file), e.line, 1, epath))
            notes.info(epath, f"env_file {entry}: {len(parsed.entries)} variables read")
    environment = svc.get("environment") or {}
    if isinstance(environment, dict):
        for key, value in environment.items():
            name = str(key)
            if value is None:  # pass-through: from the shell / .env
                if name not in env:
                    # compose leaves an unset pass-through out of the container (the app's default
                    # applies); an '' would break apps that parse a port or URL from it
                    if name not in items:
                        notes.info(path + ("environment", name), f"{name} is a pass-through with no value "
                                   "in the shell or .env: left unset, as compose does")
                    continue
                value = Interp(env[name], "${" + name + "}", (name,))
            items[name] = EnvItem(name, value, path + ("environment", name))
    return list(items.values())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _refs(value: Any) -> tuple[str, ...]:
    return value.refs if isinstance(value, Interp) else ()


def _looks_random(text: str) -> bool:
    """A generated-looking string (a key, a token): long, no spaces, letters and digits, high entropy."""
    if len(text) < 16 or any(c.isspace() for c in text) or "/" in text or not (
            any(c.isdigit() for c in text) and any(c.isalpha() for c in text)):
        return False
    counts = [text.count(c) for c in set(text)]
    entropy = -sum(n / len(text) * math.log2(n / len(text)) for n in counts)
    return entropy >= 3.5


def _single_var(value: Any) -> str | None:
    return value.single_var if isinstance(value, Interp) else None


def _unset(value: Any) -> bool:
    return isinstance(value, Interp) and bool(value.unset) and str(value) == ""


def _warn_at(notes: Notes, item: EnvItem, severity: str, message: str, hint: str = "") -> None:
    notes.add("warning" if severity == "warning" else "info", item.path, message, hint, "compose",
              location=item.location)


class EnvMapper:
    """Map the environments of app services (one instance per import)."""

    def __init__(self, ctx: EnvContext) -> None:
        self.ctx = ctx
        self._conventions = True
        # secret -> (first item, origin, provider key kind or None, services that use it)
        self._issued: dict[str, tuple[EnvItem, str, str | None, list[str]]] = {}

    def finish(self) -> None:
        """Report the credentials the user must set; a token only this file's services share is generated."""
        for secret, (item, origin, by_value, users) in self._issued.items():
            if by_value is None and len(users) > 1:
                self.ctx.secrets.blocks[secret]["generate"] = True
                _warn_at(self.ctx.notes, item, "warning",
                         f"{item.name} is shared by {' and '.join(users)}, which only need to agree on it: secret "
                         f"{secret} is generated in Secrets Manager and given to each (was {origin})",
                         f"if a third party issues it, set the real value: moorage secrets set {secret} --env ENV")
                continue
            what = f"holds {by_value}, a credential a third party issues" if by_value else \
                "is a credential a third party issues"
            _warn_at(self.ctx.notes, item, "warning",
                     f"{item.name} {what}: secret {secret} is created empty in Secrets Manager (was {origin}); "
                     "a random value would never work",
                     f"set it before the services start: moorage secrets set {secret} --env ENV")

    def map(self, cname: str, items: list[EnvItem], used: list[Store], own_hosts: set[str],
            conventions: bool = True) -> EnvResult:
        """Map ``items`` of service ``cname``; ``used`` are the stores it depends on.

        ``conventions`` is False for a data store kept as a container: its ``POSTGRES_PASSWORD`` is its own.
        """
        self._conventions = conventions
        res = EnvResult(stores=list(used))
        for item in items:
            self._one(cname, self._localhost(cname, item), res, own_hosts)
        self._cache_clients(cname, res)
        if res.dropped:
            self.ctx.notes.warn(("services", cname, "environment"),
                                f"{cname}: dropped (the task role grants AWS access): " + ", ".join(res.dropped),
                                "remove static keys; AWS SDKs use the ECS task role")
        return res

    def _localhost(self, cname: str, item: EnvItem) -> EnvItem:
        """``localhost:PORT`` of a sibling's published port, as the sibling's host (wired like any URL)."""
        text = _text(item.value) if isinstance(item.value, str) else ""
        found = local_sibling(text, cname, self.ctx.published) if text else None
        if found is None:
            return item
        kind, value = found
        if kind == "own":
            _warn_at(self.ctx.notes, item, "warning", f"{cname}: {item.name} ({text}) is this service's own "
                     "published address on the compose host; on AWS it has a public URL instead",
                     f"set {item.name} in x-moorage env to the environment's public URL (https://DOMAIN/...)")
            return item
        _warn_at(self.ctx.notes, item, "info", f"{cname}: {item.name}: {text} is a port another service publishes "
                 f"on the compose host -> {value}")
        return EnvItem(item.name, Interp(value, value), item.path, item.location)

    def _cache_clients(self, cname: str, res: EnvResult) -> None:
        def warn(name: str, severity: str, message: str, hint: str) -> None:
            item = res.where.get(name) or next(iter(res.where.values()), None)
            if item is None:
                self.ctx.notes.add("warning" if severity == "warning" else "info",
                                   ("services", cname, "environment"), message, hint, "compose")
            else:
                _warn_at(self.ctx.notes, item, severity, message, hint)

        cache_clients(cname, res.env, [s.primary for s in res.stores if s.kind == "cache"], warn)

    # ------------------------------------------------------------------ one variable

    def _one(self, cname: str, item: EnvItem, res: EnvResult, own_hosts: set[str]) -> None:
        notes = self.ctx.notes
        name, value = item.name, item.value
        text = _text(value)
        if not re.match(ENV_NAME_PATTERN, name):
            _warn_at(notes, item, "warning", f"{cname}: environment variable {name!r} dropped: moorage env names "
                     "are letters, digits and '_'", "set it in the image, or use the app's underscore form")
            return
        if name in _AWS_CREDENTIAL_NAMES:
            res.dropped.append(name)
            return
        # credentials of an S3-compatible store: the task role replaces them
        for store in self.ctx.stores.values():
            if store.kind != "bucket":
                continue
            creds = store.vars.get("user", set()) | store.vars.get("password", set())
            if (set(_refs(value)) & creds) or (text and text in store.secret_values and
                                               (_BUCKET_CRED_RE.search(name) or is_credential_name(name))):
                res.dropped.append(name)
                self._use(res, store, item, f"{name} held {store.cname}'s credentials")
                return
        if self._by_convention(item, res):
            return
        if self._by_url(cname, item, res, own_hosts):
            return
        self._dangling(item, own_hosts)
        if self._by_host(cname, item, res, own_hosts):
            return
        if self._by_attribute(cname, item, res):
            return
        if self._by_bucket(cname, item, res):
            return
        if is_credential_name(name) or (isinstance(value, str) and url_passwords(text, interpolated=True)) or \
                (text and any(is_credential_name(ref) for ref in _refs(value))) or \
                (text and embedded_credential(text)) or \
                (_refs(value) and _looks_random(text)):  # a key from .env under an innocent name
            self._secret(cname, item, res)
            return
        res.env[name] = value if isinstance(value, int | float | bool) and value is not None else text
        res.where[name] = item

    # ------------------------------------------------------------------ conventions (data/compose_wiring.yaml)

    def _by_convention(self, item: EnvItem, res: EnvResult) -> bool:
        """A variable whose conventional name says what it holds, wired to the one store of that kind."""
        rule = wiring_conventions().get(item.name.upper())
        if rule is None or not self._conventions:
            return False
        kind, attr = rule["kind"], rule["attr"]
        text = _text(item.value)
        why = f"the {', '.join(rule['frameworks'])} name for a {kind}'s {attr}"
        if kind == "bucket":
            return self._bucket_convention(item, res, attr, text, why)
        store = self._only(res, kind)
        if store is None:
            return False
        if attr in ("url", "jdbc", "host"):
            if text and not _unset(item.value):
                return False  # a value naming a host: the URL and host rules decide (or warn)
            self._use(res, store, item, f"{item.name} is {why}")
            if attr == "jdbc":
                value = f"jdbc:{store.engine if store.family == 'mysql' else 'postgresql'}://" \
                        f"{{{{ {store.primary}.host }}}}:{{{{ {store.primary}.port }}}}/{{{{ {store.primary}.name }}}}"
                self._set(res, item, value, f"{item.name} -> {value} ({why})")
                return True
            return self._attr(res, item, store, attr, why)
        if kind == "cache" and attr in ("user", "name"):
            return False
        if attr == "port" and text and store.port and text != str(store.port):
            _warn_at(self.ctx.notes, item, "warning", f"{item.name}: port {text} is not {store.cname}'s port "
                     f"{store.port}; it is rewired to the managed store's port", "check the app's settings")
        return self._attr(res, item, store, attr, why)

    def _only(self, res: EnvResult, kind: str) -> Store | None:
        """The one store of ``kind`` the service uses, else the app's only one."""
        for pool in (res.stores, list(self.ctx.stores.values())):
            found = [s for s in pool if s.kind == kind]
            if len(found) == 1:
                return found[0]
            if found:
                return None
        return None

    def _bucket_convention(self, item: EnvItem, res: EnvResult, attr: str, text: str, why: str) -> bool:
        buckets = [s for s in self.ctx.stores.values() if s.kind == "bucket"]
        if attr == "region":
            store = next((s for s in res.stores if s.kind == "bucket"), None)
            if store is None or (text and not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d|auto|local|minio|", text)):
                return False
            self._set(res, item, f"{{{{ {store.primary}.region }}}}",
                      f"{item.name} -> {{{{ {store.primary}.region }}}} ({why})")
            return True
        if not text or _unset(item.value) or not BUCKET_NAME_RE.fullmatch(text):
            store = self._only(res, "bucket")
            if store is None or len(store.names) != 1:
                return False
            self._use(res, store, item, f"{item.name} is {why}")
            self._set(res, item, f"{{{{ {store.primary}.name }}}}",
                      f"{item.name} -> {{{{ {store.primary}.name }}}} ({why})")
            return True
        owner = next((s for s in buckets if text in s.bucket_sources), None)
        if owner is None:
            return False
        bucket = owner.bucket_sources[text]
        self._use(res, owner, item, f"{item.name} is {why}")
        self._set(res, item, f"{{{{ {bucket}.name }}}}", f"{item.name} -> {{{{ {bucket}.name }}}} ({why})")
        return True

    def _dangling(self, item: EnvItem, own_hosts: set[str]) -> None:
        """Warn about a URL or host setting naming a host that no service provides (an error with --strict)."""
        text = _text(item.value)
        m = _URL_RE.match(text)
        host = (m.group("host") or "") if m else ""
        rule = wiring_conventions().get(item.name.upper())
        if not m and rule is not None and rule["attr"] == "host":
            host = text
        if not host or not _BARE_HOST_RE.fullmatch(host) or host in own_hosts or host in _LOCAL_HOSTS or \
                host in self.ctx.hosts:
            return
        _warn_at(self.ctx.notes, item, "warning", f"{item.name} points at host {host!r}, which no service in this "
                 "file provides: its value is copied unchanged and will not resolve on AWS",
                 "add that service, point the variable at one that exists, or set the real address "
                 "with x-moorage env")

    # ------------------------------------------------------------------ helpers

    def _use(self, res: EnvResult, store: Store, item: EnvItem, why: str) -> None:
        if store not in res.stores:
            res.stores.append(store)
            _warn_at(self.ctx.notes, item, "info", f"uses {store.primary}: {why}")

    def _set(self, res: EnvResult, item: EnvItem, value: str, message: str) -> None:
        res.env[item.name] = value
        res.where[item.name] = item
        _warn_at(self.ctx.notes, item, "info", message)

    def _target(self, host: str) -> tuple[str, str] | None:
        return self.ctx.hosts.get(host)

    def _by_url(self, cname: str, item: EnvItem, res: EnvResult, own_hosts: set[str]) -> bool:
        text = _text(item.value)
        m = _URL_RE.match(text)
        if not m:
            return False
        scheme = m.group("scheme").lower()
        base = scheme.split("+")[0]
        host = m.group("host") or ""
        family = next((f for f, schemes in _FAMILY_SCHEMES.items() if base in schemes), None)
        target = self._target(host) if host else None
        store: Store | None = None
        if target and target[0] == "store":
            store = self.ctx.stores[target[1]]
        elif family and not host:
            candidates = [s for s in res.stores if s.family == family]
            if not candidates:
                refs = set(_refs(item.value))
                candidates = [s for s in self.ctx.stores.values()
                              if s.family == family and refs & set().union(*s.vars.values())]
            if len(candidates) == 1:
                store = candidates[0]
        if store is not None and store.kind != "bucket" and family == store.family:
            self._use(res, store, item, f"{item.name} points at it")
            if m.group("jdbc"):
                rest = m.group("rest") or ""
                value = f"jdbc:{scheme}://{{{{ {store.primary}.host }}}}:{{{{ {store.primary}.port }}}}/" \
                        f"{{{{ {store.primary}.name }}}}" + (rest[rest.find("?"):] if "?" in rest else "")
                self._set(res, item, value, f"{item.name}: JDBC URL of {store.cname} -> host/port/name references")
                return True
            attr = "url"
            self._set(res, item, f"{{{{ {store.primary}.{attr} }}}}",
                      f"{item.name}: {store.family} URL of {store.cname} -> {{{{ {store.primary}.url }}}} "
                      "(a secret: host, user and password come from the managed store)")
            rest = m.group("rest") or ""
            if "?" in rest:
                _warn_at(self.ctx.notes, item, "warning", f"{item.name}: the URL's query options are dropped",
                         "configure them in the app (moorage's URL has none)")
            number = re.match(r"/(\d+)", rest) if family == "redis" else None
            if number and number.group(1) != "0":
                # The URL is a secret injected whole: no suffix can be added to it.
                _warn_at(self.ctx.notes, item, "warning",
                         f"{item.name}: Redis database {number.group(1)} is dropped; moorage's URL selects database 0",
                         "select the database in the app (for example a separate key prefix, or the client's db "
                         "option), or give this use its own cache")
            if "+" in scheme:
                _warn_at(self.ctx.notes, item, "warning",
                         f"{item.name}: the driver suffix of scheme {scheme!r} is not kept",
                         "moorage's URL uses the plain scheme; add the driver in the app")
            return True
        endpoint = registry()[store.kind].endpoint if store is not None else None
        if store is not None and endpoint and base in ("http", "https") and host:
            # a store behind an AWS endpoint (S3, SQS): its regional endpoint, or the item's URL attribute for a
            # URL with a path where the kind has one (a queue URL: ElasticMQ /queue/NAME, LocalStack /ACCOUNT/NAME)
            primary, url_attr = store.primary, registry()[store.kind].endpoint_url
            self._use(res, store, item, f"{item.name} points at it")
            path = (m.group("rest") or "").split("?")[0].strip("/")
            if url_attr and path:
                self._set(res, item, f"{{{{ {primary}.{url_attr} }}}}", f"{item.name}: {store.kind} URL on "
                          f"{store.cname} -> {{{{ {primary}.{url_attr} }}}}")
            else:
                self._set(res, item, f"https://{endpoint}.{{{{ {primary}.region }}}}.amazonaws.com",
                          f"{item.name}: {store.cname} endpoint -> the regional {endpoint.upper()} endpoint")
            return True
        if target and target[0] == "app" and host not in own_hosts:
            tname = target[1]
            port = self.ctx.app_ports.get(tname)
            mname = self.ctx.app_names[tname]
            url_port = m.group("port")
            if port and base in ("http", "https") and not m.group("userinfo") and \
                    (url_port == str(port) or (not url_port and port == (443 if base == "https" else 80))):
                rewritten = f"{{{{ {mname}.url }}}}" + (m.group("rest") or "")
                res.pending.append(Pending(item.name, rewritten, item.value, [tname], item.path))
                res.where[item.name] = item
                res.env[item.name] = _text(item.value)
                return True
        return False

    def _by_host(self, cname: str, item: EnvItem, res: EnvResult, own_hosts: set[str]) -> bool:
        text = _text(item.value)
        if not text or self.ctx.host_re is None:
            return False
        exact = self._target(text)
        matches = [m for m in self.ctx.host_re.finditer(text)
                   if m.group(1) not in own_hosts and (m.group(2) or m.start() > 0 and text[m.start() - 1] in "/@"
                                                       or m.group(0) == text)]
        if exact and text not in own_hosts and not _HOST_HINT.search(item.name):
            matches = [m for m in matches if m.group(0) != text]
        if not matches:
            return False
        app_targets: list[str] = []
        out: list[str] = []
        pos = 0
        rewrote_store = False
        for m in matches:
            kind, tname = self.ctx.hosts[m.group(1)]
            out.append(text[pos:m.start()])
            pos = m.end()
            port = m.group(2)
            if kind == "store":
                store = self.ctx.stores[tname]
                self._use(res, store, item, f"{item.name} names its host")
                endpoint = registry()[store.kind].endpoint
                if endpoint:  # reached at the service's regional endpoint
                    out.append(f"{endpoint}.{{{{ {store.primary}.region }}}}.amazonaws.com")
                    rewrote_store = True
                    continue
                ref = f"{{{{ {store.primary}.host }}}}"
                if port:
                    if store.port and port == str(store.port):
                        ref += f":{{{{ {store.primary}.port }}}}"
                    else:
                        ref += f":{port}"
                        _warn_at(self.ctx.notes, item, "warning", f"{item.name}: port {port} of {store.cname} "
                                 f"is not the managed store's port", f"use {{{{ {store.primary}.port }}}}")
                out.append(ref)
                rewrote_store = True
            elif kind == "excluded":
                out.append(m.group(0))
                _warn_at(self.ctx.notes, item, "warning", f"{item.name} refers to {tname}, which is left out "
                         "(skipped, or not in the selected profiles)",
                         "select its profile (--compose-profile) or change the value")
            else:
                tport = self.ctx.app_ports.get(tname)
                if not tport:
                    out.append(m.group(0))
                    _warn_at(self.ctx.notes, item, "warning", f"{item.name} refers to {tname}, which has no port "
                             "in moorage and cannot be reached", f"give {tname} a port (x-moorage: {{port: N}})")
                    continue
                extra = [str(p) for p in self.ctx.app_extra_ports.get(tname, [])]
                if port and port != str(tport) and port not in extra:
                    _warn_at(self.ctx.notes, item, "warning", f"{item.name} reaches {tname} on port {port}, but "
                             f"{tname} declares only port{'s' if extra else ''} {', '.join([str(tport), *extra])}",
                             f"add the port to {tname}'s ports or expose")
                out.append(f"{{{{ {self.ctx.app_names[tname]}.host }}}}" + (f":{port}" if port else ""))
                app_targets.append(tname)
        out.append(text[pos:])
        rewritten = "".join(out)
        if url_passwords(text, interpolated=True) or is_credential_name(item.name):
            self._secret(cname, item, res)
            return True
        if app_targets:
            res.pending.append(Pending(item.name, rewritten, item.value, app_targets, item.path))
            res.env[item.name] = text
            res.where[item.name] = item
            if rewrote_store:
                _warn_at(self.ctx.notes, item, "info", f"{item.name}: host names rewritten as references")
            return True
        if rewrote_store:
            self._set(res, item, rewritten, f"{item.name} -> {rewritten}")
            return True
        return False

    def _by_attribute(self, cname: str, item: EnvItem, res: EnvResult) -> bool:
        name, value = item.name, item.value
        text = _text(value)
        refs = set(_refs(value))
        single = _single_var(value) is not None
        # 1. the same variable as one of a store's own credentials
        if refs and single:
            ordered = list(res.stores) + [s for s in self.ctx.stores.values() if s not in res.stores]
            for store in ordered:
                if store.kind == "bucket":
                    continue
                for attr in ("password", "user", "name", "port"):
                    if refs & store.vars.get(attr, set()):
                        return self._attr(res, item, store, attr, f"same variable as {store.cname}'s {attr}")
        # 2. equal to a store's password
        if text:
            for store in self.ctx.stores.values():
                if store.kind != "bucket" and text in store.secret_values and \
                        (is_credential_name(name) or len(text) >= 8):
                    return self._attr(res, item, store, "password", f"equals {store.cname}'s password")
        # 3. a telling name, for a store the service uses
        found = next((a for a, rx in _ATTR_SUFFIX if rx.search(name)), None)
        if found is None or found == "url" and text or _OTHER_SYSTEM_RE.search(name):
            return False
        attr = found
        for store in res.stores:
            if store.kind == "bucket" or not _FAMILY_HINT[store.family].search(name):
                continue
            peers = [s for s in res.stores if s.family == store.family]
            if len(peers) > 1 and store.primary.replace("-", "_").upper() not in name.upper():
                continue
            if attr == "password":
                return self._attr(res, item, store, attr, "a password of the store it uses")
            if attr == "url" and not text:
                return self._attr(res, item, store, attr, "an unset URL of the store it uses")
            expected = {"host": "", "port": str(store.port or ""), "user": store.values.get("user", ""),
                        "name": store.values.get("name", "")}.get(attr, "")
            if attr in ("host", "port", "user", "name") and (not text or _unset(value) or text == expected):
                if attr == "user" and store.kind == "cache":
                    continue
                if attr == "name" and store.kind == "cache":
                    continue
                return self._attr(res, item, store, attr, f"the {attr} of the store it uses")
        return False

    def _attr(self, res: EnvResult, item: EnvItem, store: Store, attr: str, why: str) -> bool:
        if store.kind == "cache":
            attr = {"password": "token", "user": "", "name": ""}.get(attr, attr)
            if not attr:
                return False
        self._use(res, store, item, f"{item.name} is {why}")
        self._set(res, item, f"{{{{ {store.primary}.{attr} }}}}",
                  f"{item.name} -> {{{{ {store.primary}.{attr} }}}} ({why})")
        return True

    def _by_bucket(self, cname: str, item: EnvItem, res: EnvResult) -> bool:
        buckets = [s for s in res.stores if s.kind == "bucket"]
        if not buckets:
            return False
        name, text = item.name, _text(item.value)
        upper = name.upper()
        for store in buckets:
            if "BUCKET" in upper and text in store.bucket_sources:
                bucket = store.bucket_sources[text]
                self._set(res, item, f"{{{{ {bucket}.name }}}}", f"{name} -> {{{{ {bucket}.name }}}}")
                return True
            if "REGION" in upper and re.search(r"S3|STORAGE|MINIO|BUCKET", upper) and \
                    text in ("", "auto", "us-east-1", "local", "minio"):
                self._set(res, item, f"{{{{ {store.primary}.region }}}}",
                          f"{name} -> {{{{ {store.primary}.region }}}}")
                return True
            s3ish = re.search(r"S3|STORAGE|MINIO|BUCKET", upper)
            if s3ish and upper.endswith("PORT") and store.port is None and re.fullmatch(r"\d+", text) \
                    and text != "443":
                self._set(res, item, "443", f"{name}: {store.cname} port -> 443 (the S3 endpoint uses HTTPS)")
                return True
            if s3ish and re.search(r"(USE_SSL|_SSL|SECURE|USE_HTTPS)$", upper) and text.lower() in ("false", "0"):
                self._set(res, item, "true", f"{name} -> true (the S3 endpoint uses HTTPS)")
                return True
            if _BUCKET_CRED_RE.search(name) and re.search(r"S3|STORAGE|MINIO|BUCKET|AWS", upper):
                res.dropped.append(name)
                return True
        return False

    def _secret(self, cname: str, item: EnvItem, res: EnvResult) -> None:
        value = item.value
        text = _text(value)
        var = _single_var(value)
        explicit_empty = text == "" and not _unset(value)
        if explicit_empty:
            res.env[item.name] = ""
            res.where[item.name] = item
            _warn_at(self.ctx.notes, item, "info", f"{item.name} is empty in the compose file and stays empty",
                     "if the app needs it, declare a secret with x-moorage")
            return
        if var:
            identity, preferred = f"var:{var}", var
        else:
            identity = "lit:" + item.name + ":" + hashlib.sha256(text.encode()).hexdigest()
            preferred = item.name
        upper = re.sub(r"[^A-Z0-9]+", "_", self.ctx.app_names.get(cname, cname).upper()).strip("_")
        first = not self.ctx.secrets.known(identity)
        by_value = issued_key(text)
        issued = bool(by_value or ISSUED_SECRET_RE.search(item.name))
        secret = self.ctx.secrets.claim(preferred, identity, upper,
                                        f"imported from compose ({cname}: {item.name})", generate=not issued)
        if text:
            self.ctx.secrets.values.add(text)
        res.secrets[item.name] = secret
        res.where[item.name] = item
        origin = "unset in the compose environment" if _unset(value) else "a value in the compose file (not copied)"
        if not first:
            _warn_at(self.ctx.notes, item, "info", f"{item.name} -> secret {secret}")
            held = self._issued.get(secret)
            if held is not None and cname not in held[3] and not by_value:
                held[3].append(cname)  # shared between this file's services: they only need to agree
            return
        if issued:
            # reported by finish(): a name-only guess shared by two services becomes a generated secret
            self._issued[secret] = (item, origin, by_value, [cname])
            return
        _warn_at(self.ctx.notes, item, "warning",
                 f"{item.name} looks like a credential: secret {secret} is generated in Secrets Manager "
                 f"(was {origin})",
                 "if it is not a random string (an API key, an SMTP password...), set the real value in "
                 "Secrets Manager after the first deploy")
