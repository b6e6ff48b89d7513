"""The `moorage` command: a thin layer over :mod:`moorage.api`.

Exit codes: 0 ok, 1 findings or a failed deployment, 2 bad usage or input.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from moorage import __version__, api
from moorage.cli.check import check, rules
from moorage.cli.cost import cost, prices_refresh
from moorage.cli.deploy import deploy, destroy, diff, local_app, status
from moorage.deploy.lock import LockBusy
from moorage.emulator.server import EmulatorError
from moorage.errors import Diagnostic, InputError
from moorage.plan import Plan
from moorage.render import MANIFEST, write_synth
from moorage.spec.load import LoadedApp

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="moorage: one description of a containerised app -> its production AWS architecture.")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

prices_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
prices_app.command("refresh")(prices_refresh)

SpecArg = Annotated[Path, typer.Argument(help="moorage.yml, a docker-compose file, or a directory holding one")]
EnvOpt = Annotated[list[str] | None, typer.Option("--env", "-e", help="environment (repeatable); default: all")]
ProfileOpt = Annotated[list[str] | None, typer.Option("--profile", help="compose profile to include (repeatable)")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="treat import warnings as errors")]
EnvFileOpt = Annotated[Path | None, typer.Option("--env-file", help="compose .env file (default: next to it)")]


def _print_diagnostics(diags: list[Diagnostic]) -> None:
    for d in diags:
        color = {"error": "red", "warning": "yellow"}.get(d.severity, "cyan")
        err.print(f"[{color}]{escape(d.render())}[/{color}]", markup=True, highlight=False)


def _load(spec: Path, profiles: list[str] | None, strict: bool, env_file: Path | None = None) -> LoadedApp:
    loaded = api.load_app(spec, profiles=profiles or [], strict=strict, env_file=env_file)
    _print_diagnostics([w for w in loaded.warnings if w.severity == "warning"])
    return loaded


def _envs(loaded: LoadedApp, envs: list[str] | None) -> list[str]:
    return envs or list(loaded.spec.environments)


@app.command()
def plan(spec: SpecArg, env: EnvOpt = None, profile: ProfileOpt = None, strict: StrictOpt = False,
         env_file: EnvFileOpt = None,
         as_json: Annotated[bool, typer.Option("--json", help="machine-readable plan")] = False) -> None:
    """Show what would be built for each environment, and why."""
    loaded = _load(spec, profile, strict, env_file)
    plans = {e: api.plan_environment(loaded, e) for e in _envs(loaded, env)}
    estimates = {e: _estimate(p) for e, p in plans.items()}
    if as_json:
        out.print_json(json.dumps({e: {**plan_summary(p), "monthly_estimate_usd": estimates[e]}
                                   for e, p in plans.items()}, sort_keys=True))
        return
    for e, p in plans.items():
        _show_plan(p, estimates[e])


def _estimate(p: Plan) -> dict[str, float | int]:
    from moorage.cost import monthly_total
    from moorage.render import synthesize
    from moorage.templates import template_set_of

    low, high, unknown = monthly_total(template_set_of(synthesize(p)))
    return {"low": round(low, 2), "high": round(high, 2), "unpriced_items": unknown}


def plan_summary(p: Plan) -> dict[str, Any]:
    """A JSON-able summary of a plan."""
    return {
        "app": p.app, "environment": p.env.env, "profile": p.env.profile, "region": p.env.region,
        "stacks": [{"name": s.name, "purpose": s.purpose, "depends_on": s.depends_on} for s in p.stacks],
        "services": {n: {"kind": s.spec.kind, "cpu": s.spec.cpu, "memory": s.spec.memory, "tasks": s.spec.desired,
                         "route": s.route.path if s.route else None, "uses": s.spec.uses}
                     for n, s in p.services.items()},
        "decisions": [{"topic": d.topic, "value": d.value, "reason": d.reason} for d in p.decisions],
        "warnings": [d.render() for d in p.warnings],
    }


def _show_plan(p: Plan, estimate: dict[str, float | int]) -> None:
    env = p.env
    out.rule(f"{p.app} / {env.env}  (profile {env.profile}, {env.region})")
    svc = Table(title="Services", title_justify="left")
    for col in ("service", "kind", "size", "tasks", "route", "uses"):
        svc.add_column(col)
    for name, s in p.services.items():
        r = s.spec
        tasks = f"{r.scaling.min}-{r.scaling.max}" if r.scaling else str(r.desired)
        svc.add_row(name, r.kind + (" (spot)" if r.spot else ""), f"{r.cpu}/{r.memory}", tasks,
                    s.route.path if s.route else "-", ", ".join(r.uses) or "-")
    out.print(svc)
    stacks = Table(title="Stacks (deploy order)", title_justify="left")
    for col in ("stack", "what", "after"):
        stacks.add_column(col)
    for st in p.stacks:
        stacks.add_row(st.name, st.purpose, ", ".join(st.depends_on) or "-")
    out.print(stacks)
    dec = Table(title="Decisions", title_justify="left")
    for col in ("what", "chosen", "because"):
        dec.add_column(col)
    for d in p.decisions:
        dec.add_row(d.topic, d.value, d.reason)
    out.print(dec)
    span = f"${estimate['low']:,.2f}" + (f"-${estimate['high']:,.2f}" if estimate["high"] > estimate["low"] else "")
    unknown = f" ({estimate['unpriced_items']} items have no sourced price: see `moorage cost`)" \
        if estimate["unpriced_items"] else ""
    out.print(f"Monthly estimate: {span}{unknown}")
    _print_diagnostics(p.warnings)


@app.command()
def synth(spec: SpecArg, env: EnvOpt = None,
          output: Annotated[Path, typer.Option("--output", "-o", help="directory; each environment in a subfolder")]
          = Path("out"),
          profile: ProfileOpt = None, strict: StrictOpt = False, env_file: EnvFileOpt = None) -> None:
    """Write CloudFormation templates and a manifest for each environment."""
    loaded = _load(spec, profile, strict, env_file)
    for e in _envs(loaded, env):
        result = api.synth_environment(loaded, e)
        files = write_synth(result, output / e)
        total = sum(s["resources"] for s in result.manifest["stacks"])
        out.print(f"{e}: {len(files) - 1} templates, {total} resources -> {output / e}/ (+ {MANIFEST})")


@app.command()
def validate(target: Annotated[Path, typer.Argument(help="a template, or a `moorage synth` output directory")],
             region: Annotated[str | None, typer.Option(help="region to check in (default: from the manifest)")]
             = None,
             warnings_fail: Annotated[bool, typer.Option("--warnings-fail", help="exit 1 on warnings too")]
             = False) -> None:
    """Run cfn-lint over templates; exit 1 when it finds errors."""
    from moorage.validate import lint_directory
    from moorage.validate.lint import templates_in

    files = templates_in(target)
    findings = lint_directory(target, region)
    for f in findings:
        color = "red" if f.severity == "error" else "yellow"
        out.print(f"[{color}]{escape(f.render())}[/{color}]", markup=True, highlight=False)
    errors = sum(f.severity == "error" for f in findings)
    warns = len(findings) - errors
    out.print(f"{len(files)} templates checked: {errors} errors, {warns} warnings")
    if errors or (warnings_fail and warns):
        raise typer.Exit(1)


@app.command()
def schema(output: Annotated[Path | None, typer.Option("--output", "-o", help="write to a file")] = None,
           markdown: Annotated[bool, typer.Option("--markdown", help="the human reference instead")] = False) -> None:
    """Print the JSON Schema of moorage.yml (for editors), or its reference in Markdown."""
    if markdown:
        from moorage.spec.reference import spec_reference

        text = spec_reference()
    else:
        text = json.dumps(api.app_schema(), indent=2, sort_keys=True) + "\n"
    if output:
        output.write_text(text, encoding="utf-8")
        out.print(f"schema written to {output}")
    else:
        sys.stdout.write(text)


@app.command()
def init(source: Annotated[Path | None, typer.Option("--from", help="docker-compose file to import")] = None,
         output: Annotated[Path, typer.Option("--output", "-o", help="where to write")] = Path("moorage.yml"),
         profile: ProfileOpt = None, strict: StrictOpt = False, env_file: EnvFileOpt = None,
         explain: Annotated[bool, typer.Option("--explain", help="print how each compose key is handled")] = False,
         force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False) -> None:
    """Write a moorage.yml from a compose file, explaining every decision."""
    from moorage import compose

    if explain:
        table = Table(title="How compose keys are handled", title_justify="left")
        for col in ("compose key", "handling", "what moorage does"):
            table.add_column(col)
        for rule in compose.explain_table():
            table.add_row(f"{rule.scope}.{rule.key}", rule.action + (" (per value)" if rule.custom else ""),
                          rule.note)
        out.print(table)
        if source is None:
            return
    if source is None:
        raise InputError([Diagnostic("error", "init needs --from docker-compose.yml", None,
                                     "or write moorage.yml by hand: see `moorage schema`")])
    if output.exists() and not force:
        raise InputError([Diagnostic("error", f"{output} already exists", None, "use --force to overwrite it")])
    loaded = compose.import_compose(source, profiles=profile or [], env_file=env_file, strict=strict)
    for d in loaded.warnings:
        if d.severity == "info":
            out.print(f"[cyan]{escape(d.render())}[/cyan]", markup=True, highlight=False)
    _print_diagnostics([w for w in loaded.warnings if w.severity == "warning"])
    output.write_text(compose.to_moorage_yaml(loaded), encoding="utf-8")
    out.print(f"wrote {output}: {len(loaded.spec.services)} services, {len(loaded.spec.databases)} databases, "
              f"{len(loaded.spec.caches)} caches, {len(loaded.spec.buckets)} buckets")


@app.command()
def version() -> None:
    """Print the moorage version."""
    out.print(__version__)


def _click_exception_types() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    # Newer typer releases vendor click; older ones use the click package. Handle both.
    modules: list[Any] = [click.exceptions]
    try:
        from typer._click import exceptions as vendored

        modules.append(vendored)
    except ImportError:
        pass
    aborts = tuple(m.Abort for m in modules if hasattr(m, "Abort")) + (typer.Abort,)
    return tuple(m.ClickException for m in modules), aborts


app.command()(deploy)
app.command()(diff)
app.command()(status)
app.command()(destroy)
app.add_typer(local_app, name="local", help="the embedded AWS emulator (moto) behind --local")
app.command("cost")(cost)
app.command("check")(check)
app.command("rules")(rules)
app.add_typer(prices_app, name="prices", help="the price catalog behind `moorage cost`")


def main() -> None:
    """Entry point: run the CLI; turn bad input into located errors and exit code 2."""
    click_errors, aborts = _click_exception_types()
    try:
        code = app(standalone_mode=False)
    except InputError as exc:
        _print_diagnostics(exc.diagnostics)
        sys.exit(2)
    except (typer.Exit, click.exceptions.Exit) as exc:
        sys.exit(exc.exit_code)
    except aborts:
        err.print("aborted")
        sys.exit(1)
    except click_errors as exc:
        exc.show()  # type: ignore[attr-defined]
        sys.exit(2)
    except (NoCredentialsError, PartialCredentialsError, ProfileNotFound, NoRegionError) as exc:
        err.print(f"error: {exc}\n    hint: configure AWS credentials (aws configure, AWS_PROFILE, --profile) "
                  "or use --local for the embedded emulator", markup=False)
        sys.exit(2)
    except EndpointConnectionError as exc:
        err.print(f"error: cannot reach AWS: {exc}\n    hint: check the network, the region, or use --local",
                  markup=False)
        sys.exit(1)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        err.print(f"error: AWS refused {exc.operation_name}: {error.get('Code', '')}: {error.get('Message', '')}\n"
                  "    hint: check the credentials' permissions and the account", markup=False)
        sys.exit(1)
    except (LockBusy, EmulatorError) as exc:  # another deploy holds the lock; the emulator cannot be used
        err.print(f"error: {exc}\n    hint: {exc.hint}", markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
        if os.environ.get("MOORAGE_DEBUG"):
            traceback.print_exc()
        err.print(f"internal error: {type(exc).__name__}: {exc}\n    hint: this is a moorage bug; "
                  "rerun with MOORAGE_DEBUG=1 and report it", markup=False)
        sys.exit(3)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
