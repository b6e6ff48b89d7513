"""`moorage cost` and `moorage prices refresh`: plain functions the CLI registers as commands."""

from __future__ import annotations

import shlex
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, get_args

import typer
from rich.markup import escape
from rich.table import Table

from moorage.cli.options import FORMAT_HELP, TargetsArg, finite_number, targets_or_here
from moorage.cli.output import console, output_format, print_table
from moorage.cost.model import CostReport
from moorage.cost.report import (
    comparison_markdown,
    gate_failure,
    rows,
    savings_lines,
    summary_lines,
    to_json,
    to_markdown,
)
from moorage.errors import Diagnostic, InputError
from moorage.lazy import lazy_module

api = lazy_module("moorage.api")  # a spec goes through the whole pipeline
out = console()


class Basis(StrEnum):
    """Which total budgets and --fail-over compare."""

    UPPER = "upper"
    SOURCED = "sourced"


CostFormat = Literal["table", "json", "markdown", "md"]  # the formats `cost` writes (md: markdown)


def cost(
    targets: TargetsArg = None,
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="environment (repeatable); default: all")]
    = None,
    all_envs: Annotated[bool, typer.Option("--all", help="every environment side by side, the difference explained")]
    = False,
    usage: Annotated[Path | None, typer.Option("--usage", help="usage file (requests, GB out, log GB...)")] = None,
    usage_profile: Annotated[str | None, typer.Option("--usage-profile", help="small, medium or large")] = None,
    fmt: Annotated[CostFormat | None, typer.Option("--format", "-f", help=FORMAT_HELP, show_default=False)] = None,
    fail_over: Annotated[float | None, typer.Option(
        "--fail-over", help="exit 1 when a monthly estimate exceeds this",
        parser=finite_number("--fail-over", "a monthly amount", "dollars", "250"), metavar="USD")] = None,
    fail_over_basis: Annotated[Basis, typer.Option(
        "--fail-over-basis", help="total compared with --fail-over and the budget: upper (sourced + unknowns at "
        "proxy prices) or sourced only")] = Basis.UPPER,
    fail_on_unknown: Annotated[bool, typer.Option("--fail-on-unknown", help="exit 1 when any item has no sourced "
                                                                            "price")] = False,
    region: Annotated[str | None, typer.Option(help="region of loose templates (default: from the manifest)")] = None,
    price_region: Annotated[str | None, typer.Option("--price-region",
                                                     help="what-if: price every stack at this region's rates")] = None,
    prices: Annotated[Path | None, typer.Option("--prices", help="catalog directory from `moorage prices refresh`")]
    = None,
    show_free: Annotated[bool, typer.Option("--show-free", help="list free resources too")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write the report to a file")] = None,
    profile: Annotated[list[str] | None, typer.Option("--compose-profile", help="compose profile (repeatable)")]
    = None,
) -> None:
    """Itemized monthly cost estimate per environment, from sourced prices; exit 1 over --fail-over.

    Unknown rates are bounded by a declared proxy: totals read "at most $X" and --fail-over compares that
    upper bound unless --fail-over-basis sourced.
    """
    targets = targets_or_here(targets)
    _check_options(region, price_region)
    reports = api.estimate_targets(targets, envs=env or (), region=region, profiles=profile or (), usage=usage,
                                   usage_profile=usage_profile, prices=prices, price_region=price_region)
    chosen = output_format(fmt, False, get_args(CostFormat))
    if chosen == "json":
        text = to_json(reports, fail_over_basis.value)
    elif chosen == "markdown":
        text = to_markdown(reports, show_free=show_free)
    else:
        text = ""
    if output:
        output.write_text(text or to_markdown(reports, show_free=show_free), encoding="utf-8")
        out.print(f"cost report written to {output}")
    elif text:
        sys.stdout.write(text)
    else:
        _print_tables(reports, show_free=show_free, compact=all_envs, basis=fail_over_basis.value)
    failed = False
    for r in reports:
        why = gate_failure(r, fail_over, fail_over_basis.value) if fail_over is not None else None
        if why:
            print(why, file=sys.stderr)
            failed = True
        if fail_on_unknown and r.unknown:
            print(f"{r.label}: {len(r.unknown)} item(s) have no sourced price (--fail-on-unknown): "
                  + ", ".join(sorted({i.rate or i.type for i in r.unknown})), file=sys.stderr)
            failed = True
    if failed:
        raise typer.Exit(1)


def _check_options(region: str | None, price_region: str | None) -> None:
    """Exit 2 on a region that does not exist (--fail-over is checked as it is parsed: options.finite_number)."""
    from moorage.cost.catalog import checked_region

    if region is not None:
        checked_region(region, "--region")
    if price_region is not None:
        checked_region(price_region, "--price-region")


def _print_tables(reports: list[CostReport], *, show_free: bool, compact: bool, basis: str) -> None:
    for report in reports:
        if not compact:
            table = Table(title=f"{report.label} ({report.region})", title_justify="left")
            for col in ("resource", "component", "quantity", "unit price", "monthly", "note"):
                table.add_column(col, overflow="fold")
            for row in rows(report, show_free=show_free):
                table.add_row(*(escape(c) for c in row))
            print_table(out, table)
        for line in summary_lines(report, basis) + savings_lines(report):
            out.print(escape(line))
    if len(reports) > 1:
        out.print()
        out.print(escape(comparison_markdown(reports)))


def prices_refresh(
    region: Annotated[list[str] | None, typer.Option("--region", help="region to refresh (repeatable)")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="directory for the refreshed catalog")]
    = Path("moorage-prices"),
    source: Annotated[str, typer.Option(
        "--source", help="offers (public bulk offer files, no credentials), api (Price List API, needs AWS "
        "credentials) or auto (offers, then the API)")] = "auto",
) -> None:
    """Rebuild the price catalog from the public AWS Price List offer files (or the API); use it with --prices."""
    from moorage.cost.refresh import DEFAULT_REGIONS, refresh_catalog

    if source not in ("offers", "api", "auto"):
        raise InputError([Diagnostic("error", f"unknown --source '{source}'", None, "one of: offers, api, auto")])
    try:
        counts = refresh_catalog(region or DEFAULT_REGIONS, output=output, source=source)
    except OSError as exc:
        raise InputError([Diagnostic("error", f"cannot read the AWS Price List offer files: {exc}", None,
                                     "check the network, or use --source api with AWS credentials")]) from exc
    except Exception as exc:  # botocore errors: no credentials, no access, throttling
        if type(exc).__module__.startswith("botocore"):
            raise InputError([Diagnostic("error", f"AWS Price List API: {exc}", None,
                                         "configure AWS credentials allowed to call pricing:GetProducts")]) from exc
        raise
    for name, (count, origin) in counts.items():
        out.print(f"{name}: {count} rates from {origin} -> {output / (name + '.yaml')}")
    out.print(f"use them with: moorage cost SPEC --prices {escape(shlex.quote(str(output)))}")
