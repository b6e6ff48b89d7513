"""Day-two commands: `moorage logs / run / exec / secrets / envs / open`.

They read a deployed environment (AWS, or the local emulator when it runs; they never start it) through
:mod:`moorage.operate`. Exit codes: 0 ok, 1 a failed task or operation, 2 bad input; `run` exits with
the container's own exit code. A stopped emulator or an environment not deployed is no bad input: the
views (`logs`, `secrets list`, `envs`) say "nothing to show" with the hint and exit 0; the commands that
cannot do what was asked (`run`, `exec`, `open`, `secrets set/rotate/restart`) exit 1 (docs/operate.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from typer.core import TyperCommand

from moorage.cli.deploy import err, out
from moorage.cli.options import (
    AwsProfileOpt,
    ComposeProfileOpt,
    EnvFileOpt,
    EnvOpt,
    FormatLongOpt,
    FormatOpt,
    JsonAliasOpt,
    LocalOpt,
    PreviewOfOpt,
    RegionOpt,
    SpecArg,
    positive_integer,
)
from moorage.cli.output import output_format, plural, print_table
from moorage.errors import Diagnostic, InputError, OperationalError
from moorage.lazy import lazy_module

if TYPE_CHECKING:
    from moorage.operate.deployed import Deployed

api = lazy_module("moorage.api")  # loaded when a command runs, not for --help

ServiceOpt = Annotated[str, typer.Option("--service", "-s", help="the service (its name in the spec)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine output: JSON")]
COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "bright_cyan", "bright_magenta", "bright_green")


class AfterDashCommand(TyperCommand):
    """A command that keeps everything after ``--`` as the command to run (SPEC stays optional)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Split ``args`` at the first ``--``; the tail goes to ``ctx.meta['command']``."""
        if "--" in args:
            at = args.index("--")
            ctx.meta["command"] = args[at + 1:]
            args = args[:at]
        else:
            ctx.meta["command"] = []
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """The usage line ends with ``[-- COMMAND...]``."""
        return [*super().collect_usage_pieces(ctx), "[-- COMMAND...]"]


def _deployed(spec: Path, env: str, local: bool, profile: str | None, region: str | None,
              compose_profile: list[str] | None, env_file: Path | None,
              preview_of: str | None = None) -> tuple[Deployed, Any]:
    return api.deployed_environment(spec, env, local=local, profile=profile, region=region,
                                    profiles=compose_profile or [], env_file=env_file, preview_of=preview_of)


def _views_nothing(exc: Exception) -> None:
    """A read-only view of an environment that is not there (emulator stopped, nothing deployed): said with the
    hint, exit 0."""
    err.print(f"nothing to show: {exc}\n    hint: {getattr(exc, 'hint', '')}", markup=False)


def _log_text(line: Any, width: int) -> Text:
    text = Text(line.time.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " ")
    # crc32, not hash(): the same service keeps its colour from one run to the next
    text.append(line.service.ljust(width), style=COLOURS[zlib.crc32(line.service.encode()) % len(COLOURS)])
    text.append("  " + line.message)
    return text


def logs(env: EnvOpt, spec: SpecArg = Path("."),
         service: Annotated[list[str] | None, typer.Option("--service", "-s", help="only this service "
                                                                                  "(repeatable); default: all")]
         = None,
         since: Annotated[str, typer.Option("--since", help="how far back: 45s, 30m, 2h, 1d or an ISO time")] = "10m",
         follow: Annotated[bool, typer.Option("--follow", "-f", help="keep printing new lines until Ctrl-C")] = False,
         pattern: Annotated[str | None, typer.Option("--filter", help="CloudWatch filter pattern, e.g. ERROR")]
         = None,
         as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
         fmt: FormatLongOpt = None,
         local: LocalOpt = False, profile: AwsProfileOpt = None, region: RegionOpt = None,
         compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
         preview_of: PreviewOfOpt = None) -> None:
    """The services' logs merged in time order, with the service in a column; -f follows them (like tail -f)."""
    if follow and str(spec) in ("json", "table") and not spec.exists():  # `-f json`: -f was read as --format
        raise InputError([Diagnostic("error", f"-f means --follow here (as in tail -f), so '{spec}' was read as the "
                                     "spec", None, f"for the output format write --format {spec} (with -f to "
                                     "follow as well)")])
    as_json = output_format(fmt, as_json) == "json"
    from moorage.emulator.server import EmulatorStopped
    from moorage.operate.deployed import NotDeployed
    from moorage.operate.logs import follow_logs, in_future, logged_services, read_logs, since_millis

    start = since_millis(since)
    try:
        deployed, _ = _deployed(spec, env, local, profile, region, compose_profile, env_file, preview_of)
        chosen = logged_services(deployed, service)
    except (EmulatorStopped, NotDeployed) as exc:
        _views_nothing(exc)
        return
    if in_future(start) and not follow:
        err.print(f"nothing yet: --since {since} is in the future")
        return
    width = max(len(s.name) for s in chosen)

    def show(line: Any) -> None:
        if as_json:
            sys.stdout.write(json.dumps(line.to_json()) + "\n")
            sys.stdout.flush()
        else:
            out.print(_log_text(line, width))

    if not follow:
        lines = read_logs(deployed, chosen, start, pattern)
        for line in lines:
            show(line)
        if not lines and not as_json:
            err.print(f"no log lines since {since} in {', '.join(s.name for s in chosen)}"
                      + (" (the emulator runs no containers: only lines written to it appear)" if local else ""))
        return
    try:
        for line in follow_logs(deployed, chosen, start, pattern):
            show(line)
    except KeyboardInterrupt:
        if not as_json:
            err.print("stopped following")


