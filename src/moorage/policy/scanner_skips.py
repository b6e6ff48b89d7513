"""Checks of the field's scanners that templates skip on purpose, read from resource Metadata.

moorage writes ``Metadata: {checkov: {skip: [{id, comment}]}}`` (render/scanners.py) where a Checkov
check does not fit; any hand-written template may carry the same. ``moorage check`` lists them with
their reasons so that a reviewer sees every skipped check, not only moorage's own suppressions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from moorage.cfn import TemplateSet, resources_of


@dataclass(frozen=True)
class ScannerSkip:
    """One scanner check a resource skips, and the reason written next to it ("" when none is)."""

    scanner: str
    check: str
    label: str
    stack: str
    resource: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


def scanner_skips(sets: Sequence[TemplateSet]) -> list[ScannerSkip]:
    """Every Checkov skip in the resources' Metadata of ``sets``, sorted by check, then place."""
    out: list[ScannerSkip] = []
    for tset in sets:
        for stack, template in tset.templates.items():
            for res in resources_of(template):
                meta = res.body.get("Metadata")
                checkov = meta.get("checkov") if isinstance(meta, Mapping) else None
                skips = checkov.get("skip") if isinstance(checkov, Mapping) else None
                for item in skips if isinstance(skips, list) else []:
                    if isinstance(item, Mapping) and item.get("id"):
                        out.append(ScannerSkip("checkov", str(item["id"]), tset.label, stack, res.lid,
                                               str(item.get("comment") or "")))
    return sorted(out, key=lambda s: (s.scanner, s.check, s.label, s.stack, s.resource))
