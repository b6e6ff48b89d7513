"""Benchmark: spec -> templates, and cfn-lint over them, for every example and environment.

Run: .venv/bin/python benchmarks/synth.py [--repeat N]
Prints a table of median wall-clock times; the README quotes its figures.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

from moorage import api
from moorage.render import to_json
from moorage.validate.lint import lint_template

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}")
    print(f"{'example':<14} {'env':<8} {'stacks':>6} {'resources':>9} {'synth ms':>9} {'cfn-lint s':>10}")
    for spec in examples():
        loaded = api.load_app(spec)
        for env in loaded.spec.environments:
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                fresh = api.load_app(spec)
                result = api.synth_environment(fresh, env)
                texts = {k: to_json(t) for k, t in result.templates.items()}
                times.append(time.perf_counter() - start)
            start = time.perf_counter()
            for key, text in texts.items():
                region = next(s["region"] for s in result.manifest["stacks"] if s["key"] == key)
                lint_template(text, [region], key)
            lint_s = time.perf_counter() - start
            resources = sum(s["resources"] for s in result.manifest["stacks"])
            print(f"{spec.parent.name:<14} {env:<8} {len(texts):>6} {resources:>9} "
                  f"{statistics.median(times) * 1000:>9.1f} {lint_s:>10.2f}")


if __name__ == "__main__":
    main()
