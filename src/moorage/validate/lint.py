"""Run cfn-lint as a library and return plain findings.

cfn-lint's rules and schemas load once per region set (``cfnlint.api.lint`` loads them for every template,
half its time); a directory of many templates is spread over the cores, in forked workers that inherit
the loaded rules.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from moorage.cfn.read import decoded_template, template_text
from moorage.cfn.sets import manifest_near
from moorage.data.regions import is_region, unknown_region_hint
from moorage.errors import InputError, input_error

MANIFEST = "manifest.json"
PARALLEL_FROM = 8  # templates; below this, starting workers costs more than it saves


@dataclass(frozen=True)
class LintFinding:
    """One cfn-lint match."""

    file: str
    line: int
    rule: str
    severity: str  # error | warning | informational
    message: str
    path: str

    def render(self) -> str:
        """One human line."""
        return f"{self.file}:{self.line}: {self.rule} {self.severity}: {self.message} ({self.path})"


@cache
def _runner(regions: tuple[str, ...]) -> Any:
    """A cfn-lint runner with its rules loaded, for templates checked in ``regions`` (kept for reuse)."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    from moorage.validate.speedups import apply

    apply()
    return Runner(ConfigMixIn(regions=list(regions)))


def lint_template(text: str, regions: list[str], filename: str = "template.json") -> list[LintFinding]:
    """cfn-lint findings for one template's text, checked in ``regions``."""
    from cfnlint.decode.decode import decode_str

    template, errors = decode_str(text)
    if errors:
        return _findings(errors, filename)
    return [] if template is None else _lint_decoded(template, regions, filename)


def _lint_decoded(template: Any, regions: list[str], filename: str) -> list[LintFinding]:
    return _findings(list(_runner(tuple(regions)).validate_template(template)), filename)


def _findings(matches: list[Any], filename: str) -> list[LintFinding]:
    out = []
    for m in matches:
        out.append(LintFinding(filename, int(m.linenumber or 0), m.rule.id, str(m.rule.severity).lower(),
                               m.message, "/".join(str(p) for p in (getattr(m, "path", None) or []))))
    return sorted(out, key=lambda f: (f.file, f.line, f.rule, f.message))


def templates_in(target: Path) -> list[Path]:
    """Template files under ``target`` (a file, or a synth output directory; manifests skipped)."""
    if target.exists() and not target.is_dir():
        return [target]  # reading it refuses FIFOs and devices (cfn.read.template_text)
    if not target.is_dir():
        raise input_error(f"no such file or directory: {target}", hint="give a template or a `moorage synth` output")
    files = sorted(p for p in target.rglob("*") if p.suffix in (".json", ".yaml", ".yml", ".template")
                   and p.name != MANIFEST)
    if not files:
        raise input_error(f"no CloudFormation templates in {target}", hint="run `moorage synth ... -o DIR` first")
    return files


def regions_for(path: Path, default: str | None) -> list[str]:
    """The stack's region from the synth manifest next to ``path``, else ``default``, else us-east-1. An unknown
    region (``default``: --region, or one in the manifest) is a located error, as for `moorage cost`."""
    if default is not None:
        if not is_region(default):
            raise input_error(f"--region: unknown AWS region '{default}'", hint=unknown_region_hint(default))
        return [default]
    data = manifest_near(path)  # checks the regions it names
    if data is not None:
        try:
            for stack in data.get("stacks", []):
                if stack.get("template") == path.name:
                    return [stack.get("region") or data["region"]]
            return [data["region"]]
        except (KeyError, AttributeError):
            pass
    return ["us-east-1"]


# Templates decoded once in the parent, before workers fork: they inherit them instead of decoding again.
_decoded: list[Any] = []
_decoded_lock = threading.Lock()  # one lint_directory at a time fills and reads the list


def _lint_job(job: tuple[int, str, list[str]]) -> list[LintFinding]:
    index, filename, regions = job
    return _lint_decoded(_decoded[index], regions, filename)


def workers_for(count: int) -> int:
    """Worker processes for ``count`` templates: one per core, none when there are few templates."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if count < PARALLEL_FROM or cores < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return min(cores, count // (PARALLEL_FROM // 2))


def lint_directory(target: Path, region: str | None = None, workers: int | None = None) -> list[LintFinding]:
    """cfn-lint every template under ``target`` (over ``workers`` processes; default: one per core when many).

    Raises :class:`InputError` (exit 2) first when a template cannot be read as CloudFormation at all:
    duplicate keys, sections or resources of the wrong shape, unknown intrinsic functions.
    """
    with _decoded_lock:
        return _lint_paths(templates_in(target), region, workers)


def _lint_paths(paths: list[Path], region: str | None, workers: int | None) -> list[LintFinding]:
    problems = []
    _decoded.clear()
    for path in paths:
        try:
            _decoded.append(decoded_template(template_text(path), str(path)))
        except InputError as exc:
            problems += exc.diagnostics
    if problems:
        _decoded.clear()
        raise InputError(problems)
    jobs = [(i, str(p), regions_for(p, region)) for i, p in enumerate(paths)]
    count = workers_for(len(jobs)) if workers is None else workers
    for regions in {tuple(r) for _, _, r in jobs}:
        _runner(regions)  # loaded once here; forked workers inherit the rules instead of loading them again
    try:
        with _loaded_rules_frozen():
            if count < 2:
                return [f for job in jobs for f in _lint_job(job)]
            with multiprocessing.get_context("fork").Pool(count) as pool:
                results = pool.map(_lint_job, jobs, chunksize=max(1, len(jobs) // (count * 4)))
        return [f for found in results for f in found]
    finally:
        _decoded.clear()


@contextmanager
def _loaded_rules_frozen() -> Iterator[None]:
    """Keep the garbage collector off cfn-lint's loaded rules and schemas while templates are checked.

    cfn-lint makes many short-lived objects per template; each collection also walked the ~130 MB of rules
    and schemas, about a tenth of validate's CPU (docs/scale.md). Frozen objects are skipped (and stay
    shared, not copied, in forked workers); collections are rarer. Memory stays as before.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
