"""Document -> GitHub-flavoured Markdown (the diagram as a Mermaid block)."""

from __future__ import annotations

import re
import textwrap

from moorage.guide.document import Bullets, Checklist, Code, Document, Figure, Para, Section, Table, inline_parts

_SPECIAL = re.compile(r"([\\*_\[\]<>#|`~])")
_URL = re.compile(r"(https?://[^\s<>|`]*[^\s<>|`.,;:)])")


def _escaped(piece: str) -> str:
    """Plain text escaped, its web addresses made autolinks (a bare address is a lint error, MD034)."""
    return "".join(f"<{part}>" if i % 2 else _SPECIAL.sub(r"\\\1", part)
                   for i, part in enumerate(_URL.split(piece)))


def md_inline(text: str, *, cell: bool = False) -> str:
    """Markdown of inline text: code spans kept, everything else escaped (pipes too inside table cells)."""
    out = []
    for code, piece in inline_parts(text):
        if code:
            piece = piece.strip()  # a code span that starts or ends with a space is a lint error (MD038)
            out.append("`" + (piece.replace("|", "\\|") if cell else piece) + "`")
        else:
            out.append(_escaped(piece))
    return "".join(out).replace("\n", " ")


WIDTH = 100  # prose lines; tables and code blocks keep their own width


def _wrap(text: str, first: str = "", rest: str = "") -> list[str]:
    lines = textwrap.wrap(text, WIDTH, initial_indent=first, subsequent_indent=rest, break_long_words=False,
                          break_on_hyphens=False)
    # A continuation line must not start a list or a heading.
    out: list[str] = []
    for line in lines:
        if out and re.match(r"\s*([-+*]|\d+[.)])(\s|$)", line):
            out[-1] += " " + line.strip()
        else:
            out.append(line)
    return out or [first.rstrip()]


def github_slug(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = "".join(p for _, p in inline_parts(title)).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _table(t: Table) -> list[str]:
    lines = ["| " + " | ".join(md_inline(h, cell=True) or "-" for h in t.headers) + " |",
             "| " + " | ".join(":-:" if t.matrix and i else "---" for i in range(len(t.headers))) + " |"]
    for row in t.rows:
        lines.append("| " + " | ".join(md_inline(c, cell=True) or "-" for c in row) + " |")
    return lines


def _block(block: object) -> list[str]:
    if isinstance(block, Para):
        return _wrap(md_inline(block.text))
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Bullets):
        return [line for i in block.items for line in _wrap(md_inline(i), "- ", "  ")]
    if isinstance(block, Checklist):
        return [line for state, text in block.items
                for line in _wrap(md_inline(text), f"- [{'x' if state == 'pass' else ' '}] ", "  ")]
    if isinstance(block, Code):
        return [f"```{block.lang}", *block.text.rstrip("\n").split("\n"), "```"]
    if isinstance(block, Figure):
        lines = ["```mermaid", *block.mermaid.rstrip("\n").split("\n"), "```"]
        return lines + (["", *_wrap(md_inline(block.note))] if block.note else [])
    raise TypeError(type(block).__name__)


def to_markdown(doc: Document) -> str:
    """The whole document as Markdown text (one H1, numbered-free headings, blank lines around blocks)."""
    chunks: list[list[str]] = [[f"# {md_inline(doc.title)}"], _wrap(md_inline(doc.summary))]
    if doc.links:
        chunks.append(_wrap(" · ".join(f"[{md_inline(label)}]({href})" for label, href in doc.links)))
    chunks.append(["## Contents"])
    chunks.append([f"{'  ' * (depth - 1)}- [{md_inline(s.title)}](#{github_slug(s.title)})"
                   for depth, s in doc.walk() if depth <= 2])

    def emit(sections: list[Section], depth: int) -> None:
        for s in sections:
            chunks.append([f'{"#" * (depth + 1)} {md_inline(s.title)}'])
            chunks.extend(_block(b) for b in s.blocks)
            emit(s.sections, depth + 1)

    emit(doc.sections, 1)
    return "\n\n".join("\n".join(c) for c in chunks) + "\n"
