"""Benchmark: `moorage init`'s path over the compose corpus, and hashing a build context.

Run: .venv/bin/python benchmarks/compose_import.py
Prints wall-clock seconds: per corpus file, import + plan of every environment + write + reload
(``api.import_checked``); then the build-context hash of a synthetic tree of 5,000 files with and
without a ``.dockerignore`` that leaves out its ``node_modules``; then hostile and largest-accepted
``env_file``s (a 9 MB one is refused by size, 1,000 variables is the most one may set).
"""

from __future__ import annotations

import platform
import shutil
import tempfile
import time
from pathlib import Path

from moorage import api
from moorage.deploy.context import context_digest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "compose"
SENTRY = {"SNUBA_IMAGE": "getsentry/snuba:25.1.0", "SYMBOLICATOR_IMAGE": "getsentry/symbolicator:25.1.0",
          "RELAY_IMAGE": "getsentry/relay:25.1.0", "TASKBROKER_IMAGE": "getsentry/taskbroker:25.1.0",
          "VROOM_IMAGE": "getsentry/vroom:25.1.0", "LAUNCHPAD_IMAGE": "getsentry/launchpad:25.1.0",
          "UPTIME_CHECKER_IMAGE": "getsentry/uptime-checker:25.1.0"}
SKIP = {"appwrite": ["traefik", "openruntimes-executor", "orchestrator"], "supabase": ["vector"]}


def corpus(tmp: Path) -> None:
    """Time init's path over every corpus file."""
    if not CORPUS.is_dir():
        print(f"corpus not present at {CORPUS}: skipped")
        return
    print(f"{'file':<48} {'services':>8} {'init s':>7}")
    total = 0.0
    for path in sorted(CORPUS.glob("*.y*ml")):
        src = path
        if "getsentry" in path.name:
            src = tmp / path.name
            shutil.copy(path, src)
            (tmp / ".env").write_text("".join(f"{k}={v}\n" for k, v in SENTRY.items()))
        skip = next((v for k, v in SKIP.items() if k in path.name), [])
        start = time.perf_counter()
        loaded, _ = api.import_checked(src, skip=skip)
        took = time.perf_counter() - start
        total += took
        print(f"{path.name[:48]:<48} {len(loaded.spec.services):>8} {took:>7.2f}")
    print(f"{'all 12':<48} {'':>8} {total:>7.2f}")


def context(tmp: Path) -> None:
    """Time the build-context hash of 5,000 files (4,000 of them in node_modules)."""
    ctx = tmp / "ctx"
    for i in range(1000):
        (ctx / "src" / f"d{i % 20}").mkdir(parents=True, exist_ok=True)
        (ctx / "src" / f"d{i % 20}" / f"f{i}.py").write_text("x" * 2000)
    for i in range(4000):
        (ctx / "node_modules" / f"p{i % 100}").mkdir(parents=True, exist_ok=True)
        (ctx / "node_modules" / f"p{i % 100}" / f"f{i}.js").write_text("y" * 2000)
    (ctx / "Dockerfile").write_text("FROM node:22\nCOPY . .\n")
    for label, ignore in (("no .dockerignore", None), (".dockerignore: node_modules", "node_modules\n")):
        if ignore:
            (ctx / ".dockerignore").write_text(ignore)
        start = time.perf_counter()
        context_digest(ctx, None, None, {})
        print(f"context hash, 5,000 files, {label:<28} {time.perf_counter() - start:>6.3f} s")


def env_files(tmp: Path) -> None:
    """Time an import whose env_file is 9 MB (refused by size) or holds 1,000 variables (the most accepted)."""
    from moorage.errors import InputError

    app = tmp / "envfile"
    app.mkdir()
    (app / "docker-compose.yml").write_text('services:\n  web:\n    image: acme/web:1.0.0\n'
                                            '    ports: ["8000:8000"]\n    env_file: [big.env]\n')
    for label, count in (("9 MB, 400,000 variables (refused)", 400_000), ("1,000 variables", 1_000)):
        (app / "big.env").write_text("".join(f"KEY_{i}=value{i}\n" for i in range(count)))
        start = time.perf_counter()
        try:
            api.import_checked(app / "docker-compose.yml")
            outcome = "imported"
        except InputError:
            outcome = "refused"
        print(f"env_file {label:<36} {outcome:<9} {time.perf_counter() - start:>6.2f} s")


def main() -> None:
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        corpus(Path(tmp))
        context(Path(tmp))
        env_files(Path(tmp))


if __name__ == "__main__":
    main()
