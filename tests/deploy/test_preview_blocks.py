"""The block of listener priorities a preview takes: never one another rule holds, kept across deploys."""

from __future__ import annotations

import random

from moorage.deploy.previews import allocate_block
from moorage.plan.preview import preview_block, priority_base_blocks


def _deploy_all(names: list[str]) -> dict[str, int | None]:
    """Previews deployed one after another onto one listener: name -> the block each got."""
    taken: set[int] = set()
    got: dict[str, int | None] = {}
    for name in names:
        block = allocate_block(taken, preview_block(name), None, priority_base_blocks())
        got[name] = block
        if block is not None:
            taken.add(block)
    return got


def test_pr_42_and_pr_142_get_disjoint_blocks() -> None:
    got = _deploy_all(["pr-42", "pr-142", "pr-242"])
    assert got == {"pr-42": 42, "pr-142": 43, "pr-242": 44}  # the next free block after the preferred one


def test_many_previews_never_share_a_block_until_the_listener_is_full() -> None:
    rng = random.Random(9)
    numbers = rng.sample(range(200, 5000), 100) + [42, 142]
    names = [f"pr-{n}" for n in numbers]
    got = _deploy_all(names)
    first = [got[n] for n in names[:100]]
    assert None not in first and len(set(first)) == 100  # all 100 blocks, none twice
    assert [got[n] for n in names[100:]] == [None, None]  # the 101st preview finds no block


def test_a_preview_keeps_its_block_unless_another_rule_holds_it() -> None:
    assert allocate_block({42}, 42, 43, 100) == 43  # pr-142 keeps 43 after pr-42 took 42
    assert allocate_block(set(), 42, 43, 100) == 43  # even once 42 is free again: its rules do not move
    assert allocate_block({43}, 42, 43, 100) == 42  # its block was taken meanwhile: the first free from 42
    assert allocate_block({99}, 99, None, 100) == 0  # wraps around
    assert allocate_block(set(range(100)), 5, None, 100) is None
