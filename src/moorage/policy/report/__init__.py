"""Reports of a check: a terminal table, JSON, SARIF 2.1.0, JUnit XML and Markdown.

Every format but the table is a string, built from the :class:`~moorage.policy.findings.Report`
data alone, so other tools (the deployment guide, CI) can build their own from the same data.
"""

from __future__ import annotations

from moorage.policy.report.json import to_json
from moorage.policy.report.junit import to_junit
from moorage.policy.report.markdown import to_markdown
from moorage.policy.report.sarif import to_sarif
from moorage.policy.report.text import print_table

FORMATS = ("table", "json", "sarif", "junit", "markdown")

__all__ = ["FORMATS", "print_table", "to_json", "to_junit", "to_markdown", "to_sarif"]
