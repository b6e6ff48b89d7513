"""Fargate's allowed task sizes, from ``data/fargate.yaml``."""

from __future__ import annotations

from functools import cache

from moorage.data import load_data


@cache
def fargate_sizes() -> dict[int, tuple[int, ...]]:
    """cpu units -> the memory sizes (MiB) Fargate allows with it."""
    out: dict[int, tuple[int, ...]] = {}
    for cpu, row in load_data("fargate")["sizes"].items():
        if "values" in row:
            out[int(cpu)] = tuple(int(v) for v in row["values"])
        else:
            out[int(cpu)] = tuple(range(int(row["from"]), int(row["to"]) + 1, int(row["step"])))
    return out


def is_valid_size(cpu: int, memory: int) -> bool:
    """True when Fargate accepts this cpu/memory pair."""
    return memory in fargate_sizes().get(cpu, ())


def nearest_size(cpu: int | None, memory: int | None) -> tuple[int, int]:
    """The smallest valid pair that gives at least ``cpu`` units and ``memory`` MiB."""
    want_cpu = cpu or 256
    want_mem = memory or 0
    for c, mems in sorted(fargate_sizes().items()):
        if c < want_cpu:
            continue
        for m in mems:
            if m >= want_mem:
                return c, m
    largest = max(fargate_sizes())
    return largest, fargate_sizes()[largest][-1]


def allowed_memory_text(cpu: int) -> str:
    """Human list of memory sizes for ``cpu``, for error hints."""
    mems = fargate_sizes().get(cpu)
    if not mems:
        return "cpu must be one of " + ", ".join(str(c) for c in sorted(fargate_sizes()))
    if len(mems) <= 4:
        return f"cpu {cpu} allows memory " + ", ".join(str(m) for m in mems)
    return f"cpu {cpu} allows memory {mems[0]}..{mems[-1]} in steps of {mems[1] - mems[0]}"
