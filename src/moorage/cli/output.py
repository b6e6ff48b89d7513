"""How the CLI prints: text stays text (no emoji codes, no highlighting), tables are never cut."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

VERBOSITY = {"level": 0}  # -1 quiet (-q: errors and results only), 0 normal, 1 verbose (--verbose)

# wide enough for any name: a table is as wide as its content, however long, when not printed to a terminal
PIPE_WIDTH = 1000


def console(stderr: bool = False) -> Console:
    """A console that prints ``file.yml:100:5`` as written (rich would turn ``:100:`` into an emoji)."""
    return Console(stderr=stderr, highlight=False, soft_wrap=True, emoji=False)


def print_table(target: Console, table: Table) -> None:
    """Print ``table``: fitted to a terminal, or at full width into a pipe or file (names are never cut)."""
    if target.is_terminal:
        target.print(table)
    else:
        wide = Console(file=target.file, width=PIPE_WIDTH, highlight=False, emoji=False, no_color=target.no_color)
        wide.print(table, crop=False)


def plural(count: int, word: str) -> str:
    """``1 stack``, ``2 stacks``."""
    return f"{count} {word}" + ("" if count == 1 else "s")


def output_format(fmt: str | None, as_json: bool, allowed: tuple[str, ...] = ("table", "json")) -> str:
    """The one ``--format`` of a command (``--json`` is short for ``--format json``; ``md`` for ``markdown``)."""
    from moorage.errors import Diagnostic, InputError

    chosen = {"md": "markdown"}.get(fmt or "", fmt) or ("json" if as_json else allowed[0])
    if chosen not in allowed or (as_json and chosen != "json"):
        raise InputError([Diagnostic("error", f"--format {fmt!r} is not one this command writes"
                                     + (" (and --json asks for json)" if as_json else ""), None,
                                     "expected one of: " + ", ".join(allowed))])
    return chosen
