"""Talking to real AWS without credentials is a clear error with a hint, never an internal error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_diff_without_credentials_says_how_to_fix_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none"),
                "AWS_EC2_METADATA_DISABLED": "true"})
    proc = subprocess.run([sys.executable, "-m", "moorage.cli.app", "diff", str(ROOT / "examples/hello/moorage.yml"),
                           "--env", "prod"], capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Unable to locate credentials" in proc.stderr and "--local" in proc.stderr
    assert "internal error" not in proc.stderr and "Traceback" not in proc.stderr