def run(ctx: typer.Context, env: EnvOpt, service: ServiceOpt, spec: SpecArg = Path("."),
        detach: Annotated[bool, typer.Option("--detach", "-d", help="print the task id and return at once")]
        = False,
        timeout: Annotated[int, typer.Option("--timeout", help="minutes to wait for the task to stop (--detach: "
                                             "don't wait)", metavar="MINUTES",
                                             parser=positive_integer("--timeout", "a number of minutes", "60"))] = 60,
        as_json: JsonOpt = False, fmt: FormatOpt = None, local: LocalOpt = False, profile: AwsProfileOpt = None,
        region: RegionOpt = None, compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
        preview_of: PreviewOfOpt = None) -> None:
    """Run a one-off task (-- COMMAND) with a service's task definition, network, secrets and role."""
    as_json = output_format(fmt, as_json) == "json"
    from moorage.operate.tasks import TaskFailed, start_task, wait_task

    command: list[str] = ctx.meta.get("command", [])
    deployed, _ = _deployed(spec, env, local, profile, region, compose_profile, env_file, preview_of)
    chosen = deployed.service(service)
    try:
        task = start_task(deployed, chosen, command)
    except TaskFailed as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None
    what = " ".join(command) or "its own command"
    if detach:
        if as_json:
            sys.stdout.write(json.dumps(task.to_json(), sort_keys=True) + "\n")
        else:
            out.print(task.task_id)
            err.print(f"started {what} in a task of {service}; follow it: "
                      f"{deployed.command('logs', '--service', service, '--follow')}", markup=False)
        return
    if not as_json:
        err.print(f"task {task.task_id} of {service}: {what} (task definition "
                  f"{task.task_definition.rsplit('/', 1)[-1]}); waiting for it to stop", markup=False)
    try:
        task = wait_task(deployed, chosen, task, on_line=(lambda _line: None) if as_json else lambda line: out.print(
            _log_text(line, len(service))), poll=0.2 if local else 3.0, timeout=timeout * 60.0)
    except TaskFailed as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print(f"stopped waiting; task {task.task_id} keeps running", markup=False)
        raise typer.Exit(130) from None
    if as_json:
        sys.stdout.write(json.dumps(task.to_json(), sort_keys=True) + "\n")
    else:
        err.print(f"task {task.task_id} stopped: exit {task.exit_code if task.exit_code is not None else 'unknown'}"
                  + (f" ({task.reason})" if task.reason else ""), markup=False)
        if local:
            err.print("the emulator runs no containers: this checked the RunTask call (task definition, subnets, "
                      "security group, command override), not your command's output", markup=False)
    raise typer.Exit(task.exit_code if task.exit_code is not None else 1)


