"""The guide as a document model: sections of paragraphs, tables, lists, checklists and commands.

One model, two renderings (Markdown and HTML), so DEPLOYMENT.md and the page say the same thing.
Inline text knows one piece of markup: `backticks` for names and commands.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Para:
    """A paragraph."""

    text: str


@dataclass
class Table:
    """A table; ``matrix`` tables get compact centred cells."""

    headers: list[str]
    rows: list[list[str]]
    matrix: bool = False


@dataclass
class Bullets:
    """A bulleted list."""

    items: list[str]


@dataclass
class Checklist:
    """Checklist items: (state, text); state is "pass" (ticked), "fail" or "open" (manual, not applicable)."""

    items: list[tuple[str, str]]


@dataclass
class Code:
    """A block of commands or text, shown verbatim."""

    text: str
    lang: str = "sh"


@dataclass
class Figure:
    """The architecture diagram: Mermaid text always, an SVG when Graphviz drew one."""

    mermaid: str
    svg: str | None = None
    note: str = ""


Block = Para | Table | Bullets | Checklist | Code | Figure


@dataclass
class Section:
    """A titled section; ``id`` is its anchor."""

    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)


@dataclass
class Document:
    """A whole page."""

    title: str
    summary: str
    sections: list[Section] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, href) shown under the title

    def walk(self) -> list[tuple[int, Section]]:
        """Every section with its depth (1 for top level), in document order."""
        out: list[tuple[int, Section]] = []

        def visit(sections: list[Section], depth: int) -> None:
            for s in sections:
                out.append((depth, s))
                visit(s.sections, depth + 1)

        visit(self.sections, 1)
        return out


def inline_parts(text: str) -> list[tuple[bool, str]]:
    """``text`` split into (is_code, piece) at backticks."""
    parts = text.split("`")
    return [(i % 2 == 1, p) for i, p in enumerate(parts) if p]
