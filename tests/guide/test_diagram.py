"""The diagram: a node per service and data store, an arrow per `uses`, the same picture every time;
SVG and PNG through Graphviz, Mermaid without it."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from moorage.errors import InputError
from moorage.guide import diagram_of, graphviz_available, render_image, to_mermaid
from moorage.guide.diagram import node_id, target_id

needs_graphviz = pytest.mark.skipif(not graphviz_available(), reason="Graphviz (`dot`) is not installed: "
                                    "apt-get install graphviz")
SVG = "{http://www.w3.org/2000/svg}"


def expected(plan: Any) -> tuple[set[str], set[tuple[str, str]]]:
    """Node ids of every service and data store, and (source, target) of every `uses`."""
    nodes = {node_id("svc", n) for n in plan.services} | {node_id("db", n) for n in plan.databases}
    nodes |= {node_id("cache", n) for n in plan.caches} | {node_id("bucket", n) for n in plan.buckets}
    edges = {(node_id("svc", n), target_id(plan, u)) for n, sp in plan.services.items() for u in sp.spec.uses}
    assert None not in {t for _, t in edges}, "a `uses` entry the diagram cannot place"
    return nodes, {(s, str(t)) for s, t in edges}


def svg_graph(svg: bytes) -> tuple[set[str], set[tuple[str, str]]]:
    """Node ids and edges of a Graphviz SVG (each drawn group has a <title>)."""
    root = ET.fromstring(svg)
    nodes, edges = set(), set()
    for g in root.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        if title is None or title.text is None:
            continue
        if g.get("class") == "node":
            nodes.add(title.text)
        elif g.get("class") == "edge":
            src, _, dst = title.text.partition("->")
            edges.add((src, dst))
    return nodes, edges


def test_mermaid_has_every_node_and_uses_arrow(case: Any) -> None:
    plan = case.synth.plan
    text = to_mermaid(diagram_of(plan))
    nodes, edges = expected(plan)
    assert text.startswith("flowchart LR\n")
    declared = {line.strip().split("[")[0].split("(")[0] for line in text.splitlines()[1:]
                if not line.strip().startswith(("subgraph", "end")) and "-->" not in line and "-.->" not in line}
    assert nodes <= declared, sorted(nodes - declared)
    for s, t in edges:
        assert any(line.startswith(f"  {s} -->|") and line.endswith(f"| {t}") for line in text.splitlines())


@needs_graphviz
def test_svg_has_a_node_per_service_and_store_and_an_edge_per_uses(case: Any) -> None:
    plan = case.synth.plan
    nodes, edges = svg_graph(render_image(diagram_of(plan), "svg"))
    want_nodes, want_edges = expected(plan)
    assert want_nodes <= nodes, f"{case.label}: missing nodes {sorted(want_nodes - nodes)}"
    assert want_edges <= edges, f"{case.label}: missing arrows {sorted(want_edges - edges)}"


@needs_graphviz
def test_svg_is_self_contained_and_stable(cases: Any) -> None:
    plan = cases.get("examples/smartboard/docker-compose.yml", "prod").synth.plan
    first = render_image(diagram_of(plan), "svg")
    assert first == render_image(diagram_of(plan), "svg"), "the same plan drew two different pictures"
    text = first.decode()
    assert "data:image/png;base64," in text and ".png\"" not in text, "icons must be embedded"
    labels = " ".join(t.text or "" for t in ET.fromstring(first).iter(f"{SVG}text"))
    for route in ("/api/*", "/*"):
        assert route in labels
    assert "TCP 5432" in labels and "HTTPS 443" in labels


@needs_graphviz
def test_png_renders(cases: Any) -> None:
    plan = cases.get("examples/hello/moorage.yml", "prod").synth.plan
    data = render_image(diagram_of(plan), "png")
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_diagram_groups_and_regions(cases: Any) -> None:
    d = diagram_of(cases.get("examples/cma/moorage.yml", "prod").synth.plan)
    labels = {c.label for c in d.clusters}
    assert {"public services", "workers", "jobs"} <= labels
    assert any(label.startswith("global edge") for label in labels), "the CloudFront piece has its own region"
    assert any(label.startswith("isolated subnets") for label in labels)
    maestro = diagram_of(cases.get("examples/maestro/moorage.yml", "prod").synth.plan)
    budget = maestro.node("budget")
    assert budget.cluster == "budget_region", "maestro's budget lives in us-east-1"


def test_without_graphviz_svg_fails_clearly_and_mermaid_works(cases: Any, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    plan = cases.get("examples/hello/moorage.yml", "dev").synth.plan
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InputError) as err:
        render_image(diagram_of(plan), "svg")
    assert "graphviz" in (err.value.diagnostics[0].hint or "")
    assert to_mermaid(diagram_of(plan)).startswith("flowchart")


def test_cli_without_graphviz(repo_root: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}
    spec = str(repo_root / "examples/hello/moorage.yml")
    run = [sys.executable, "-m", "moorage.cli.app"]
    svg = subprocess.run([*run, "diagram", spec, "--env", "dev", "-o", str(tmp_path / "a.svg")], env=env,
                         capture_output=True, text=True, timeout=120)
    assert svg.returncode == 2 and "apt-get install graphviz" in svg.stderr, svg.stderr
    mermaid = subprocess.run([*run, "diagram", spec, "--env", "dev", "--format", "mermaid"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert mermaid.returncode == 0 and mermaid.stdout.startswith("flowchart LR"), mermaid.stderr
    docs = subprocess.run([*run, "docs", spec, "--env", "dev", "-o", str(tmp_path / "site")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert docs.returncode == 0, docs.stderr
    assert "graphviz" in docs.stderr.lower()
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "<svg" not in page and "flowchart LR" in page
