"""Read a compose file the way docker compose does before anything is mapped.

Steps: parse (anchors and ``<<`` merges are expanded by the YAML reader), read ``.env``, turn
``KEY=value`` lists into maps, interpolate every value, resolve ``extends`` and keep the services
the selected profiles enable. Every value keeps its file:line in :attr:`ComposeDoc.smap`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from moorage.compose.envfile import EnvFile, read_env_file
from moorage.compose.interpolate import Interp, InterpolationError, interpolate
from moorage.compose.notes import Notes
from moorage.compose.project import OUTSIDE_HINT, ProjectFileError, env_file_size_problem, project_file, project_root
from moorage.errors import Diagnostic, InputError, Location
from moorage.spec.source import MAX_BYTES, KeyPath, SourceMap, parse_yaml_text

# Service keys written as KEY=VALUE lists or maps: normalised to maps before interpolation.
_KV_KEYS = ("environment", "labels", "annotations", "sysctls")
# Service keys whose lists are concatenated, or maps merged, by `extends`.
_EXTEND_CONCAT = ("ports", "expose", "external_links", "dns", "dns_search", "tmpfs", "cap_add", "cap_drop",
                  "devices", "secrets", "configs", "env_file", "links", "volumes_from", "security_opt")
_EXTEND_MERGE = ("environment", "labels", "annotations", "sysctls", "extra_hosts", "depends_on", "healthcheck",
                 "deploy", "build", "logging", "ulimits", "networks", "x-moorage")


@dataclass
class ComposeDoc:
    """A compose file after interpolation, extends and profiles."""

    path: Path
    data: dict[str, Any]
    smap: SourceMap
    env: dict[str, str]
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    excluded: dict[str, list[str]] = field(default_factory=dict)
    env_source: Path | None = None
    # where the project is looked up from (the first compose file's directory; see compose/project.py)
    from_dir: Path | None = None

    @property
    def root_dir(self) -> Path:
        """The directory of the compose file the import started from."""
        return self.from_dir or self.path.parent

    @property
    def base_dir(self) -> Path:
        """The directory relative paths in the file are resolved against."""
        return self.path.parent


def load_document(path: Path, notes_factory: type[Notes] = Notes, *, profiles: Sequence[str] = (),
                  env_file: Path | None = None, environ: Mapping[str, str] | None = None
                  ) -> tuple[ComposeDoc, Notes]:
    """Read ``path``; raise :class:`InputError` for unreadable/malformed files or a missing env file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError([_diag(f"file not found: {path}", Location(str(path)))]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([_diag(f"cannot read {path}: {exc}", Location(str(path)))]) from None
    raw, smap = _parse(text, path)
    notes = notes_factory(smap)
    if raw is None:
        raise InputError([_diag("the file is empty", Location(str(path), 1, 1),
                                "a compose file needs a `services:` block")])
    if not isinstance(raw, dict):
        raise InputError([_diag("a compose file must be a mapping with a `services:` block",
                                Location(str(path), 1, 1))])

    env, source = _environment(path, env_file, environ or {}, notes)
    services = raw.get("services")
    if not isinstance(services, dict) or not services:
        notes.error(("services",) if "services" in raw else (),
                    "a compose file needs a non-empty `services:` mapping")
        raise InputError(notes.errors)
    for name, svc in services.items():
        if isinstance(svc, dict):
            _normalise_kv(svc, ("services", name), smap, notes)
    missing: list[tuple[str, KeyPath]] = []
    data = _interpolate_tree(raw, (), env, notes, missing)
    doc = ComposeDoc(path, data, smap, env, env_source=source)

    resolved: dict[str, dict[str, Any]] = {}
    for name, svc in data["services"].items():
        if not isinstance(svc, dict):
            notes.error(("services", name), f"service {name!r} must be a mapping of compose keys",
                        "give it at least an `image:` or a `build:`")
            continue
        resolved[name] = _resolve_extends(name, svc, data["services"], ("services", name), doc, notes, env,
                                          missing, [])

    selected = [p for p in profiles if p] or [p.strip() for p in env.get("COMPOSE_PROFILES", "").split(",")
                                              if p.strip()]
    for name, svc in resolved.items():
        svc_profiles = svc.get("profiles") or []
        if not isinstance(svc_profiles, list):
            notes.error(("services", name, "profiles"), "profiles must be a list of names")
            svc_profiles = []
        if svc_profiles and "*" not in selected and not set(map(str, svc_profiles)) & set(selected):
            doc.excluded[name] = [str(p) for p in svc_profiles]
            continue
        doc.services[name] = svc
    declared = {str(p) for svc in resolved.values() if isinstance(svc.get("profiles"), list) for p in svc["profiles"]}
    for unknown in sorted(set(selected) - declared - {"*"}):
        close = get_close_matches(unknown, sorted(declared), n=1)
        notes.warn((), f"compose profile {unknown!r} is declared by no service: it selects nothing",
                   f"did you mean {close[0]!r}?" if close else
                   ("profiles here: " + ", ".join(sorted(declared)) if declared else "this file declares no profiles"))
    _report_missing(missing, doc, notes)
    return doc, notes


def _diag(message: str, loc: Location, hint: str = "") -> Diagnostic:
    return Diagnostic("error", message, loc, hint, "compose")


def _parse(text: str, path: Path) -> tuple[Any, SourceMap]:
    """parse_yaml_text, with the YAML reader's own internal failures turned into located errors."""
    try:
        return parse_yaml_text(text, str(path))
    except InputError:
        raise
    except (AttributeError, TypeError, ValueError, KeyError, IndexError) as exc:
        raise InputError([_diag(f"malformed YAML: the reader failed ({type(exc).__name__}); check anchors "
                                "(&name), aliases (*name) and merge keys (<<)", Location(str(path), 1, 1))]) from None


def _environment(path: Path, env_file: Path | None, environ: Mapping[str, str], notes: Notes
                 ) -> tuple[dict[str, str], Path | None]:
    candidate = env_file if env_file is not None else path.parent / ".env"
    parsed: EnvFile | None = None
    if env_file is not None and not env_file.is_file():
        raise InputError([_diag(f"env file not found: {env_file}", Location(str(env_file)),
                                "check the --env-file path")])
    if env_file is None and candidate.exists():
        # the .env next to the compose file comes with the checkout: it may not lead out of it
        try:
            project_file(project_root(path.parent), path.parent, ".env")
        except (ProjectFileError, FileNotFoundError) as exc:
            raise InputError([_diag(f".env: {exc}", Location(str(candidate)), OUTSIDE_HINT)]) from None
    if candidate.is_file():
        too_big = env_file_size_problem(candidate)
        if too_big:
            raise InputError([_diag(too_big, Location(str(candidate)), "a .env holds a few dozen variables: "
                                    "is this the right file?")])
        try:
            parsed = read_env_file(candidate, environ)
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError([_diag(f"cannot read {candidate}: {exc}", Location(str(candidate)))]) from None
        for line, problem in parsed.problems:
            notes.add("warning", (), f"{candidate.name}: {problem}; line skipped",
                      location=Location(str(candidate), line, 1))
    env = {**(parsed.values() if parsed else {}), **dict(environ)}
    return env, candidate if parsed else None


def _normalise_kv(svc: dict[str, Any], base: KeyPath, smap: SourceMap, notes: Notes) -> None:
    """Turn ``KEY=VALUE`` lists into maps (bare ``KEY`` -> None), moving their positions along."""
    for key in _KV_KEYS:
        value = svc.get(key)
        if isinstance(value, list):
            out: dict[str, Any] = {}
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    notes.error(base + (key, i), f"{key} entries must be KEY=value strings")
                    continue
                k, sep, v = item.partition("=")
                k = k.strip()
                out[k] = v if sep else None
                loc = smap.positions.get(base + (key, i))
                if loc is not None:
                    smap.positions[base + (key, k)] = loc
            svc[key] = out
        elif value is not None and not isinstance(value, dict):
            notes.error(base + (key,), f"{key} must be a mapping or a list of KEY=value strings")
            svc[key] = {}
    build = svc.get("build")
    if isinstance(build, dict) and isinstance(build.get("args"), list):
        args: dict[str, Any] = {}
        for item in build["args"]:
            if isinstance(item, str):
                k, sep, v = item.partition("=")
                args[k.strip()] = v if sep else None
        build["args"] = args


def _interpolate_tree(node: Any, path: KeyPath, env: Mapping[str, str], notes: Notes,
                      missing: list[tuple[str, KeyPath]]) -> Any:
    if isinstance(node, dict):
        return {k: _interpolate_tree(v, path + (k,), env, notes, missing) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate_tree(v, path + (i,), env, notes, missing) for i, v in enumerate(node)]
    if isinstance(node, str):
        try:
            value = interpolate(node, env)
        except InterpolationError as exc:
            notes.error(path, str(exc), "set the variable in .env next to the compose file")
            return Interp("", node)
        for var in value.unset:
            missing.append((var, path))
        return value
    return node


def _resolve_extends(name: str, svc: dict[str, Any], services: dict[str, Any], path: KeyPath, doc: ComposeDoc,
                     notes: Notes, env: Mapping[str, str], missing: list[tuple[str, KeyPath]],
                     chain: list[tuple[str, str]]) -> dict[str, Any]:
    ext = svc.get("extends")
    if ext is None:
        return svc
    if isinstance(ext, str):
        ext = {"service": ext}
    if not isinstance(ext, dict) or not isinstance(ext.get("service"), str):
        notes.error(path + ("extends",), "extends needs a service name (extends: NAME or {service: NAME, file: F})")
        return {k: v for k, v in svc.items() if k != "extends"}
    target = str(ext["service"])
    file_ = ext.get("file")
    where = str(file_ or doc.path)
    if (where, target) in chain or (where, name) in chain[:1]:
        notes.error(path + ("extends",), f"extends cycle: {' -> '.join(t for _, t in chain + [(where, target)])}")
        return {k: v for k, v in svc.items() if k != "extends"}
    if file_:
        other_path = (doc.base_dir / str(file_))
        try:
            project_file(project_root(doc.root_dir), doc.base_dir, str(file_))
        except ProjectFileError as exc:
            notes.error(path + ("extends", "file"), f"extends file {exc}", OUTSIDE_HINT)
            return {k: v for k, v in svc.items() if k != "extends"}
        except FileNotFoundError:
            pass  # reported as unreadable below
        try:
            if other_path.stat().st_size > MAX_BYTES:
                raise OSError("larger than moorage reads")
            other_text = other_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            notes.error(path + ("extends", "file"), f"cannot read extended file {file_}",
                        "the path is relative to the compose file")
            return {k: v for k, v in svc.items() if k != "extends"}
        try:
            other_raw, other_smap = _parse(other_text, other_path)
        except InputError as exc:
            for d in exc.diagnostics:
                notes.items.append(d)
            return {k: v for k, v in svc.items() if k != "extends"}
        other_services = other_raw.get("services") if isinstance(other_raw, dict) else None
        if not isinstance(other_services, dict) or not isinstance(other_services.get(target), dict):
            notes.error(path + ("extends", "service"), f"{file_} has no service {target!r}")
            return {k: v for k, v in svc.items() if k != "extends"}
        _normalise_kv(other_services[target], ("services", target), other_smap, notes)
        base_raw = _interpolate_tree(other_services[target], ("services", target), env, notes, [])
        sub_doc = ComposeDoc(other_path, {"services": other_services}, other_smap, dict(env),
                             from_dir=doc.root_dir)
        base = _resolve_extends(target, base_raw, other_services, ("services", target), sub_doc, notes, env, [],
                                chain + [(where, target)])
        for p, loc in other_smap.positions.items():
            if p[:2] == ("services", target):
                doc.smap.add(path + p[2:], loc)
    else:
        if not isinstance(services.get(target), dict):
            notes.error(path + ("extends", "service"), f"extends names {target!r}, which is not a service here")
            return {k: v for k, v in svc.items() if k != "extends"}
        base = _resolve_extends(target, services[target], services, ("services", target), doc, notes, env,
                                missing, chain + [(where, target)])
        for p, loc in list(doc.smap.positions.items()):
            if p[:2] == ("services", target):
                doc.smap.add(path + p[2:], loc)
    notes.info(path + ("extends",), f"{name} extends {target}" + (f" from {file_}" if file_ else ""))
    return merge_service(base, {k: v for k, v in svc.items() if k != "extends"})


def merge_service(base: dict[str, Any], local: dict[str, Any]) -> dict[str, Any]:
    """Merge a service over the one it extends, as compose does."""
    out = {k: v for k, v in base.items() if k != "extends"}
    for key, value in local.items():
        if key not in out:
            out[key] = value
        elif key == "volumes" and isinstance(out[key], list) and isinstance(value, list):
            out[key] = _merge_volumes(out[key], value)
        elif key in _EXTEND_CONCAT and isinstance(out[key], list) and isinstance(value, list):
            out[key] = out[key] + [v for v in value if v not in out[key]]
        elif key in _EXTEND_MERGE and isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _deep_merge(out[k], v) if isinstance(out.get(k), dict) and isinstance(v, dict) else v
    return out


def _volume_target(v: Any) -> str:
    if isinstance(v, dict):
        return str(v.get("target", ""))
    parts = str(v).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _merge_volumes(base: list[Any], local: list[Any]) -> list[Any]:
    targets = {_volume_target(v): i for i, v in enumerate(base)}
    out = list(base)
    for v in local:
        t = _volume_target(v)
        if t in targets:
            out[targets[t]] = v
        else:
            out.append(v)
    return out


def _report_missing(missing: list[tuple[str, KeyPath]], doc: ComposeDoc, notes: Notes) -> None:
    first: dict[str, KeyPath] = {}
    for var, path in missing:
        relevant = (path[:1] == ("services",) and len(path) > 1 and path[1] in doc.services) or \
            (path[:1] != ("services",) and not str(path[0] if path else "").startswith("x-")) or \
            (path[:1] == ("x-moorage",))
        if relevant and var not in first:
            first[var] = path
    for var, path in first.items():
        notes.warn(path, f"variable {var} is not set: an empty string is used",
                   "set it in .env next to the compose file (or pass --env-file)", code="compose-unset")
