"""Document -> one self-contained HTML page: inline CSS, the diagram as inline SVG, no script, no fetches."""

from __future__ import annotations

import re
from html import escape

from moorage import __version__
from moorage.guide.document import Bullets, Checklist, Code, Document, Figure, Para, Section, Table, inline_parts

CSS = """
:root { --ink:#1f2933; --muted:#52606d; --line:#d9e2ec; --bg:#ffffff; --soft:#f5f7fa; --accent:#0b5cad;
  --ok:#1b7f3b; --bad:#b42318; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: var(--bg); line-height: 1.5;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header.top { padding: 1.4rem 1.25rem 1rem; border-bottom: 1px solid var(--line); background: var(--soft); }
header.top h1 { margin: 0 0 .3rem; font-size: 1.6rem; line-height: 1.25; }
header.top p { margin: .2rem 0; color: var(--muted); max-width: 70rem; }
header.top nav a { margin-right: 1rem; }
.layout { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0; max-width: 92rem; margin: 0 auto; }
nav.toc { padding: 1rem 1.25rem; border-bottom: 1px solid var(--line); font-size: .92rem; }
nav.toc h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted);
  margin: 0 0 .4rem; }
nav.toc ol { margin: 0; padding-left: 1.1rem; }
nav.toc ol ol { padding-left: 1rem; }
nav.toc li { margin: .15rem 0; overflow-wrap: anywhere; }
main { min-width: 0; padding: .5rem 1.25rem 3rem; }
main li, main p { overflow-wrap: anywhere; }  /* long paths in warnings */
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
section { scroll-margin-top: 1rem; }
h2 { font-size: 1.35rem; margin: 2.2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 2px solid var(--line); }
h3 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
h4 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
p { margin: .5rem 0; max-width: 75rem; }
code { font: .88em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--soft);
  padding: .05em .3em; border-radius: 3px; overflow-wrap: break-word; }
pre { background: #0f172a; color: #e2e8f0; padding: .8rem 1rem; border-radius: 6px; overflow-x: auto;
  font: .84rem/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; max-width: 100%; }
code.nw { white-space: nowrap; }
pre code { background: none; padding: 0; color: inherit; overflow-wrap: normal; }
.table-wrap { overflow-x: auto; max-width: 100%; margin: .6rem 0 1rem; border: 1px solid var(--line);
  border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; vertical-align: top; padding: .4rem .6rem; border-bottom: 1px solid var(--line); }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
tr:last-child td { border-bottom: 0; }
table.matrix th, table.matrix td { text-align: center; white-space: nowrap; padding: .3rem .45rem; }
table.matrix td:first-child, table.matrix th:first-child { text-align: left; }
ul.checklist { list-style: none; padding-left: 0; }
ul.checklist li { padding: .25rem 0 .25rem 1.8rem; position: relative; }
ul.checklist li::before { position: absolute; left: .2rem; font-weight: 700; }
ul.checklist li.pass::before { content: "\\2713"; color: var(--ok); }
ul.checklist li.fail::before { content: "\\2717"; color: var(--bad); }
ul.checklist li.open::before { content: "\\25CB"; color: var(--muted); }
figure.diagram { margin: 1rem 0; border: 1px solid var(--line); border-radius: 6px; padding: .5rem;
  overflow-x: auto; max-width: 100%; background: #fff; }
figure.diagram svg { display: block; width: 100%; min-width: 640px; height: auto; }
figure.diagram figcaption { color: var(--muted); font-size: .85rem; margin-top: .4rem; }
details.mermaid summary { cursor: pointer; color: var(--muted); font-size: .9rem; }
footer { color: var(--muted); font-size: .85rem; padding: 1rem 1.25rem 2rem; border-top: 1px solid var(--line); }
@media (max-width: 999px) {
  nav.toc ol ol { display: none; }
  nav.toc ol { columns: 2; column-gap: 1.5rem; }
}
@media (min-width: 1000px) {
  .layout { grid-template-columns: 16rem minmax(0, 1fr); }
  nav.toc { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow-y: auto;
    border-bottom: 0; border-right: 1px solid var(--line); padding-top: 1.5rem; }
  main { padding: .5rem 2rem 3rem; }
}
@media print {
  body { font-size: 11pt; }
  nav.toc, details.mermaid { display: none; }
  .layout { display: block; }
  header.top { background: none; }
  pre { white-space: pre-wrap; background: #f5f7fa; color: #111; border: 1px solid #ccc; }
  .table-wrap, figure.diagram { overflow: visible; border: 0; }
  figure.diagram svg { min-width: 0; }
  h2, h3 { break-after: avoid; }
  tr, pre, li { break-inside: avoid; }
  a { color: inherit; }
}
"""


