"""A value that does not match a field's pattern is told what is expected, in words and with an example: the user
never sees a regular expression."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from moorage.errors import Diagnostic
from moorage.spec.models import PATTERN_FORMS, AppSpec

SPEC = Callable[..., tuple[Path, list[Diagnostic]]]

BASE = """
name: demo
services:
  web: {image: x:1, port: 80, route: /}
"""


def _patterns(node: object) -> set[str]:
    if isinstance(node, dict):
        found = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
        return found.union(*(_patterns(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_patterns(v) for v in node))
    return set()


def test_every_pattern_of_the_spec_has_words_and_a_matching_example() -> None:
    patterns = _patterns(json.loads(json.dumps(AppSpec.model_json_schema())))
    assert patterns, "the schema has patterns"
    assert sorted(p for p in patterns if p not in PATTERN_FORMS) == []
    for pattern, (what, example) in PATTERN_FORMS.items():
        assert what and re.search(pattern, example), f"{example!r} does not match {pattern}"


@pytest.mark.parametrize(("extra", "path", "words", "example"), [
    ("secrets:\n  TOKEN: {rotate_days: 30, rotation_function: rotate-token}\n",
     ("secrets", "TOKEN", "rotation_function"), "is not the ARN of a Lambda function",
     "arn:aws:lambda:eu-west-1:123456789012:function:"),
    ("secrets:\n  TOKEN: {rotate_days: 30, rotation_function: 'arn:aws:lambda:eu-west-1:1234:function:x'}\n",
     ("secrets", "TOKEN", "rotation_function"), "arn:aws:lambda:REGION:ACCOUNT:function:NAME", "123456789012"),
    ("alarms: {topic_arn: ops-alarms}\n", ("alarms", "topic_arn"), "is not the ARN of an SNS topic", "arn:aws:sns:"),
    ("domain: {name: example.com, zone_id: zz}\n", ("domain", "zone_id"), "Route 53 hosted zone id", "Z0123"),
])
def test_a_pattern_mismatch_is_said_in_words(input_errors: SPEC, extra: str, path: tuple, words: str,
                                             example: str) -> None:
    spec, diags = input_errors(BASE + extra)
    [diag] = diags  # one error: no "should be a valid string" from the other branch of `domain: str | Domain`
    assert diag.location is not None and diag.location.path == path and diag.location.line > 1
    assert diag.location.file == str(spec)
    assert words in diag.message and "pattern" not in diag.message and "^" not in diag.message
    assert example in diag.hint
