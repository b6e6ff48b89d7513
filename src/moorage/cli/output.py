"""How the CLI prints: text stays text (no emoji codes, no highlighting), tables are never cut."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

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
