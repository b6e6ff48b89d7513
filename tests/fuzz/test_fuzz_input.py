"""A seeded mutator over the example specs and compose files: every mutant is either accepted or a
located input error (exit 2), never an internal error (exit 3), and none takes over 5 s or 500 MB.

Most mutants run in-process (load, resolve, plan, synth) for speed; a few run through the real CLI in
their own process, where memory is measured too.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from moorage import api
from moorage.errors import InputError

REPO = Path(__file__).resolve().parents[2]
SEED = 14
IN_PROCESS = 160
SUBPROCESS = 4
SECONDS = 5.0
MEGABYTES = 500

# Fragments that broke parsers and loaders before: aliases, anchors, deep brackets, huge numbers,
# odd scalars, tabs, merge keys, very long strings.
TOKENS = ["&a", "*a", "<<: *a", "[", "]", "{", "}", "- ", ": ", "1e999", "-1e999", "99999999999999999999999",
          "0x7fffffffffffffffffff", "~", "null", "!!binary AAAA", "!!python/object:os.system", "\t", "'", '"',
          "${X:?}", "${X:-a}", "$$", "é", "\u202e", "\x00", "x" * 300, "[" * 80 + "]" * 80, "? a\n: b"]


def sources() -> list[Path]:
    found = sorted(REPO.glob("examples/*/moorage.yml")) + sorted(REPO.glob("examples/*/docker-compose.yml"))
    corpus = REPO.parent / "shared" / "corpus" / "compose"
    if corpus.is_dir():
        found += sorted(p for p in corpus.iterdir() if p.suffix in (".yml", ".yaml"))[:6]
    return found


def mutate(text: str, rng: random.Random) -> str:
    """``text`` with 1-4 random edits of lines, characters and tokens."""
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        if not lines:
            lines = [""]
        i = rng.randrange(len(lines))
        op = rng.randrange(7)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif op == 2:
            pos = rng.randint(0, len(lines[i]))
            lines[i] = lines[i][:pos] + rng.choice(TOKENS) + lines[i][pos:]
        elif op == 3 and ":" in lines[i]:
            key, _, _ = lines[i].partition(":")
            lines[i] = f"{key}: {rng.choice(TOKENS)}"
        elif op == 4:
            lines[i] = " " * rng.randint(0, 12) + lines[i].lstrip()
        elif op == 5:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            chars = list(lines[i])
            if chars:
                chars[rng.randrange(len(chars))] = chr(rng.randrange(32, 0x3000))
            lines[i] = "".join(chars)
    return "\n".join(lines) + "\n"


def mutants(count: int, seed: int) -> list[tuple[str, Path, str]]:
    rng = random.Random(seed)
    files = sources()
    out = []
    for n in range(count):
        source = files[n % len(files)]
        out.append((f"{source.parent.name}/{source.name}#{n}", source, mutate(source.read_text("utf-8"), rng)))
    return out


def run_in_process(path: Path) -> str:
    """``accepted`` or ``rejected`` (a located InputError); anything else raises."""
    try:
        loaded = api.load_app(path)
        for env in list(loaded.spec.environments)[:2]:
            api.synth_environment(loaded, env)
    except InputError as exc:
        assert exc.diagnostics and all(d.render() for d in exc.diagnostics)
        return "rejected"
    return "accepted"


def test_mutants_in_process(tmp_path: Path) -> None:
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    outcomes: dict[str, int] = {}
    crashes, slow = [], []
    for label, source, text in mutants(IN_PROCESS, SEED):
        path = tmp_path / label.replace("/", "_").replace("#", "_") / source.name
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        started = time.process_time()  # CPU time: a loaded CI machine does not make a mutant "slow"
        try:
            outcome = run_in_process(path)
        except Exception as exc:  # noqa: BLE001 - the finding: an internal error on a mutant
            crashes.append(f"{label}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if time.process_time() - started > SECONDS:
            slow.append(f"{label}: {time.process_time() - started:.1f}s CPU")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert not crashes, "\n".join(crashes)
    assert not slow, slow
    assert outcomes.get("rejected", 0) > IN_PROCESS // 4  # the mutator does reach the error paths
    # The process's peak may not grow by 500 MB over all mutants (other tests in this process set the base).
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - peak_before
    assert grown < MEGABYTES, f"{grown:.0f} MB"


@pytest.mark.parametrize("index", range(SUBPROCESS))
def test_mutants_through_the_cli(tmp_path: Path, index: int) -> None:
    label, source, text = mutants(SUBPROCESS, SEED + 1000)[index]
    path = tmp_path / source.name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    # The child writes its own high-water mark (VmHWM of its address space after exec) when it exits:
    # rusage would count the pages of this large test process that the child shared before exec.
    status = tmp_path / "status"
    shim = ("import atexit, sys; from pathlib import Path; out = Path(sys.argv[1]); "
            "atexit.register(lambda: out.write_text(Path('/proc/self/status').read_text())); "
            "sys.argv = ['moorage', *sys.argv[2:]]; from moorage.cli.app import main; main()")
    done = subprocess.run([sys.executable, "-c", shim, str(status), "plan", str(path)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode in (0, 1, 2), f"{label}: {done.stderr[-500:]}"
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    if not Path("/proc/self/status").exists():
        pytest.skip("no /proc: the child's memory cannot be measured here")
    [hwm] = [line.split()[1] for line in status.read_text().splitlines() if line.startswith("VmHWM:")]
    peak_mb = int(hwm) / 1024
    assert peak_mb < MEGABYTES, f"{label}: {peak_mb:.0f} MB"
