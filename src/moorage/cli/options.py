"""The arguments and options that many commands share, defined once so their names and help agree."""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from moorage.cli.output import VERBOSITY
from moorage.errors import Diagnostic, InputError

SpecArg = Annotated[Path, typer.Argument(help="moorage.yml, a docker-compose file, or a directory holding one "
                                              "(default: the one in the current directory)", show_default=False)]
# `check` and `cost` also take synth directories and templates, several at once; none means the current directory.
TargetsArg = Annotated[list[Path] | None, typer.Argument(
    help="moorage.yml, a compose file, a `moorage synth` directory, or CloudFormation templates (default: the "
         "spec in the current directory)", show_default=False)]
ComposeProfileOpt = Annotated[list[str] | None, typer.Option("--compose-profile",
                                                             help="compose profile to include (repeatable)")]
EnvFileOpt = Annotated[Path | None, typer.Option("--env-file", help="compose .env file (default: next to it)")]

# The commands that act on one deployed environment (deploy, diff, status, destroy, history, logs ...).
EnvOpt = Annotated[str, typer.Option("--env", "-e", help="environment to act on")]
PreviewOfOpt = Annotated[str | None, typer.Option("--preview-of", help="--env NAME is a preview of this environment")]
LocalOpt = Annotated[bool, typer.Option("--local", help="the embedded local emulator (no AWS account, no Docker)")]
AwsProfileOpt = Annotated[str | None, typer.Option("--profile", help="AWS profile (default: boto3's credential chain)")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="AWS region (default: the spec's region)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine output: one JSON object per line")]


def finite_number(option: str, what: str, unit: str, example: str) -> Callable[[Any], float]:
    """A parser for a float option: a finite number, 0 or more, else an error (exit 2) that quotes what was typed
    (``1e400`` overflows to infinity: it is said to be too large, not shown as ``inf``). ``what``: what the
    value is (``a monthly amount``)."""

    def parse(text: Any) -> float:
        if isinstance(text, int | float):
            return float(text)  # a default
        try:
            value = float(text)
        except ValueError:
            value, why = math.nan, "not a number"
        else:
            why = ("too large to be a number" if math.isinf(value) and "inf" not in text.lower()
                   else "not a finite number" if not math.isfinite(value) else "below 0")
        if not (math.isfinite(value) and value >= 0):
            raise InputError([Diagnostic("error", f"{option}: {text!r} is not {what} ({why})", None,
                                         f"give a finite number of {unit}, 0 or more (e.g. {option} {example})")])
        return value

    return parse


def positive_integer(option: str, what: str, example: str) -> Callable[[Any], int]:
    """A parser for an int option: a whole number, 1 or more, else an error (exit 2) that quotes what was typed,
    before the command starts anything (``run --timeout 0`` would start a task, then give up on it at once).
    ``what``: what the value is (``a number of minutes``)."""

    def parse(text: Any) -> int:
        if isinstance(text, int):
            return text  # a default
        try:
            value = int(str(text).strip(), 10)
        except ValueError:
            value, why = 0, "not a whole number"
        else:
            why = "below 1"
        if value < 1:
            raise InputError([Diagnostic("error", f"{option}: {text!r} is not {what} ({why})", None,
                                         f"give a whole number, 1 or more (e.g. {option} {example})")])
        return value

    return parse


WaitLockOpt = Annotated[float, typer.Option(
    "--wait-lock", help="seconds to wait while another deploy of this environment holds its lock (default: "
                        "exit 1 naming the holder)", parser=finite_number("--wait-lock", "a wait", "seconds", "300"),
    metavar="SECONDS")]

# One spelling of the output format everywhere; each command's --format accepts exactly the formats it writes, as
# a Literal, so --help and the error for a bad value list them all (cli.output.output_format: `md` is markdown).
TableOrJson = Literal["table", "json"]
FORMAT_HELP = "output format (default: the first listed)"
FormatOpt = Annotated[TableOrJson | None, typer.Option("--format", "-f", help=FORMAT_HELP, show_default=False)]
# where -f already means --follow (`moorage logs`)
FormatLongOpt = Annotated[TableOrJson | None, typer.Option("--format", help=FORMAT_HELP, show_default=False)]
# the spellings before --format, kept working (documented in earlier releases) but no longer listed
JsonAliasOpt = Annotated[bool, typer.Option("--json", hidden=True, help="same as --format json")]
MarkdownAliasOpt = Annotated[bool, typer.Option("--markdown", hidden=True, help="same as --format markdown")]


def targets_or_here(targets: list[Path] | None) -> list[Path]:
    """The TARGETS given, or the current directory (its moorage.yml or compose file) when none is."""
    return list(targets) if targets else [Path(".")]


def set_verbosity(quiet: bool, verbose: bool) -> None:
    """-q / --verbose, given before the command (``moorage -q plan``) or after it (``moorage plan -q``): one
    level for the run; the two together are bad usage."""
    level = VERBOSITY["level"]
    if (quiet and (verbose or level > 0)) or (verbose and level < 0):
        raise InputError([Diagnostic("error", "--quiet and --verbose contradict each other", None, "give one")])
    if quiet:
        VERBOSITY["level"] = -1
    if verbose:
        VERBOSITY["level"] = 1
        os.environ["MOORAGE_DEBUG"] = "1"


def with_verbosity_options(root: Any) -> Any:
    """Give every command under ``root`` the root's own --quiet/-q and --verbose, so they may follow the command
    too; returns ``root``. (Copies of the root's options: typer may build on its own vendored copy of click.)"""
    shared = [p for p in root.params if p.name in ("quiet", "verbose")]

    def apply(ctx: Any, param: Any, value: bool) -> bool:
        if value:
            set_verbosity(param.name == "quiet", param.name == "verbose")
        return value

    def walk(command: Any) -> None:
        subcommands = getattr(command, "commands", None)
        if isinstance(subcommands, dict):
            for sub in subcommands.values():
                walk(sub)
            return
        names = {n for p in command.params for n in getattr(p, "opts", [])}
        for option in shared:
            if not names & set(option.opts):
                mine = copy.copy(option)
                mine.expose_value, mine.callback = False, apply
                command.params.append(mine)

    walk(root)
    return root
