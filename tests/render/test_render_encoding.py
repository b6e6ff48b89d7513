"""The fast paths of synth give what troposphere and json.dumps gave: the same data, the same bytes."""

from __future__ import annotations

import json
import math
import random
import struct
from typing import TYPE_CHECKING, Any

import pytest
from troposphere import Template
from troposphere.ec2 import SecurityGroup

from moorage.render import SHARED_STACKS, render_service, to_json
from moorage.render.context import StackContext, UncappedTemplate

if TYPE_CHECKING:
    from conftest import Case


def _stdlib(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def test_one_pass_encoding_is_troposphere_s_to_dict(case: Case) -> None:
    """Every stack of every example and inline spec: the same dict, keys in the same order."""
    plan = case.synth.plan
    by_stack = {s.stack: s for s in plan.services.values()}
    for stack in plan.stacks:
        ctx = StackContext(plan, stack)
        render = SHARED_STACKS.get(stack.key) or SHARED_STACKS.get(stack.key.rsplit("-", 1)[0])
        if render and not stack.key.startswith("svc-"):
            render(ctx)
        else:
            render_service(ctx, by_stack[stack.key])
        ours, theirs = ctx.template.to_dict(), Template.to_dict(ctx.template)
        assert ours == theirs, f"{case.label} {stack.key}"
        assert list(ours) == list(theirs)
        assert json.dumps(ours) == json.dumps(theirs), f"{case.label} {stack.key}: order of keys differs"


def test_templates_are_json_dumps_bytes(case: Case) -> None:
    for key, template in case.templates.items():
        assert case.synth.template_text(key) == _stdlib(template), f"{case.label} {key}"
    assert to_json(case.manifest) == _stdlib(case.manifest)


def test_one_pass_encoding_still_validates() -> None:
    """troposphere's check of required properties runs as before, when the template is encoded."""
    template = UncappedTemplate()
    template.add_resource(SecurityGroup("Sg"))  # GroupDescription is required
    with pytest.raises(ValueError, match="GroupDescription required"):
        template.to_dict()
    with pytest.raises(ValueError, match="GroupDescription required"):
        Template.to_dict(template)


@pytest.mark.parametrize("data", [
    {"a": "é", "b": "日本"}, {"a": "\x7f\x01\t\n\"\\"}, {"emoji": "😀"}, {"a": 1e-05, "b": -1e-07},
    {"b": [1, 2.5, {}], "a": []}, {1: 2, 3: [4]}, {"x": 2**70}, {"k": "a: 1.5", "j": "0.00001 e-5,"},
    [1, [2, [3]]], {}, [], {"t": True, "f": False, "n": None}, [1e-7, 1e22, 1e16, 70.0, 0.1, -0.0],
    "bare", 5, -1e-5,
])
def test_json_text_is_byte_for_byte_json_dumps(data: Any) -> None:
    assert to_json(data) == _stdlib(data)


def test_every_finite_float_is_spelled_as_json_dumps_spells_it() -> None:
    rng = random.Random(17)
    values = [rng.random() * 10.0 ** e for e in range(-12, 24) for _ in range(300)]
    values += [struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0] for _ in range(20000)]
    for value in (v for v in values if math.isfinite(v)):
        data = {"Threshold": value, "List": [value, -value]}
        assert to_json(data) == _stdlib(data), repr(value)
