"""`moorage docs` and `moorage diagram` as users run them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moorage.guide import graphviz_available

if TYPE_CHECKING:
    from conftest import CliResult

Run = Callable[..., "CliResult"]


def test_docs_one_environment(run_cli: Run, repo_root: Path, tmp_path: Path) -> None:
    result = run_cli("docs", repo_root / "examples/hello/moorage.yml", "--env", "prod", "-o", tmp_path / "site")
    assert result.code == 0, result.err
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    md = (tmp_path / "site" / "DEPLOYMENT.md").read_text(encoding="utf-8")
    assert "hello prod: deployment guide" in page and md.startswith("# hello prod: deployment guide")
    assert "hello-prod-network" in md and "```mermaid" in md
    assert f"open {tmp_path / 'site' / 'index.html'}" in result.out


def test_docs_all_writes_a_page_per_environment_and_a_comparison(run_cli: Run, repo_root: Path,
                                                                 tmp_path: Path) -> None:
    result = run_cli("docs", repo_root / "examples/maestro/moorage.yml", "--all", "-o", tmp_path)
    assert result.code == 0, result.err
    for env in ("dev", "staging", "prod"):
        assert (tmp_path / env / "index.html").is_file() and (tmp_path / env / "DEPLOYMENT.md").is_file()
    comparison = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "environments compared" in comparison and 'href="prod/index.html"' in comparison


def test_docs_needs_an_environment_when_there_are_several(run_cli: Run, repo_root: Path, tmp_path: Path) -> None:
    result = run_cli("docs", repo_root / "examples/maestro/moorage.yml", "-o", tmp_path)
    assert result.code == 2
    assert "--env" in result.err and "--all" in result.err
    result = run_cli("docs", repo_root / "examples/maestro/moorage.yml", "--env", "qa", "-o", tmp_path)
    assert result.code == 2 and "unknown environment 'qa'" in result.err and "dev, staging, prod" in result.err


def test_diagram_mermaid_to_stdout(run_cli: Run, repo_root: Path) -> None:
    result = run_cli("diagram", repo_root / "examples/rupaya/moorage.yml", "--env", "prod", "--format", "mermaid")
    assert result.code == 0, result.err
    assert result.out.startswith("flowchart LR") and "-->|" in result.out


@pytest.mark.skipif(not graphviz_available(), reason="Graphviz is not installed: apt-get install graphviz")
@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_diagram_to_a_file(run_cli: Run, repo_root: Path, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"arch.{suffix}"
    result = run_cli("diagram", repo_root / "examples/macro-ai/moorage.yml", "--env", "prod", "-o", target)
    assert result.code == 0, result.err
    head = target.read_bytes()[:8]
    assert head.startswith(b"\x89PNG") if suffix == "png" else b"<" in head


def test_diagram_bad_file_name(run_cli: Run, repo_root: Path, tmp_path: Path) -> None:
    result = run_cli("diagram", repo_root / "examples/hello/moorage.yml", "--env", "dev", "-o", tmp_path / "a.gif")
    assert result.code == 2 and "a.gif" in result.err and "*.svg" in result.err
