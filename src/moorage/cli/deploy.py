"""`moorage deploy / diff / status / destroy` and `moorage local stop / status`.

Plain functions registered on the main app (``app.command()(deploy)`` ...), and the ``local_app``
sub-app. Exit codes: 0 ok, 1 a failed or refused deployment, 2 bad input.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from moorage.cli.options import (
    AwsProfileOpt,
    ComposeProfileOpt,
    EnvFileOpt,
    EnvOpt,
    FormatOpt,
    JsonAliasOpt,
    JsonOpt,
    LocalOpt,
    PreviewOfOpt,
    RegionOpt,
    SpecArg,
    WaitLockOpt,
    positive_integer,
)
from moorage.cli.output import VERBOSITY, console, output_format, plural, print_diagnostics, print_table
from moorage.errors import Diagnostic, InputError
from moorage.lazy import lazy_module

if TYPE_CHECKING:
    from moorage.deploy.progress import Reporter
    from moorage.deploy.run import DeployRefused, DeployResult
    from moorage.deploy.session import Target
    from moorage.render import Synth

# boto3 and the deploy engine load when a command runs, not for `moorage --help`.
api = lazy_module("moorage.api")

out = console()
err = console(stderr=True)

@contextmanager
def _emulator_guard(target: Target, spec: Path) -> Iterator[None]:
    """An emulator that stops answering mid-command is reported as such, with how to restart it."""
    try:
        yield
    except Exception as exc:
        from botocore.exceptions import EndpointConnectionError

        if not isinstance(exc, EndpointConnectionError) or not target.local or target.lock_dir is None:
            raise
        from moorage.emulator.server import dead_emulator

        raise dead_emulator(_project_dir(spec)) from None


def image_tags(synth: Synth, spec_dir: Path) -> dict[str, str]:
    """service -> the tag of its build context as it is now (the one deploy pushes and diff compares)."""
    from moorage.deploy.images import current_image_tags

    return current_image_tags(synth, spec_dir)


def _project_dir(spec: Path) -> Path:
    return api.project_dir(spec)


def _synth(spec: Path, env: str, compose_profile: list[str] | None, env_file: Path | None,
           images: list[str] | None = None, preview_of: str | None = None, warn: bool = False) -> Synth:
    """The environment's templates; ``warn``: print the spec's load warnings (a compose import's) on stderr."""
    return api.deploy_synth(spec, env, profiles=compose_profile or [], env_file=env_file,
                            images=images, preview_of=preview_of, warn=print_diagnostics if warn else None)


def _target(spec: Path, local: bool, profile: str | None, region: str | None) -> Target:
    target: Target = api.deploy_target(spec, local=local, profile=profile, region=region)
    if target.note:
        err.print(f"note: {target.note}", markup=False)
    return target


def stopped_emulator(spec: Path) -> Diagnostic:
    """What read-only commands say instead of starting the emulator."""
    return api.stopped_emulator(spec)


def existing_target(spec: Path, local: bool, profile: str | None, region: str | None,
                    required: bool = True) -> Target | None:
    """Like :func:`_target`, but never starts the emulator: None (or, when ``required``, an error) if stopped."""
    if not local or profile:
        return _target(spec, local, profile, region)
    return api.existing_target(spec, local=local, profile=profile, region=region,
                               required=required)


def _record(target: Target, synth: Synth, result: DeployResult, started: Any, commit: str | None, spec: Path,
            as_json: bool) -> None:
    from botocore.exceptions import ClientError

    from moorage.deploy.releases import record_deploy

    try:
        recorded = record_deploy(target, synth, result, started, commit, spec)
    except ClientError as exc:
        # The deploy itself is done (or failed) already: say the record is missing rather than fail it.
        err.print(f"[yellow]the release was not recorded: {escape(str(exc))}[/yellow]", markup=True)
        return
    if recorded and not as_json:
        record, where = recorded
        if record.outcome == "reconciled":  # no change, but history did not say what runs: now it does
            out.print(escape(record.note), markup=True)
        out.print(f"release {record.number} {record.outcome}: recorded in {where}")


def _reporter(as_json: bool) -> Reporter:
    from moorage.deploy.progress import JsonReporter, RichReporter

    if as_json:
        return JsonReporter()
    quiet = VERBOSITY["level"] < 0  # -q: no live table and no resource events, a plain line per stack
    return RichReporter(out, live=False if quiet else None, show_events=not quiet)


def _refused(exc: DeployRefused, as_json: bool, command: str = "deploy") -> None:
    from moorage.deploy.progress import JsonReporter

    if as_json:
        JsonReporter().emit("refused", inputs=exc.inputs, problems=[p.to_json() for p in exc.problems],
                            dangerous={k: [c.to_json() for c in v] for k, v in exc.dangerous.items()},
                            leftovers=[f.to_json() for f in exc.leftovers], message=exc.render())
    else:
        said = "diff: a deploy would stop before changing anything" if command == "diff" else \
            f"{command} stopped before changing anything"  # a diff never changes anything
        err.print(f"[red]{said}:[/red]\n{escape(exc.render())}", markup=True)
    raise typer.Exit(1)


def _after_failure(status: str, target: Target, env: str, job: bool = False) -> str:
    """What a failed stack's status leaves behind, and the way out when it cannot be deployed again as it is."""
    if job:  # a before-deploy job failed after its own stack deployed: the waves after it did not run
        return "the services were not updated: they keep running the previous version"
    if status.endswith("ROLLBACK_FAILED"):
        return (f"the rollback failed too: the stack is stuck in {status} and no deploy can update it; way out: "
                f"{target.command('deploy', env, '--repair')} (continues the rollback), then deploy again")
    if status == "ROLLBACK_COMPLETE":
        return (f"its creation was rolled back: the empty stack must be deleted before the next deploy: "
                f"{target.command('deploy', env, '--repair')}")
    return "the stack was rolled back; the previous version keeps running"


def _summary(result: DeployResult, synth: Synth, reporter: Reporter, as_json: bool, target: Target) -> None:
    from moorage.deploy.progress import JsonReporter

    not_emulated = [(o.name, e.logical_id, e.resource_type) for o in result.outcomes.values()
                    for e in o.not_emulated]
    if as_json:
        assert isinstance(reporter, JsonReporter)
        reporter.emit("summary", **result.to_json())
        return
    if result.expires:
        out.print(f"preview {synth.manifest['environment']} expires {result.expires} (every deploy extends it)")
    if result.removed:
        out.print(f"removed {', '.join(result.removed)} (no longer in the plan)")
    if result.unchanged:
        out.print(("" if result.removed else "No changes: ") + f"{len(result.outcomes)} stacks of "
                  f"{synth.manifest['app']}/{synth.manifest['environment']} are up to date.")
        return
    failure = result.failure
    if failure is not None:
        reason = ""
        if failure.failure is not None:
            reason = (f"{failure.failure.logical_id} ({failure.failure.resource_type}) failed: "
                      f"{failure.failure.reason}")
        err.print(f"[red]deploy failed: {escape(failure.name)} {escape(failure.status)}[/red]", markup=True)
        if reason:
            err.print(f"    {escape(reason)}", markup=True)
        job = failure.failure is not None and failure.failure.status == "JOB_FAILED"
        err.print(f"    {_after_failure(failure.status, target, str(synth.manifest['environment']), job)}",
                  markup=False)
    done = {k: o.action for k, o in result.outcomes.items()}
    counts = {a: sum(1 for v in done.values() if v == a) for a in sorted(set(done.values()))}
    out.print("stacks: " + ", ".join(f"{n} {a}" for a, n in counts.items()) + f" in {result.elapsed:.1f}s")
    for line, name, rtype in not_emulated:
        out.print(f"[yellow]not emulated: {escape(line)} {escape(name)} ({escape(rtype)})[/yellow]", markup=True)
    url = result.outputs.get("edge", {}).get("Url")
    if synth.manifest.get("preview"):
        from moorage.deploy.previews import preview_url

        url = preview_url(synth.manifest, result.outputs)
    if url:
        out.print(f"URL: {url}")
    for key in sorted(k for k in result.outputs if k in result.outcomes):  # not a preview's base stacks
        for name, value in sorted(result.outputs[key].items()):
            if name.endswith(("Url", "DnsName", "Host", "Endpoint")) and "Secret" not in name:
                out.print(f"  {key}.{name} = {value}")


def deploy(env: EnvOpt, spec: SpecArg = Path("."), local: LocalOpt = False, profile: AwsProfileOpt = None,
           region: RegionOpt = None, as_json: JsonOpt = False, fmt: FormatOpt = None,
           allow_replace: Annotated[list[str] | None, typer.Option(
               "--allow-replace", help="allow replacing/removing this stateful resource (logical id or name)")]
           = None,
           allow_major_upgrade: Annotated[bool, typer.Option(
               "--allow-major-upgrade", help="allow a database's major version upgrade (downtime, no rollback)")]
           = False,
           adopt_retained: Annotated[bool, typer.Option(
               "--adopt-retained", help="import the secrets, log groups, repositories and buckets an earlier "
                                        "destroy kept into the new stacks (AWS only)")] = False,
           repair: Annotated[bool, typer.Option("--repair", help="continue a failed rollback / delete an empty "
                                                                 "failed stack before deploying")] = False,
           parallel: Annotated[int, typer.Option(
               "--parallel", help="stacks deployed at once in a wave",
               parser=positive_integer("--parallel", "a number of stacks", "4"))] = 4,
           image: Annotated[list[str] | None, typer.Option(
               "--image", help="SERVICE=IMAGE: release this image of one service (repeatable)")] = None,
           compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None, wait_lock: WaitLockOpt = 0.0,
           break_lock: Annotated[bool, typer.Option("--break-lock", help="take over the environment's deploy "
                                                                        "lock (its holder is gone)")] = False,
           preview_of: Annotated[str | None, typer.Option(
               "--preview-of", help="deploy --env NAME as a preview of this environment: its services only, on "
                                    "the base's network, cluster and load balancer")] = None,
           migrations_dry_run: Annotated[bool, typer.Option(
               "--migrations-dry-run", help="run the before-deploy jobs with MOORAGE_MIGRATIONS_DRY_RUN=1 and the "
                                            "new images on the deployed environment; change nothing else")] = False,
           ) -> None:
    """Deploy one environment through CloudFormation change sets (AWS, or --local); records the release."""
    as_json = output_format(fmt, as_json) == "json"
    from moorage.deploy.interrupt import Interruption
    from moorage.deploy.releases import release_started
    from moorage.deploy.run import DeployOptions, DeployRefused, git_commit
    from moorage.deploy.run import deploy as run_deploy

    synth = _synth(spec, env, compose_profile, env_file, image, preview_of, warn=True)
    started = release_started()
    target = _target(spec, local, profile, region)
    reporter = _reporter(as_json)
    if not as_json:
        out.print(f"deploying {synth.manifest['app']}/{env} to {target.describe()}")
    if image:
        synth = _keep_images(synth, target, spec, env, image, reporter, compose_profile, env_file, preview_of)
    options = DeployOptions(allow_replace=set(allow_replace or []), allow_major_upgrade=allow_major_upgrade,
                            adopt_retained=adopt_retained, repair=repair, parallel=parallel,
                            spec_dir=_project_dir(spec), commit=git_commit(_project_dir(spec)),
                            poll=0.2 if target.local else 3.0, lock_wait=wait_lock, break_lock=break_lock,
                            migrations_dry_run=migrations_dry_run)
    interruption = Interruption().install()  # Ctrl-C once stacks change: recorded as interrupted, exit 130
    try:
        with _emulator_guard(target, spec):
            result = run_deploy(synth, target, options, reporter, interruption)
    except DeployRefused as exc:
        interruption.restore()
        reporter.close()
        _refused(exc, as_json)
        return
    except KeyboardInterrupt:  # before any stack started changing (later ones are held: see interrupt.py)
        interruption.restore()
        reporter.close()
        err.print("deploy interrupted (Ctrl-C) " + ("before any stack changed: nothing deployed, no release recorded"
                                                    if not interruption.deferring else _UNRECORDED), markup=False)
        raise typer.Exit(130) from None
    finally:
        reporter.close()
    try:
        if migrations_dry_run and result.ok and not as_json:
            out.print("migrations dry run: nothing was deployed and no release recorded")
        else:
            _summary(result, synth, reporter, as_json, target)
        if not migrations_dry_run:  # a dry run changes nothing: no release
            _record(target, synth, result, started, options.commit, spec, as_json)
    except KeyboardInterrupt:
        err.print(f"deploy interrupted (Ctrl-C) again: {_UNRECORDED}", markup=False)
        raise typer.Exit(130) from None
    finally:
        interruption.restore()
    if target.local and not as_json:
        from moorage.deploy.releases import unemulated_release_note

        note = unemulated_release_note(synth.plan)
        if note:
            out.print(note, markup=False)
        out.print(f"the local emulator keeps running at {target.endpoint}; stop it with: moorage local stop "
                  f"--project {escape(shlex.quote(str(_project_dir(spec))))} (it also stops itself after "
                  f"{idle_minutes()} idle minutes)")
    if result.interrupted:
        raise typer.Exit(130)
    if not result.ok:
        raise typer.Exit(1)


def _keep_images(synth: Synth, target: Target, spec: Path, env: str, image: list[str], reporter: Reporter,
                 compose_profile: list[str] | None, env_file: Path | None, preview_of: str | None) -> Synth:
    """With ``--image``: the services it does not name keep the image they run now (an earlier ``--image``
    hotfix is not reverted by releasing another service); each one kept is said."""
    from moorage.deploy.images import images_kept
    from moorage.deploy.releases import parse_images

    named = parse_images(image)
    with _emulator_guard(target, spec):
        kept, rebuilt = images_kept(target, synth, named)
    for line in rebuilt:
        reporter.warn(line)
    if not kept:
        return synth
    for service, (running, wanted) in kept.items():
        reporter.info(f"{service}: keeps {running}, the image it runs now (the spec says {wanted}); --image "
                      f"releases only {', '.join(sorted(named))}; a deploy without --image takes {service} to the "
                      "spec's image")
    more = [f"{service}={running}" for service, (running, _) in kept.items()]
    return _synth(spec, env, compose_profile, env_file, [*image, *more], preview_of)


_UNRECORDED = "stopped before the release was recorded; `moorage status` shows what runs"


def idle_minutes() -> int:
    """Minutes an idle emulator waits before stopping itself."""
    from moorage.emulator.server import idle_timeout

    return int(idle_timeout() // 60)


def diff(env: EnvOpt, spec: SpecArg = Path("."), local: LocalOpt = False, profile: AwsProfileOpt = None,
         region: RegionOpt = None, as_json: JsonOpt = False, fmt: FormatOpt = None,
         compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
         preview_of: Annotated[str | None, typer.Option("--preview-of", help="diff --env NAME as a preview of "
                                                                            "this environment")] = None,
         allow_replace: Annotated[list[str] | None, typer.Option(
             "--allow-replace", help="as deploy's: the stateful replacements the deploy will be allowed")] = None,
         allow_major_upgrade: Annotated[bool, typer.Option(
             "--allow-major-upgrade", help="as deploy's: the deploy will be allowed a major upgrade")] = False,
         ) -> None:
    """Show what a deploy would change, per stack, before anything changes; exit 1 when the deploy (with the same
    --allow-* flags) would refuse."""
    as_json = output_format(fmt, as_json) == "json"
    from moorage.deploy.progress import JsonReporter
    from moorage.deploy.run import DeployOptions, DeployRefused
    from moorage.deploy.run import deploy as run_deploy
    from moorage.deploy.verdict import would_refuse

    synth = _synth(spec, env, compose_profile, env_file, preview_of=preview_of, warn=True)
    target = existing_target(spec, local, profile, region)
    assert target is not None
    reporter = _reporter(as_json)
    options = DeployOptions(dry_run=True, allow_replace={"*"}, allow_major_upgrade=True, spec_dir=_project_dir(spec))
    try:
        with _emulator_guard(target, spec):
            result = run_deploy(synth, target, options, reporter)
    except DeployRefused as exc:  # a stuck stack or a change AWS cannot make: what deploy would say
        reporter.close()
        _refused(exc, as_json, "diff")
        return
    except KeyboardInterrupt:
        reporter.close()
        err.print("diff interrupted (Ctrl-C): a diff changes nothing", markup=False)
        raise typer.Exit(130) from None
    refusal = would_refuse(result, target, set(allow_replace or []), allow_major_upgrade)
    if as_json:
        assert isinstance(reporter, JsonReporter)
        reporter.emit("summary", **result.to_json(), would_refuse=refusal)
        if refusal:
            raise typer.Exit(1)
        return
    if result.unchanged and result.strays:
        out.print(f"{len(result.outcomes)} stacks are up to date; a deploy deletes {', '.join(result.strays)} "
                  "(no longer in the plan).")
    elif result.unchanged:
        out.print(f"No changes: {len(result.outcomes)} stacks are up to date.")
    for outcome in result.outcomes.values():
        for change in (c for c in outcome.changes if c.allowed):
            out.print(f"{outcome.name}: {change.action} {change.logical_id} allowed by {change.allowed}",
                      markup=False)
    if refusal:
        err.print(f"[red]deploy would refuse:[/red]\n{escape(refusal)}", markup=True)
        raise typer.Exit(1)


def _print_alarms(alarms: list[Any]) -> None:
    """The alarm count by state, then each alarm not OK with what it watches (all of them: --format json)."""
    if not alarms:
        return
    from moorage.deploy.alarms import alarm_summary

    out.print(escape(alarm_summary(alarms)))
    for alarm in alarms:
        if alarm.state != "OK":  # metric math such as SUM([primary, alternate]) is not markup
            out.print(f"    {escape(alarm.render())}")


def status(env: EnvOpt, spec: SpecArg = Path("."), local: LocalOpt = False, profile: AwsProfileOpt = None,
           region: RegionOpt = None, as_json: JsonAliasOpt = False, fmt: FormatOpt = None,
           compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
           preview_of: PreviewOfOpt = None) -> None:
    """Stacks, services and their running image, the URL and the last deploy of one environment."""
    as_json = output_format(fmt, as_json) == "json"
    from moorage.deploy.releases import ReleaseStore, drift
    from moorage.deploy.status import environment_status

    synth = _synth(spec, env, compose_profile, env_file, preview_of=preview_of)
    target = existing_target(spec, local, profile, region, required=False)
    if target is None:
        stopped = stopped_emulator(spec)
        if as_json:
            sys.stdout.write(json.dumps({"app": synth.manifest["app"], "environment": env, "emulator": "stopped"},
                                        sort_keys=True) + "\n")
        else:
            out.print(f"{stopped.message}; nothing to show.\n    hint: {stopped.hint}")
        return
    st = environment_status(target, synth.manifest, image_tags(synth, _project_dir(spec)), synth.plan)
    differs = drift(target, synth.manifest, ReleaseStore(target, synth.manifest).records())
    if differs:  # history missed a deploy: say so (a no-change deploy or a rollback records what runs)
        st.problems.append(f"{differs}\n    hint: the next `moorage deploy` (or `rollback`) records what runs first")
    if as_json:
        sys.stdout.write(json.dumps(st.to_json(), sort_keys=True, default=str) + "\n")
        return
    out.rule(f"{st.app} / {st.environment} on {target.describe()}")
    table = Table(title="Stacks", title_justify="left")
    for col in ("stack", "status", "updated", "commit"):
        table.add_column(col)
    for s in st.stacks:
        table.add_row(s["name"], s["status"], (s["updated"] or "-")[:19].replace("T", " "), s["commit"] or "-")
    print_table(out, table)
    if st.services:
        svc = Table(title="Services" + (" (the emulator runs no containers: 0 running)" if target.local else ""),
                    title_justify="left")
        for col in ("service", "running/desired", "image", "task definition", "rollout"):
            svc.add_column(col)
        for service in st.services:
            svc.add_row(service.name, f"{service.running}/{service.desired}", service.image,
                        service.task_definition, service.rollout or "-")
        print_table(out, svc)
    for store in st.data_stores:
        out.print(store.render())
    _print_alarms(st.alarms)
    out.print(f"URL: {st.url or '-'}")
    out.print(f"last deploy: {st.last_deploy or 'never'}")
    for problem in st.problems:
        err.print(f"[yellow]{escape(problem)}[/yellow]", markup=True)


def destroy(env: Annotated[str | None, typer.Option("--env", "-e", help="environment (or preview) to destroy")]
            = None, spec: SpecArg = Path("."), local: LocalOpt = False, profile: AwsProfileOpt = None,
            region: RegionOpt = None, as_json: JsonOpt = False, fmt: FormatOpt = None,
            yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask (for production: also give "
                                                                  "--confirm APP)")] = False,
            confirm: Annotated[str | None, typer.Option("--confirm", help="the app name, to destroy a "
                                                                          "production environment without a prompt")]
            = None,
            compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
            wait_lock: WaitLockOpt = 0.0,
            expired: Annotated[bool, typer.Option("--expired", help="destroy every preview environment past its "
                                                                    "expiry (and nothing else)")] = False,
            unprotect: Annotated[bool, typer.Option("--disable-deletion-protection", help="turn the databases' "
                                                    "deletion protection off (after the confirmation)")] = False
            ) -> None:
    """Delete every stack of one environment (or preview); lists the databases and buckets that were kept."""
    as_json = output_format(fmt, as_json) == "json"
    from moorage.deploy.destroy import destroy as run_destroy
    from moorage.deploy.destroy import disable_deletion_protection, doomed, existing_stacks, protected
    from moorage.deploy.progress import JsonReporter

    if env is None and not expired:
        raise InputError([Diagnostic("error", "destroy what?", None, "give --env ENV (an environment or a preview), "
                                     "or --expired (the previews past their expiry)")])
    if expired:
        _destroy_expired(spec, env, local, profile, region, yes, as_json, compose_profile, env_file, wait_lock)
        return
    assert env is not None
    preview = _preview(spec, env, local, profile, region, compose_profile, env_file)
    if preview is None and _preview_shaped(spec, env, compose_profile, env_file):
        # already gone (`destroy --expired`, an earlier run): the CI's pull-request-closed job's normal case
        where = existing_target(spec, local, profile, region, required=False)
        on = f"on {where.describe()}" if where else f"({stopped_emulator(spec).message}: its saved state is not loaded)"
        out.print(f"nothing to destroy: no preview {env} is deployed {on}")
        return
    synth = None if preview else _synth(spec, env, compose_profile, env_file)
    manifest = synth.manifest if synth is not None \
        else preview.manifest(*preview_place(spec, region, compose_profile, env_file))
    target = existing_target(spec, local, profile, region, required=False)
    if target is None:
        out.print(f"nothing to destroy: {stopped_emulator(spec).message} (its saved state is not loaded)\n"
                  f"    hint: to destroy what it holds: {stopped_emulator(spec).hint}, then destroy again")
        return
    names = existing_stacks(target, manifest)
    if not names:
        out.print(f"nothing to destroy: no stack of {manifest['app']}/{env} exists on {target.describe()}")
        return
    app_name = str(manifest["app"])
    if not preview:
        _refuse_with_previews(target, manifest)
    production = synth is not None and bool(synth.plan.production_guards)  # a preview never is
    lost = doomed(target, manifest)
    if lost and not as_json:
        err.print(f"destroying {app_name}/{env} deletes for good (no snapshot, not retained):", markup=False)
        for item in lost:
            err.print(f"  {item.stack}: {item.logical_id} ({item.resource_type}) {item.physical_id}".rstrip(),
                      markup=False)
    guarded = protected(target, manifest)
    if guarded and not as_json:
        err.print(f"{app_name}/{env} has deletion protection on:", markup=False)
        for db in guarded:
            err.print(f"  {db.describe()}", markup=False)
    if guarded and not unprotect:
        err.print("nothing was destroyed: a stack holding a protected database cannot be deleted\n"
                  "    fix: if you mean to delete it, rerun with --disable-deletion-protection (it is turned off "
                  "after the confirmation, then the stacks are deleted)", markup=False)
        raise typer.Exit(1)
    if production:
        if confirm != app_name:
            if confirm is not None or as_json or not sys.stdin.isatty():
                raise InputError([Diagnostic("error", f"{env} is a production environment", None,
                                             f"type the app name to confirm: --confirm {app_name}")])
            typed = typer.prompt(f"{env} is a production environment with {len(names)} stacks. "
                                 f"Type the app name ({app_name}) to destroy it")
            if typed.strip() != app_name:
                err.print("the name did not match; nothing was destroyed")
                raise typer.Exit(1)
    elif not yes:
        if as_json or not sys.stdin.isatty():
            raise InputError([Diagnostic("error", "destroy needs confirmation", None, "add --yes")])
        if not typer.confirm(f"destroy {len(names)} stacks of {app_name}/{env} on {target.describe()}?"):
            raise typer.Exit(1)
    reporter = _reporter(as_json)
    try:
        with _emulator_guard(target, spec):
            if guarded:
                disable_deletion_protection(target, guarded)
                err.print(f"deletion protection turned off: {', '.join(p.identifier for p in guarded)}",
                          markup=False)
            result = run_destroy(target, manifest, reporter, poll=0.2 if target.local else 3.0, lock_wait=wait_lock)
    finally:
        reporter.close()
    if as_json:
        assert isinstance(reporter, JsonReporter)
        reporter.emit("summary", **result.to_json())
    else:
        if result.ok:
            out.print(f"destroyed {plural(len(result.deleted), 'stack')} in {result.elapsed:.1f}s")
        else:
            err.print(f"destroy incomplete: deleted {plural(len(result.deleted), 'stack')}; "
                      f"{plural(len(result.remaining), 'stack')} remain:", markup=False)
            for name in result.remaining:
                why = result.failed.get(name) or f"not attempted: {', '.join(result.failed)} (deleted before it) failed"
                err.print(f"  {name}: {why}", markup=False)
        if result.kept:
            out.print("kept (per DeletionPolicy):")
            for kept in result.kept:
                out.print(f"  {kept.stack}: {kept.describe(target)}")
    if not result.ok:
        raise typer.Exit(1)


local_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                        help="The embedded local emulator (state in .moorage/local/).")


