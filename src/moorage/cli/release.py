"""`moorage history` and `moorage rollback`, and the release record every deploy writes.

Exit codes: 0 ok, 1 a refused or failed rollback, 2 bad input, 130 a rollback interrupted by Ctrl-C (recorded
``interrupted`` when it changed a stack).
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from moorage.cli.deploy import _UNRECORDED, _project_dir, _synth, existing_target, stopped_emulator
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
    positive_integer,
)
from moorage.cli.output import console, output_format

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from moorage.deploy.releases import RollbackPlan
    from moorage.deploy.session import Target

out = console()
err = console(stderr=True)


def history(env: EnvOpt, spec: SpecArg = Path("."), local: LocalOpt = False, profile: AwsProfileOpt = None,
            region: RegionOpt = None, fmt: FormatOpt = None, as_json: JsonAliasOpt = False,
            compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
            preview_of: PreviewOfOpt = None) -> None:
    """The releases of one environment: when, who, commit, images, outcome, duration (from AWS, not this laptop)."""
    as_json = output_format(fmt, as_json) == "json"
    from moorage.deploy.releases import ReleaseStore

    synth = _synth(spec, env, compose_profile, env_file, preview_of=preview_of)
    target = existing_target(spec, local, profile, region, required=False)
    if target is None:  # as `status --local`: a stopped emulator is said, not started (nothing deployed to show)
        stopped = stopped_emulator(spec)
        if as_json:
            sys.stdout.write("[]\n")
            err.print(f"{stopped.message}; nothing to show.\n    hint: {stopped.hint}", markup=False)
        else:
            out.print(f"{stopped.message}; nothing to show.\n    hint: {stopped.hint}", markup=False)
        return
    records = ReleaseStore(target, synth.manifest).records()
    if as_json:
        sys.stdout.write(json.dumps([r.to_json() for r in records], sort_keys=True) + "\n")
        return
    if not records:
        out.print(f"no release of {synth.manifest['app']}/{env} is recorded on {target.describe()}")
        return
    out.rule(f"releases of {synth.manifest['app']}/{env} on {target.describe()}")
    for r in reversed(records):
        what = f"rollback to {r.rollback_to}" if r.kind == "rollback" else "changed: " + (", ".join(r.changed) or "-")
        out.print(f"#{r.number}  {r.started.replace('+00:00', 'Z')}  {r.outcome}  {r.duration_seconds:.0f}s  "
                  f"by {r.caller}  commit {r.commit or '-'}  {what}")
        for name, image in sorted(r.images.items()):
            out.print(f"    {name}={image}" + (f"  (tag {r.commit_tags[name]})" if name in r.commit_tags else ""))
        for m in r.migrations:
            if m.result:
                out.print(f"    migration {m.service}: {m.result}")
            for name in m.snapshots:
                out.print(f"    snapshot before {m.service}: {name}")


def rollback(env: EnvOpt, spec: SpecArg = Path("."), local: LocalOpt = False, profile: AwsProfileOpt = None,
             region: RegionOpt = None, as_json: JsonOpt = False,
             service: Annotated[str | None, typer.Option("--service", help="roll back only this service")] = None,
             to: Annotated[int | None, typer.Option("--to", help="release number (default: the one before)",
                                                     parser=positive_integer("--to", "a release number", "3"))]
             = None,
             compose_profile: ComposeProfileOpt = None, env_file: EnvFileOpt = None,
             preview_of: PreviewOfOpt = None) -> None:
    """Put services back on a recorded release's task definitions and images; data stores are not touched."""
    from moorage.deploy.interrupt import Interruption
    from moorage.deploy.releases import ReleaseStore, RollbackRefused, execute_rollback, plan_rollback

    synth = _synth(spec, env, compose_profile, env_file, preview_of=preview_of)
    if service is not None and service not in synth.plan.services:
        from moorage.errors import Diagnostic, InputError

        raise InputError([Diagnostic("error", f"no service named {service!r}", None,
                                     "services: " + ", ".join(synth.plan.services))])
    target = existing_target(spec, local, profile, region, required=False)
    if target is None:  # as the other day-two commands: a stopped emulator is said, not started
        stopped = stopped_emulator(spec)
        _refused(f"{stopped.message}: nothing is rolled back\n    hint: {stopped.hint}, then roll back again",
                 as_json)
        return
    store = ReleaseStore(target, synth.manifest)
    started = datetime.now(UTC)
    records = store.records()
    if to is not None and all(r.number != to for r in records):  # a number that names no release: bad input
        from moorage.errors import Diagnostic, InputError

        recorded = ", ".join(str(r.number) for r in records) or "none"
        history = target.command("history", env, preview_of=(synth.manifest.get("preview") or {}).get("of"))
        raise InputError([Diagnostic("error", f"--to {to}: {synth.manifest['app']}/{env} has no release {to}", None,
                                     f"releases recorded: {recorded}; see them with "
                                     f"`{history}`")])
    records = _reconciled(target, synth.manifest, records, started, spec, as_json)
    try:
        plan = plan_rollback(records, service, to)
    except RollbackRefused as exc:
        _refused(str(exc), as_json)
        return
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if not as_json:
            out.print(escape(line))

    if not as_json:
        out.print(f"rolling back {synth.manifest['app']}/{env} from release {plan.current.number} to "
                  f"{plan.target.number}: {', '.join(plan.services)}")
    interruption = Interruption().install()  # Ctrl-C once stacks change: recorded as interrupted, exit 130
    try:
        actions = execute_rollback(target, synth.manifest, store, plan, say, poll=0.2 if target.local else 3.0,
                                   interruption=interruption)
    except RollbackRefused as exc:
        interruption.restore()
        _refused(str(exc), as_json)
        return
    except KeyboardInterrupt:  # before any stack started changing (later ones are held: see interrupt.py)
        interruption.restore()
        err.print("rollback interrupted (Ctrl-C) " + ("before any stack changed: nothing rolled back, no release "
                                                      "recorded" if not interruption.deferring else _UNRECORDED),
                  markup=False)
        raise typer.Exit(130) from None
    try:
        _finish(target, synth.manifest, env, spec, plan, actions, started, interruption.requested, lines, say,
                as_json)
    except KeyboardInterrupt:
        err.print(f"rollback interrupted (Ctrl-C) again: {_UNRECORDED}", markup=False)
        raise typer.Exit(130) from None
    finally:
        interruption.restore()


