"""Capacities a percentage alarm threshold is a share of: a database's max_connections."""

from __future__ import annotations

from moorage.data import load_data
from moorage.errors import Diagnostic, InputError
from moorage.resolve.environment import EnvSpec, ResolvedDatabase


def max_connections(db: ResolvedDatabase) -> tuple[int, str] | None:
    """The database's max_connections and where it comes from; ``None`` when moorage cannot know it."""
    given = db.parameters.get("max_connections")
    if given is not None:  # a formula ({DBInstanceClassMemory/...}) is not knowable here
        return (int(given), f"parameters.max_connections {given}") if str(given).isdigit() else None
    data = load_data("rds_connections")
    if db.engine == "aurora-mysql":
        n = data["aurora_mysql"].get(db.instance)
        return (int(n), f"Aurora MySQL's default for {db.instance}") if n else None
    formula, gib = data["formulas"].get(db.engine), data["memory_gib"].get(db.instance)
    if not formula or not gib:
        return None
    n = int(gib * 1024 ** 3 // formula["divisor"])
    if formula.get("cap"):
        n = min(n, int(formula["cap"]))
    return n, f"{db.engine}'s default for {db.instance}, {gib} GiB / {formula['divisor']:,} bytes"


def connections_threshold(env: EnvSpec, db: ResolvedDatabase, value: float | str) -> tuple[float, str]:
    """The absolute connection count an alarm fires above, and how it was reached (``value``: 80 or "80%")."""
    if not isinstance(value, str):
        return float(value), f"{value:g} connections"
    share = float(value.rstrip("%"))
    known = max_connections(db)
    if known is None:
        path = ("alarms", "thresholds", "db_connections")
        raise InputError([Diagnostic(
            "error", f"db_connections {value} is a share of database {db.name}'s max_connections, which moorage "
            f"does not know for {db.engine} on {db.instance}", env.locate(path) or env.locate(("databases", db.name)),
            f"give a count (alarms.thresholds.db_connections: 400), or set databases.{db.name}.parameters."
            "max_connections")])
    n, source = known
    threshold = max(1, round(n * share / 100))
    return float(threshold), f"{value} of {n}: {source}"
