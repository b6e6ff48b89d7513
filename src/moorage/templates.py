"""Templates to analyse, whatever the user points at: a spec (synthesized in memory) or template files.

Cost and policy read CloudFormation only, so they work the same on moorage's output and on any
template a user already has.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moorage.errors import Diagnostic, InputError

if TYPE_CHECKING:
    from moorage.render import Synth

TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")


@dataclass
class TemplateSet:
    """The templates of one environment (or one loose group of files)."""

    label: str  # environment name, or the directory / file name
    region: str
    templates: dict[str, dict[str, Any]]  # stack key (or file name) -> template
    residency: list[str] = field(default_factory=list)
    profile: str | None = None
    regions: dict[str, str] = field(default_factory=dict)  # stack key -> region, where it differs
    files: dict[str, str] = field(default_factory=dict)  # stack key -> file path, when read from disk


def template_set_of(synth: Synth) -> TemplateSet:
    """The template set of one synthesized environment."""
    manifest = synth.manifest
    home = manifest["region"]
    return TemplateSet(manifest["environment"], home, synth.templates, list(manifest.get("residency", [])),
                       manifest["profile"], {s["key"]: s["region"] for s in manifest["stacks"] if s["region"] != home})


def _is_spec(path: Path) -> bool:
    if path.is_dir():
        return any((path / n).is_file() for n in ("moorage.yml", "moorage.yaml", "docker-compose.yml",
                                                 "docker-compose.yaml", "compose.yml", "compose.yaml"))
    if path.suffix not in (".yml", ".yaml"):
        return False
    name = path.name.lower()
    if name.startswith("moorage.") or "compose" in name:
        return True
    head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    return "AWSTemplateFormatVersion" not in head and "Resources:" not in head


def read_template(path: Path) -> dict[str, Any]:
    """Parse a JSON or YAML CloudFormation template (short-form intrinsics included)."""
    text = path.read_text(encoding="utf-8")
    from cfnlint.decode import decode_str  # heavy (~0.6 s): only when a template is read

    template, matches = decode_str(text)
    if matches or not isinstance(template, dict):
        msg = matches[0].message if matches else "not a mapping"
        line = matches[0].linenumber if matches else 0
        raise InputError([Diagnostic("error", f"cannot read template: {msg}", None,
                                     f"{path}:{line}: fix the template syntax")])
    if "Resources" not in template:
        raise InputError([Diagnostic("error", f"{path} has no Resources: not a CloudFormation template", None)])
    return dict(template)


def template_sets(targets: Sequence[Path], *, envs: Sequence[str] = (), region: str | None = None,
                  profiles: Sequence[str] = ()) -> list[TemplateSet]:
    """Template sets for ``targets``: one per environment of a spec, one per directory or group of files."""
    from moorage import api  # the spec path goes through the whole pipeline

    sets: list[TemplateSet] = []
    loose: list[Path] = []
    for target in targets:
        if not target.exists():
            raise InputError([Diagnostic("error", f"file not found: {target}", None,
                                         "give a moorage.yml, a compose file, templates or a synth directory")])
        if _is_spec(target):
            loaded = api.load_app(target, profiles=profiles)
            for env in envs or list(loaded.spec.environments):
                sets.append(template_set_of(api.synth_environment(loaded, env)))
        elif target.is_dir():
            sets.append(_from_directory(target, region))
        elif target.name != "manifest.json":  # `out/prod/*.json` also matches the synth manifest
            loose.append(target)
    if loose:
        templates = {p.stem if p.stem not in {q.stem for q in loose if q != p} else str(p): read_template(p)
                     for p in loose}
        manifest = _manifest_near(loose[0]) or {}
        base = region or manifest.get("region", "us-east-1")
        by_template = {s.get("template"): s.get("region") for s in manifest.get("stacks", [])}
        regions = {p.stem: by_template[p.name] for p in loose
                   if by_template.get(p.name) and by_template[p.name] != base}
        sets.append(TemplateSet(manifest.get("environment", loose[0].parent.name or str(loose[0])), base, templates,
                                list(manifest.get("residency", [])), manifest.get("profile"), regions,
                                files={p.stem: str(p) for p in loose}))
    return sets


def _manifest_near(path: Path) -> dict[str, Any] | None:
    manifest = (path if path.is_dir() else path.parent) / "manifest.json"
    if manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else None
        except ValueError:
            return None
    return None


def _from_directory(directory: Path, region: str | None) -> TemplateSet:
    manifest = _manifest_near(directory) or {}
    files = sorted(p for p in directory.iterdir() if p.suffix in TEMPLATE_SUFFIXES and p.name != "manifest.json")
    if not files:
        raise InputError([Diagnostic("error", f"no CloudFormation templates in {directory}", None,
                                     "run `moorage synth SPEC -o DIR` first, or point at template files")])
    regions = {s["key"]: s["region"] for s in manifest.get("stacks", []) if "region" in s}
    base = region or manifest.get("region", "us-east-1")
    return TemplateSet(manifest.get("environment", directory.name), base, {p.stem: read_template(p) for p in files},
                       list(manifest.get("residency", [])), manifest.get("profile"),
                       {k: v for k, v in regions.items() if v != base}, {p.stem: str(p) for p in files})
