"""Compose document -> moorage.yml-shaped data, with a source map into the compose file.

The order of decisions: names, data stores (databases, caches, buckets), ports and jobs, each
service's fields and environment, `uses` edges (acyclic), routes, compose secrets, then the
``x-moorage`` overrides. Every decision is recorded as an info diagnostic.
"""

from __future__ import annotations

import copy
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from moorage.compose import service as fields
from moorage.compose.credentials import rewritten_command, rewritten_healthcheck
from moorage.compose.document import ComposeDoc
from moorage.compose.envmap import (
    BUCKET_NAME_RE,
    EnvContext,
    EnvItem,
    EnvMapper,
    EnvResult,
    SecretRegistry,
    read_service_env,
    wiring_conventions,
)
from moorage.compose.images import ImageInfo, classify, image_table
from moorage.compose.keys import check_keys
from moorage.compose.notes import Notes, list_at
from moorage.compose.stores import Store, bucket_names, build_store
from moorage.compose.syntax import env_name, moorage_name, name_tokens, parse_duration
from moorage.errors import Location
from moorage.kinds import CONNECTION_REF_RE, compose_kinds
from moorage.kinds import kind as registered_kind
from moorage.spec.models import embedded_credential, embedded_credentials
from moorage.spec.source import KeyPath, SourceMap

_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")
_APP_KEY_ORDER = ("image", "build", "port", "ports", "route", "health", "healthcheck", "cpu", "memory", "replicas",
                  "singleton", "command", "entrypoint", "workdir", "user", "env", "secrets", "uses", "spot", "arch",
                  "kind", "schedule", "run", "volumes", "sidecars", "stop_timeout", "readonly_root", "config")
_TOP_ORDER = ("name", "region", "residency", "domain", "services",
              *(registered_kind(k).block for k in compose_kinds()), "config", "secrets",
              "environments", "network", "logs", "deploy", "alarms", "budget", "tags", "forbid_env")


@dataclass
class App:
    """An app service being mapped."""

    cname: str
    name: str
    svc: dict[str, Any]
    path: KeyPath
    info: ImageInfo | None
    hosts: set[str]
    ports: fields.Ports = field(default_factory=fields.Ports)
    port: int | None = None
    job: bool = False
    out: dict[str, Any] = field(default_factory=dict)
    where: dict[KeyPath, KeyPath | Location] = field(default_factory=dict)
    deps: list[tuple[str, str, KeyPath]] = field(default_factory=list)  # (target, condition, path)
    env: EnvResult | None = None
    uses: list[str] = field(default_factory=list)
    xm: dict[str, Any] = field(default_factory=dict)


