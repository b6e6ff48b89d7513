"""The CLI answers at once: heavy libraries load only in the commands that need them (not timed here:
benchmarks/run.py times it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("cfnlint", "boto3", "botocore", "moto", "troposphere", "sympy", "networkx", "moorage.spec.models")

PROBE = """
import json, sys
args, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
from moorage.cli.app import main
sys.argv = ["moorage", *args]
try:
    main()
except SystemExit:
    pass
sys.stderr.write("LOADED " + json.dumps(sorted(m for m in heavy if m in sys.modules)) + "\\n")
"""


def _loaded(*args: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(list(args)), json.dumps(HEAVY)],
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    line = next(x for x in done.stderr.splitlines() if x.startswith("LOADED "))
    return list(json.loads(line[len("LOADED "):]))


def test_help_and_version_load_none_of_the_heavy_libraries() -> None:
    assert _loaded("--help") == []
    assert _loaded("version") == []


def test_plan_loads_troposphere_and_the_models_but_not_cfn_lint_or_boto3() -> None:
    loaded = _loaded("plan", "examples/smartboard", "-e", "dev")
    assert "troposphere" in loaded and "moorage.spec.models" in loaded  # the probe can see what loads
    assert not {"cfnlint", "boto3", "botocore", "moto", "sympy"} & set(loaded)
