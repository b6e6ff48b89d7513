"""The deployment guide and the architecture diagram: written from the plan, the templates and the reports.

    from moorage.guide import guide_input, write_guide
    write_guide(guide_input(api.synth_environment(loaded, "prod"), "moorage.yml"), Path("site"))

``site/index.html`` is one self-contained page (inline CSS and SVG); ``site/DEPLOYMENT.md`` the same
guide in Markdown with the diagram as Mermaid. ``write_site`` adds a comparison page for several
environments.
"""

from __future__ import annotations

from pathlib import Path

from moorage.guide.diagram import Diagram, diagram_of
from moorage.guide.html import to_html
from moorage.guide.image import graphviz_available, render_image, write_image
from moorage.guide.inputs import GuideInput, guide_input
from moorage.guide.markdown import to_markdown
from moorage.guide.mermaid import to_mermaid
from moorage.guide.pages import comparison_document, environment_document

__all__ = ["Diagram", "GuideInput", "diagram_of", "graphviz_available", "guide_input", "render_image",
           "to_mermaid", "write_guide", "write_image", "write_site"]


def write_guide(gi: GuideInput, out_dir: Path, *, draw: bool = True) -> list[Path]:
    """Write ``index.html`` and ``DEPLOYMENT.md`` of one environment into ``out_dir``."""
    doc = environment_document(gi, draw=draw)
    out_dir.mkdir(parents=True, exist_ok=True)
    html, md = out_dir / "index.html", out_dir / "DEPLOYMENT.md"
    html.write_text(to_html(doc), encoding="utf-8")
    md.write_text(to_markdown(doc), encoding="utf-8")
    return [html, md]


def write_site(inputs: list[GuideInput], out_dir: Path, *, draw: bool = True) -> list[Path]:
    """One folder per environment and a comparison page (``index.html``, ``COMPARISON.md``) above them."""
    written: list[Path] = []
    links = {gi.plan.env.env: gi.plan.env.env for gi in inputs}
    for gi in inputs:
        written += write_guide(gi, out_dir / links[gi.plan.env.env], draw=draw)
    doc = comparison_document(inputs, links)
    (out_dir / "index.html").write_text(to_html(doc), encoding="utf-8")
    (out_dir / "COMPARISON.md").write_text(to_markdown(doc), encoding="utf-8")
    return [out_dir / "index.html", out_dir / "COMPARISON.md", *written]
