"""A region read from a synth manifest is checked like --region: a manifest edited to name no AWS region is a
located error (the manifest's file, line and key), exit 2, with the same "did you mean" -- for cost, check and
validate alike."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from moorage.cfn import file_template_sets
from moorage.errors import InputError

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello"


@pytest.fixture
def synth_dir(tmp_path: Path, run_cli: Callable[..., Any]) -> Path:
    result = run_cli("synth", HELLO, "--env", "dev", "-o", tmp_path / "out")
    assert result.code == 0, result.out + result.err
    return tmp_path / "out" / "dev"


def _tamper(directory: Path, region: str, stacks_too: bool = True) -> int:
    """Write ``region`` into the manifest (its own region, and each stack's); the line of its own region."""
    path = directory / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["region"] = region
    for stack in data["stacks"]:
        if stacks_too and "region" in stack:
            stack["region"] = region
    text = json.dumps(data, indent=2)
    path.write_text(text, encoding="utf-8")
    return next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith('  "region"'))


@pytest.mark.parametrize("command", ["cost", "check", "validate"])
@pytest.mark.parametrize(("region", "close"), [("xx-nowhere-9", None), ("us-eats-1", "us-east-1")])
def test_a_tampered_manifest_region_is_exit_2(command: str, region: str, close: str | None, synth_dir: Path,
                                              run_cli: Callable[..., Any]) -> None:
    line = _tamper(synth_dir, region)
    result = run_cli(command, synth_dir)
    assert result.code == 2, result.out + result.err
    err = " ".join(result.err.split())
    assert f"manifest.json:{line}: error: [region] unknown AWS region \"{region}\" in the synth manifest" in err
    assert "eu-west-1" in err and "Traceback" not in err and "internal error" not in err
    if close:
        assert f"did you mean {close}?" in err


def test_a_stack_region_is_checked_and_located_at_its_key(synth_dir: Path) -> None:
    path = synth_dir / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    index = next(i for i, s in enumerate(data["stacks"]) if "region" in s)
    data["stacks"][index]["region"] = "mars-north-1"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        file_template_sets([synth_dir])
    [diag] = caught.value.diagnostics
    assert diag.location is not None and diag.location.path == ("stacks", index, "region")
    assert diag.location.file == str(path) and diag.location.line > 1


def test_an_untouched_manifest_reads_as_before(synth_dir: Path) -> None:
    [tset] = file_template_sets([synth_dir])
    assert tset.region == json.loads((synth_dir / "manifest.json").read_text(encoding="utf-8"))["region"]


@pytest.mark.parametrize("command", ["cost", "check", "validate"])
def test_a_manifest_region_its_network_stack_is_not_in_is_exit_2(command: str, synth_dir: Path,
                                                            run_cli: Callable[..., Any]) -> None:
    """A valid region edited into the manifest alone: cost would print us-east-1 and price eu-west-1's rates."""
    line = _tamper(synth_dir, "us-east-1", stacks_too=False)
    result = run_cli(command, synth_dir)
    assert result.code == 2, result.out + result.err
    err = " ".join(result.err.split())
    assert (f"manifest.json:{line}: error: [region] the synth manifest's region us-east-1 is not its network "
            "stack's region eu-west-1: the templates were synthesized for another region") in err, err
    assert "synthesize again" in err and "us-east-1/month" not in result.out
