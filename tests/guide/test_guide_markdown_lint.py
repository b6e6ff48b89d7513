"""The generated Markdown passes a Markdown linter (pymarkdown, GitHub-flavoured: tables and task lists).

Line length is held to 100 characters for prose; tables and code blocks are exempt because a table row
or a command cannot be wrapped without breaking it. The linter runs in-process (a few seconds a guide).
"""

from __future__ import annotations

from typing import Any

import pytest
from guide_helpers import build

pytest.importorskip("pymarkdown", reason="pymarkdownlnt is not installed (pip install -e '.[test]')")

from pymarkdown.api import PyMarkdownApi  # noqa: E402


def lint(text: str) -> list[str]:
    """The linter's findings on ``text`` (empty when clean)."""
    api = (PyMarkdownApi().enable_extension_by_identifier("markdown-tables")
           .enable_extension_by_identifier("markdown-task-list-items"))
    api.set_integer_property("plugins.md013.line_length", 100)
    api.set_boolean_property("plugins.md013.tables", False)
    api.set_boolean_property("plugins.md013.code_blocks", False)
    result = api.scan_string(text)
    return [f"{f.line_number}:{f.column_number} {f.rule_id} {f.rule_description} {f.extra_error_information or ''}"
            for f in result.scan_failures] + [str(e) for e in result.pragma_errors]


def test_linter_catches_a_bad_document() -> None:
    rules = " ".join(lint("# one\n# two\n\n* item\n- other\n"))
    assert "md025" in rules.lower() or "md022" in rules.lower()


def test_deployment_md_passes_the_linter(example_case: Any) -> None:
    problems = lint(build(example_case).markdown)
    assert not problems, f"{example_case.label}: {problems[:20]}"


def test_comparison_md_passes_the_linter(cases: Any) -> None:
    from moorage.guide import guide_input
    from moorage.guide.markdown import to_markdown
    from moorage.guide.pages import comparison_document

    key = "examples/maestro/moorage.yml"
    envs = list(cases.loaded(key).spec.environments)
    doc = comparison_document([guide_input(cases.get(key, e).synth, key) for e in envs], {e: e for e in envs})
    assert lint(to_markdown(doc)) == []
