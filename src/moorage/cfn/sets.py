"""Template sets: the templates of one environment (or one loose group of files), with their regions.

A set comes from a synthesized environment in memory (:func:`template_set_of`), a ``moorage synth``
output directory, or template files the user already has (:func:`file_template_sets`). Nothing here
knows the pipeline: the spec path (synthesize, then read) is ``moorage.api.template_sets``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from moorage.cfn.read import read_template
from moorage.data.regions import is_region, unknown_region_hint
from moorage.errors import Diagnostic, InputError, Location

TEMPLATE_SUFFIXES = (".json", ".yaml", ".yml", ".template")
SPEC_FILES = ("moorage.yml", "moorage.yaml", "docker-compose.yml", "docker-compose.yaml", "compose.yml",
              "compose.yaml")
MANIFEST = "manifest.json"
KeyPath = tuple[str | int, ...]
DEFAULT_REGION = "us-east-1"


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


class Synthesized(Protocol):
    """What a synthesized environment offers: a manifest and its templates (``moorage.render.Synth``)."""

    manifest: dict[str, Any]
    templates: dict[str, dict[str, Any]]


def template_set_of(synth: Synthesized) -> TemplateSet:
    """The template set of one synthesized environment."""
    manifest = synth.manifest
    home = manifest["region"]
    return TemplateSet(manifest["environment"], home, synth.templates, list(manifest.get("residency", [])),
                       manifest["profile"], stack_regions(manifest, home))


def stack_regions(manifest: dict[str, Any], home: str) -> dict[str, str]:
    """Stack key -> region for the stacks of a synth manifest that deploy outside ``home``."""
    return {str(s["key"]): str(s["region"]) for s in manifest.get("stacks", [])
            if isinstance(s, dict) and "key" in s and s.get("region") and s["region"] != home}


def is_spec(path: Path) -> bool:
    """True when ``path`` is (or is a directory holding) a moorage.yml or compose file rather than templates."""
    if path.is_dir():
        return any((path / n).is_file() for n in SPEC_FILES)
    if path.suffix not in (".yml", ".yaml") or not path.is_file():
        return False  # not a regular file: reading it as a template refuses it (a FIFO would block here)
    name = path.name.lower()
    if name.startswith("moorage.") or "compose" in name:
        return True
    raw = path.read_bytes()[:4000]
    if b"\0" in raw:
        return False  # UTF-16/32 or binary: the template reader says what it is and how to fix it
    head = raw.decode("utf-8", errors="replace")
    if not _starts_a_mapping(head):
        return False  # empty, a list or a bare string: no spec; the template reader says what it is instead
    return "AWSTemplateFormatVersion" not in head and "Resources:" not in head


def _starts_a_mapping(head: str) -> bool:
    """True when the first value of a YAML text (comments, directives and ``---`` skipped) is a mapping."""
    for row in head.splitlines():
        text = row.strip()
        if not text or text.startswith(("#", "%", "---")):
            continue
        return text.startswith("{") or bool(re.match(r"""^(?:"[^"]*"|'[^']*'|[^\s#\-\[{][^:]*)\s*:(?:\s|$)""",
                                                     text))
    return False


def file_template_sets(targets: Sequence[Path], *, region: str | None = None) -> list[TemplateSet]:
    """Template sets of template files and synth directories: one per directory, one for the loose files.

    A synth manifest beside the files gives the environment, profile, residency and per-stack regions.
    """
    sets: list[TemplateSet] = []
    loose: list[Path] = []
    for target in targets:
        if not target.exists():
            raise InputError([Diagnostic("error", f"file not found: {target}", None,
                                         "give a moorage.yml, a compose file, templates or a synth directory")])
        if target.is_dir():
            sets.append(_from_directory(target, region))
        elif target.name != MANIFEST:  # `out/prod/*.json` also matches the synth manifest
            loose.append(target)
    if loose:
        sets.append(_from_files(loose, region))
    return sets


def _from_files(loose: list[Path], region: str | None) -> TemplateSet:
    templates = {p.stem if p.stem not in {q.stem for q in loose if q != p} else str(p): read_template(p)
                 for p in loose}
    manifest = manifest_near(loose[0]) or {}
    base = _home(manifest, region, loose[0].parent)
    # A manifest names each stack's template file and key: either finds the file's region.
    stacks = [s for s in manifest.get("stacks", []) if isinstance(s, dict)]
    by_template = {s.get("template"): s.get("region") for s in stacks}
    by_key = {s.get("key"): s.get("region") for s in stacks}
    regions = {}
    for p in loose:
        found = by_template.get(p.name) or by_key.get(p.stem)
        if found and found != base:
            regions[p.stem] = str(found)
    return TemplateSet(manifest.get("environment", loose[0].parent.name or str(loose[0])), base, templates,
                       list(manifest.get("residency", [])), manifest.get("profile"), regions,
                       files={p.stem: str(p) for p in loose})


