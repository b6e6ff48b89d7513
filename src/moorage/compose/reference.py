"""The generated part of docs/compose-import.md: what the importer maps, rewires, skips and refuses.

Written from the data tables (``data/compose_wiring.yaml``, ``data/compose_keys.yaml``,
``data/compose_images.yaml``), so the documentation cannot drift from the importer.
``python -m moorage.compose.reference docs/compose-import.md`` rewrites the section in place;
``tests/compose/test_reference.py`` fails when it is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from moorage.compose.envmap import wiring_conventions
from moorage.compose.images import image_table
from moorage.compose.keys import explain_table

BEGIN = "<!-- BEGIN GENERATED: python -m moorage.compose.reference docs/compose-import.md -->"
END = "<!-- END GENERATED -->"
_ACTIONS = {"map": "mapped", "warn": "mapped with a warning / not carried", "error": "refused (located error)",
            "note": "noted (no effect on AWS)"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def reference_markdown() -> str:
    """The generated Markdown section (between the BEGIN and END markers)."""
    out = [BEGIN, "", "### Variables rewired by meaning", "",
           "Each variable below is rewired to the resource moorage creates, and the service gets the `uses` "
           "edge (its IAM permission and security-group rule) when its target is unambiguous: the one store "
           "of that kind the service uses, else the app's only one. A URL or host value naming a service is "
           "rewired by the host it names; one naming a host no service provides is copied with a located "
           "warning (an error with `--strict`). A bucket name no S3-compatible service declares becomes a new "
           "S3 bucket. `init --explain` lists every rewrite.", "",
           "| variable | kind | becomes | frameworks |", "|---|---|---|---|"]
    for name, row in wiring_conventions().items():
        attr = {"password": "password (`token` for a cache)", "jdbc": "JDBC URL from host/port/name"}.get(
            row["attr"], row["attr"])
        out.append(f"| `{name}` | {row['kind']} | {attr} | {', '.join(row['frameworks'])} |")
    table = image_table()["singletons"]
    out += ["", "### Singletons", "",
            "A scheduler gets `singleton: true` (one task, never autoscaled, a rollout stops the old task before "
            "starting the new one) when its name has one of the words "
            + ", ".join(f"`{n}`" for n in table["names"]) + "; its image is "
            + ", ".join(f"`{i}`" for i in table["images"]) + "; or its command matches one of "
            + ", ".join(f"`{_cell(c)}`" for c in table["commands"])
            + ". `x-moorage: {singleton: true|false}` decides otherwise; `deploy.replicas` above 1 on a "
            "scheduler warns and is dropped.", "",
            "### Skipped", "",
            "A service that mounts the Docker socket or runs `privileged` is not runnable on Fargate: the import "
            "fails with a located error naming it, until it is left out with `--skip NAME` (`moorage init`) or "
            "`x-moorage: {skip: true}` on the service. Every skipped service is listed with the reason, and "
            "values that point at it warn.", "",
            "### Compose keys", "", "| key | handling | what moorage does |", "|---|---|---|"]
    for rule in explain_table():
        handling = _ACTIONS[rule.action] + (", per value" if rule.custom else "")
        out.append(f"| `{rule.scope}.{_cell(rule.key)}` | {handling} | {_cell(rule.note)} |")
    out += ["", END]
    return "\n".join(out)


def updated(text: str) -> str:
    """``text`` (docs/compose-import.md) with its generated section replaced."""
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + reference_markdown() + text[end:]


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    target = Path(sys.argv[1])
    target.write_text(updated(target.read_text(encoding="utf-8")), encoding="utf-8")