def exec_(ctx: typer.Context, env: EnvOpt, service: ServiceOpt, spec: SpecArg = Path("."),
          task: Annotated[str | None, typer.Option("--task", help="task id (default: a running task)")] = None,
          local: LocalOpt = False, profile: AwsProfileOpt = None, region: RegionOpt = None,
          compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
          preview_of: PreviewOfOpt = None) -> None:
    """Open a shell (or -- COMMAND) in a running task through ECS Exec."""
    from moorage.operate.shell import exec_target, install_hint, open_session, plugin_path, require_plugin

    command = " ".join(ctx.meta.get("command", [])) or "/bin/sh"
    deployed, _ = _deployed(spec, env, local, profile, region, compose_profile, env_file, preview_of)
    found = exec_target(deployed, deployed.service(service), task, command)
    plugin = plugin_path()
    if local:
        out.print(f"ECS Exec is on for {service}; task {found.task_id} found. The emulator runs no containers, "
                  f"so no session opens: on AWS this runs {command!r} through the Session Manager plugin"
                  + ("" if plugin else f" ({install_hint()})"))
        return
    plugin = require_plugin()
    argv = open_session(deployed, found, profile)
    argv[0] = plugin
    err.print(f"opening {command!r} in task {found.task_id} of {service} (exit the shell to end the session)",
              markup=False)
    raise typer.Exit(subprocess.call(argv))  # noqa: S603 - AWS's plugin with the session ECS returned


secrets_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                          help="The app's secrets in Secrets Manager: set, list, rotate (values are never shown).")
RestartOpt = Annotated[bool, typer.Option("--restart", help="restart the services that read it (new deployment)")]
SpecNameArg = Annotated[list[str], typer.Argument(metavar="[SPEC] NAME",
                                                  help="the spec (default: the one in this directory), then the "
                                                       "secret's name as the spec declares it")]


VALUE_HINT = ("give the NAME only; the value is read from stdin (printf %s \"$VALUE\" | moorage secrets set ... NAME) "
              "or a hidden prompt")


def _declared_here(name: str) -> bool:
    """True when the spec of this directory declares secret ``name`` (False when there is no readable spec)."""
    try:
        return name in api.load_app(Path(".")).spec.secrets
    except Exception:  # noqa: BLE001 - no spec here: the arguments are read as SPEC NAME, and located there
        return False


def _spec_and_name(args: list[str]) -> tuple[Path, str]:
    if len(args) > 2:
        raise InputError([Diagnostic("error", "secret values never go on the command line", None, VALUE_HINT)])
    name = args[-1]
    if "=" in name:
        raise InputError([Diagnostic("error", f"{name.split('=', 1)[0]}=...: secret values never go on the "
                                     "command line (they end up in shell history)", None, VALUE_HINT)])
    if len(args) == 2 and not Path(args[0]).exists() and _declared_here(args[0]) and not _declared_here(name):
        # `secrets set STRIPE_KEY whsec_...`: the second word is a value, not a spec's secret (never echoed)
        raise InputError([Diagnostic("error", f"{args[0]} is followed by a second word that is no declared secret: "
                                     "secret values are never read from the command line (they end up in shell "
                                     "history)", None, VALUE_HINT)])
    return (Path(args[0]) if len(args) == 2 else Path(".")), name


