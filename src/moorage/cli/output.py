"""How the CLI prints: text stays text (no emoji codes, no highlighting), tables are never cut."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from moorage.errors import Diagnostic

VERBOSITY = {"level": 0}  # -1 quiet (-q: errors and results only), 0 normal, 1 verbose (--verbose)
SHOWN: set[str] = set()  # every warning once per run, however many environments repeat it

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


def print_diagnostics(diags: list[Diagnostic]) -> None:
    """Errors always; warnings and notes once each, and not with ``-q`` — the same for every command."""
    from rich.markup import escape

    err = console(stderr=True)
    for d in diags:
        if d.severity != "error" and (VERBOSITY["level"] < 0 or d.render() in SHOWN):
            continue
        SHOWN.add(d.render())
        color = {"error": "red", "warning": "yellow"}.get(d.severity, "cyan")
        err.print(f"[{color}]{escape(d.render())}[/{color}]", markup=True, highlight=False)
