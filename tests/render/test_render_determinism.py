"""Same input -> byte-identical templates and manifest: in one process, across writes, across processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from moorage import api
from moorage.render import write_synth

if TYPE_CHECKING:
    from conftest import Cases


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_two_syntheses_give_identical_text(cases: Cases) -> None:
    for key in ("kitchen", "examples/maestro/moorage.yml"):
        loaded = cases.loaded(key)
        for env in loaded.spec.environments:
            first, second = api.synth_environment(loaded, env), api.synth_environment(loaded, env)
            assert list(first.templates) == list(second.templates)
            for stack in first.templates:
                assert first.template_text(stack) == second.template_text(stack), f"{key} {env} {stack}"
            assert first.manifest == second.manifest


def test_two_writes_give_identical_bytes(cases: Cases, tmp_path: Path) -> None:
    loaded = cases.loaded("kitchen")
    for n in (1, 2):
        for env in loaded.spec.environments:
            written = write_synth(api.synth_environment(loaded, env), tmp_path / f"run{n}" / env)
            assert all(p.read_bytes().endswith(b"\n") for p in written)
    one, two = tree(tmp_path / "run1"), tree(tmp_path / "run2")
    assert one.keys() == two.keys() and len(one) > 20
    for name in one:
        assert one[name] == two[name], f"{name} differs between two writes"


SCRIPT = """
import sys
from pathlib import Path
from moorage import api
from moorage.render import write_synth
out = Path(sys.argv[1])
for spec in sys.argv[2:]:
    loaded = api.load_app(Path(spec))
    for env in loaded.spec.environments:
        write_synth(api.synth_environment(loaded, env), out / Path(spec).parent.name / env)
"""


def test_separate_processes_with_different_hash_seeds_agree(repo_root: Path, kitchen_path: Path,
                                                           tmp_path: Path) -> None:
    specs = [str(kitchen_path), str(repo_root / "examples" / "maestro" / "moorage.yml")]
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / seed), *specs], check=True, env=env,
                       cwd=tmp_path, timeout=120)
    one, two = tree(tmp_path / "1"), tree(tmp_path / "4242")
    assert one.keys() == two.keys() and len(one) > 20
    differing = [name for name in one if one[name] != two[name]]
    assert not differing, f"output depends on the hash seed: {differing}"