def _home(manifest: dict[str, Any], region: str | None, where: Path) -> str:
    """The set's home region: ``region`` (--region) for loose templates, else the manifest's. A --region that
    contradicts a synth manifest is refused: the stacks would be labelled one region and read as another."""
    written = manifest.get("region")
    if region and written and region != written:
        raise InputError([Diagnostic(
            "error", f"--region {region} contradicts the synth manifest in {where}: these templates were written "
            f"for {written}", None,
            f"drop --region (the manifest gives each stack's region); `moorage cost` prices them at another "
            f"region's rates with --price-region {region}")])
    return str(region or written or DEFAULT_REGION)


def manifest_near(path: Path) -> dict[str, Any] | None:
    """The synth manifest in ``path`` (a directory) or beside it (a file); None when absent or unreadable.
    A region in it that is no AWS region (a manifest edited by hand) is a located error."""
    manifest = (path if path.is_dir() else path.parent) / MANIFEST
    if manifest.is_file():
        try:
            text = manifest.read_text(encoding="utf-8")
            data = json.loads(text)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        _check_regions(data, text, str(manifest))
        return data
    return None


def _check_regions(manifest: dict[str, Any], text: str, file: str) -> None:
    """Every region a synth manifest names (its own, each stack's) must be an AWS region moorage knows: the
    same check, and the same "did you mean", as --region."""
    found: list[tuple[KeyPath, Any]] = [(("region",), manifest.get("region"))]
    stacks = manifest.get("stacks")
    for i, stack in enumerate(stacks if isinstance(stacks, list) else []):
        if isinstance(stack, dict) and "region" in stack:
            found.append((("stacks", i, "region"), stack["region"]))
    bad: dict[str, list[KeyPath]] = {}  # each unknown region once, at the first key naming it
    for key, region in found:
        if region is not None and not (isinstance(region, str) and is_region(region)):
            bad.setdefault(json.dumps(region), []).append(key)
    problems = []
    for shown, keys in bad.items():
        line = next((n for n, row in enumerate(text.splitlines(), 1) if '"region"' in row and shown in row), 0)
        more = f" (also at {len(keys) - 1} stack{'s' if len(keys) > 2 else ''})" if len(keys) > 1 else ""
        problems.append(Diagnostic(
            "error", f"unknown AWS region {shown} in the synth manifest{more}", Location(file, line, 0, keys[0]),
            unknown_region_hint(str(json.loads(shown))) + " (the manifest is written by `moorage synth`: "
            "synthesize again rather than edit it)"))
    home = manifest.get("region")
    # the network stack (the VPC every other stack of the region uses) deploys in the manifest's region
    network = next((str(st["region"]) for st in (stacks if isinstance(stacks, list) else [])
                    if isinstance(st, dict) and st.get("key") == "network" and "region" in st), None)
    if not problems and home is not None and network is not None and network != home:
        # an edited manifest region: the set would be labelled one region and priced as another
        rows = text.splitlines()
        line = next((n for n, row in enumerate(rows, 1) if row.startswith('  "region"')),
                    next((n for n, row in enumerate(rows, 1) if '"region"' in row), 0))
        problems.append(Diagnostic(
            "error", f"the synth manifest's region {home} is not its network stack's region {network}: the "
            "templates were synthesized for another region",
            Location(file, line, 0, ("region",)),
            "the manifest is written by `moorage synth`: synthesize again for the region you want (the spec's "
            "region:) rather than edit it"))
    if problems:
        raise InputError(problems)


def _from_directory(directory: Path, region: str | None) -> TemplateSet:
    manifest = manifest_near(directory) or {}
    files = sorted(p for p in directory.iterdir() if p.suffix in TEMPLATE_SUFFIXES and p.name != MANIFEST)
    if not files:
        raise InputError([Diagnostic("error", f"no CloudFormation templates in {directory}", None,
                                     "run `moorage synth SPEC -o DIR` first, or point at template files")])
    base = _home(manifest, region, directory)
    regions = {s["key"]: s["region"] for s in manifest.get("stacks", []) if "region" in s}
    return TemplateSet(manifest.get("environment", directory.name), base, {p.stem: read_template(p) for p in files},
                       list(manifest.get("residency", [])), manifest.get("profile"),
                       {k: v for k, v in regions.items() if v != base}, {p.stem: str(p) for p in files})
