"""Guide test helpers: build a guide for a synthesized case, and read back the aws commands it prints."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moorage.guide import graphviz_available, guide_input
from moorage.guide.html import to_html
from moorage.guide.inputs import GuideInput
from moorage.guide.markdown import to_markdown
from moorage.guide.pages import environment_document


@dataclass
class Built:
    """One environment's guide in both renderings."""

    gi: GuideInput
    markdown: str
    html: str


REPO_ROOT = Path(__file__).resolve().parents[2]
_BUILT: dict[tuple[str, str], Built] = {}


def build(case: Any) -> Built:
    """The guide of a conftest ``Case`` (cached per worker: cost and policy run once per environment)."""
    key = (case.label, case.env)
    if key not in _BUILT:
        gi = guide_input(case.synth, spec_of(case))
        doc = environment_document(gi, draw=graphviz_available())
        _BUILT[key] = Built(gi, to_markdown(doc), to_html(doc))
    return _BUILT[key]


def spec_of(case: Any) -> str:
    """How a user names the case's spec: its path relative to the repository, or its file name."""
    path = Path(case.loaded.path).resolve()
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else path.name


def code_blocks(markdown: str, lang: str = "sh") -> list[str]:
    """The bodies of the Markdown's fenced blocks of ``lang``."""
    return re.findall(rf"^```{lang}\n(.*?)^```$", markdown, flags=re.S | re.M)


_INNER = re.compile(r"\$\((aws [^()]*)\)")


def aws_commands(markdown: str) -> list[list[str]]:
    """Every `aws` command in the shell blocks, as tokens; nested ``$(aws ...)`` come out as their own."""
    commands: list[list[str]] = []
    for block in code_blocks(markdown):
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            for inner in _INNER.findall(line):
                commands.append(shlex.split(inner))
            outer = _INNER.sub("OUTPUT", line)
            words = shlex.split(outer.split("=", 1)[1] if re.match(r"^[A-Z]+=", outer) else outer)
            if words and words[0] == "aws":
                commands.append(words)
    return commands


def assigned(markdown: str) -> set[str]:
    """Shell variables the blocks set from an `aws` command (``SERVICE=$(aws ...)``), as ``$NAME``."""
    return {f"${m}" for block in code_blocks(markdown) for m in re.findall(r"^([A-Z_]+)=\$\(aws ", block, re.M)}


def flags(words: list[str]) -> dict[str, str]:
    """``--flag value`` pairs (a flag followed by another flag, or last, maps to "")."""
    out: dict[str, str] = {}
    for i, w in enumerate(words):
        if w.startswith("--"):
            nxt = words[i + 1] if i + 1 < len(words) else ""
            out[w] = "" if nxt.startswith("--") else nxt
    return out


def write(path: Path, text: str) -> Path:
    """Write text and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
