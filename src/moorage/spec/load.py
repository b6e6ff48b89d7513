"""Load moorage.yml, and build the spec one environment sees (base + its overrides)."""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from moorage.errors import Diagnostic, InputError
from moorage.kinds import registry
from moorage.spec.models import AppSpec
from moorage.spec.source import KeyPath, SourceMap, load_yaml
from moorage.spec.validate import validate_app

Origin = Literal["moorage", "compose"]

# Per-environment blocks whose entries merge into the named app-level item.
_ITEM_BLOCKS = ("services", *(k.block for k in registry().values() if k.overridable))
# Per-environment blocks that merge into the app-level block of the same name.
_MERGE_BLOCKS = ("network", "logs", "alarms", "budget", "tags", "encryption", "registry", "config", "deploy")
_REPLACE_KEYS = ("region", "domain", "cdn")


@dataclass
class LoadedApp:
    """A validated spec with where each value came from."""

    spec: AppSpec
    data: dict[str, Any]
    source: SourceMap
    path: Path
    origin: Origin = "moorage"
    warnings: list[Diagnostic] = field(default_factory=list)


def load_native(path: Path) -> LoadedApp:
    """Read and validate a moorage.yml."""
    data, smap = load_yaml(path)
    if data is None:
        raise InputError([Diagnostic("error", "the file is empty", smap.locate(()),
                                     "start from `moorage init` or see `moorage schema`")])
    app = validate_app(data, smap)
    return LoadedApp(app, data, smap, path, "moorage")


def environment_names(loaded: LoadedApp) -> list[str]:
    """The environments the app defines, in file order."""
    return list(loaded.spec.environments)


def spec_for_environment(loaded: LoadedApp, env: str) -> tuple[AppSpec, SourceMap]:
    """The app as environment ``env`` sees it: app-level values with its overrides merged in."""
    if env not in loaded.spec.environments:
        known = list(loaded.spec.environments)
        close = difflib.get_close_matches(env, known, n=1)
        raise InputError([Diagnostic(
            "error", f"no environment named {env!r}", loaded.source.locate(("environments",)),
            (f"did you mean {close[0]!r}? " if close else "") + "defined: " + ", ".join(known))])
    override = (loaded.data.get("environments") or {}).get(env) or {}
    merged = copy.deepcopy({k: v for k, v in loaded.data.items() if k != "environments"})
    merged["environments"] = {env: {k: v for k, v in override.items() if k in ("profile", "forbid_env")}}
    smap = SourceMap(loaded.source.default_file, dict(loaded.source.positions))
    base: KeyPath = ("environments", env)
    problems: list[Diagnostic] = []
    for block in _ITEM_BLOCKS:
        for name, changes in (override.get(block) or {}).items():
            if name not in (merged.get(block) or {}):
                problems.append(Diagnostic(
                    "error", f"environment {env!r} overrides {block}.{name}, which is not defined",
                    loaded.source.locate(base + (block, name)),
                    f"define {name!r} under the top-level `{block}:` first"))
                continue
            target = merged[block][name]
            merged[block][name] = _deep_merge(target, changes)
            smap.graft(loaded.source, base + (block, name), (block, name))
    for block in _MERGE_BLOCKS:
        if override.get(block) is not None:
            current = merged.get(block)
            merged[block] = _deep_merge(current, override[block]) if isinstance(current, dict) \
                else copy.deepcopy(override[block])
            smap.graft(loaded.source, base + (block,), (block,))
    for key in _REPLACE_KEYS:
        if override.get(key) is not None:
            merged[key] = copy.deepcopy(override[key])
            smap.graft(loaded.source, base + (key,), (key,))
    if problems:
        raise InputError(problems)
    return validate_app(merged, smap), smap


def _deep_merge(base: Any, changes: Any) -> Any:
    if isinstance(base, dict) and isinstance(changes, dict):
        out = dict(base)
        for k, v in changes.items():
            out[k] = _deep_merge(base.get(k), v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(changes)
