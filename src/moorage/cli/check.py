"""`moorage check` and `moorage rules`: policy findings on a spec or on any CloudFormation template.

Plain functions with typer ``Annotated`` parameters; the app registers them with
``app.command()(check)`` and ``app.command()(rules)``. Exit codes: 0 ok, 1 findings at or above
``--fail-on``, 2 bad input.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, get_args

import typer
from rich.console import Console
from rich.markup import escape

from moorage.cli.options import FORMAT_HELP, TargetsArg, targets_or_here
from moorage.errors import Diagnostic
from moorage.lazy import lazy_module

if TYPE_CHECKING:
    from moorage.policy import Report

api = lazy_module("moorage.api")  # only `check` of a spec needs it (and troposphere, pydantic models)
# The rules, their reports and the data tables load when `check` or `rules` runs, not for every command.
ENV_PROFILES = ("dev", "staging", "prod")
# The formats each command writes (md: markdown); `check`'s are the policy reports' (a test compares them).
CheckFormat = Literal["table", "json", "sarif", "junit", "markdown", "md"]
RuleFormat = Literal["table", "json", "markdown", "md"]
RULE_FORMATS = get_args(RuleFormat)


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=False, emoji=False,
                   width=None if (sys.stderr if stderr else sys.stdout).isatty() else 140)


def _choice(value: str, allowed: Sequence[str], option: str) -> str:
    if value not in allowed:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}", param_hint=option)
    return value


def check(
    targets: TargetsArg = None,
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="environment of a spec (repeatable); "
                                                  "default: all")] = None,
    output_format: Annotated[CheckFormat | None, typer.Option("--format", "-f", help=FORMAT_HELP,
                                                              show_default=False)] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write the report to a file")] = None,
    fail_on: Annotated[str, typer.Option("--fail-on", help="exit 1 when an unsuppressed finding is at least this "
                                         "severe: critical, high, medium, low or none")] = "high",
    residency: Annotated[str | None, typer.Option(
        "--residency", help="preset (uae, eu, gcc, ...) or comma-separated regions; overrides the manifest's")] = None,
    region: Annotated[str | None, typer.Option(help="region of templates without a manifest")] = None,
    env_profile: Annotated[str | None, typer.Option(
        "--env-profile", help="judge templates without a manifest as dev, staging or prod (default prod)")] = None,
    require: Annotated[list[str] | None, typer.Option(
        "--require", help="turn on opt-in rules, e.g. cmk (customer-managed KMS keys)")] = None,
    show: Annotated[str, typer.Option("--show", help="lowest severity the table prints")] = "low",
    profile: Annotated[list[str] | None, typer.Option("--compose-profile", help="compose profile (repeatable)")] = None,
    standard: Annotated[str | None, typer.Option(
        "--standard", help="run only the rules mapped to one standard: cis, fsbp, nist, pci or residency")] = None,
) -> None:
    """Check security, reliability and data-residency rules; findings grouped by severity."""
    from moorage.policy import SEVERITIES, Severity
    from moorage.policy.registry import rules_for_standard, standards
    from moorage.policy.report import FORMATS, print_table, to_json, to_junit, to_markdown, to_sarif

    chosen = {"md": "markdown"}.get(output_format or "table", output_format or "table")
    _choice(chosen, FORMATS, "--format")
    _choice(fail_on, [*[str(s) for s in SEVERITIES], "none"], "--fail-on")
    _choice(show, [str(s) for s in SEVERITIES], "--show")
    if env_profile is not None:
        _choice(env_profile, ENV_PROFILES, "--env-profile")
    if standard is not None:
        _choice(standard, list(standards()), "--standard")
        _console(stderr=True).print(f"{standards()[standard]}: {len(rules_for_standard(standard))} rules",
                                    markup=False)
    targets = targets_or_here(targets)
    result = api.check_targets(targets, envs=env or (), region=region, profiles=profile or (), residency=residency,
                               env_profile=env_profile, require=require or (), standard=standard)
    report, items = result.report, result.checklist
    _warn(report)
    fallback = str(result.spec or (targets[0] if targets else "moorage.yml"))
    text = {"json": lambda: to_json(report, items), "sarif": lambda: to_sarif(report, fallback),
            "junit": lambda: to_junit(report), "markdown": lambda: to_markdown(report, items)}
    if chosen == "table":
        if output:
            with output.open("w", encoding="utf-8") as fh:
                print_table(report, Console(file=fh, width=140, highlight=False), Severity(show))
        else:
            print_table(report, _console(), Severity(show))
    else:
        body = text[chosen]()
        if output:
            output.write_text(body, encoding="utf-8")
        else:
            sys.stdout.write(body)
    if output:
        _console(stderr=True).print(f"report written to {output}")
    if fail_on != "none" and report.failing(fail_on):
        raise typer.Exit(1)


def _warn(report: Report) -> None:
    err = _console(stderr=True)
    for s in report.unused_suppressions:
        d = Diagnostic("warning", f"suppression {s} matches no finding", None, "remove it, or fix its rule/resource")
        err.print(f"[yellow]{escape(d.render())}[/yellow]")
    for e in report.errors:
        d = Diagnostic("warning", f"{e.rule} could not evaluate {e.label}/{e.stack}/{e.resource}: {e.detail}", None,
                       "this is a moorage bug or an unusual template; please report it")
        err.print(f"[yellow]{escape(d.render())}[/yellow]")


def rules(
    output_format: Annotated[RuleFormat | None, typer.Option("--format", "-f", help=FORMAT_HELP,
                                                             show_default=False)] = None,
    service: Annotated[str | None, typer.Option("--service", help="only this service (s3, rds, iam, ...)")] = None,
) -> None:
    """List every policy rule: id, severity, title, rationale and fix."""
    from moorage.policy import all_rules
    from moorage.policy.registry import opt_ins
    from moorage.policy.report.markdown import rules_markdown

    fmt = {"md": "markdown"}.get(output_format or "table", output_format or "table")
    _choice(fmt, RULE_FORMATS, "--format")
    chosen = tuple(r for r in all_rules() if service is None or r.service == service)
    if not chosen:
        services = sorted({r.service for r in all_rules()})
        raise typer.BadParameter(f"no rules for {service!r}; services: {', '.join(services)}", param_hint="--service")
    if fmt == "json":
        sys.stdout.write(json.dumps([r.to_dict() for r in chosen], indent=2, sort_keys=True) + "\n")
        return
    if fmt == "markdown":
        sys.stdout.write(rules_markdown(chosen))
        return
    out = _console()
    for r in chosen:
        scope = [f"{'/'.join(r.profiles)} only"] if r.profiles else []
        scope += ["with a residency"] if r.residency else []
        scope += [f"--require {r.opt_in}"] if r.opt_in else []
        scope += ["advisory: verify in the account"] if r.advisory else []
        extra = f"  [dim]({'; '.join(scope)})[/dim]" if scope else ""
        out.print(f"[bold]{r.id}[/bold]  {r.severity:<8}  {escape(r.title)}{extra}")
        out.print(f"    why: {escape(r.rationale)}")
        out.print(f"    fix: {escape(r.remediation)}")
    out.print(f"{len(chosen)} rules; opt-in groups: {', '.join(opt_ins()) or 'none'}")
