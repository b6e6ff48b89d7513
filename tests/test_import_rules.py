"""The import rules of docs/architecture.md hold: the import-linter contracts in pyproject.toml are kept,
and every package of moorage has its place in the layers (a new one cannot slip past them)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
PACKAGE = ROOT / "src" / "moorage"


def _config() -> dict:  # type: ignore[type-arg]
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]


def test_the_import_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    lint = pytest.importorskip("importlinter.cli", reason="import-linter is not installed (pip install -e .[test])")
    code = lint.lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, out
    assert "0 broken" in out and "5 kept" in out  # every contract ran


def test_every_package_has_a_layer() -> None:
    (layers,) = [c["layers"] for c in _config()["contracts"] if c["type"] == "layers"]
    placed = {name.strip() for layer in layers for name in layer.split("|")}
    modules = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
               if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    assert modules - placed == set(), "give each new module of moorage a layer in pyproject.toml"
    assert placed - modules == set()


def test_contracts_name_the_layers_in_data_flow_order() -> None:
    (layers,) = [c["layers"] for c in _config()["contracts"] if c["type"] == "layers"]
    order = [name.strip() for layer in layers for name in layer.split("|")]
    flow = ["cli", "api", "guide", "cost", "render", "plan", "resolve", "spec"]
    assert sorted(flow, key=order.index) == flow