def preview_place(spec: Path, region: str | None, compose_profile: list[str] | None,
                  env_file: Path | None) -> tuple[str, str]:
    """The app name and the region its previews live in."""
    loaded = api.load_app(spec, profiles=compose_profile or [], env_file=env_file)
    return loaded.spec.name, region or loaded.spec.region


def _preview(spec: Path, env: str, local: bool, profile: str | None, region: str | None,
             compose_profile: list[str] | None, env_file: Path | None) -> Any:
    """The deployed preview called ``env`` when the spec has no such environment (else None)."""
    from moorage.deploy.previews import preview_named

    loaded = api.load_app(spec, profiles=compose_profile or [], env_file=env_file)
    if env in loaded.spec.environments:
        return None
    target = existing_target(spec, local, profile, region, required=False)
    if target is None:
        return None
    return preview_named(target, *preview_place(spec, region, compose_profile, env_file), env)


def _preview_shaped(spec: Path, env: str, compose_profile: list[str] | None, env_file: Path | None) -> bool:
    """True when ``env`` can only name a preview: the spec has previews and no such environment, and the name
    has a preview's shape and is no near miss of an environment's (a typo stays an error, with its "did you
    mean")."""
    import difflib

    from moorage.plan.preview import preview_name_usable

    loaded = api.load_app(spec, profiles=compose_profile or [], env_file=env_file)
    return (loaded.spec.previews is not None and env not in loaded.spec.environments
            and preview_name_usable(env) and not difflib.get_close_matches(env, list(loaded.spec.environments)))


