"""Metadata that tells the field's scanners (Checkov) which of their checks a resource fails on purpose, and why."""

from __future__ import annotations

from typing import Any

from moorage.data import load_data


def scanner_skips(kind: str) -> dict[str, Any]:
    """``Metadata`` for a resource of ``kind`` (a key of ``data/scanner_suppressions.yaml``)."""
    entries = load_data("scanner_suppressions")[kind]
    return {"checkov": {"skip": [{"id": e["id"], "comment": e["comment"]} for e in entries]}}
