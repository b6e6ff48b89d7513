"""Benchmark: what a user waits for, as whole `moorage` processes, in one table.

Run: .venv/bin/python benchmarks/run.py [--sizes 9,100,300,1000] [--deploy-max 100] [--repeat 5] [--cdk]

Rows: the smartboard example (9 services + a job, environment dev) and generated apps of N services
(benchmarks/generate.py, environment prod). Columns: stacks, resources, `moorage synth` wall seconds and
peak MB, `moorage validate` CPU seconds (its worker processes included), and on the embedded emulator
`moorage deploy --local` from nothing (emulator start included), a second deploy (no-op) and
`moorage destroy --local`. A table of CLI start-up times comes first. README quotes a run of this script.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MOORAGE = [sys.executable, "-m", "moorage.cli.app"]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generated_spec, generated_yaml  # noqa: E402


@dataclass
class Run:
    """One finished process: wall seconds, CPU seconds (children included), peak resident MB, exit code."""

    wall: float
    cpu: float
    peak_mb: float
    code: int
    out: str


def run(*args: str | Path, cwd: Path | None = None) -> Run:
    """Run ``moorage ARGS`` as a child process and measure it."""
    return measure([*MOORAGE, *map(str, args)], cwd)


def measure(command: list[str], cwd: Path | None = None) -> Run:
    """Run ``command`` as a child process and measure it (CPU of the children it waited for included)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # as users run it
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode, out)


def machine() -> str:
    """The CPU model and core count, as `lscpu` names them."""
    model = platform.processor() or "cpu"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {load:.1f} at start")


def startup(repeat: int) -> None:
    """Median wall and CPU of the commands that should answer at once."""
    print(f"\n{'command':<42} {'wall s':>8} {'cpu s':>8}   (median of {repeat})")
    spec = ROOT / "examples" / "smartboard"
    run("version")  # bytecode written once, as after an install
    for label, args in (("moorage --help", ["--help"]), ("moorage version", ["version"]),
                        ("moorage plan examples/smartboard -e dev", ["plan", spec, "-e", "dev"])):
        runs = [run(*args) for _ in range(repeat)]
        print(f"{label:<42} {statistics.median(r.wall for r in runs):>8.2f} "
              f"{statistics.median(r.cpu for r in runs):>8.2f}")


def size_row(label: str, spec: Path, env: str, work: Path, deploy: bool, validate: bool) -> None:
    """One row of the table."""
    out = work / "out"
    synth = run("synth", spec, "-e", env, "-o", out)
    if synth.code:
        print(f"{label:<12} synth failed (exit {synth.code}): {synth.out.strip()[-300:]}")
        return
    manifest = json.loads((out / env / "manifest.json").read_text(encoding="utf-8"))
    stacks = len(manifest["stacks"])
    resources = sum(s["resources"] for s in manifest["stacks"])
    cells = [f"{label:<12}", f"{stacks:>6}", f"{resources:>9}", f"{synth.wall:>8.2f}", f"{synth.peak_mb:>8.0f}"]
    if validate:
        checked = run("validate", out / env)
        cells.append(f"{checked.cpu:>10.1f}" if checked.code == 0 else f"{'exit ' + str(checked.code):>10}")
    else:
        cells.append(f"{'-':>10}")
    if deploy:
        project = spec.parent
        first = run("deploy", spec, "-e", env, "--local")
        again = run("deploy", spec, "-e", env, "--local") if first.code == 0 else None
        confirm = ["--confirm", manifest["app"]] if manifest["profile"] == "prod" else []
        gone = run("destroy", spec, "-e", env, "--local", "-y", *confirm) if first.code == 0 else None
        run("local", "stop", "--project", project, "--reset")
        if first.code:
            cells.append(f"  deploy failed (exit {first.code}): {first.out.strip()[-200:]}")
        else:
            assert again and gone
            cells += [f"{first.wall:>9.1f}", f"{again.wall:>8.1f}", f"{gone.wall:>9.1f}"]
    else:
        cells.append(f"{'(skipped: --deploy-max)':>28}")
    print(" ".join(cells), flush=True)


CDK_SIZES = (9, 50, 200)
CDK_VENV = ROOT / "benchmarks" / ".cdk-venv"  # ignored by git; made on the first --cdk run


