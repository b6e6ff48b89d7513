"""`logs --since` far back: exit 2 in words, before anything is read (it was an internal error, exit 3)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello"


def test_logs_since_before_1970_is_exit_2_in_words(run_cli: Callable[..., Any]) -> None:
    result = run_cli("logs", HELLO, "--env", "dev", "--local", "--since", "99999999999d")
    assert result.code == 2, result.out + result.err
    assert "reaches back before 1970" in " ".join(result.err.split()) and "internal error" not in result.err
