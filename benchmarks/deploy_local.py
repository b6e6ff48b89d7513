"""Benchmark: deploy every example's first environment to the embedded emulator, redeploy, destroy.

Run: .venv/bin/python benchmarks/deploy_local.py
Prints wall-clock seconds per phase; the README quotes its figures.
"""

from __future__ import annotations

import platform
import time
import urllib.request
from pathlib import Path

from moorage import api
from moorage.deploy.destroy import destroy
from moorage.deploy.progress import QuietReporter
from moorage.deploy.run import DeployOptions, deploy
from moorage.deploy.session import endpoint_target
from moorage.emulator.serve import start_in_thread

ROOT = Path(__file__).resolve().parents[1]


def examples() -> list[Path]:
    """Every example spec in the repository."""
    found = []
    for d in sorted((ROOT / "examples").iterdir()):
        for name in ("moorage.yml", "docker-compose.yml"):
            if (d / name).is_file():
                found.append(d / name)
                break
    return found


def main() -> None:
    endpoint, stop = start_in_thread()
    target = endpoint_target(endpoint)
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    print(f"{'example':<12} {'env':<8} {'stacks':>6} {'deploy s':>9} {'no-op s':>8} {'destroy s':>10}")
    try:
        for spec in examples():
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))  # noqa: S310
            loaded = api.load_app(spec)
            env = next(iter(loaded.spec.environments))
            synth = api.synth_environment(loaded, env)
            options = DeployOptions(poll=0.05, spec_dir=spec.parent)
            times = []
            for _ in range(2):
                start = time.perf_counter()
                result = deploy(synth, target, options, QuietReporter())
                times.append(time.perf_counter() - start)
                assert result.ok, f"{spec}: deploy failed"
            start = time.perf_counter()
            destroy(target, synth.manifest, QuietReporter(), poll=0.05)
            gone = time.perf_counter() - start
            print(f"{spec.parent.name:<12} {env:<8} {len(synth.templates):>6} {times[0]:>9.2f} {times[1]:>8.2f} "
                  f"{gone:>10.2f}")
    finally:
        stop()


if __name__ == "__main__":
    main()