def cdk_python() -> Path | None:
    """The CDK venv's Python, with aws-cdk-lib and constructs installed into it when missing; None if it fails."""
    python = CDK_VENV / "bin" / "python"
    if not python.exists():
        print(f"CDK: creating {CDK_VENV.relative_to(ROOT)} (aws-cdk-lib 2.x, constructs) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(CDK_VENV)], check=True)
    if subprocess.run([str(python), "-c", "import aws_cdk, constructs"], capture_output=True).returncode:
        done = subprocess.run([str(python), "-m", "pip", "install", "-q", "aws-cdk-lib==2.*", "constructs"])
        if done.returncode:
            print("CDK: skipped: installing aws-cdk-lib into its venv failed")
            return None
    return python


def cdk_rows(work: Path) -> None:
    """AWS CDK synthesizing the equivalent app (benchmarks/cdk_app.py) beside `moorage synth` of the same spec."""
    if not shutil.which("node"):
        print("\nCDK: skipped: Node.js is not installed (aws-cdk-lib runs on it through jsii)")
        return
    python = cdk_python()
    if python is None:
        return
    version = subprocess.run([str(python), "-c", "import aws_cdk, importlib.metadata as m; "
                              "print(m.version('aws-cdk-lib'))"], capture_output=True, text=True).stdout.strip()
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"\nAWS CDK {version} (Python, Node.js {node}): the same generated app, one environment "
          "(benchmarks/cdk_app.py), whole processes")
    print(f"{'app':<8} {'tool':<8} {'stacks':>6} {'resources':>9} {'wall s':>8} {'cpu s':>8} {'peak MB':>8}   result")
    for size in CDK_SIZES:
        folder = work / f"cdk{size}"
        (folder / "app").mkdir(parents=True)
        spec = folder / "app" / "moorage.yml"
        spec.write_text(generated_yaml(size), encoding="utf-8")
        (folder / "spec.json").write_text(json.dumps(generated_spec(size)), encoding="utf-8")
        ours = run("synth", spec, "-e", "prod", "-o", folder / "out")
        theirs = measure([str(python), str(ROOT / "benchmarks" / "cdk_app.py"), str(folder / "spec.json"),
                          str(folder / "cdk.out")], cwd=folder)
        manifest = json.loads((folder / "out" / "prod" / "manifest.json").read_text(encoding="utf-8")) \
            if ours.code == 0 else {"stacks": []}
        rows = [("moorage", ours, len(manifest["stacks"]), sum(s["resources"] for s in manifest["stacks"]))]
        templates = list((folder / "cdk.out").glob("*.template.json"))
        cdk_resources = sum(len(json.loads(t.read_text(encoding="utf-8")).get("Resources", {})) for t in templates)
        rows.append(("cdk", theirs, len(templates), cdk_resources))
        for tool, done, stacks, resources in rows:
            result = "ok" if done.code == 0 else f"exit {done.code}: {_last_error(done.out)}"
            print(f"{'N=' + str(size):<8} {tool:<8} {stacks:>6} {resources:>9} {done.wall:>8.2f} {done.cpu:>8.2f} "
                  f"{done.peak_mb:>8.0f}   {result}", flush=True)
        if ours.code == 0 and theirs.code == 0:
            print(f"{'':<8} moorage / CDK: wall {ours.wall / theirs.wall:.2f}x, CPU {ours.cpu / theirs.cpu:.2f}x, "
                  f"peak memory {ours.peak_mb / theirs.peak_mb:.2f}x")


def _last_error(out: str) -> str:
    """The error line of a failed process's output (a Python or jsii traceback's last 'Error' line)."""
    lines = [line.strip() for line in out.splitlines() if "Error" in line or "error" in line]
    return (lines[-1] if lines else out.strip().splitlines()[-1] if out.strip() else "")[:240]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="9,100,300,1000", help="service counts; 9 is the smartboard example")
    parser.add_argument("--deploy-max", type=int, default=100, help="deploy on the emulator up to this size")
    parser.add_argument("--validate-max", type=int, default=1000, help="run `moorage validate` up to this size")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each start-up command")
    parser.add_argument("--cdk", action="store_true", help="AWS CDK rows for N = 9, 50, 200 (needs Node.js; "
                        "installs aws-cdk-lib into benchmarks/.cdk-venv)")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    startup(args.repeat)
    print(f"\n{'app':<12} {'stacks':>6} {'resources':>9} {'synth s':>8} {'peak MB':>8} {'lint cpu s':>10} "
          f"{'deploy s':>9} {'no-op s':>8} {'destroy s':>9}")
    with tempfile.TemporaryDirectory(prefix="moorage-bench-") as tmp:
        work = Path(tmp)
        for size in (int(s) for s in args.sizes.split(",")):
            folder = work / f"n{size}"
            folder.mkdir()
            if size == 9:
                shutil.copytree(ROOT / "examples" / "smartboard", folder / "app")
                spec, env, label = folder / "app" / "docker-compose.yml", "dev", "smartboard"
            else:
                (folder / "app").mkdir()
                spec, env, label = folder / "app" / "moorage.yml", "prod", f"N={size}"
                spec.write_text(generated_yaml(size), encoding="utf-8")
            size_row(label, spec, env, folder, size <= args.deploy_max, size <= args.validate_max)
        if args.cdk:
            cdk_rows(work)


if __name__ == "__main__":
    main()
