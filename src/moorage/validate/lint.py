"""Run cfn-lint as a library and return plain findings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cfnlint.api import ManualArgs, lint

from moorage.errors import InputError, input_error
from moorage.templates import read_template

MANIFEST = "manifest.json"


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


def lint_template(text: str, regions: list[str], filename: str = "template.json") -> list[LintFinding]:
    """cfn-lint findings for one template's text, checked in ``regions``."""
    matches = lint(text, config=ManualArgs(regions=regions))
    out = []
    for m in matches:
        out.append(LintFinding(filename, int(m.linenumber or 0), m.rule.id, str(m.rule.severity).lower(),
                               m.message, "/".join(str(p) for p in (getattr(m, "path", None) or []))))
    return sorted(out, key=lambda f: (f.file, f.line, f.rule, f.message))


def templates_in(target: Path) -> list[Path]:
    """Template files under ``target`` (a file, or a synth output directory; manifests skipped)."""
    if target.is_file():
        return [target]
    if not target.is_dir():
        raise input_error(f"no such file or directory: {target}", hint="give a template or a `moorage synth` output")
    files = sorted(p for p in target.rglob("*") if p.suffix in (".json", ".yaml", ".yml", ".template")
                   and p.name != MANIFEST)
    if not files:
        raise input_error(f"no CloudFormation templates in {target}", hint="run `moorage synth ... -o DIR` first")
    return files


def regions_for(path: Path, default: str | None) -> list[str]:
    """The stack's region from the synth manifest next to ``path``, else ``default``, else us-east-1."""
    manifest = path.parent / MANIFEST
    if default is None and manifest.is_file():
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
            for stack in data.get("stacks", []):
                if stack.get("template") == path.name:
                    return [stack.get("region") or data["region"]]
            return [data["region"]]
        except (ValueError, KeyError, AttributeError):
            pass
    return [default or "us-east-1"]


def lint_directory(target: Path, region: str | None = None) -> list[LintFinding]:
    """cfn-lint every template under ``target``.

    Raises :class:`InputError` (exit 2) first when a template cannot be read as CloudFormation at all:
    duplicate keys, sections or resources of the wrong shape, unknown intrinsic functions.
    """
    paths = templates_in(target)
    problems = []
    for path in paths:
        try:
            read_template(path)
        except InputError as exc:
            problems += exc.diagnostics
    if problems:
        raise InputError(problems)
    findings: list[LintFinding] = []
    for path in paths:
        findings.extend(lint_template(path.read_text(encoding="utf-8"), regions_for(path, region), str(path)))
    return findings
