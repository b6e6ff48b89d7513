"""Usage figures for usage-priced components (requests, GB out, log GB, NAT GB...).

Defaults come from ``moorage/data/usage_profiles.yaml`` (profiles small / medium / large, chosen per
environment profile); a usage file overrides them globally, per environment or per resource::

    profile: medium              # base figures (optional)
    requests_per_month: 5000000
    environments:
      prod: {profile: large, nat_gb: 500}
    resources:
      data/BucketDocuments: {s3_gb: 800}   # stack/LogicalId, or just LogicalId

Every figure the estimate uses is reported with its origin; defaults are marked as assumptions.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moorage.cfn.sections import resources_of
from moorage.cfn.sets import TemplateSet
from moorage.cost.model import UsageFigure
from moorage.data import load_data
from moorage.errors import Diagnostic, InputError, Location


def usage_profiles() -> dict[str, Any]:
    """The packaged usage profiles and the description of every usage key."""
    data: dict[str, Any] = load_data("usage_profiles")
    return data


def checked_usage_profile(name: str | None) -> str | None:
    """``name`` when it is a packaged usage profile (or None); a located error otherwise."""
    profiles = usage_profiles()["profiles"]
    if name is not None and name not in profiles:
        raise InputError([Diagnostic("error", f"unknown usage profile '{name}'", None,
                                     f"one of: {', '.join(profiles)}")])
    return name


def usage_keys() -> dict[str, str]:
    """Every usage key and what it measures."""
    return dict(usage_profiles()["keys"])


@dataclass
class UsageFile:
    """A parsed usage file (or none: every figure then comes from the profile defaults)."""

    path: str = ""
    profile: str | None = None
    values: dict[str, float] = field(default_factory=dict)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: dict[str, dict[str, float]] = field(default_factory=dict)
    lines: dict[tuple[str, str], int] = field(default_factory=dict)  # (section, name) -> line in the file


def _name_lines(text: str) -> dict[tuple[str, str], int]:
    """Where each name under ``environments:`` and ``resources:`` is written (1-based lines), for located errors."""
    found: dict[tuple[str, str], int] = {}
    section, child_indent = "", -1
    for number, line in enumerate(text.splitlines(), 1):
        body = line.split("#", 1)[0].rstrip()
        if not body.strip():
            continue
        indent = len(body) - len(body.lstrip())
        if indent == 0:
            section, child_indent = body.split(":", 1)[0].strip(), -1
            rest = body.split(":", 1)[1].strip() if ":" in body else ""
            if section in ("environments", "resources") and rest.startswith("{"):
                for part in rest.strip("{}").split(","):  # flow style: the names sit on this line
                    if ":" in part:
                        found.setdefault((section, part.split(":", 1)[0].strip().strip("'\"")), number)
            continue
        if section in ("environments", "resources") and ":" in body:
            child_indent = indent if child_indent < 0 else child_indent
            if indent == child_indent:
                found.setdefault((section, body.split(":", 1)[0].strip().strip("'\"")), number)
    return found


def resource_names(sets: Iterable[TemplateSet]) -> set[str]:
    """Every name a usage file may give a resource by: ``stack/LogicalId`` and ``LogicalId``."""
    names: set[str] = set()
    for tset in sets:
        for stack, template in tset.templates.items():
            for found in resources_of(template):
                names |= {f"{stack}/{found.lid}", found.lid}
    return names


def check_usage_names(file: UsageFile, environments: set[str], resources: set[str]) -> None:
    """A located error for a usage-file environment or resource name that matches nothing being estimated.

    ``resources`` holds every ``stack/LogicalId`` and ``LogicalId`` of the templates. A typo would otherwise
    leave the figure unused and the defaults silently in its place.
    """
    diags = []
    for section, names, known in (("environments", file.environments, environments),
                                  ("resources", file.resources, resources)):
        for name in names:
            if name in known:
                continue
            close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            listed = sorted(k for k in known if section == "environments" or "/" in k)
            hint = (f"did you mean '{close[0]}'? " if close else "") + f"known: {', '.join(listed[:12])}" + (
                ", ..." if len(listed) > 12 else "")
            what = "environment" if section == "environments" else "resource (stack/LogicalId or LogicalId)"
            diags.append(Diagnostic("error", f"usage file names an unknown {what} '{name}'",
                                    Location(file.path, file.lines.get((section, name), 0), path=(section, name)),
                                    hint))
    if diags:
        raise InputError(diags)


def _check_keys(values: dict[str, Any], where: str, path: str, allow: tuple[str, ...] = ()) -> dict[str, float]:
    known = usage_keys()
    out: dict[str, float] = {}
    for key, value in values.items():
        if key in allow:
            continue
        if key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1)
            raise InputError([Diagnostic("error", f"unknown usage key '{key}'", Location(path, path=(where, key)),
                                         f"did you mean '{close[0]}'?" if close else
                                         "see docs/cost.md for the usage keys")])
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise InputError([Diagnostic("error", f"usage '{key}' must be a number >= 0, got {value!r}",
                                         Location(path, path=(where, key)))])
        out[key] = float(value)
    return out


def _check_profile(name: Any, path: str, where: str) -> str | None:
    if name is None:
        return None
    profiles = usage_profiles()["profiles"]
    if name not in profiles:
        raise InputError([Diagnostic("error", f"unknown usage profile '{name}'", Location(path, path=(where,)),
                                     f"one of: {', '.join(profiles)}")])
    return str(name)


def load_usage_file(path: Path) -> UsageFile:
    """Read and validate a usage file."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    if not path.is_file():
        raise InputError([Diagnostic("error", f"usage file not found: {path}", None)])
    try:
        text = path.read_text(encoding="utf-8")
        data = YAML(typ="safe").load(text) or {}
    except YAMLError as exc:
        raise InputError([Diagnostic("error", f"cannot read usage file: {exc}", Location(str(path)))]) from exc
    if not isinstance(data, dict):
        raise InputError([Diagnostic("error", "a usage file is a mapping of usage keys", Location(str(path)))])
    p = str(path)
    top = {k: v for k, v in data.items() if k not in ("profile", "environments", "resources")}
    envs: dict[str, dict[str, Any]] = {}
    for env, block in (data.get("environments") or {}).items():
        if not isinstance(block, dict):
            raise InputError([Diagnostic("error", "an environment's usage is a mapping",
                                         Location(p, path=("environments", env)))])
        envs[str(env)] = {"profile": _check_profile(block.get("profile"), p, f"environments.{env}.profile"),
                          **_check_keys(block, f"environments.{env}", p, allow=("profile",))}
    res: dict[str, dict[str, float]] = {}
    for name, block in (data.get("resources") or {}).items():
        if not isinstance(block, dict):
            raise InputError([Diagnostic("error", "a resource's usage is a mapping",
                                         Location(p, path=("resources", name)))])
        res[str(name)] = _check_keys(block, f"resources.{name}", p)
    return UsageFile(p, _check_profile(data.get("profile"), p, "profile"), _check_keys(top, "usage", p), envs, res,
                     _name_lines(text))


