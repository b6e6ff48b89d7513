"""Diagram -> Mermaid flowchart text (needs nothing installed; GitHub renders it inside Markdown)."""

from __future__ import annotations

from moorage.guide.diagram import Diagram, Node

_SHAPES = {"database": ('[("', '")]'), "cache": ('[("', '")]'), "bucket": ('[("', '")]'),
           "users": ('(["', '"])'), "dns": ('(["', '"])'), "cdn": ('(["', '"])')}


def _text(value: str) -> str:
    # Mermaid labels are quoted; these characters would end or confuse them.
    return value.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _node(node: Node) -> str:
    start, end = _SHAPES.get(node.kind, ('["', '"]'))
    label = _text(node.label) + (f"<br/>{_text(node.detail)}" if node.detail else "")
    return f"{node.id}{start}{label}{end}"


def to_mermaid(diagram: Diagram) -> str:
    """Mermaid ``flowchart LR`` text: clusters as subgraphs, ``uses`` arrows labelled with port and protocol."""
    lines = ["flowchart LR"]

    def emit(cluster: str | None, depth: int) -> None:
        clusters, nodes = diagram.children(cluster)
        pad = "  " * depth
        for node in nodes:
            lines.append(pad + _node(node))
        for sub in clusters:
            lines.append(f'{pad}subgraph {sub.id}["{_text(sub.label)}"]')
            emit(sub.id, depth + 1)
            lines.append(pad + "end")

    emit(None, 1)
    for e in diagram.edges:
        arrow = "-.->" if e.label == "filters" else "-->"
        lines.append(f'  {e.source} {arrow}|"{_text(e.label)}"| {e.target}')
    return "\n".join(lines) + "\n"