class Importer:
    """One compose import: :meth:`run` returns (data, source map)."""

    def __init__(self, doc: ComposeDoc, notes: Notes, skip: Sequence[str] = ()) -> None:
        self.doc = doc
        self.notes = notes
        self.skip = list(dict.fromkeys(skip))
        self.skipped: dict[str, str] = {}  # compose service -> why it was left out
        self.smap = SourceMap(default_file=doc.smap.default_file)
        self.apps: dict[str, App] = {}
        self.stores: dict[str, Store] = {}
        self.helpers: dict[str, dict[str, Any]] = {}  # bucket-creation helpers (minio/mc)
        self.taken: set[str] = set()
        self.secrets = SecretRegistry()
        self.volume_defs: dict[str, Any] = {}
        self.secret_defs: dict[str, Any] = {}
        self.config_defs: dict[str, Any] = {}
        self.config_values: dict[str, str] = {}  # moorage config (SSM parameter) name -> value

    # ------------------------------------------------------------------ entry point

    def run(self) -> tuple[dict[str, Any], SourceMap]:
        """Map the document; errors are left in ``notes`` for the caller to raise."""
        data = self.doc.data
        self.smap.add((), self.doc.smap.locate(()))
        check_keys(data, "top", (), self.notes, "the top level")
        self._definitions()
        xm = data.get("x-moorage") or {}
        if not isinstance(xm, dict):
            self.notes.error(("x-moorage",), "x-moorage must be a mapping of moorage.yml keys")
            xm = {}
        for cname, profiles in self.doc.excluded.items():
            self.notes.info(("services", cname, "profiles"),
                            f"{cname} is not imported: its profiles ({', '.join(profiles)}) are not selected",
                            "select one with --compose-profile")
        self._classify()
        self._build_stores()
        self._buckets_apps_name()
        self._read_ports()
        self._find_jobs()
        hosts = self._host_index()
        ctx = EnvContext(self.stores, hosts, {a.cname: a.port for a in self.apps.values()},
                         {a.cname: a.name for a in self.apps.values()}, self.secrets, self.notes,
                         {a.cname: a.ports.extra for a in self.apps.values() if not a.job},
                         published=self._published(hosts))
        mapper = EnvMapper(ctx)
        for app in self.apps.values():
            self._map_app(app, mapper)
        mapper.finish()
        self._wire()
        self._routes()
        self._compose_secrets()
        self._compose_configs()
        self._overrides()
        self._scrub()
        return self._assemble(xm), self.smap

    # ------------------------------------------------------------------ definitions

    def _definitions(self) -> None:
        data = self.doc.data
        for key, scope in (("volumes", "volume_definition"), ("networks", "network_definition"),
                           ("secrets", "secret_definition"), ("configs", "secret_definition")):
            defs = data.get(key)
            if defs is None:
                continue
            if not isinstance(defs, dict):
                self.notes.error((key,), f"top-level {key} must be a mapping")
                continue
            for name, body in defs.items():
                if body is None:
                    continue
                if not isinstance(body, dict):
                    self.notes.error((key, name), f"{key}.{name} must be a mapping")
                    continue
                if key != "configs":
                    check_keys(body, scope, (key, name), self.notes, f"{key}.{name}")
                if key == "volumes" and body.get("driver") not in (None, "local"):
                    self.notes.info((key, name, "driver"), f"volume {name}: driver {body['driver']} is replaced "
                                    "by EFS")
            if key == "volumes":
                self.volume_defs = {k: (v or {}) for k, v in defs.items()}
            elif key == "secrets":
                self.secret_defs = {k: (v or {}) for k, v in defs.items()}
            elif key == "configs":
                self.config_defs = {k: (v or {}) for k, v in defs.items() if isinstance(v or {}, dict)}

    # ------------------------------------------------------------------ classification and names

    def _classify(self) -> None:
        kinds: dict[str, tuple[str, ImageInfo | None]] = {}
        for name in self.skip:
            if name in self.doc.excluded:
                self.notes.info(("services", name), f"--skip {name}: the selected profiles leave it out already")
            elif name not in self.doc.services:
                self.notes.error((), f"--skip {name}: no such service",
                                 f"services: {', '.join(sorted(self.doc.services))}")
        for cname, svc in list(self.doc.services.items()):
            path: KeyPath = ("services", cname)
            xm = svc.get("x-moorage")
            if xm is not None and not isinstance(xm, dict):
                self.notes.error(path + ("x-moorage",), "x-moorage must be a mapping of moorage service keys")
                xm = {}
            xm = dict(xm or {})
            how = "--skip" if cname in self.skip else next(
                (f"x-moorage: {{{k}: true}}" for k in ("skip", "ignore") if xm.get(k) is True), "")
            if how:
                blockers = fields.fargate_blockers(svc)
                why = f"not runnable on Fargate: {'; '.join(blockers)}" if blockers else "left out by the user"
                self.skipped[cname] = why
                self.notes.info(path + ("x-moorage",) if how.startswith("x-") else path,
                                f"{cname} is skipped ({how}): {why}",
                                "whatever needs it must do without it on AWS (or run it elsewhere)")
                del self.doc.services[cname]
                continue
            xm.pop("skip", None)
            xm.pop("ignore", None)
            managed = xm.pop("managed", True)
            image = svc.get("image")
            info: ImageInfo | None = None
            if image is not None and not isinstance(image, str):
                self.notes.error(path + ("image",), "image must be a string")
                image = None
            if isinstance(image, str) and image.strip():
                info = classify(image, svc.get("environment"))
            kind: str = info.kind if info and not svc.get("build") else "app"
            if managed is False and kind in compose_kinds():
                self.notes.info(path + ("x-moorage",), f"{cname} stays a container (x-moorage: managed: false)")
                kind = "stateful"
            svc = dict(svc)
            svc["x-moorage"] = xm
            self.doc.services[cname] = svc
            kinds[cname] = (kind, info)
        for cname, (kind, info) in kinds.items():
            svc = self.doc.services[cname]
            if kind == "bucket_init":
                self.helpers[cname] = svc
                self.notes.info(("services", cname), f"{cname} creates buckets in an S3-compatible store: not "
                                "imported (moorage creates the buckets)")
                continue
            if kind in compose_kinds():
                continue
            name = moorage_name(cname, self.taken)
            if name != cname:
                self.notes.info(("services", cname), f"service {cname} is named {name} in moorage "
                                "(names are lower-case letters, digits and '-')")
            app = App(cname, name, svc, ("services", cname), info, self._hosts_of(cname, svc))
            app.xm = svc.get("x-moorage") or {}
            self.apps[cname] = app
        self._kinds = kinds

    def _hosts_of(self, cname: str, svc: dict[str, Any]) -> set[str]:
        hosts = {cname}
        for key in ("container_name", "hostname"):
            if isinstance(svc.get(key), str) and svc[key]:
                hosts.add(str(svc[key]))
        nets = svc.get("networks")
        if isinstance(nets, dict):
            for body in nets.values():
                if isinstance(body, dict) and isinstance(body.get("aliases"), list):
                    hosts.update(str(a) for a in body["aliases"])
        return hosts

    def _published(self, hosts: dict[str, tuple[str, str]]) -> dict[int, tuple[str, int, str]]:
        """Host port -> (compose service, container port, a host name of it), for every kept service."""
        out: dict[int, tuple[str, int, str]] = {}
        for cname, svc in self.doc.services.items():
            host = next((h for h, (_, owner) in hosts.items() if owner == cname), None)
            if host is None or not isinstance(svc, dict):
                continue
            app = self.apps.get(cname)
            ports = app.ports if app is not None else fields.read_ports(svc, ("services", cname), Notes(self.doc.smap))
            for spec, _ in ports.tcp:
                if spec.published.isdigit():
                    out.setdefault(int(spec.published), (cname, spec.target, host))
        return out

    def _host_index(self) -> dict[str, tuple[str, str]]:
        index: dict[str, tuple[str, str]] = {}
        for cname, store in self.stores.items():
            for h in store.hosts:
                index.setdefault(h, ("store", cname))
        for cname, app in self.apps.items():
            for h in app.hosts:
                index.setdefault(h, ("app", cname))
        for svc in self.doc.services.values():
            for link in svc.get("links") or []:
                target, _, alias = str(link).partition(":")
                if alias and target in index:
                    index.setdefault(alias, index[target])
        for cname in [*self.doc.excluded, *self.skipped]:
            raw = self.doc.data["services"].get(cname)
            for h in self._hosts_of(cname, raw if isinstance(raw, dict) else {}):
                index.setdefault(h, ("excluded", cname))
        return {h: v for h, v in index.items() if h}

    # ------------------------------------------------------------------ stores

    def _build_stores(self) -> None:
        for cname, (kind, info) in self._kinds.items():
            if kind not in compose_kinds() or info is None:
                continue
            svc = self.doc.services[cname]
            path: KeyPath = ("services", cname)
            self._unknown_keys_only(svc, path, cname)
            ignored = sorted(k for k in svc if k not in ("image", "environment", "env_file", "volumes", "command",
                                                          "x-moorage", "container_name", "hostname")
                             and not str(k).startswith("x-"))
            if ignored:
                self.notes.info(path, f"{cname}: {', '.join(ignored)} do not apply to a managed store")
            items = read_service_env(svc, path, self.doc.base_dir, self.doc.env, self.notes)
            env = [(i.name, i.value, i.path) for i in items]
            if kind == "bucket":
                helpers = [self._command_text(h) for h in self.helpers.values()]
                compose_names = bucket_names(cname, svc, env, helpers)
                names = [moorage_name(b, self.taken) for b in compose_names]
            else:
                compose_names = [cname]
                names = [moorage_name(cname, self.taken)]
            store = build_store(cname, svc, info, names[0], self._hosts_of(cname, svc), env, path, self.notes)
            if kind == "bucket":
                store.names = names
                store.bucket_sources = dict(zip(compose_names, names, strict=True))
                store.default_bucket = compose_names == [cname]
                for b in names:
                    store.blocks[b] = {}
                listing = ", ".join(names)
                self.notes.info(path, f"{cname} -> S3 bucket{'s' if len(names) > 1 else ''} {listing} "
                                f"(image {info.ref.repository}); access comes from each service's task role, "
                                "its access keys are not copied")
            if names[0] != cname and kind != "bucket":
                self.notes.info(path, f"{cname} is named {names[0]} in moorage")
            blocks = registered_kind(kind).block
            for b in store.blocks:
                self.smap.add((blocks, b), self.doc.smap.locate(path))
                self.smap.graft(self.doc.smap, path + ("image",), (blocks, b, "engine"))
                self.smap.graft(self.doc.smap, path + ("image",), (blocks, b, "version"))
                self.smap.graft(self.doc.smap, path + ("environment",), (blocks, b, "name"))
                self.smap.graft(self.doc.smap, path + ("environment",), (blocks, b, "username"))
            xm = svc.get("x-moorage") or {}
            if xm:
                for b in store.blocks:
                    store.blocks[b] = _deep_merge(store.blocks[b], xm)
                    self.smap.graft(self.doc.smap, path + ("x-moorage",), (blocks, b))
                self.notes.info(path + ("x-moorage",), f"{cname}: x-moorage settings applied to {blocks} "
                                + ", ".join(store.blocks))
            self.stores[cname] = store

    def _buckets_apps_name(self) -> None:
        """Buckets the apps name in conventional variables (AWS_STORAGE_BUCKET_NAME: media) become S3 buckets.

        They belong to the S3-compatible container when there is one (replacing its default bucket, which
        was only named after the container); with none, the app already talks to S3 and gets the bucket.
        """
        rules = {n for n, r in wiring_conventions().items() if r["kind"] == "bucket" and r["attr"] == "name"}
        stores = [s for s in self.stores.values() if s.kind == "bucket"]
        for app in self.apps.values():
            items = read_service_env(app.svc, app.path, self.doc.base_dir, self.doc.env, Notes(self.doc.smap))
            for item in items:
                text = str(item.value or "")
                if item.name.upper() not in rules or not BUCKET_NAME_RE.fullmatch(text) or \
                        any(text in s.bucket_sources for s in self.stores.values()):
                    continue
                if len(stores) > 1:
                    self.notes.add("warning", item.path, f"{item.name}: bucket {text!r} is not declared by "
                                    f"{' or '.join(s.cname for s in stores)}, and moorage cannot tell which holds it",
                                   "declare it on one of them (MINIO_DEFAULT_BUCKETS or x-moorage buckets)",
                                   location=item.location)
                    continue
                name = moorage_name(text, self.taken)
                if stores:
                    owner = stores[0]
                    if owner.default_bucket:
                        self.taken.discard(owner.names[0])
                        owner.blocks.pop(owner.names[0], None)
                        owner.names, owner.bucket_sources, owner.default_bucket = [], {}, False
                    owner.names.append(name)
                    owner.blocks[name] = {}
                    owner.bucket_sources[text] = name
                    why = f"in {owner.cname}"
                else:
                    owner = Store(f"{item.name} of {app.cname}", "bucket", "bucket", "s3", [name], set(), None,
                                  item.path, blocks={name: {}}, bucket_sources={text: name})
                    self.stores[owner.cname] = owner
                    why = "no S3-compatible service holds it, so the app talks to S3 already"
                self.smap.add(("buckets", name), item.location or self.doc.smap.locate(item.path))
                self.notes.add("info", item.path, f"{app.cname}: {item.name} names bucket {text!r} -> S3 bucket "
                               f"{name} ({why}); services that name it use it", location=item.location)

    def _unknown_keys_only(self, svc: dict[str, Any], path: KeyPath, cname: str) -> None:
        scratch = Notes(self.doc.smap)
        check_keys(svc, "service", path, scratch, f"service {cname}")
        for d in scratch.items:
            if d.severity == "error" and "is not a compose key" in d.message:
                self.notes.items.append(d)

    @staticmethod
    def _command_text(svc: dict[str, Any]) -> str:
        parts = []
        for key in ("entrypoint", "command"):
            v = svc.get(key)
            if v:
                parts.append(" ".join(str(x) for x in v) if isinstance(v, list) else str(v))
        return " ".join(parts)

    # ------------------------------------------------------------------ ports and jobs

    def _read_ports(self) -> None:
        for app in self.apps.values():
            app.ports = fields.read_ports(app.svc, app.path, self.notes)
            main = app.ports.main
            app.port = main[0] if main else None
            xport = app.xm.get("port")
            if isinstance(xport, int):
                app.port = xport
        for app in self.apps.values():
            if app.port is None:
                self._infer_port(app)

    def _infer_port(self, app: App) -> None:
        """A service with no ports: the port other services use to reach it, else its health check's."""
        seen: dict[int, KeyPath] = {}
        hosts = "|".join(re.escape(h) for h in sorted(app.hosts, key=len, reverse=True))
        rx = re.compile(r"(?<![\w.\-])(?:" + hosts + r"):(\d{2,5})(?![\w])")
        for other in self.apps.values():
            env = other.svc.get("environment")
            if other is app or not isinstance(env, dict):
                continue
            for key, value in env.items():
                for m in rx.finditer(str(value or "")):
                    seen.setdefault(int(m.group(1)), other.path + ("environment", key))
        why = "other services reach it there"
        if not seen:
            hc = app.svc.get("healthcheck")
            test = hc.get("test") if isinstance(hc, dict) else None
            text = " ".join(str(t) for t in test) if isinstance(test, list) else str(test or "")
            for m in re.finditer(r"(?:localhost|127\.0\.0\.1|" + hosts + r"):(\d{2,5})\b", text):
                seen.setdefault(int(m.group(1)), app.path + ("healthcheck",))
            why = "its health check probes it"
        if len(seen) >= 1 and not app.job:
            port, where = next(iter(seen.items()))
            if 1 <= port <= 65535:
                app.port = port
                app.ports.exposed.append((port, where))
                self.notes.info(where, f"{app.cname}: port {port} inferred ({why}); compose declares none")

    def _find_jobs(self) -> None:
        completed: set[str] = set()
        for app in self.apps.values():
            deps = app.svc.get("depends_on")
            if isinstance(deps, dict):
                for target, body in deps.items():
                    if isinstance(body, dict) and body.get("condition") == "service_completed_successfully":
                        completed.add(str(target))
        job_names = set(image_table()["job_names"])
        for app in self.apps.values():
            restart = str(app.svc.get("restart", "")).strip().lower()
            tokens = set(name_tokens(app.cname))
            why = ""
            if app.cname in completed:
                why = "another service waits for it to complete (service_completed_successfully)"
            elif tokens & job_names and restart in ("", "no", "on-failure", "false"):
                why = f"its name looks like a one-shot job ({', '.join(sorted(tokens & job_names))})"
            if app.xm.get("run") or app.xm.get("kind") or app.xm.get("schedule"):
                why = ""
            if why:
                app.job = True
                self.notes.info(app.path, f"{app.cname} -> a job run before each deploy (run: before-deploy): {why}")

    # ------------------------------------------------------------------ one app service

    def _put(self, app: App, key: str, value: Any, where: KeyPath | Location) -> None:
        app.out[key] = value
        app.where[(key,)] = where

    def _map_app(self, app: App, mapper: EnvMapper) -> None:
        svc, path, cname, notes = app.svc, app.path, app.cname, self.notes
        kind = "job" if app.job else ("service" if app.port else "worker")
        desc = {"job": "a before-deploy job", "service": f"a service on port {app.port}",
                "worker": "a worker (no port)"}[kind]
        notes.info(path, f"{cname} -> services.{app.name}: {desc}")
        check_keys(svc, "service", path, notes, f"service {cname}")
        self._image(app)
        self._misc_checks(app)
        if app.port and not app.job:
            self._put(app, "port", app.port, app.ports.main[1] if app.ports.main else path)
            fields.report_ports(cname, app.ports, notes)
            extra = [p for p in app.ports.extra if p != app.port]
            if extra:
                self._put(app, "ports", extra, path + ("ports",) if "ports" in svc else path + ("expose",))
        elif app.job and app.port:
            notes.info(path + ("ports",), f"{cname}: a job takes no traffic; its ports are not carried")
        hc = fields.healthcheck(cname, svc.get("healthcheck"), path + ("healthcheck",), notes)
        if hc:
            self._put(app, "healthcheck", hc, path + ("healthcheck",))
        cpu, mem = fields.resources(cname, svc, path, notes)
        if cpu:
            self._put(app, "cpu", cpu, path + ("deploy",) if "deploy" in svc else path + ("cpus",))
            self._put(app, "memory", mem, path + ("deploy",) if "deploy" in svc else path + ("mem_limit",))
        self._replicas(app)
        self._singleton(app)
        for key, out_key in (("command", "command"), ("entrypoint", "entrypoint")):
            parts = fields.command(cname, svc, key, path, notes)
            if parts is not None:
                self._put(app, out_key, parts, path + (key,))
        for key, out_key in (("working_dir", "workdir"), ("user", "user")):
            if svc.get(key) not in (None, ""):
                self._put(app, out_key, str(svc[key]), path + (key,))
        if "stop_grace_period" in svc:
            try:
                seconds = parse_duration(svc["stop_grace_period"])
            except ValueError as exc:
                notes.error(path + ("stop_grace_period",), f"stop_grace_period: {exc}")
                seconds = None
            if seconds is not None:
                value = min(max(math.ceil(seconds), 2), 120)
                if value != math.ceil(seconds):
                    notes.warn(path + ("stop_grace_period",), f"{cname}: ECS allows a stop timeout of 2..120 s; "
                               f"{value}s used")
                self._put(app, "stop_timeout", value, path + ("stop_grace_period",))
        if svc.get("read_only") is True:
            self._put(app, "readonly_root", True, path + ("read_only",))
        arch = fields.platform_arch(cname, svc.get("platform"), path + ("platform",), notes)
        if arch:
            self._put(app, "arch", arch, path + ("platform",))
        alt = app.info.alternative if app.info and app.info.kind in ("stateful", *compose_kinds()) \
            else ""
        vols = fields.volumes(cname, svc, path, self.volume_defs, notes, alt)
        if vols.volumes:
            self._put(app, "volumes", vols.volumes, path + ("volumes",))
        if app.info and app.info.kind in ("stateful", *compose_kinds()):
            persistent = any(v.get("persistent") for v in vols.volumes)
            notes.warn(path + ("image",), f"{cname} ({app.info.ref.repository}) stays a Fargate service, not a "
                       "managed service" + ("" if persistent else "; its data is lost whenever the task is "
                                            "replaced (no named volume)"),
                       f"{app.info.alternative or 'a managed service'} would be better")
        used = self._depends_on(app)
        items = read_service_env(svc, path, self.doc.base_dir, self.doc.env, notes)
        items = [i for i in items if i.name not in self._compose_secret_envs(app)]
        stateful = bool(app.info and app.info.kind in ("stateful", *compose_kinds()))
        app.env = mapper.map(cname, items, used, app.hosts, conventions=not stateful)
        if app.job:
            self._put(app, "run", "before-deploy", path)

    def _image(self, app: App) -> None:
        svc, path, cname, notes = app.svc, app.path, app.cname, self.notes
        build = svc.get("build")
        image = svc.get("image")
        if build is not None:
            out = self._build(app, build)
            if out is not None:
                self._put(app, "build", out, path + ("build",))
                if isinstance(image, str) and image:
                    notes.info(path + ("image",), f"{cname}: built from source and pushed to ECR; the image name "
                               f"{image!r} is not used")
                return
        if not isinstance(image, str) or not image.strip():
            raw = getattr(image, "raw", "") if image is not None else ""
            hint = f"{raw} is empty: set the variable in .env" if raw else "give it an image: or a build:"
            notes.error(path + ("image",) if image is not None else path,
                        f"{cname} has no image" + (" after interpolation" if raw else ""), hint)
            return
        image = str(image).strip()
        if image.endswith(":") or ":@" in image:
            image = image.rstrip(":").replace(":@", "@")
            notes.warn(path + ("image",), f"{cname}: the image tag is empty after interpolation; {image} is used",
                       "set the tag's variable in .env, or pin a tag")
            app.info = classify(image)
        self._put(app, "image", image, path + ("image",))
        if app.info and not app.info.ref.pinned:
            notes.warn(path + ("image",), f"{cname}: image {image} is not pinned to a version",
                       "pin a tag or digest so every deploy runs the same code")

    def _build(self, app: App, build: Any) -> Any:
        path = app.path + ("build",)
        if isinstance(build, str):
            return build if build else None
        if not isinstance(build, dict):
            self.notes.error(path, "build must be a path or a mapping (context, dockerfile, target, args)")
            return None
        check_keys(build, "build", path, self.notes, "build")
        out: dict[str, Any] = {"context": str(build.get("context") or ".")}
        if build.get("dockerfile"):
            out["dockerfile"] = str(build["dockerfile"])
        if build.get("target"):
            out["target"] = str(build["target"])
        args = build.get("args")
        if isinstance(args, dict) and args:
            out["args"] = {str(k): ("" if v is None and str(k) not in self.doc.env else
                                    str(self.doc.env.get(str(k), "")) if v is None else str(v))
                           for k, v in args.items()}
        return out

    def _replicas(self, app: App) -> None:
        deploy = app.svc.get("deploy")
        path = app.path
        if isinstance(deploy, dict):
            check_keys(deploy, "deploy", path + ("deploy",), self.notes, "deploy")
            if str(deploy.get("mode", "replicated")) == "global":
                self.notes.warn(path + ("deploy", "mode"), f"{app.cname}: global mode (one per host) has no "
                                "Fargate meaning; one task is run", "set replicas or scaling with x-moorage")
            n = fields.int_value(deploy.get("replicas"), path + ("deploy", "replicas"), self.notes, "replicas")
            if n is not None:
                self._put(app, "replicas", n, path + ("deploy", "replicas"))
        elif deploy is not None:
            self.notes.error(path + ("deploy",), "deploy must be a mapping")
        n = fields.int_value(app.svc.get("scale"), path + ("scale",), self.notes, "scale")
        if n is not None and "replicas" not in app.out:
            self._put(app, "replicas", n, path + ("scale",))

    def _singleton(self, app: App) -> None:
        """Schedulers (celery beat, cron containers) run once: ``singleton: true``."""
        if app.job or "singleton" in app.xm or app.xm.get("schedule"):
            return
        table = image_table()["singletons"]
        text = self._command_text(app.svc)
        why = ""
        tokens = set(name_tokens(app.cname))
        if tokens & set(table["names"]):
            why = f"its name says so ({', '.join(sorted(tokens & set(table['names'])))})"
        elif app.info and app.info.ref.repository in table["images"]:
            why = f"image {app.info.ref.repository} is a scheduler"
        else:
            rx = next((r for r in table["commands"] if re.search(r, text)), None)
            if rx:
                why = f"its command runs a scheduler ({re.search(rx, text).group(0).strip()})"  # type: ignore[union-attr]
        if not why:
            return
        where = app.path + ("command",) if "command" in app.svc else app.path
        replicas = app.out.get("replicas")
        if isinstance(replicas, int) and replicas > 1:
            rwhere = app.where.get(("replicas",))
            self.notes.warn(rwhere if isinstance(rwhere, tuple) else where,
                            f"{app.cname} is a scheduler but asks for {replicas} replicas: one is run, since every "
                            "copy would run each scheduled job",
                            "set x-moorage: {singleton: false} if its jobs take a lock")
            app.out.pop("replicas")
        self._put(app, "singleton", True, where)
        self.notes.info(where, f"{app.cname} is a scheduler, so a singleton: {why}; one task, never autoscaled, "
                        "and a rollout stops the old task before starting the new one")

    def _misc_checks(self, app: App) -> None:
        svc, path, cname, notes = app.svc, app.path, app.cname, self.notes
        if svc.get("privileged") is True:
            notes.error(path + ("privileged",), f"{cname}: privileged containers are not runnable on Fargate",
                        fields.skip_hint(cname))
        for i, cap in enumerate(svc.get("cap_add") or []):
            if str(cap).upper().removeprefix("CAP_") == "SYS_PTRACE":
                notes.warn(path + ("cap_add", i), f"{cname}: SYS_PTRACE is not set by moorage")
            else:
                notes.error(path + ("cap_add", i), f"{cname}: capability {cap} cannot be added on Fargate",
                            "Fargate allows only SYS_PTRACE")
        if svc.get("devices"):
            notes.error(path + ("devices",), f"{cname}: host devices are not available on Fargate",
                        "run it elsewhere, or select a profile without it")
        for key in ("pid", "ipc"):
            value = svc.get(key)
            if value is None:
                continue
            if str(value) == "host":
                notes.error(path + (key,), f"{cname}: {key}: host is not available on Fargate")
            else:
                notes.warn(path + (key,), f"{cname}: {key} namespace sharing is not carried")
        mode = svc.get("network_mode")
        if mode is not None:
            if str(mode) == "host":
                notes.error(path + ("network_mode",), f"{cname}: host networking is not available on Fargate",
                            "publish ports instead; tasks get their own network interface (awsvpc)")
            elif str(mode).startswith("service:"):
                notes.warn(path + ("network_mode",), f"{cname}: shares another service's network; on Fargate it "
                           "is a separate task", "make it a sidecar of that service (x-moorage sidecars)")
            else:
                notes.warn(path + ("network_mode",), f"{cname}: network_mode {mode} is not carried (awsvpc)")
        labels = svc.get("labels")
        if isinstance(labels, dict) and labels:
            if any(str(k).startswith("traefik.") for k in labels):
                notes.warn(path + ("labels",), f"{cname}: Traefik routing labels are not read",
                           "set the service's route with x-moorage (e.g. route: \"/api/*\")")
            else:
                notes.info(path + ("labels",), f"{cname}: labels are not carried (use moorage tags)")
        restart = svc.get("restart")
        if restart is not None:
            notes.info(path + ("restart",), f"{cname}: restart: {restart} -> ECS replaces stopped tasks")
        list_at(svc, "secrets", path, notes)
        env = app.svc.get("environment") or {}
        if isinstance(env, dict):
            for key, value in env.items():
                if str(key).endswith("_FILE") and str(value or "").startswith("/run/secrets/"):
                    notes.warn(path + ("environment", key), f"{cname}: {key} points at a secret file; moorage "
                               "injects secrets as environment variables, not files",
                               "read the value from the variable named after the secret")

    def _depends_on(self, app: App) -> list[Store]:
        deps = app.svc.get("depends_on")
        path = app.path + ("depends_on",)
        targets: list[tuple[str, str, KeyPath, bool]] = []
        if isinstance(deps, list):
            targets = [(str(t), "service_started", path + (i,), True) for i, t in enumerate(deps)]
        elif isinstance(deps, dict):
            for t, body in deps.items():
                body = body or {}
                if not isinstance(body, dict):
                    self.notes.error(path + (t,), "depends_on entries must be mappings (condition: ...)")
                    continue
                check_keys(body, "depends_on", path + (t,), self.notes, "a depends_on entry")
                cond = str(body.get("condition", "service_started"))
                if cond not in _CONDITIONS:
                    self.notes.error(path + (t, "condition"), f"unknown condition {cond!r}",
                                     "one of " + ", ".join(_CONDITIONS))
                required = body.get("required", True) is not False
                targets.append((str(t), cond, path + (t,), required))
        elif deps is not None:
            self.notes.error(path, "depends_on must be a list or a mapping")
        for link in app.svc.get("links") or []:
            targets.append((str(link).partition(":")[0], "service_started", app.path + ("links",), True))
        used: list[Store] = []
        for target, cond, tpath, required in targets:
            if target in self.stores:
                store = self.stores[target]
                if store not in used:
                    used.append(store)
                    self.notes.info(tpath, f"{app.cname} uses {', '.join(store.names)} (depends_on {target})")
            elif target in self.helpers:
                self.notes.info(tpath, f"{app.cname}: {target} only created buckets; the dependency is dropped")
            elif target in self.apps:
                app.deps.append((target, cond, tpath))
            elif target in self.doc.excluded:
                self.notes.warn(tpath, f"{app.cname} depends on {target}, which the selected profiles leave out",
                                f"select one of its profiles: {', '.join(self.doc.excluded[target])}")
            elif target in self.skipped:
                self.notes.warn(tpath, f"{app.cname} depends on {target}, which is skipped "
                                f"({self.skipped[target]})", f"{app.cname} must work without {target} on AWS")
            elif target in self.doc.services:
                self.notes.info(tpath, f"{app.cname}: {target} is not imported; the dependency is dropped")
            elif not required:
                self.notes.info(tpath, f"{app.cname}: optional dependency {target} is not defined")
            else:
                self.notes.error(tpath, f"{app.cname} depends on {target!r}, which is not a service in this file")
        return used

    # ------------------------------------------------------------------ compose secrets

    def _compose_secret_entries(self, app: App) -> list[tuple[str, str, KeyPath]]:
        out = []
        for i, entry in enumerate(app.svc.get("secrets") or [] if isinstance(app.svc.get("secrets"), list)
                                  else []):
            spath = app.path + ("secrets", i)
            if isinstance(entry, dict):
                check_keys(entry, "service_secret", spath, self.notes, "a service secret")
                source = str(entry.get("source") or "")
                target = str(entry.get("target") or source)
            else:
                source = target = str(entry)
            if not source:
                self.notes.error(spath, "a service secret needs a source name")
                continue
            out.append((source, target.rsplit("/", 1)[-1], spath))
        return out

    def _compose_secret_envs(self, app: App) -> set[str]:
        return {env_name(t) for _, t, _ in self._compose_secret_entries(app)}

    def _compose_secrets(self) -> None:
        used_defs: set[str] = set()
        for app in self.apps.values():
            assert app.env is not None
            for source, target, spath in self._compose_secret_entries(app):
                used_defs.add(source)
                if source not in self.secret_defs:
                    self.notes.error(spath, f"secret {source!r} is not defined under the top-level secrets")
                    continue
                var = env_name(target)
                db = next((s for s in self.stores.values() if source in s.secret_files and s.kind != "bucket"),
                          None)
                if db is not None:
                    if db.primary not in app.uses:
                        app.uses.insert(0, db.primary)
                    attr = "token" if db.kind == "cache" else "password"
                    app.env.env[var] = f"{{{{ {db.primary}.{attr} }}}}"
                    app.env.where[var] = EnvItem(var, None, spath)
                    self.notes.info(spath, f"{app.cname}: secret {source} is {db.cname}'s password -> {var} = "
                                    f"{{{{ {db.primary}.{attr} }}}}")
                    continue
                name = self.secrets.claim(var, f"compose-secret:{source}", "COMPOSE",
                                          f"imported from compose secret {source}")
                app.env.secrets[var] = name
                app.env.where[var] = EnvItem(var, None, spath)
                self.notes.warn(spath, f"{app.cname}: compose secret {source} -> secret {name}, injected as "
                                f"environment variable {var} (compose mounted it as /run/secrets/{target}); its "
                                "file is never read and a value is generated",
                                "make the app read the variable; set the real value in Secrets Manager if it is "
                                "not random")
        for name in self.secret_defs:
            if name not in used_defs:
                self.notes.info(("secrets", name), f"secret {name} is not used by an imported service")
            elif self.secret_defs[name].get("external"):
                self.notes.warn(("secrets", name), f"secret {name} is external",
                                f"set x-moorage secrets.{env_name(name)}.external to the ARN of the existing secret")

    # ------------------------------------------------------------------ compose configs

    def _compose_configs(self) -> None:
        """Inline (content/environment) configs -> SSM parameters (`config:`), injected as a variable."""
        for app in self.apps.values():
            entries = app.svc.get("configs")
            for i, entry in enumerate(entries if isinstance(entries, list) else []):
                cpath = app.path + ("configs", i)
                source = str(entry.get("source") or "") if isinstance(entry, dict) else str(entry)
                target = str(entry.get("target") or f"/{source}") if isinstance(entry, dict) else f"/{source}"
                body = self.config_defs.get(source)
                if body is None:
                    self.notes.error(cpath, f"config {source!r} is not defined under the top-level configs")
                    continue
                if "content" in body or "environment" in body:
                    value = str(body.get("content") if "content" in body else
                                self.doc.env.get(str(body["environment"]), ""))
                    var = env_name(source)
                    assert app.env is not None
                    if _is_credential(var):  # SSM parameters are plain text: a credential is a secret
                        app.env.secrets[var] = self.secrets.claim(var, f"compose-config:{source}", "CONFIG",
                                                                  f"imported from compose config {source}")
                        app.env.where[var] = EnvItem(var, None, cpath)
                        self.notes.warn(cpath, f"{app.cname}: config {source} looks like a credential: secret "
                                        f"{app.env.secrets[var]} is generated (its content is not copied)",
                                        "set the real value in Secrets Manager")
                        continue
                    self.config_values[var] = value
                    if var not in app.out.setdefault("config", []):
                        app.out["config"].append(var)
                    app.where[("config",)] = app.path + ("configs",)
                    self.notes.warn(cpath, f"{app.cname}: config {source} -> SSM parameter {var}, injected as "
                                    f"environment variable {var} (compose mounted it as the file {target})",
                                    "make the app read the variable, or write it to the file in the entrypoint")
                else:
                    how = "is external" if body.get("external") else f"is the file {body.get('file', '?')}"
                    self.notes.warn(cpath, f"{app.cname}: config {source} {how}: not carried to AWS",
                                    f"bake it into the image at {target}, or give it inline `content:`")

    # ------------------------------------------------------------------ uses edges

    def _wire(self) -> None:
        graph: dict[str, list[str]] = {a.cname: [] for a in self.apps.values()}

        def reaches(src: str, dst: str) -> bool:
            stack, seen = [src], set()
            while stack:
                node = stack.pop()
                if node == dst:
                    return True
                if node not in seen:
                    seen.add(node)
                    stack.extend(graph.get(node, []))
            return False

        def add(src: App, dst: str, why: str, where: KeyPath) -> bool:
            target = self.apps[dst]
            if dst in graph[src.cname]:
                return True
            if target.job or not target.port:
                reason = "runs before each deploy" if target.job else "has no port"
                self.notes.info(where, f"{src.cname} -> {dst}: ordering only ({dst} {reason}; ECS starts "
                                "services independently)")
                return False
            if reaches(dst, src.cname):
                self.notes.warn(where, f"{src.cname} -> {dst} is not added to uses: {dst} already (indirectly) "
                                f"uses {src.cname}, and uses must not form a cycle",
                                "keep one direction; traffic the other way needs x-moorage uses on one side")
                return False
            graph[src.cname].append(dst)
            self.notes.info(where, f"{src.cname} uses {target.name} ({why})")
            return True

        for app in self.apps.values():
            for target, _cond, where in app.deps:
                add(app, target, "depends_on", where)
        for app in self.apps.values():
            assert app.env is not None
            for pending in app.env.pending:
                ok = all(add(app, t, f"{pending.name} points at it", pending.path) for t in pending.targets)
                if ok:
                    app.env.env[pending.name] = pending.rewritten
                    self.notes.info(pending.path, f"{pending.name} -> {pending.rewritten}")
        for app in self.apps.values():
            assert app.env is not None
            named = {m.group(1) for v in app.env.env.values() if isinstance(v, str)
                     for m in CONNECTION_REF_RE.finditer(v)}
            # a service that names its bucket gets that bucket only, not every bucket of the S3 container
            uses = [n for s in app.env.stores
                    for n in (s.names if s.kind != "bucket" or not named & set(s.names) else
                              [b for b in s.names if b in named])]
            uses += [self.apps[t].name for t in graph[app.cname]]
            app.uses = list(dict.fromkeys(app.uses + uses))

    # ------------------------------------------------------------------ routes

    def _routes(self) -> None:
        explicit = {a.cname for a in self.apps.values() if "route" in a.xm}
        taken_root = any(a.xm.get("route") == "/*" for a in self.apps.values())
        non_http = set(image_table()["non_http_ports"])
        published = [a for a in self.apps.values() if a.port and not a.job and a.ports.tcp
                     and a.cname not in explicit]
        eligible = [a for a in published if a.port not in non_http
                    and not (a.info and a.info.kind == "stateful")]
        public = [a for a in eligible if a.ports.public]
        candidates = public or eligible
        chosen: App | None = None
        if candidates and not taken_root:
            for hint in image_table()["web_names"]:
                chosen = next((a for a in candidates if hint in name_tokens(a.cname)), None)
                if chosen:
                    break
            chosen = chosen or candidates[0]
            self._put(chosen, "route", "/*", chosen.ports.tcp[0][1])
            why = "only locally published services exist; " if not public else ""
            self.notes.info(chosen.ports.tcp[0][1], f"{chosen.cname} gets the public route /* ({why}its name and "
                            "published port make it the entry point)")
        if chosen is None and not taken_root and not any(a.xm.get("route") for a in self.apps.values()):
            self.notes.warn(("services",), "no service gets a public route: none publishes an HTTP port",
                            "set x-moorage: {route: \"/*\"} on the service that should receive web traffic")
        for app in published:
            if app is chosen:
                continue
            where = app.ports.tcp[0][1]
            if app.ports.public or not public:
                self.notes.warn(where, f"{app.cname} publishes port {app.port} but gets no route: it is private "
                                "(reachable by services that use it)",
                                f"to expose it, set x-moorage: {{route: \"/{app.name}/*\"}} on {app.cname}")
            else:
                self.notes.info(where, f"{app.cname}: port {app.port} is bound to localhost only: private")

    # ------------------------------------------------------------------ overrides and output

    def _overrides(self) -> None:
        for app in self.apps.values():
            if not app.xm:
                continue
            before = dict(app.out)
            merged = _deep_merge(app.out, {k: v for k, v in app.xm.items() if k != "uses"})
            if "uses" in app.xm:
                if isinstance(app.xm["uses"], list):
                    app.uses = list(dict.fromkeys(app.uses + [str(u) for u in app.xm["uses"]]))
                else:
                    merged["uses"] = app.xm["uses"]
            app.out = merged
            for key in app.xm:
                app.where[(key,)] = app.path + ("x-moorage", key)
            changed = sorted(k for k in app.xm if before.get(k) != merged.get(k) or k == "uses")
            self.notes.info(app.path + ("x-moorage",), f"{app.cname}: x-moorage sets " + ", ".join(changed))
            if app.job and app.xm.get("run") is None and (app.xm.get("kind") or app.xm.get("schedule")):
                app.out.pop("run", None)
        for app in self.apps.values():
            if app.out.get("route") and "health" not in app.out and isinstance(app.out.get("port"), int):
                path = fields.health_path(app.out.get("healthcheck"), app.out["port"], app.hosts)
                if path:
                    self._put(app, "health", path, app.path + ("healthcheck",))
                    self.notes.info(app.path + ("healthcheck",), f"{app.cname}: load balancer health check "
                                    f"path {path} (from its healthcheck)")

    def _scrub(self) -> None:
        values = {v for s in self.stores.values() for v in s.secret_values} | self.secrets.values
        values |= {v for k, v in self.doc.env.items() if v and _is_credential(k)}
        hosts = {h for a in self.apps.values() for h in a.hosts} | {h for st in self.stores.values() for h in st.hosts}
        # plain lower-case words ("postgres", "clickhouse") are too common to be recognised as credentials
        values = {v for v in values if len(v) >= 6 and v not in hosts and not (v.isalpha() and v.islower())}
        for app in self.apps.values():
            assert app.env is not None
            for var, value in list(app.env.env.items()) if values else []:
                bare = CONNECTION_REF_RE.sub("", value) if isinstance(value, str) else ""
                if bare and bare not in values and any(v in bare for v in values):
                    secret = self.secrets.claim(var, f"scrub:{app.cname}:{var}", app.name.upper().replace("-", "_"),
                                                f"imported from compose ({app.cname}: {var})")
                    del app.env.env[var]
                    app.env.secrets[var] = secret
                    self.notes.warn(app.path + ("environment", var), f"{app.cname}: {var} contains a credential "
                                    f"value: moved to the generated secret {secret}",
                                    "set its real value in Secrets Manager")
            for key in ("command", "entrypoint", "healthcheck"):
                self._commands_read_secrets(app, key, values)
            self._build_args_by_reference(app, values)

    def _commands_read_secrets(self, app: App, key: str, values: set[str]) -> None:
        """A credential in a command, entrypoint or health check: the value moves to a secret the container
        gets as an environment variable, and the command reads it from there (``sh -c``)."""
        hc = app.out.get(key) if key == "healthcheck" else None
        words = hc.get("command") if isinstance(hc, dict) else app.out.get(key) if key != "healthcheck" else None
        if not isinstance(words, list) or not words:
            return
        text = " ".join(str(w) for w in words)
        found = [("a credential value from the compose project", v) for v in sorted(values) if v in text]
        found += [(what, v) for what, v in embedded_credentials(text) if v not in {f[1] for f in found}]
        if not found:
            return
        assert app.env is not None
        refs: dict[str, str] = {}
        for what, value in found:
            var, secret, new = self._credential_variable(app, key, value)
            refs[value] = var
            self.notes.warn(app.path + (key,), f"{app.cname}: {key} held {what}: it now reads \"${{{var}}}\", "
                            f"which ECS fills from secret {secret}; the {key} runs through a shell to expand it",
                            "the image needs /bin/sh" + ("; set the secret's real value in Secrets Manager after "
                                                         "the first deploy (it is generated)" if new else ""))
        if key == "healthcheck":
            assert isinstance(hc, dict)
            app.out[key] = {**hc, "command": rewritten_healthcheck([str(w) for w in words], refs)}
        else:
            app.out[key] = rewritten_command([str(w) for w in words], refs, entrypoint=key == "entrypoint")

    def _credential_variable(self, app: App, key: str, value: str) -> tuple[str, str, bool]:
        """(variable, secret, newly generated) that holds ``value`` for ``app``: a variable of the .env file
        with this value, a variable the service already takes from a secret of this value, or a new one."""
        assert app.env is not None
        digest = hashlib.sha256(value.encode()).hexdigest()
        upper = app.name.upper().replace("-", "_")
        for name, v in self.doc.env.items():
            if v == value and _is_credential(name) and _VAR.fullmatch(name):
                secret = app.env.secrets.get(name) or self.secrets.claim(
                    name, f"var:{name}", upper, f"imported from compose (.env: {name})")
                app.env.secrets[name] = secret
                return name, secret, True
        for var, secret in app.env.secrets.items():
            if self.secrets.identity_of(secret).endswith(digest):
                return var, secret, False
        var = f"{key.upper()}_CREDENTIAL"
        n = 2
        while var in app.env.secrets or var in app.env.env:
            var, n = f"{key.upper()}_CREDENTIAL_{n}", n + 1
        secret = self.secrets.claim(f"{upper}_{var}", f"cmd:{app.cname}:{key}:{digest}", upper,
                                    f"imported from compose ({app.cname}: a credential in its {key})")
        app.env.secrets[var] = secret
        return var, secret, True

    def _build_args_by_reference(self, app: App, values: set[str]) -> None:
        """Secret build args are written as ``${VAR}``: moorage reads VAR from the deploying shell's
        environment when it builds the image, so the value never lands in moorage.yml."""
        build = app.out.get("build")
        args = build.get("args") if isinstance(build, dict) else None
        if not isinstance(args, dict):
            return
        by_value = {v: k for k, v in self.doc.env.items() if v and _VAR.fullmatch(k)}
        for name, value in list(args.items()):
            if not value or str(value).startswith("${") or not (value in values or _is_credential(name)
                                                                or embedded_credential(str(value))):
                continue
            var = str(by_value.get(value) or name)
            var = var if _VAR.fullmatch(var) else "BUILD_ARG"
            args[name] = f"${{{var}}}"
            self.notes.warn(app.path + ("build", "args", name), f"{app.cname}: build arg {name} holds a credential: "
                            f"written as ${{{var}}}, read from the environment of `moorage deploy` at build time",
                            f"export {var} where you deploy (CI: a masked secret); or use a BuildKit secret mount")

    def _assemble(self, xm: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        services: dict[str, Any] = {}
        for app in self.apps.values():
            assert app.env is not None
            out = dict(app.out)
            if app.env.env:
                # x-moorage env (merged into app.out) adds to and overrides what the compose file sets
                extra = out.get("env")
                out["env"] = {**app.env.env, **extra} if isinstance(extra, dict) else app.env.env
                if extra is not None and not isinstance(extra, dict):
                    self.notes.error(app.path + ("x-moorage", "env"), "x-moorage env must be a mapping of "
                                     "variable names to values")
            if app.env.secrets:
                secrets = app.env.secrets
                out["secrets"] = sorted(secrets) if all(k == v for k, v in secrets.items()) else dict(secrets)
            if app.uses and "uses" not in out:
                out["uses"] = app.uses
            ordered = {k: out[k] for k in _APP_KEY_ORDER if k in out}
            ordered.update({k: v for k, v in out.items() if k not in ordered})
            services[app.name] = ordered
            base: KeyPath = ("services", app.name)
            self.smap.add(base, self.doc.smap.locate(app.path))
            for key, where in app.where.items():
                self._locate(base + key, where)
            for var, item in {**app.env.where}.items():
                sub = "secrets" if var in app.env.secrets else "env"
                loc = item.location or self.doc.smap.locate(item.path)
                self.smap.add(base + (sub, var), loc)
                if sub == "secrets" and isinstance(out.get("secrets"), list):
                    self.smap.add(base + ("secrets", out["secrets"].index(var)), loc)
            if "uses" in out:
                self.smap.add(base + ("uses",), self.doc.smap.locate(app.path + ("depends_on",)))
        data["name"] = self._app_name(xm)
        data["region"] = "us-east-1"
        self.smap.add(("region",), self.doc.smap.locate(()))
        data["services"] = services
        blocks: dict[str, dict[str, Any]] = {registered_kind(k).block: {} for k in compose_kinds()}
        for store in self.stores.values():
            blocks[registered_kind(store.kind).block].update(store.blocks)
        for bname, value in blocks.items():
            if value:
                data[bname] = value
        if self.config_values:
            data["config"] = dict(sorted(self.config_values.items()))
            self.smap.add(("config",), self.doc.smap.locate(("configs",)))
        if self.secrets.blocks:
            data["secrets"] = dict(sorted(self.secrets.blocks.items()))
            for name in self.secrets.blocks:
                self.smap.add(("secrets", name), self.doc.smap.locate(()))
        data["environments"] = {"dev": {}, "staging": {}, "prod": {}}
        if xm:
            self.notes.info(("x-moorage",), "x-moorage sets " + ", ".join(sorted(str(k) for k in xm)))
            if "environments" in xm:
                data.pop("environments")  # the environments given replace the default three
            data = _deep_merge(data, xm)
            for p, loc in self.doc.smap.positions.items():
                if p[:1] == ("x-moorage",) and len(p) > 1:
                    self.smap.positions[p[1:]] = loc
        ordered = {k: data[k] for k in _TOP_ORDER if k in data}
        ordered.update({k: v for k, v in data.items() if k not in ordered})
        return ordered

    def _locate(self, path: KeyPath, where: KeyPath | Location) -> None:
        loc = where if isinstance(where, Location) else self.doc.smap.locate(where)
        self.smap.add(path, loc)

    def _app_name(self, xm: dict[str, Any]) -> str:
        raw = self.doc.data.get("name")
        where: KeyPath = ("name",)
        source = "the compose file's name"
        if not isinstance(raw, str) or not raw.strip():
            raw = self.doc.path.resolve().parent.name or "app"
            where = ()
            source = "the directory name"
        name = moorage_name(str(raw))
        self.smap.add(("name",), self.doc.smap.locate(where))
        if "name" not in xm:
            self.notes.info(where, f"app name {name} (from {source})", "set x-moorage: {name: ...} to change it")
        return name


def _is_credential(name: str) -> bool:
    from moorage.compose.envmap import is_credential_name

    return is_credential_name(name)


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.copy(base)
    for k, v in over.items():
        if isinstance(out.get(k), dict) and isinstance(v, dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def plain(value: Any) -> Any:
    """Turn interpolated strings (and nested containers) back into plain Python data."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value

