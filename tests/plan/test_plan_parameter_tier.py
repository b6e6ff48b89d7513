"""Config values of 4-8 KB become Advanced tier SSM parameters (priced per parameter-month); over 8 KB is a
located error (issue 14)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from moorage import api
from moorage.cfn import resources_of_type

BASE = "name: demo\nservices:\n  web: {image: nginx:1.27, port: 80, config: [BIG, SMALL]}\n"


def _spec(write_spec: Callable[..., Path], tmp_path: Path, size: int) -> Path:
    return write_spec(tmp_path / "app", BASE + f"config:\n  SMALL: hello\n  BIG: '{'x' * size}'\n")


def test_a_5000_byte_value_is_an_advanced_parameter_and_is_priced(write_spec: Callable[..., Path],
                                                                   tmp_path: Path) -> None:
    spec = _spec(write_spec, tmp_path, 5000)
    synth = api.synth_environment(api.load_app(spec), "dev")
    params = {r.props["Name"].rsplit("/", 1)[-1]: r for t in synth.templates.values()
              for r in resources_of_type(t, "AWS::SSM::Parameter")}
    assert params["BIG"].props.get("Tier") == "Advanced"
    assert "Tier" not in params["SMALL"].props
    assert any(d.topic == "config.BIG.tier" and "5,000 bytes" in d.reason for d in synth.plan.decisions)
    [report] = api.estimate_targets([spec], envs=["dev"])
    lines = [i for i in report.items if i.resource == params["BIG"].lid]
    assert [(round(i.monthly, 2), i.unit) for i in lines] == [(0.05, "parameter-month")]


def test_a_value_at_4096_bytes_stays_standard(write_spec: Callable[..., Path], tmp_path: Path) -> None:
    synth = api.synth_environment(api.load_app(_spec(write_spec, tmp_path, 4096)), "dev")
    assert not synth.plan.advanced_parameters


def test_multibyte_characters_count_as_bytes(write_spec: Callable[..., Path], tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "app", BASE + "config:\n  SMALL: hi\n  BIG: '" + "é" * 3000 + "'\n")
    assert api.synth_environment(api.load_app(spec), "dev").plan.advanced_parameters == {"BIG"}


def test_over_8_kb_is_a_located_error_with_a_hint(run_cli: Callable[..., object], write_spec: Callable[..., Path],
                                                  tmp_path: Path) -> None:
    spec = _spec(write_spec, tmp_path, 9000)
    result = run_cli("plan", spec, "--env", "dev")
    assert result.code == 2  # type: ignore[attr-defined]
    err = result.err  # type: ignore[attr-defined]
    assert f"{spec}:6:" in err and "9,000 bytes" in err and "at most 8,192 (Advanced tier)" in err
    assert "bucket object or a secret" in err and "internal error" not in err
