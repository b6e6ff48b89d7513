"""Fargate task sizes: the table AWS publishes, and the nearest valid size to a request."""

from __future__ import annotations

import pytest

from moorage.spec.fargate import allowed_memory_text, fargate_sizes, is_valid_size, nearest_size


def test_table_matches_the_published_sizes() -> None:
    sizes = fargate_sizes()
    assert sorted(sizes) == [256, 512, 1024, 2048, 4096, 8192, 16384]
    assert sizes[256] == (512, 1024, 2048)
    assert sizes[512] == (1024, 2048, 3072, 4096)
    assert sizes[1024][0] == 2048 and sizes[1024][-1] == 8192
    assert sizes[4096][0] == 8192 and sizes[4096][-1] == 30720
    assert sizes[8192][1] - sizes[8192][0] == 4096  # 8 vCPU steps by 4 GiB
    assert sizes[16384][1] - sizes[16384][0] == 8192 and sizes[16384][-1] == 122880


@pytest.mark.parametrize(("cpu", "memory", "valid"), [
    (256, 512, True), (256, 2048, True), (256, 3072, False), (256, 4096, False),
    (512, 1024, True), (512, 512, False), (1024, 2048, True), (1024, 1024, False), (1024, 9216, False),
    (2048, 16384, True), (4096, 30720, True), (4096, 31744, False),
    (8192, 20480, True), (8192, 18432, False), (16384, 32768, True), (16384, 36864, False),
    (300, 512, False), (128, 512, False),
])
def test_is_valid_size(cpu: int, memory: int, valid: bool) -> None:
    assert is_valid_size(cpu, memory) is valid


@pytest.mark.parametrize(("cpu", "memory", "expected"), [
    (None, None, (256, 512)),          # smallest task
    (256, None, (256, 512)),
    (None, 3000, (512, 3072)),         # memory alone: the first cpu that offers it, rounded up
    (256, 4096, (512, 4096)),          # 256 cannot give 4 GiB
    (300, None, (512, 1024)),          # cpu rounds up to a real size
    (1024, 2048, (1024, 2048)),        # already valid: unchanged
    (4096, 31000, (8192, 32768)),      # above what 4 vCPU allows
    (99999, None, (16384, 122880)),    # beyond the table: the largest
    (16384, 10**6, (16384, 122880)),
])
def test_nearest_size(cpu: int | None, memory: int | None, expected: tuple[int, int]) -> None:
    got = nearest_size(cpu, memory)
    assert got == expected
    assert is_valid_size(*got)


def test_nearest_size_never_gives_less_than_asked() -> None:
    for cpu in (None, 256, 512, 1024, 2048, 4096, 8192):
        for memory in (None, 512, 1000, 2048, 5000, 16384, 60000):
            c, m = nearest_size(cpu, memory)
            assert is_valid_size(c, m)
            assert c >= (cpu or 0) and m >= (memory or 0), (cpu, memory, c, m)


def test_allowed_memory_text_for_hints() -> None:
    assert allowed_memory_text(256) == "cpu 256 allows memory 512, 1024, 2048"
    assert allowed_memory_text(1024) == "cpu 1024 allows memory 2048..8192 in steps of 1024"
    assert "256" in allowed_memory_text(300) and "16384" in allowed_memory_text(300)