def _refuse_with_previews(target: Target, manifest: dict[str, Any]) -> None:
    """A base environment is not destroyed under its previews (their rules sit on its load balancer)."""
    from moorage.deploy.previews import previews

    on_it = [p.name for p in previews(target, manifest["app"], manifest["region"]) if p.base == manifest["environment"]]
    if on_it:
        err.print(f"[red]{escape(manifest['environment'])} carries previews: {escape(', '.join(on_it))}; nothing was "
                  f"destroyed[/red]\n    fix: destroy them first: "
                  f"{escape(' && '.join(target.command('destroy', name, '--yes') for name in on_it))}",
                  markup=True)
        raise typer.Exit(1)


def _destroy_expired(spec: Path, env: str | None, local: bool, profile: str | None, region: str | None, yes: bool,
                     as_json: bool, compose_profile: list[str] | None, env_file: Path | None,
                     wait_lock: float) -> None:
    from moorage.deploy.previews import destroy_previews, previews

    if env is not None:
        raise InputError([Diagnostic("error", "--expired destroys previews by their expiry, not one environment",
                                     None, "drop --env, or drop --expired")])
    target = existing_target(spec, local, profile, region, required=False)
    if target is None:
        out.print(f"nothing to destroy: {stopped_emulator(spec).message}")
        return
    app, where = preview_place(spec, region, compose_profile, env_file)
    found = previews(target, app, where)
    stale = [p for p in found if p.expired()]
    if not as_json:
        for p in found:
            out.print(f"preview {p.name} of {p.base}: expires {p.expires}{' (expired)' if p.expired() else ''}, "
                      f"{plural(len(p.stacks), 'stack')}")
    if not stale:
        out.print(f"no expired preview of {app} on {target.describe()}") if not as_json else None
        return
    if not yes:
        if not sys.stdin.isatty():
            raise InputError([Diagnostic("error", "destroy needs confirmation", None, "add --yes")])
        if not typer.confirm(f"destroy {len(stale)} expired previews ({', '.join(p.name for p in stale)})?"):
            raise typer.Exit(1)
    reporter = _reporter(as_json)
    try:
        with _emulator_guard(target, spec):
            results = destroy_previews(target, app, where, stale, reporter, poll=0.2 if target.local else 3.0,
                                       lock_wait=wait_lock)
    finally:
        reporter.close()
    failed = False
    for name, result in results.items():
        failed = failed or not result.ok
        if as_json:
            sys.stdout.write(json.dumps({"preview": name, **result.to_json()}, sort_keys=True) + "\n")
        elif result.ok:
            out.print(f"destroyed preview {name}: {plural(len(result.deleted), 'stack')}")
        else:  # never "destroyed" beside a stack that is still there
            err.print(f"[red]preview {escape(name)}: destroy incomplete: deleted "
                      f"{plural(len(result.deleted), 'stack')}; {plural(len(result.remaining), 'stack')} remain:[/red]",
                      markup=True)
            for stack in result.remaining or list(result.failed):
                why = result.failed.get(stack) or "not attempted: a stack deleted before it failed"
                err.print(f"[red]  {escape(stack)}: {escape(why)}[/red]", markup=True)
    if failed:
        raise typer.Exit(1)