def _after_change(deployed: Deployed, env: str, name: str, readers: tuple[str, ...], restart: bool,
                  local: bool, verb: str) -> None:
    from moorage.operate.secrets import restart_services

    if not readers:
        out.print(f"no service reads {name} yet")
        return
    if restart:
        restarted = restart_services(deployed, readers)
        out.print(f"restarted {', '.join(restarted) or 'nothing'}" +
                  (" (the emulator runs no containers: a new deployment was started)" if local and restarted else ""))
        later = [r for r in readers if r not in restarted]
        if later:
            out.print(f"{', '.join(later)} read the new value at their next run")
        return
    # Only a restart starts new tasks: a deploy finds nothing changed in the templates and restarts nothing.
    out.print(f"{plural(len(readers), 'service')} read {name} at start: {', '.join(readers)}; restart them to pick "
              f"it up: {deployed.command('secrets restart', name)} (or give --restart with secrets {verb})")


def _read_value(name: str) -> str:
    if sys.stdin.isatty():
        return str(typer.prompt(f"value of {name} (hidden)", hide_input=True, confirmation_prompt=True))
    value = sys.stdin.read()
    return value[:-1] if value.endswith("\n") else value


@secrets_app.command("set")
def secrets_set(args: SpecNameArg, env: EnvOpt, restart: RestartOpt = False, local: LocalOpt = False,
                profile: AwsProfileOpt = None, region: RegionOpt = None,
                compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
                preview_of: PreviewOfOpt = None) -> None:
    """Set a declared secret from stdin or a hidden prompt, never from the command line."""
    from moorage.operate.secrets import declared_secret, set_secret

    spec, name = _spec_and_name(args)
    deployed, synth = _deployed(spec, env, local, profile, region, compose_profile, env_file, preview_of)
    declared_secret(synth.plan, name)  # refuse unknown names before asking for a value
    readers = set_secret(deployed, synth.plan, name, _read_value(name))
    out.print(f"{name} set in {deployed.app}/{env}")
    _after_change(deployed, env, name, readers, restart, local, "set")


@secrets_app.command("rotate")
def secrets_rotate(args: SpecNameArg, env: EnvOpt, restart: RestartOpt = False, local: LocalOpt = False,
                   profile: AwsProfileOpt = None, region: RegionOpt = None,
                   compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
                   preview_of: PreviewOfOpt = None) -> None:
    """Give a generated secret a new random value."""
    from moorage.operate.secrets import rotate_secret

    spec, name = _spec_and_name(args)
    deployed, synth = _deployed(spec, env, local, profile, region, compose_profile, env_file, preview_of)
    readers = rotate_secret(deployed, synth.plan, name)
    out.print(f"{name} rotated in {deployed.app}/{env}")
    _after_change(deployed, env, name, readers, restart, local, "rotate")


@secrets_app.command("restart")
def secrets_restart(args: SpecNameArg, env: EnvOpt, local: LocalOpt = False,
                    profile: AwsProfileOpt = None, region: RegionOpt = None,
                    compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
                    preview_of: PreviewOfOpt = None) -> None:
    """Restart the services that read a secret (a new deployment), without changing its value."""
    from moorage.operate.secrets import declared_secret, readers

    spec, name = _spec_and_name(args)
    deployed, synth = _deployed(spec, env, local, profile, region, compose_profile, env_file, preview_of)
    declared_secret(synth.plan, name)
    _after_change(deployed, env, name, readers(synth.plan, name), True, local, "restart")