class Usage:
    """Usage figures for one environment: ``get(key, stack, resource)`` records what it hands out."""

    def __init__(self, env: str, env_profile: str | None, file: UsageFile | None = None,
                 profile: str | None = None):
        data = usage_profiles()
        self.file = file or UsageFile()
        env_block = self.file.environments.get(env, {})
        self.profile = (env_block.get("profile") or profile or self.file.profile
                        or data["environment_profiles"].get(env_profile or env) or data["default_profile"])
        self.defaults: dict[str, float] = {k: float(v) for k, v in data["profiles"][self.profile].items()}
        self.env_values = {k: float(v) for k, v in env_block.items() if k != "profile" and v is not None}
        self.used: dict[str, UsageFigure] = {}

    def get(self, key: str, stack: str = "", resource: str = "") -> tuple[float, bool]:
        """The figure for ``key`` (resource > environment > file > profile); returns (value, assumed)."""
        described = usage_keys().get(key, "")
        for name, origin in ((f"{stack}/{resource}", "usage file (resource)"), (resource, "usage file (resource)")):
            block = self.file.resources.get(name)
            if resource and block and key in block:
                self._record(f"{key}@{stack}/{resource}", block[key], origin, False, described)
                return block[key], False
        if key in self.env_values:
            self._record(key, self.env_values[key], "usage file (environment)", False, described)
            return self.env_values[key], False
        if key in self.file.values:
            self._record(key, self.file.values[key], "usage file", False, described)
            return self.file.values[key], False
        if key not in self.defaults:
            raise KeyError(f"usage profile {self.profile} has no default for {key}")
        self._record(key, self.defaults[key], f"profile {self.profile} (assumed)", True, described)
        return self.defaults[key], True

    def _record(self, key: str, value: float, origin: str, assumed: bool, description: str) -> None:
        self.used[key] = UsageFigure(key, value, origin, assumed, description)
