"""Packaged YAML is read with libyaml for speed: it must read every packaged file as ruamel (YAML 1.2) does."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from moorage.data import package_yaml

FILES = sorted(Path(str(resources.files("moorage"))).rglob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_packaged_yaml_reads_the_same_with_libyaml_and_ruamel(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert package_yaml(text) == YAML(typ="safe").load(text)


def test_yaml_1_1_words_would_differ_so_the_check_above_can_fail() -> None:
    assert package_yaml("a: on") != YAML(typ="safe").load("a: on")
    assert len(FILES) >= 15