@secrets_app.command("list")
def secrets_list(env: EnvOpt, spec: SpecArg = Path("."), as_json: JsonOpt = False, fmt: FormatOpt = None,
                 local: LocalOpt = False, profile: AwsProfileOpt = None, region: RegionOpt = None,
                 compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
                 preview_of: PreviewOfOpt = None) -> None:
    """The declared secrets: last changed, rotation, who reads them; never their values."""
    as_json = output_format(fmt, as_json) == "json"
    from moorage.emulator.server import EmulatorStopped
    from moorage.operate.secrets import list_secrets

    try:
        deployed, synth = _deployed(spec, env, local, profile, region, compose_profile, env_file, preview_of)
    except EmulatorStopped as exc:
        if as_json:
            sys.stdout.write("[]\n")
        _views_nothing(exc)
        return
    found = list_secrets(deployed, synth.plan)
    if as_json:
        sys.stdout.write(json.dumps([s.to_json() for s in found], sort_keys=True) + "\n")
        return
    if not found:
        out.print(f"{deployed.app} declares no secrets (see `secrets:` in docs/spec.md)")
        return
    table = Table(title=f"Secrets of {deployed.app}/{env}", title_justify="left")
    for col in ("secret", "last changed", "rotation", "read by"):
        table.add_column(col)
    for s in found:
        changed = s.last_changed.strftime("%Y-%m-%d %H:%M") if s.last_changed else "not created (deploy first)"
        table.add_row(s.name, changed, s.rotation, ", ".join(s.services) or "-")
    print_table(out, table)


def envs(spec: SpecArg = Path("."), as_json: JsonAliasOpt = False, fmt: FormatOpt = None, local: LocalOpt = False,
         profile: AwsProfileOpt = None, region: RegionOpt = None,
         compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None) -> None:
    """Every environment: region, state, last release, URL and monthly estimate."""
    as_json = output_format(fmt, as_json) == "json"
    name, rows, reachable = api.environment_summaries(spec, local=local, profile=profile, region=region,
                                                      profiles=compose_profile or [], env_file=env_file)
    if as_json:
        sys.stdout.write(json.dumps([r.to_json() for r in rows], sort_keys=True) + "\n")
        return
    table = Table(title=f"Environments of {name}" + (" on the local emulator" if local else ""),
                  title_justify="left")
    for col in ("environment", "region", "status", "last release", "URL", "monthly estimate"):
        table.add_column(col)
    for r in rows:
        name = f"{r.name} (preview of {r.preview_of}, expires {r.expires})" if r.preview_of else \
            f"{r.name} ({r.profile})"
        table.add_row(name, r.region, r.status, r.last_release or "-", r.url or "-",
                      r.estimate)
    print_table(out, table)
    if local and not reachable:
        err.print("the local emulator is stopped: nothing is deployed locally (start it: moorage local start)",
                  markup=False)


def open_(env: EnvOpt, spec: SpecArg = Path("."),
          console: Annotated[bool, typer.Option("--console", help="the AWS console page of the environment")]
          = False,
          browser: Annotated[bool | None, typer.Option("--browser/--no-browser", help="open a browser (default: "
                                                       "when the output is a terminal)")] = None,
          local: LocalOpt = False, profile: AwsProfileOpt = None, region: RegionOpt = None,
          compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
          preview_of: PreviewOfOpt = None) -> None:
    """The app's URL (or its AWS console page), printed and opened in a browser."""
    from moorage.operate.deployed import not_deployed_error
    from moorage.operate.envs import console_url

    deployed, synth = _deployed(spec, env, local, profile, region, compose_profile, env_file, preview_of)
    if console:
        if local:
            raise InputError([Diagnostic("error", "the local emulator has no AWS console", None,
                                         f"see it with: {deployed.command('status')}")])
        url = console_url(deployed.target.region_for(deployed.region), deployed.cluster, synth.plan.prefix)
    else:
        if not deployed.outputs:
            raise not_deployed_error(deployed)
        if not deployed.url:  # the spec routes no service: an operation it cannot do, not bad input
            raise OperationalError(f"{deployed.app}/{env} has no public URL (no routed service)",
                                   "open its console page instead: moorage open --console")
        url = deployed.url
    out.print(url)
    if browser if browser is not None else sys.stdout.isatty():
        import webbrowser

        webbrowser.open(url)



# name, function, command class: registered on the main app in this order (workflow order)
COMMANDS: list[tuple[str, Any, type[TyperCommand] | None]] = [
    ("logs", logs, None), ("run", run, AfterDashCommand), ("exec", exec_, AfterDashCommand),
    ("envs", envs, None), ("open", open_, None)]
