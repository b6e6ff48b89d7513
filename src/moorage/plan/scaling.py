"""Step scaling on a backlog: how many tasks for each depth band of the metric the tasks follow."""

from __future__ import annotations


def backlog_steps(low: int, high: int, per_task: int, most: int = 20) -> list[tuple[int, int | None, int]]:
    """(lower, upper, tasks) steps over a backlog (a queue's visible messages): enough tasks that none has more
    than ``per_task`` waiting (rounded up), between ``low`` and ``high`` tasks, in at most ``most`` steps."""
    count = min(high - low + 1, most)
    tasks = sorted({low + round(i * (high - low) / max(count - 1, 1)) for i in range(count)})
    out: list[tuple[int, int | None, int]] = []
    lower = 0
    for i, n in enumerate(tasks):
        upper = None if i == len(tasks) - 1 else n * per_task + 1
        out.append((lower, upper, n))
        lower = upper or 0
    return out
