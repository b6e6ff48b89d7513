"""Fault injection: kill the deployer or the emulator at a random point of a `deploy --local`, then
rerun the same command plainly and check that the environment recovers.

Run: .venv/bin/python benchmarks/fault_injection.py [--rounds N] [--seed S] [--example maestro]
Each round changes one setting (so the deploy has work to do), starts `moorage deploy --local`, kills
(SIGKILL) the deployer or the emulator after a random delay, then reruns `moorage deploy` with no extra
flag. A round is recovered when the rerun exits 0 and a further deploy finds nothing to change. Prints
one line per round and the total; the README quotes the last figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def moorage(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The real CLI in its own process."""
    return subprocess.run([sys.executable, "-m", "moorage.cli.app", *args], capture_output=True, text=True,
                          timeout=timeout, check=False, env={**os.environ, "COLUMNS": "200"})


def emulator_pid(project: Path) -> int | None:
    """The emulator's pid from its server.json (the file is this script's own)."""
    try:
        return int(json.loads((project / ".moorage" / "local" / "server.json").read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None


def set_round(spec: Path, original: str, round_: int) -> None:
    """The spec with a per-round env value of its first service, so that every deploy changes something
    (a new task definition and a service update)."""
    lines = original.splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.startswith("  ") and not line.startswith("   ")
                 and i and lines[i - 1].startswith("services:"))
    lines.insert(first + 1, f"    env: {{ROUND: r{round_}}}\n")
    spec.write_text("".join(lines), encoding="utf-8")


def one_round(project: Path, spec: Path, rng: random.Random, max_delay: float) -> tuple[str, float, bool, str]:
    """Kill something mid-deploy, rerun plainly; returns (what was killed, when, recovered, why not)."""
    victim = rng.choice(["deployer", "emulator"])
    delay = rng.uniform(0.5, max_delay)
    args = [sys.executable, "-m", "moorage.cli.app", "deploy", str(spec), "--env", "dev", "--local"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    time.sleep(delay)
    if proc.poll() is not None:
        victim = "nothing (deploy finished first)"
    elif victim == "deployer":
        proc.send_signal(signal.SIGKILL)
    else:
        pid = emulator_pid(project)
        if pid:
            os.kill(pid, signal.SIGKILL)
    proc.wait()
    rerun = moorage("deploy", str(spec), "--env", "dev", "--local")
    if rerun.returncode != 0:
        return victim, delay, False, (rerun.stderr or rerun.stdout).strip().splitlines()[-1:][0][:200]
    again = moorage("deploy", str(spec), "--env", "dev", "--local")
    if again.returncode != 0 or "No changes" not in again.stdout:
        return victim, delay, False, "a second rerun still had changes or failed"
    return victim, delay, True, ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--example", default="hello")
    parser.add_argument("--max-delay", type=float, default=12.0, help="latest kill, seconds into the deploy")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_STATE_HOME"] = str(Path(tmp) / "state-home")  # a throwaway sealing key
        project = Path(tmp) / args.example
        shutil.copytree(ROOT / "examples" / args.example, project)
        spec = project / "moorage.yml"
        original = spec.read_text(encoding="utf-8")
        set_round(spec, original, 0)
        first = moorage("deploy", str(spec), "--env", "dev", "--local")
        if first.returncode != 0:
            sys.exit(f"the first deploy failed: {first.stderr[-500:]}")
        recovered = 0
        started = time.monotonic()
        try:
            for round_ in range(1, args.rounds + 1):
                set_round(spec, original, round_)
                victim, delay, ok, why = one_round(project, spec, rng, args.max_delay)
                recovered += ok
                print(f"round {round_}: killed {victim} at {delay:.1f}s: "
                      + ("recovered with a plain rerun" if ok else f"NOT recovered: {why}"), flush=True)
        finally:
            moorage("local", "stop", "--project", str(project))
        print(f"{recovered} of {args.rounds} rounds recovered with a plain rerun ({args.example}, seed {args.seed}, "
              f"{time.monotonic() - started:.0f}s)")


if __name__ == "__main__":
    main()
