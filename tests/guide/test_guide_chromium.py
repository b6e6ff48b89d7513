"""The HTML guide rendered in headless Chromium: screenshots kept in the test's output folder, no console
error, no network request, and nothing wider than the viewport on a phone or a laptop."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from guide_helpers import spec_of

from moorage.guide import graphviz_available, guide_input, write_guide, write_site

BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="Chromium is not installed: apt-get install chromium")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--disable-extensions"]

# Injected into a copy of the page (the page itself has no script): records errors, resource requests and
# the layout width, and posts them to the frame around it, which writes them into the DOM --dump-dom prints.
# The frame gives the page an exact viewport width (a headless window is at least 500 px wide).
PROBE = """<script>
window.__problems = [];
window.addEventListener("error", e => __problems.push("error: " + (e.message || (e.target && e.target.outerHTML))),
  true);
for (const level of ["error", "warn"]) {
  const orig = console[level];
  console[level] = (...a) => { __problems.push(level + ": " + a.join(" ")); orig.apply(console, a); };
}
window.addEventListener("load", () => {
  const d = document.documentElement;
  const wide = [...document.querySelectorAll("body *")].filter(el => el.getBoundingClientRect().right >
    window.innerWidth + 1 && !el.closest(".table-wrap, figure.diagram, pre")).slice(0, 5).map(el => el.tagName +
    "." + el.className);
  parent.postMessage(JSON.stringify({scrollWidth: d.scrollWidth, innerWidth: window.innerWidth,
    problems: __problems, wide: wide, resources: performance.getEntriesByType("resource").map(e => e.name)}), "*");
});
</script>"""

FRAME = """<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe src="{src}" style="width:{width}px;height:1000px;border:0"></iframe>
<script>window.addEventListener("message", e => {{ const out = document.createElement("pre");
out.id = "moorage-probe"; out.textContent = e.data; document.body.appendChild(out); }});</script></body></html>"""


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium with a fresh profile directory."""
    assert BROWSER is not None
    return subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True,
                          timeout=120)


def probe(page: Path, width: int, tmp: Path) -> dict[str, Any]:
    """Load an instrumented copy of ``page`` at ``width`` px and return what the probe saw."""
    copy = page.with_name(f"probe-{width}-{page.name}")
    copy.write_text(page.read_text(encoding="utf-8").replace("<head>", "<head>" + PROBE, 1), encoding="utf-8")
    frame = page.with_name(f"frame-{width}-{page.name}")
    frame.write_text(FRAME.format(src=copy.name, width=width), encoding="utf-8")
    done = chromium("--dump-dom", "--virtual-time-budget=5000", f"--window-size={width + 200},1100",
                    frame.as_uri(), profile=tmp / f"profile-probe-{width}-{page.stem}")
    copy.unlink()
    frame.unlink()
    found = re.search(r'<pre id="moorage-probe">(.*?)</pre>', done.stdout, flags=re.S)
    assert found, f"the page did not load: {done.stderr[-2000:]}"
    data: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return data


def screenshot(page: Path, width: int, tmp: Path) -> Path:
    """A screenshot of the page's top at ``width`` px, saved next to the test's output."""
    shot = tmp / f"screenshot-{page.parent.name}-{page.stem}-{width}.png"
    done = chromium(f"--screenshot={shot}", f"--window-size={width},2000", page.as_uri(),
                    profile=tmp / f"profile-shot-{width}-{page.stem}")
    assert shot.is_file() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    return shot


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, cases: Any) -> Path:
    """smartboard's guides (every environment and the comparison) and cma's prod guide."""
    out = tmp_path_factory.mktemp("guide-html")
    key = "examples/smartboard/docker-compose.yml"
    envs = list(cases.loaded(key).spec.environments)
    write_site([guide_input(cases.get(key, e).synth, spec_of(cases.get(key, e))) for e in envs], out / "smartboard")
    cma = cases.get("examples/cma/moorage.yml", "prod")
    write_guide(guide_input(cma.synth, spec_of(cma)), out / "cma")
    return out


@pytest.mark.parametrize("page", ["smartboard/prod/index.html", "smartboard/index.html", "cma/index.html"])
@pytest.mark.parametrize("width", [390, 1280])
def test_page_renders_cleanly(site: Path, page: str, width: int) -> None:
    path = site / page
    seen = probe(path, width, site)
    assert seen["innerWidth"] == width
    assert seen["problems"] == [], f"console errors: {seen['problems']}"
    assert seen["resources"] == [], f"the page fetched: {seen['resources']}"
    assert seen["scrollWidth"] <= seen["innerWidth"], f"content wider than the viewport: {seen}"
    assert seen["wide"] == [], f"elements past the right edge: {seen['wide']}"
    shot = screenshot(path, width, site)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_probe_catches_a_wide_page_and_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.html"
    bad.write_text('<!doctype html><html><head><meta name="viewport" content="width=device-width"></head><body>'
                   '<div style="width:2000px">wide</div><img src="missing.png">'
                   "<script>console.error('boom')</script></body></html>", encoding="utf-8")
    seen = probe(bad, 390, tmp_path)
    assert seen["scrollWidth"] > seen["innerWidth"]
    assert any("boom" in p for p in seen["problems"])


@pytest.mark.skipif(not graphviz_available(), reason="Graphviz is not installed: apt-get install graphviz")
def test_page_inlines_the_drawn_diagram(site: Path) -> None:
    page = (site / "smartboard" / "prod" / "index.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 1 and 'class="node"' in page


def test_page_prints_to_pdf(site: Path) -> None:
    pdf = site / "smartboard-prod.pdf"
    done = chromium(f"--print-to-pdf={pdf}", "--no-pdf-header-footer", (site / "smartboard/prod/index.html").as_uri(),
                    profile=site / "profile-pdf")
    assert pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-", done.stderr[-2000:]
    assert pdf.stat().st_size > 50_000