ProjectOpt = Annotated[Path, typer.Option("--project", help="project directory (holds .moorage/local/)")]


@local_app.command("start")
def local_start(project: ProjectOpt = Path(".")) -> None:
    """Start the emulator in the background (its saved state is restored)."""
    from moorage.emulator.server import ensure_server, server_status

    already = server_status(project)
    server = already or ensure_server(project)
    out.print(f"local emulator {'already ' if already else ''}running at {server.endpoint} (pid {server.pid}); "
              f"stop it with: moorage local stop --project {escape(shlex.quote(str(project)))} "
              f"(it stops itself after {idle_minutes()} "
              "idle minutes)")


@local_app.command("stop")
def local_stop(project: ProjectOpt = Path("."),
               reset: Annotated[bool, typer.Option("--reset", help="also forget the saved state")] = False) -> None:
    """Stop the emulator; its state is saved and restored at the next start (unless --reset)."""
    from moorage.emulator.server import NOT_SAVED, SERVER_FILE, reset_state, server_status, state_dir, stop_and_say

    unverified = (state_dir(project) / SERVER_FILE).exists() and server_status(project) is None
    said = stop_and_say(project)
    out.print("local emulator stopped" if said is not None else "no local emulator was running")
    if said and NOT_SAVED in said and not reset:
        err.print(f"[red]error: {escape(said[said.index(NOT_SAVED):])}; what it held is lost[/red]", markup=True)
        raise typer.Exit(1)
    if unverified:
        out.print(f"{SERVER_FILE} did not name a running emulator of this project: removed it, signalled nothing")
    if reset and reset_state(project):
        out.print("saved state removed")