def _reconciled(target: Target, manifest: dict[str, Any], records: list[Any], started: datetime, spec: Path,
                as_json: bool) -> list[Any]:
    """The records, with one of what runs added (outcome ``reconciled``) when it differs from the last (an
    earlier deploy ended before its record): the rollback then starts from what runs, not from that record."""
    from moorage.deploy.releases import drift, record_release, spec_hash
    from moorage.deploy.run import git_commit

    differs = drift(target, manifest, records)
    if not differs:
        return records
    record, _ = record_release(target, manifest, kind="deploy", started=started, ok=True, stacks={},
                               commit=git_commit(_project_dir(spec)), spec=spec_hash(spec), reversible={},
                               note=differs, outcome="reconciled")
    if not as_json:
        out.print(escape(f"{differs}\n    recorded what runs as release {record.number} (reconciled); the "
                         "rollback starts from it"))
    return [*records, record]


def _finish(target: Target, manifest: dict[str, Any], env: str, spec: Path, plan: RollbackPlan,
            actions: dict[str, str], started: datetime, interrupted: bool, lines: list[str],
            say: Callable[[str], None], as_json: bool) -> None:
    """Say what the rollback did, record it (unless it changed nothing) and exit 1 when it failed, 130 when
    Ctrl-C interrupted it."""
    from moorage.deploy.interrupt import report
    from moorage.deploy.releases import record_release, service_stacks, spec_hash
    from moorage.deploy.run import git_commit

    if interrupted:
        names = service_stacks(manifest)
        for line in report("rollback", {names.get(k, {}).get("name", k): a for k, a in actions.items()},
                           "not rolled back").splitlines():
            say(line)
    ok = "failed" not in actions.values() and not interrupted
    if not any(a in ("update", "interrupted") for a in actions.values()):  # as a deploy that changes nothing
        line = "" if interrupted else (f"{manifest['app']}/{env} already runs release {plan.target.number}'s "
                                       "version: nothing changed, nothing recorded")
        if as_json:
            sys.stdout.write(json.dumps({"ok": ok, "unchanged": True, "release": None, "lines": [*lines, line],
                                         **({"interrupted": True} if interrupted else {})}, sort_keys=True) + "\n")
        elif line:
            out.print(line)
        if interrupted:
            raise typer.Exit(130)
        return
    record, where = record_release(target, manifest, kind="rollback", started=started, ok=ok, stacks=actions,
                                   commit=git_commit(_project_dir(spec)), spec=spec_hash(spec),
                                   reversible={}, rollback_to=plan.target.number,
                                   note=f"from release {plan.current.number}",
                                   outcome="interrupted" if interrupted else None)
    if as_json:
        sys.stdout.write(json.dumps({"ok": ok, "release": record.to_json(), "record": where, "lines": lines,
                                     **({"interrupted": True} if interrupted else {})}, sort_keys=True) + "\n")
    else:
        out.print(f"release {record.number} (rollback to {plan.target.number}) {record.outcome}: recorded in {where}")
        out.print("note: the next `moorage deploy` deploys what the spec says again; pin the image there to stay back")
    if interrupted:
        raise typer.Exit(130)
    if not ok:
        raise typer.Exit(1)


def _refused(reason: str, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps({"ok": False, "refused": reason}) + "\n")
    else:
        err.print(f"[red]rollback refused:[/red] {escape(reason)}", markup=True)
    raise typer.Exit(1)
