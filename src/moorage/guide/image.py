"""Diagram -> SVG or PNG through the `diagrams` package (AWS icons) and Graphviz's ``dot``.

Icons are embedded in the SVG as data URIs, so the file is self-contained (the HTML page inlines it)
and does not depend on where Python is installed. Node ids are the diagram's own stable ids (the
`diagrams` package would otherwise draw random ones), so the same plan gives the same picture.
"""

from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path
from typing import Any

from moorage.errors import Diagnostic, InputError
from moorage.guide.diagram import Diagram

FORMATS = ("svg", "png")
GRAPHVIZ_HINT = "install the system package `graphviz` (Debian/Ubuntu: apt-get install graphviz; " \
                "macOS: brew install graphviz), or use --format mermaid, which needs nothing installed"


def _icons() -> dict[str, Any]:
    from diagrams.aws import compute, cost, database, general, integration, management, network, security, storage

    return {
        "users": general.Users, "dns": network.Route53, "cdn": network.CloudFront, "waf": security.WAF,
        "alb": network.ALB, "nat": network.NATGateway, "service": compute.Fargate, "database": database.RDS,
        "cache": database.ElasticacheForRedis, "bucket": storage.S3, "user_pool": security.Cognito,
        "secrets": security.SecretsManager, "alarms": management.Cloudwatch, "budget": cost.Budgets,
        "topic": integration.SNS,
    }


def graphviz_available() -> bool:
    """True when Graphviz's ``dot`` is on the PATH."""
    return shutil.which("dot") is not None


def _missing() -> InputError:
    return InputError([Diagnostic("error", "SVG and PNG diagrams need Graphviz (`dot` is not on the PATH)", None,
                                  GRAPHVIZ_HINT)])


def render_image(diagram: Diagram, fmt: str = "svg") -> bytes:
    """The diagram drawn as ``svg`` or ``png`` bytes; an InputError naming the package when Graphviz is absent."""
    if fmt not in FORMATS:
        raise InputError([Diagnostic("error", f"unknown diagram format '{fmt}'", None,
                                     "use svg, png or mermaid")])
    if not graphviz_available():
        raise _missing()
    import diagrams
    from diagrams import Cluster, Edge

    icons = _icons()
    canvas = diagrams.Diagram(diagram.title, show=False, direction="LR", outformat=fmt,
                              graph_attr={"pad": "0.3", "splines": "spline", "nodesep": "0.5", "ranksep": "1.1",
                                          "fontsize": "18"},
                              node_attr={"fontsize": "12"}, edge_attr={"fontsize": "10", "color": "#4b5563"})
    drawn: dict[str, Any] = {}
    diagrams.setdiagram(canvas)
    try:
        def emit(cluster: str | None) -> None:
            clusters, nodes = diagram.children(cluster)
            for node in nodes:
                label = node.label + (f"\n{node.detail}" if node.detail else "")
                drawn[node.id] = icons[node.kind](label, nodeid=node.id)
            for sub in clusters:
                with Cluster(sub.label):
                    emit(sub.id)

        emit(None)
        for e in diagram.edges:
            style = "dashed" if not e.uses and e.label == "filters" else ""
            drawn[e.source] >> Edge(label=e.label, style=style) >> drawn[e.target]
        try:
            data: bytes = canvas.dot.pipe(format=fmt, quiet=True)
        except Exception as exc:  # graphviz.ExecutableNotFound, or dot failing on a broken install
            if type(exc).__name__ == "ExecutableNotFound":
                raise _missing() from exc
            raise
    finally:
        diagrams.setdiagram(None)
    return _inline_icons(data) if fmt == "svg" else data


def _inline_icons(svg: bytes) -> bytes:
    # Each icon is defined once (<defs>) and placed with <use>: nine services share one Fargate icon.
    text = svg.decode("utf-8")
    defs: dict[tuple[str, str, str], str] = {}

    def place(match: re.Match[str]) -> str:
        attrs = dict(re.findall(r'([\w:-]+)="([^"]*)"', match.group(0)))
        href = attrs.get("xlink:href") or attrs.get("href", "")
        file = Path(href)
        if not file.is_file():
            return match.group(0)
        key = (href, attrs.get("width", ""), attrs.get("height", ""))
        if key not in defs:
            data = base64.b64encode(file.read_bytes()).decode("ascii")
            defs[key] = (f'<image id="moorage-icon-{len(defs) + 1}" width="{key[1]}" height="{key[2]}" '
                         f'preserveAspectRatio="xMinYMin meet" xlink:href="data:image/png;base64,{data}"/>')
        icon = f"moorage-icon-{list(defs).index(key) + 1}"
        return f'<use xlink:href="#{icon}" x="{attrs.get("x", "0")}" y="{attrs.get("y", "0")}"/>'

    text = re.sub(r"<image [^>]*/>", place, text)
    if defs:
        text = re.sub(r"(<svg [^>]*>)", lambda m: m.group(1) + "\n<defs>" + "".join(defs.values()) + "</defs>",
                      text, count=1)
    return text.encode("utf-8")


def write_image(diagram: Diagram, path: Path) -> Path:
    """Write the diagram to ``path``; the suffix (.svg or .png) picks the format."""
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise InputError([Diagnostic("error", f"cannot tell the diagram format of {path}", None,
                                     "name the file *.svg or *.png, or use --format mermaid")])
    data = render_image(diagram, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
