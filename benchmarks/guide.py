"""Benchmark: the deployment guide of every example's prod environment.

Run: .venv/bin/python benchmarks/guide.py [--repeat N]
Prints median wall-clock times of each stage: cost + policy check (the guide's inputs), the diagram drawn
by Graphviz, and the whole guide written (Markdown and HTML); plus the page sizes.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

from moorage import api
from moorage.guide import diagram_of, graphviz_available, guide_input, render_image, write_guide

ROOT = Path(__file__).resolve().parents[1]


def examples() -> list[Path]:
    """Every example spec in the repository."""
    found = []
    for d in sorted((ROOT / "examples").iterdir()):
        for name in ("moorage.yml", "docker-compose.yml", "compose.yaml"):
            if (d / name).is_file():
                found.append(d / name)
                break
    return found


def median_ms(fn: object, repeat: int) -> float:
    """Median wall-clock milliseconds of ``fn()``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}, "
          f"graphviz: {'yes' if graphviz_available() else 'no'}")
    print(f"{'example':<12} {'inputs ms':>9} {'svg ms':>7} {'guide ms':>9} {'html KB':>8} {'md KB':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for spec in examples():
            loaded = api.load_app(spec)
            synth = api.synth_environment(loaded, "prod")
            inputs_ms = median_ms(lambda s=synth: guide_input(s, "moorage.yml"), args.repeat)
            gi = guide_input(synth, "moorage.yml")
            svg_ms = median_ms(lambda g=gi: render_image(diagram_of(g.plan), "svg"), args.repeat) \
                if graphviz_available() else float("nan")
            out = Path(tmp) / spec.parent.name
            guide_ms = median_ms(lambda o=out, g=gi: write_guide(g, o), args.repeat)
            html_kb = (out / "index.html").stat().st_size / 1024
            md_kb = (out / "DEPLOYMENT.md").stat().st_size / 1024
            print(f"{spec.parent.name:<12} {inputs_ms:>9.0f} {svg_ms:>7.0f} {guide_ms:>9.0f} {html_kb:>8.0f} "
                  f"{md_kb:>6.0f}")


if __name__ == "__main__":
    main()