def html_inline(text: str) -> str:
    """HTML of inline text: code spans as <code>, everything escaped."""
    # Short names stay on one line (a service called svc-auth should not break at its hyphen).
    return "".join((f'<code class="nw">{escape(p)}</code>' if len(p) <= 24 and " " not in p else
                    f"<code>{escape(p)}</code>") if code else escape(p) for code, p in inline_parts(text))


def _svg_inline(svg: str) -> str:
    # Drop the XML prolog and the fixed size: the page scales the drawing to its column.
    svg = re.sub(r"^.*?(<svg\b)", r"\1", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    head = re.match(r"<svg\b[^>]*>", svg)
    if not head:
        return svg
    tag = re.sub(r'\s(?:width|height)="[^"]*"', "", head.group(0))
    tag = tag.replace("<svg ", '<svg role="img" aria-label="architecture diagram" ', 1)
    return tag + svg[head.end():]


def _block(block: object) -> str:
    if isinstance(block, Para):
        return f"<p>{html_inline(block.text)}</p>"
    if isinstance(block, Table):
        cls = ' class="matrix"' if block.matrix else ""
        head = "".join(f'<th scope="col">{html_inline(h)}</th>' for h in block.headers)
        body = "".join("<tr>" + "".join(f"<td>{html_inline(c)}</td>" for c in row) + "</tr>" for row in block.rows)
        return f'<div class="table-wrap"><table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{html_inline(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, Checklist):
        items = "".join(f'<li class="{state}">{html_inline(t)}</li>' for state, t in block.items)
        return f'<ul class="checklist">{items}</ul>'
    if isinstance(block, Code):
        return f"<pre><code>{escape(block.text.rstrip())}</code></pre>"
    if isinstance(block, Figure):
        caption = f"<figcaption>{html_inline(block.note)}</figcaption>" if block.note else ""
        drawing = _svg_inline(block.svg) if block.svg else ""
        source = (f'<details class="mermaid"><summary>Mermaid source of this diagram</summary>'
                  f"<pre><code>{escape(block.mermaid.rstrip())}</code></pre></details>")
        if not drawing:
            return f'<figure class="diagram">{caption}<pre><code>{escape(block.mermaid.rstrip())}</code></pre></figure>'
        return f'<figure class="diagram">{drawing}{caption}</figure>{source}'
    raise TypeError(type(block).__name__)


def _section(s: Section, depth: int) -> str:
    level = min(depth + 1, 6)
    inner = "".join(_block(b) for b in s.blocks) + "".join(_section(c, depth + 1) for c in s.sections)
    return f'<section id="{escape(s.id)}"><h{level}>{html_inline(s.title)}</h{level}>{inner}</section>'


def _toc(sections: list[Section], depth: int = 1) -> str:
    if not sections or depth > 2:
        return ""
    items = "".join(f'<li><a href="#{escape(s.id)}">{html_inline(s.title)}</a>{_toc(s.sections, depth + 1)}</li>'
                    for s in sections)
    return f"<ol>{items}</ol>"


def to_html(doc: Document) -> str:
    """The whole document as one HTML page (deterministic: no dates, no random ids)."""
    links = ""
    if doc.links:
        links = "".join(f'<a href="{escape(h)}">{html_inline(label)}</a>' for label, h in doc.links)
        links = f"<nav>{links}</nav>"
    body = "".join(_section(s, 1) for s in doc.sections)
    return (
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<meta name=\"generator\" content=\"moorage {__version__}\">\n"
        f"<title>{escape(doc.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<header class="top"><h1>{html_inline(doc.title)}</h1><p>{html_inline(doc.summary)}</p>{links}</header>\n'
        f'<div class="layout"><nav class="toc" aria-label="Contents"><h2>Contents</h2>{_toc(doc.sections)}</nav>\n'
        f"<main>{body}</main></div>\n"
        f"<footer>Generated by moorage {escape(__version__)} from the plan, the CloudFormation templates, the cost "
        "estimate and the policy check. Regenerate it with <code>moorage docs</code>; edits by hand are lost."
        "</footer>\n"
        "</body>\n</html>\n"
    )
