"""YAML that remembers where every value came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from moorage.errors import InputError, Location
from moorage.spec.source import SourceMap, load_yaml, parse_yaml_text

TEXT = """\
name: demo
services:
  web:
    image: nginx:1.27
    port: 80
    uses:
      - db
      - cache
  api: {image: "api:1", port: 81}
databases:
  db: {}
base: &base
  cpu: 256
merged:
  <<: *base
  memory: 512
"""


def test_values_are_plain_python() -> None:
    data, _ = parse_yaml_text(TEXT, "m.yml")
    assert data["services"]["web"] == {"image": "nginx:1.27", "port": 80, "uses": ["db", "cache"]}
    assert type(data["services"]) is dict and type(data["services"]["web"]["uses"]) is list
    assert data["merged"] == {"cpu": 256, "memory": 512}


@pytest.mark.parametrize(("path", "line", "column"), [
    ((), 1, 1),
    (("name",), 1, 1),
    (("services",), 2, 1),
    (("services", "web"), 3, 3),
    (("services", "web", "image"), 4, 5),
    (("services", "web", "port"), 5, 5),
    (("services", "web", "uses", 0), 7, 9),
    (("services", "web", "uses", 1), 8, 9),
    (("services", "api"), 9, 3),
    (("services", "api", "port"), 9, 25),   # flow-style mappings are located too
    (("databases", "db"), 11, 3),
    (("merged", "memory"), 16, 3),
])
def test_line_and_column_of_each_key(path: tuple, line: int, column: int) -> None:
    _, smap = parse_yaml_text(TEXT, "m.yml")
    loc = smap.locate(path)
    assert (loc.file, loc.line, loc.column) == ("m.yml", line, column)
    assert loc.path == path


def test_locate_falls_back_to_the_nearest_located_ancestor() -> None:
    _, smap = parse_yaml_text(TEXT, "m.yml")
    loc = smap.locate(("services", "web", "scaling", "min"))  # not in the file: its parent is
    assert (loc.line, loc.column) == (3, 3)
    assert loc.path == ("services", "web", "scaling", "min")  # but the key named is the one asked about
    assert loc.key == "services.web.scaling.min"
    assert smap.locate(("nowhere", "at", "all")).line == 1  # root


def test_locate_without_positions_names_the_file() -> None:
    smap = SourceMap(default_file="x.yml")
    loc = smap.locate(("a", 0, "b"))
    assert (loc.file, loc.line) == ("x.yml", 0)
    assert loc.key == "a[0].b"
    assert str(loc) == "x.yml"


def test_add_keeps_the_first_location_and_graft_moves_a_subtree() -> None:
    smap = SourceMap("a.yml")
    smap.add(("k",), Location("a.yml", 3))
    smap.add(("k",), Location("a.yml", 9))
    assert smap.locate(("k",)).line == 3
    other = SourceMap("b.yml", {("env", "prod", "services", "web", "cpu"): Location("b.yml", 12, 7)})
    smap.graft(other, ("env", "prod"), ())
    assert smap.locate(("services", "web", "cpu")).line == 12
    assert smap.locate(("services", "web", "cpu")).file == "b.yml"


def test_location_text() -> None:
    assert str(Location("f.yml", 4, 7, ("services", "web"))) == "f.yml:4:7"
    assert str(Location("f.yml", 4)) == "f.yml:4"


@pytest.mark.parametrize(("text", "line", "words"), [
    ("name: demo\nservices:\n  web: {image: x\n  port: 3\n", 4, "malformed YAML"),
    ("name: demo\nservices:\n\tweb: {}\n", 3, "malformed YAML"),
    ("name: demo\nname: again\n", 2, "duplicate key"),
    ('name: "demo\nservices: {}\n', 3, "malformed YAML"),
])
def test_malformed_yaml_is_located(text: str, line: int, words: str) -> None:
    with pytest.raises(InputError) as info:
        parse_yaml_text(text, "bad.yml")
    [diag] = info.value.diagnostics
    assert diag.location is not None and diag.location.file == "bad.yml"
    assert diag.location.line == line
    assert words in diag.message
    assert diag.hint


def test_load_yaml_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_yaml(tmp_path / "nope.yml")
    assert "file not found" in str(info.value)


def test_load_yaml_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "m.yml"
    path.write_text(TEXT, encoding="utf-8")
    data, smap = load_yaml(path)
    assert data["name"] == "demo"
    assert smap.locate(("services", "web", "port")) == Location(str(path), 5, 5, ("services", "web", "port"))
