"""Many templates: cfn-lint's rules load once and the templates spread over worker processes, same findings."""

from __future__ import annotations

import json
from pathlib import Path

from moorage.render import to_json
from moorage.validate import lint
from moorage.validate.lint import lint_directory, workers_for

BROKEN = {"AWSTemplateFormatVersion": "2010-09-09",
          "Resources": {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketNam": "x"}}}}
CLEAN = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}


def _directory(tmp_path: Path, count: int) -> Path:
    for i in range(count):
        (tmp_path / f"t{i:02}.json").write_text(to_json(BROKEN if i % 3 == 0 else CLEAN), encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps({"region": "eu-west-1", "stacks": []}), encoding="utf-8")
    return tmp_path


def test_workers_and_one_process_find_the_same(tmp_path: Path) -> None:
    target = _directory(tmp_path, 9)
    alone = lint_directory(target, workers=0)
    spread = lint_directory(target, workers=2)
    assert spread == alone
    assert {f.file for f in alone} == {str(tmp_path / f"t{i:02}.json") for i in (0, 3, 6)}
    assert all(f.rule.startswith("E") for f in alone)


def test_rules_load_once_per_region_set(tmp_path: Path) -> None:
    lint._runner.cache_clear()
    lint_directory(_directory(tmp_path, 4), workers=0)
    # loaded before the templates are checked, then reused by each of the 4
    assert lint._runner.cache_info().misses == 1 and lint._runner.cache_info().hits == 4


def test_few_templates_stay_in_one_process() -> None:
    assert workers_for(3) == 0
    assert workers_for(47) in (0, *range(2, 65))  # 0 only on a one-core machine
