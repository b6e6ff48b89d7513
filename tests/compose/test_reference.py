"""docs/compose-import.md's reference section is generated from the data tables and kept in sync."""

from __future__ import annotations

from pathlib import Path

from moorage.compose.envmap import wiring_conventions
from moorage.compose.keys import explain_table
from moorage.compose.reference import BEGIN, END, reference_markdown, updated

DOC = Path(__file__).resolve().parents[2] / "docs" / "compose-import.md"


def test_the_doc_is_in_sync_with_the_tables() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert updated(text) == text, "regenerate: python -m moorage.compose.reference docs/compose-import.md"


def test_the_section_lists_every_rule() -> None:
    section = reference_markdown()
    assert section.startswith(BEGIN) and section.endswith(END)
    for name in wiring_conventions():
        assert f"| `{name}` |" in section
    for rule in explain_table():
        assert f"`{rule.scope}.{rule.key.replace('|', chr(92) + '|')}`" in section
    assert "--skip NAME" in section and "singleton: true" in section