@local_app.command("status")
def local_status(project: ProjectOpt = Path("."), as_json: JsonOpt = False, fmt: FormatOpt = None) -> None:
    """Every running emulator (project, memory), and what this project's emulator holds."""
    as_json = output_format(fmt, as_json) == "json"
    from moorage.deploy.session import Target
    from moorage.emulator.server import duplicate_emulators, running_emulators, server_status

    server = server_status(project)
    info: dict[str, Any] = {"running": server is not None}
    if server is not None:
        info.update(server.to_json())
        target = Target(local=True, endpoint=server.endpoint)
        stacks = []
        for region in _regions_with_stacks(target):
            for s in target.client("cloudformation", region).describe_stacks().get("Stacks", []):
                stacks.append({"name": s["StackName"], "status": s["StackStatus"], "region": region})
        info["stacks"] = stacks
    others = running_emulators()
    info["emulators"] = [{"pid": e.pid, "project": str(e.project), "memory_mb": round(e.memory_mb, 1)}
                         for e in others]
    info["duplicates"] = {str(where): pids for where, pids in duplicate_emulators(others).items()}
    if as_json:
        sys.stdout.write(json.dumps(info, sort_keys=True) + "\n")
        return
    if server is None:
        out.print(f"local emulator of {escape(str(project))}: stopped (start it: moorage local start --project "
                  f"{escape(shlex.quote(str(project)))}, "
                  "or moorage deploy --env ENV --local)")
    else:
        out.print(f"local emulator of {escape(str(project))}: running at {server.endpoint} (pid {server.pid})")
        for s in info["stacks"]:
            out.print(f"  {s['name']} {s['status']} ({s['region']})")
    if others:
        table = Table(title="Running emulators", title_justify="left")
        for col in ("pid", "project", "memory"):
            table.add_column(col)
        for e in others:
            table.add_row(str(e.pid), escape(str(e.project)), f"{e.memory_mb:,.0f} MB")
        print_table(out, table)
    for where, pids in duplicate_emulators(others).items():  # each saves over the other's state when it stops
        err.print(f"warning: {len(pids)} emulators run for {where} (pids {', '.join(map(str, pids))}): keep one; "
                  f"stop the others with kill PID", markup=False)


def _regions_with_stacks(target: Target) -> list[str]:
    from moorage.data import load_data

    try:
        regions = sorted(load_data("regions").get("regions", {}))
    except Exception:  # noqa: BLE001 - fall back to the common ones
        regions = []
    return regions or ["us-east-1", "eu-west-1", "me-central-1"]
