"""The `moorage` command: a thin layer over :mod:`moorage.api`.

Exit codes: 0 ok, 1 findings or a failed deployment, 2 bad usage or input.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn

import click
import typer
from rich.markup import escape
from rich.table import Table

from moorage import __version__
from moorage.cli import operate
from moorage.cli.check import check, rules
from moorage.cli.ci import ci_app
from moorage.cli.cost import cost, prices_refresh
from moorage.cli.deploy import deploy, destroy, diff, local_app, status
from moorage.cli.guide import diagram, docs
from moorage.cli.options import (
    FORMAT_HELP,
    ComposeProfileOpt,
    EnvFileOpt,
    FormatOpt,
    JsonAliasOpt,
    MarkdownAliasOpt,
    SpecArg,
    set_verbosity,
    with_verbosity_options,
)
from moorage.cli.output import SHOWN, VERBOSITY, console, output_format, plural, print_diagnostics, print_table
from moorage.cli.release import history, rollback
from moorage.errors import Diagnostic, InputError, OperationalError
from moorage.lazy import lazy_module

if TYPE_CHECKING:
    from moorage.plan import Plan
    from moorage.spec.load import LoadedApp

# Loaded by the commands that need them: `moorage --help` and `moorage version` stay quick (docs/scale.md).
api = lazy_module("moorage.api")

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]},
                  help="moorage: one description of a containerised app -> its production AWS architecture.")
out = console()
err = console(stderr=True)

prices_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
prices_app.command("refresh")(prices_refresh)

EnvOpt = Annotated[list[str] | None, typer.Option("--env", "-e", help="environment (repeatable); default: all")]
StrictOpt = Annotated[bool, typer.Option("--strict", help="treat import warnings as errors")]


_print_diagnostics = print_diagnostics


def _load(spec: Path, profiles: list[str] | None, strict: bool, env_file: Path | None = None) -> LoadedApp:
    loaded = api.load_app(spec, profiles=profiles or [], strict=strict, env_file=env_file)
    _print_diagnostics([w for w in loaded.warnings if w.severity == "warning"])
    return loaded


def _envs(loaded: LoadedApp, envs: list[str] | None) -> list[str]:
    return envs or list(loaded.spec.environments)


@app.command()
def plan(spec: SpecArg = Path("."), env: EnvOpt = None, profile: ComposeProfileOpt = None, strict: StrictOpt = False,
         env_file: EnvFileOpt = None,
         fmt: FormatOpt = None, as_json: JsonAliasOpt = False, preview_of: Annotated[str | None, typer.Option(
             "--preview-of", help="plan --env NAME as a preview of this environment")] = None) -> None:
    """Show what would be built for each environment, and why."""
    as_json = output_format(fmt, as_json) == "json"
    loaded = _load(spec, profile, strict, env_file)
    plans = {n: api.plan_preview(loaded, n, preview_of) for n in env or ["pr-1"]} if preview_of else \
        {e: api.plan_environment(loaded, e) for e in _envs(loaded, env)}
    estimates = {e: api.plan_estimate(p) for e, p in plans.items()}
    if as_json:
        from moorage.plan.summary import plan_summary

        out.print_json(json.dumps({e: {**plan_summary(p), "monthly_estimate_usd": estimates[e]}
                                   for e, p in plans.items()}, sort_keys=True))
        return
    for e, p in plans.items():
        _show_plan(p, estimates[e])


def _show_plan(p: Plan, estimate: dict[str, float | int | str]) -> None:
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
    print_table(out, svc)
    stacks = Table(title="Stacks (deploy order)", title_justify="left")
    for col in ("stack", "what", "after"):
        stacks.add_column(col)
    for st in p.stacks:
        stacks.add_row(st.name, st.purpose, ", ".join(st.depends_on) or "-")
    print_table(out, stacks)
    dec = Table(title="Decisions", title_justify="left")
    for col in ("what", "chosen", "because"):
        dec.add_column(col)
    for d in p.decisions:
        dec.add_row(d.topic, d.value, d.reason)
    print_table(out, dec)
    out.print(f"Monthly estimate: {estimate['headline']} (itemized: `moorage cost`)")
    _print_diagnostics(p.warnings)


@app.command()
def synth(spec: SpecArg = Path("."), env: EnvOpt = None,
          output: Annotated[Path, typer.Option("--output", "-o", help="directory; each environment in a subfolder")]
          = Path("out"),
          profile: ComposeProfileOpt = None, strict: StrictOpt = False, env_file: EnvFileOpt = None) -> None:
    """Write CloudFormation templates and a manifest for each environment."""
    from moorage.render import MANIFEST, write_synth

    loaded = _load(spec, profile, strict, env_file)
    for e in _envs(loaded, env):
        result = api.synth_environment(loaded, e)
        files = write_synth(result, output / e)
        total = sum(s["resources"] for s in result.manifest["stacks"])
        out.print(f"{e}: {plural(len(files) - 1, 'template')}, {plural(total, 'resource')} -> {output / e}/ "
                  f"(+ {MANIFEST})")


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
    out.print(f"{plural(len(files), 'template')} checked: {plural(errors, 'error')}, {plural(warns, 'warning')}")
    if errors or (warnings_fail and warns):
        raise typer.Exit(1)


@app.command()
def schema(output: Annotated[Path | None, typer.Option("--output", "-o", help="write to a file")] = None,
           fmt: Annotated[Literal["json", "markdown", "md"] | None, typer.Option(
               "--format", "-f", help=FORMAT_HELP, show_default=False)] = None,
           markdown: MarkdownAliasOpt = False) -> None:
    """Print the JSON Schema of moorage.yml (for editors), or its reference in Markdown (--format markdown)."""
    if output_format(fmt or ("markdown" if markdown else None), False, ("json", "markdown")) == "markdown":
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
         profile: ComposeProfileOpt = None, strict: StrictOpt = False, env_file: EnvFileOpt = None,
         skip: Annotated[list[str] | None, typer.Option("--skip", help="compose service to leave out (repeatable)")]
         = None,
         explain: Annotated[bool, typer.Option("--explain", help="print how each compose key is handled")] = False,
         force: Annotated[bool, typer.Option("--force", help="overwrite an existing file")] = False) -> None:
    """Write a moorage.yml from a compose file, explaining every decision; write nothing that would not load."""
    from moorage import compose

    if explain:
        table = Table(title="How compose keys are handled", title_justify="left")
        for col in ("compose key", "handling", "what moorage does"):
            table.add_column(col)
        for rule in compose.explain_table():
            table.add_row(f"{rule.scope}.{rule.key}", rule.action + (" (per value)" if rule.custom else ""),
                          rule.note)
        print_table(out, table)
        if source is None:
            return
    source = source or api.compose_file_in(Path("."))
    if source is None:
        raise InputError([Diagnostic("error", "no compose file here for init to import", None,
                                     "give one: --from docker-compose.yml, or write moorage.yml by hand: "
                                     "see `moorage schema`")])
    if output.exists() and not force:
        raise InputError([Diagnostic("error", f"{output} already exists", None, "use --force to overwrite it")])
    loaded, text = api.import_checked(source, profiles=profile or [], env_file=env_file, strict=strict,
                                      skip=skip or [])
    notes = [d for d in loaded.warnings if d.severity == "info"]
    if explain or VERBOSITY["level"] > 0:  # every decision, located
        for d in notes:
            out.print(f"[cyan]{escape(d.render())}[/cyan]", markup=True, highlight=False)
    elif notes and VERBOSITY["level"] == 0:  # -q: none; otherwise how many, and how to see them
        out.print(f"{plural(len(notes), 'import note')} (how each compose key was handled): see them with --explain",
                  markup=False)
    _print_diagnostics([w for w in loaded.warnings if w.severity == "warning"])
    if explain:
        _show_rewrites(compose.rewrites(loaded))
    output.write_text(text, encoding="utf-8")
    spec = loaded.spec
    from moorage.kinds import compose_kinds, kind  # the kinds an import makes (database, cache, bucket, queue ...)

    out.print(f"wrote {output}: " + ", ".join([plural(len(spec.services), "service"), *(
        plural(len(getattr(spec, kind(k).block)), k) for k in compose_kinds())]))


def _show_version(value: bool) -> None:
    if value:
        out.print(f"moorage {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(
        version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_show_version,
                                              help="print the version and exit")] = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="errors and results only, no warnings")] = False,
        verbose: Annotated[bool, typer.Option("--verbose", help="also notes, and tracebacks of internal errors")]
        = False) -> None:
    """moorage: one description of a containerised app -> its production AWS architecture."""
    VERBOSITY["level"] = 0
    SHOWN.clear()
    set_verbosity(quiet, verbose)


def _show_rewrites(rows: list[tuple[str, str, str, str]]) -> None:
    table = Table(title="Rewired settings", title_justify="left")
    for col in ("service", "variable", "becomes", "where"):
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    out.print(table)


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
for _name, _command, _cls in operate.COMMANDS:
    app.command(_name, cls=_cls)(_command)
app.add_typer(operate.secrets_app, name="secrets", help=operate.secrets_app.info.help)
app.add_typer(local_app, name="local", help="the embedded AWS emulator (moto) behind --local")
app.command("cost")(cost)
app.command("check")(check)
app.command("rules")(rules)
app.command("docs")(docs)
app.command("diagram")(diagram)
app.command("history")(history)
app.command("rollback")(rollback)
app.add_typer(ci_app, name="ci", help="generated CI/CD (GitHub Actions, GitLab CI) with OIDC roles")
app.add_typer(prices_app, name="prices", help="the price catalog behind `moorage cost`")


def moorage_command() -> Any:
    """The click command behind `moorage`, with the help conventions of :mod:`moorage.cli.help`."""
    from moorage.cli.help import polish

    return with_verbosity_options(polish(typer.main.get_command(app)))


def _aws_error(exc: Exception) -> int | None:
    """Print an AWS client error and return its exit code; None when ``exc`` is not one."""
    if "botocore" not in sys.modules:
        return None  # boto3 was never loaded, so this cannot be one of its errors
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        ProfileNotFound,
    )

    if isinstance(exc, (NoCredentialsError, PartialCredentialsError, ProfileNotFound, NoRegionError)):
        err.print(f"error: {exc}\n    hint: configure AWS credentials (aws configure, AWS_PROFILE, --profile) "
                  "or use --local for the embedded emulator", markup=False)
        return 2
    if isinstance(exc, EndpointConnectionError):
        err.print(f"error: cannot reach AWS: {exc}\n    hint: check the network, the region, or use --local",
                  markup=False)
        return 1
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        err.print(f"error: AWS refused {exc.operation_name}: {error.get('Code', '')}: {error.get('Message', '')}\n"
                  "    hint: check the credentials' permissions and the account", markup=False)
        return 1
    return None


def main() -> None:
    """Entry point: run the CLI; turn bad input into located errors and exit code 2."""
    if sys.argv[1:] == ["version"]:
        out.print(__version__)  # answered before typer runs a command (its runner imports pydantic)
        sys.exit(0)
    click_errors, aborts = _click_exception_types()
    try:
        code = _said_interrupts(moorage_command()).main(prog_name="moorage", standalone_mode=False)
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
    except OperationalError as exc:  # another deploy holds the lock; the emulator cannot be used
        err.print(f"error: {exc}\n    hint: {exc.hint}", markup=False)
        sys.exit(1)
    except OSError as exc:
        if exc.filename is None:
            _internal_error(exc)
        # A path the user named that cannot be read or written (an existing file where a folder goes, a
        # folder where a file goes, a missing or read-only parent): bad usage, not a moorage bug.
        err.print(f"error: {exc.filename}: {exc.strerror or exc}\n    hint: check the path given to the command "
                  "(SPEC, --output/-o, --from): its parent folder must exist and be writable", markup=False)
        sys.exit(2)
    except KeyboardInterrupt:  # a command that did not say it itself (e.g. before "deploying ...")
        from moorage.cli.interrupted import interrupted

        interrupted()
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
        code = _aws_error(exc) if not _refused_deploy(exc) else 1
        if code is not None:
            sys.exit(code)
        _internal_error(exc)
    sys.exit(code if isinstance(code, int) else 0)


def _said_interrupts(command: click.Command) -> click.Command:
    """``command`` saying "interrupted (Ctrl-C)" for a Ctrl-C its commands do not report (typer turns it into a
    silent exit 130)."""
    from moorage.cli.interrupted import interrupted

    invoke = command.invoke

    def invoke_said(ctx: click.Context) -> Any:
        try:
            return invoke(ctx)
        except KeyboardInterrupt:
            interrupted()
    command.invoke = invoke_said  # type: ignore[method-assign]
    return command


def _refused_deploy(exc: Exception) -> bool:
    """Print a deploy refusal (a stuck stack) that a command did not report itself; False if ``exc`` is none."""
    if "moorage.deploy.run" not in sys.modules:
        return False  # the deploy engine was never loaded, so this cannot be its refusal
    from moorage.deploy.run import DeployRefused

    if not isinstance(exc, DeployRefused):
        return False
    err.print(f"error: stopped before changing anything:\n{exc.render()}", markup=False)
    return True


def _internal_error(exc: BaseException) -> NoReturn:
    """A moorage bug: one line (the traceback with MOORAGE_DEBUG=1) and exit 3."""
    if os.environ.get("MOORAGE_DEBUG"):
        traceback.print_exc()
    err.print(f"internal error: {type(exc).__name__}: {exc}\n    hint: this is a moorage bug; "
              "rerun with MOORAGE_DEBUG=1 and report it", markup=False)
    sys.exit(3)


if __name__ == "__main__":
    main()
