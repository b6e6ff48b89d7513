"""Deploy (or diff) one environment: stacks in waves from the synth manifest, each through a change set.

Before anything changes: stuck or busy stacks are detected (and repaired with ``repair=True``), and
every stack's change list is computed; a replacement or removal that would lose data stops the deploy
unless allowed. Then each wave's stacks deploy in parallel; the first failure stops the deploy after
its wave, with the failing resource and its reason. Ctrl-C while stacks change (:mod:`moorage.deploy.interrupt`)
starts no further stack, waits for the ones in flight (a second Ctrl-C stops waiting) and leaves an
``interrupted`` result that is still recorded.
"""

from __future__ import annotations

import hashlib
import subprocess
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from moorage import __version__
from moorage.deploy.adopt import NOT_EMULATED as ADOPTION_NOT_EMULATED
from moorage.deploy.changes import ResourceChange, allow_names, blocking, classify, merge_change_set
from moorage.deploy.images import BuildSpec, build_images, build_specs, build_tag, pushed_image, tag_commits
from moorage.deploy.interrupt import Interruption, report
from moorage.deploy.preflight import rotation_refusals
from moorage.deploy.progress import Reporter
from moorage.deploy.repair import Problem, busy_detail, diagnose, repair
from moorage.deploy.retained import Leftover, leftovers, refusal
from moorage.deploy.session import Target
from moorage.deploy.stacks import (
    TERMINAL_OK,
    ChangeSetError,
    Event,
    StackState,
    create_change_set,
    deployed_template,
    first_failure,
    read_events,
    read_stack,
    stack_parameters,
    wait_for_stack,
)
from moorage.render import Synth

NOT_EMULATED = "NOT EMULATED"


@dataclass
class DeployOptions:
    """How to deploy."""

    allow_replace: set[str] = field(default_factory=set)
    allow_major_upgrade: bool = False  # a database's major version upgrade (downtime, no rollback)
    adopt_retained: bool = False  # import the resources an earlier destroy kept (IMPORT change sets; AWS only)
    repair: bool = False
    dry_run: bool = False
    parallel: int = 4
    spec_dir: Path | None = None
    commit: str | None = None
    poll: float = 2.0
    by_digest: bool | None = None  # default: in production profiles
    lock_wait: float = 0.0  # seconds to wait for another deploy of the environment to finish
    break_lock: bool = False  # take over the environment's lock whoever holds it
    migrations_dry_run: bool = False  # run the migrations with MOORAGE_MIGRATIONS_DRY_RUN=1 and change nothing


@dataclass
class StackOutcome:
    """What happened to one stack."""

    key: str
    name: str
    action: str  # create, update, unchanged, failed, refused, skipped, planned, interrupted (not waited for)
    status: str = ""
    changes: list[ResourceChange] = field(default_factory=list)
    failure: Event | None = None
    elapsed: float = 0.0
    not_emulated: list[Event] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {"key": self.key, "name": self.name, "action": self.action, "status": self.status,
                "changes": [c.to_json() for c in self.changes], "elapsed": round(self.elapsed, 2),
                "failure": self.failure.to_json() if self.failure else None,
                "not_emulated": [{"resource": e.logical_id, "type": e.resource_type} for e in self.not_emulated]}


@dataclass
class DeployResult:
    """The outcome of a deploy or a diff."""

    outcomes: dict[str, StackOutcome] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    commit_tags: dict[str, str] = field(default_factory=dict)  # service -> the commit tag its built image got
    snapshots: dict[str, list[str]] = field(default_factory=dict)  # job -> snapshots taken before it ran
    expires: str | None = None  # a preview's new expiry (its stacks' moorage:expires tag), once written
    strays: list[str] = field(default_factory=list)  # a preview's deployed stacks no longer in its plan
    removed: list[str] = field(default_factory=list)  # those of them the deploy deleted
    leftovers: list[Leftover] = field(default_factory=list)  # a diff: kept resources a deploy would stop on
    interrupted: bool = False  # Ctrl-C: the stacks after the ones in flight were not started

    @property
    def ok(self) -> bool:
        """True when no stack failed and the deploy ran to its end."""
        return not self.interrupted and not any(o.action in ("failed", "refused") for o in self.outcomes.values())

    @property
    def changed(self) -> list[StackOutcome]:
        """The stacks this deploy changed (or started changing and did not wait for)."""
        return [o for o in self.outcomes.values() if o.action in ("create", "update", "interrupted")]

    def interruption_report(self) -> str:
        """What an interrupted deploy changed and what it did not, in plain words."""
        return report("deploy", {o.name: o.action for o in self.outcomes.values()}, "not deployed")

    @property
    def unchanged(self) -> bool:
        """True when nothing needed to change."""
        return all(o.action == "unchanged" for o in self.outcomes.values())

    @property
    def failure(self) -> StackOutcome | None:
        """The first failed stack."""
        return next((o for o in self.outcomes.values() if o.action == "failed"), None)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {"ok": self.ok, "unchanged": self.unchanged, "elapsed": round(self.elapsed, 2),
                "stacks": [o.to_json() for o in self.outcomes.values()], "outputs": self.outputs,
                "notes": self.notes, **({"expires": self.expires} if self.expires else {}),
                **({"interrupted": True} if self.interrupted else {}),
                **({"strays": self.strays, "removed": self.removed} if self.strays else {})}


class DeployRefused(Exception):
    """The deploy was stopped before anything changed."""

    def __init__(self, problems: list[Problem] | None = None,
                 dangerous: dict[str, list[ResourceChange]] | None = None,
                 leftovers: list[Leftover] | None = None, adoption: str = "", target: Target | None = None,
                 inputs: list[str] | None = None) -> None:
        self.inputs = inputs or []  # the spec names what this deploy cannot do (preflight), each with its fix
        self.problems = problems or []
        self.dangerous = dangerous or {}
        self.leftovers = leftovers or []
        self.adoption = adoption  # why --adopt-retained cannot adopt them here
        self.target = target or Target(local=True)  # where the way out's commands aim (the emulator: no adoption)
        super().__init__(self.render())

    def render(self) -> str:
        """What stopped the deploy and what to do, in plain words."""
        lines: list[str] = list(self.inputs)
        for i, p in enumerate(self.problems):  # one fix line for problems that share it (a preview's base stacks)
            last = all(q.advice != p.advice for q in self.problems[i + 1:])
            lines.append(p.render() if last else p.headline())
        if self.adoption:
            lines.append(self.adoption)
        if self.leftovers:
            lines.append(refusal(self.leftovers, self.target))
        for stack, changes in self.dangerous.items():
            for c in changes:
                if c.impossible:  # no flag lets it through: say why and the ways out, not --allow-replace
                    lines.append(f"{stack}: {c.describe()}: {c.impossible}\n    fix: {c.ways_out}")
                    continue
                if c.loses_data:
                    verb = "replace" if c.action == "replace" else "remove"
                    why = f" because {', '.join(c.replaced_by)} changed" if c.replaced_by else ""
                    lines.append(f"{stack}: this deploy would {verb} {c.logical_id} ({c.resource_type}){why}; "
                                 f"it holds data, which would be lost{'; ' + c.rename_hint() if c.renamed_to else ''}")
                elif c.credentials:
                    lines.append(f"{stack}: this deploy would change the credentials of {c.logical_id} "
                                 f"({c.resource_type}): {c.consequence()}")
                if c.major_upgrade:
                    lines.append(f"{stack}: this deploy would upgrade {c.logical_id} ({c.resource_type}) to a new "
                                 f"major version ({c.major_upgrade}): the database is offline while RDS upgrades "
                                 "it, and the upgrade cannot be rolled back (only restored from a snapshot)")
        majors = sorted({c.logical_id for cs in self.dangerous.values() for c in cs if c.major_upgrade})
        if majors:
            lines.append("    fix: keep the old major version, or take a snapshot, test the app against the new "
                         "version and rerun with --allow-major-upgrade")
        allowable = [c for cs in self.dangerous.values() for c in cs if c.dangerous and not c.impossible]
        if allowable:
            names = allow_names(allowable)
            data = any(c.loses_data for c in allowable)
            credentials = any(c.breaks_credentials and not c.loses_data for c in allowable)
            steps = (["snapshot/back up the data"] if data else []) + (
                ["plan the credential change (update the database or cache and every client together)"]
                if credentials else [])
            lines.append(f"    fix: revert that change, or {' and '.join(steps)} and rerun with "
                         + " ".join(f"--allow-replace {n}" for n in names))
        return "\n".join(lines)


def git_commit(directory: Path | None) -> str | None:
    """The current git commit of ``directory`` (short), ``-dirty`` when tracked files differ from it; None
    outside a repository. (Untracked files do not count: the emulator's state lives in ``.moorage/``.)"""
    def git(*args: str) -> subprocess.CompletedProcess[str] | None:
        try:
            return subprocess.run(["git", *args], cwd=directory or Path.cwd(),  # noqa: S603, S607
                                  capture_output=True, text=True, check=False, timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            return None

    head = git("rev-parse", "--short=12", "HEAD")
    if head is None or head.returncode != 0 or not head.stdout.strip():
        return None
    status = git("status", "--porcelain", "--untracked-files=no", ".")
    dirty = status is not None and status.returncode == 0 and bool(status.stdout.strip())
    return head.stdout.strip() + ("-dirty" if dirty else "")


def deploy_tags(manifest: dict[str, Any], commit: str | None) -> dict[str, str]:
    """Tags for every stack (CloudFormation propagates them to the resources)."""
    tags = {str(k): str(v) for k, v in (manifest.get("tags") or {}).items()}
    tags.setdefault("moorage:app", str(manifest["app"]))
    tags.setdefault("moorage:environment", str(manifest["environment"]))
    tags["moorage:version"] = __version__
    if commit:
        tags["moorage:commit"] = commit
    if manifest.get("preview"):
        from moorage.deploy.previews import EXPIRES, PREVIEW_OF, expiry

        tags[PREVIEW_OF] = str(manifest["preview"]["of"])
        tags[EXPIRES] = expiry(int(manifest["preview"]["ttl_hours"]))
    return tags


class Deployer:
    """Deploys (or diffs) one synthesized environment to a target."""

    def __init__(self, synth: Synth, target: Target, options: DeployOptions, reporter: Reporter,
                 interruption: Interruption | None = None) -> None:
        self.synth = synth
        self.manifest = synth.manifest
        self.target = target
        self.options = options
        self.reporter = reporter
        self.stacks = {s["key"]: s for s in self.manifest["stacks"]}
        self.states: dict[str, StackState | None] = {}
        self.imports: dict[str, list[Leftover]] = {}  # stack key -> kept resources to adopt (--adopt-retained)
        self.result = DeployResult()
        self.images: dict[str, str] = {}
        self.image_tags: dict[str, str] = {}
        self.pending_builds: list[BuildSpec] = []
        self.tags = deploy_tags(self.manifest, options.commit)
        self.release_number: int | None = None
        self.interruption = interruption or Interruption()

    def cf(self, key: str) -> Any:
        """The CloudFormation client for stack ``key``."""
        return self.target.client("cloudformation", self.stacks[key]["region"])

    # --- before anything changes ------------------------------------------------------------------
    def read_states(self) -> None:
        """Read every stack's deployed state."""
        for key, stack in self.stacks.items():
            self.states[key] = read_stack(self.cf(key), stack["name"])
            state = self.states[key]
            if state is not None and state.deployed:
                self.result.outputs[key] = dict(state.outputs)
        if self.manifest.get("preview"):
            from moorage.deploy.previews import (
                base_outputs,
                base_rule_problems,
                restore_snapshots,
                rule_priorities,
                stray_stacks,
                why_stray,
            )

            # A preview reads its base's stacks (network, cluster, load balancer, data) and never deploys them.
            outputs, problems = base_outputs(self.target, self.manifest)
            problems = problems or base_rule_problems(self.target, self.manifest, outputs)
            if not problems:
                # the priorities of its rules, from a block no other rule on the base's listener holds
                priorities, problems = rule_priorities(self.target, self.manifest, outputs, self.states)
                if priorities:
                    outputs[str(self.manifest["preview"]["priorities"]["stack"])] = priorities
                snapshots, missing, notes = restore_snapshots(self.target, self.manifest, self.states)
                problems += missing
                for note in notes if not missing else []:
                    self.reporter.info(note)
                if snapshots:
                    outputs[str(self.manifest["preview"]["snapshots"]["stack"])] = snapshots
            if problems:
                raise DeployRefused(problems=problems)
            self.result.outputs.update(outputs)
            self.result.strays = stray_stacks(self.target, self.manifest)
            if self.result.strays:
                for name in self.result.strays:
                    note = (f"{name}: deployed, but no longer in preview {self.manifest['environment']}'s plan "
                            f"({why_stray(self.manifest, name)}): " + (
                                "a deploy deletes it (a preview's data is disposable) after updating the rest"
                                if self.options.dry_run else "deleted after the rest is updated"))
                    self.reporter.warn(note)
                    self.result.notes.append(note)

    def check_stuck(self) -> None:
        """Refuse (or repair) stacks that a deploy cannot go through."""
        problems: list[Problem] = []
        for key, state in self.states.items():
            if state is None:
                continue
            detail = busy_detail(self.cf(key), state) if state.busy else ""
            problem = diagnose(state, detail, self.target.aim(self.manifest["environment"]),
                               partial(self.target.aws, region=self.stacks[key]["region"]))
            if problem is None:
                continue
            if self.options.repair and problem.fix != "none" and not self.options.dry_run:
                self.reporter.info(f"repairing {problem.stack} ({problem.status}): {problem.fix}")
                repair(self.cf(key), problem)
                status, _ = wait_for_stack(self.cf(key), state.name, set(), lambda e: None, poll=self.options.poll)
                self.reporter.info(f"{problem.stack}: {status}")
                self.states[key] = read_stack(self.cf(key), state.name)
                self.result.outputs.pop(key, None)
                after = self.states[key]
                if after is not None and after.deployed:
                    self.result.outputs[key] = dict(after.outputs)
                continue
            problems.append(problem)
        if problems:
            raise DeployRefused(problems=problems)

    def build(self) -> None:
        """Build and push the images of ``build:`` services."""
        builds = build_specs(self.synth.plan.services, self.options.spec_dir or Path.cwd())
        if not builds:
            return
        env = self.manifest["environment"]
        self.image_tags = {b.service: build_tag(b, env) for b in builds}  # once, for diff and deploy alike
        if self.options.dry_run:
            repos = self.manifest.get("repositories") or {}
            ecr = self.target.client("ecr", self.manifest["region"])
            for b in builds:
                tag = self.image_tags[b.service]
                pushed = pushed_image(ecr, repos.get(b.service, f"{self.manifest['app']}/{b.service}"), tag,
                                      self._by_digest())
                self.images[b.service] = pushed or f"<new image {tag} built from {b.context}>"
            return
        self.pending_builds = builds
        # Build now when the repositories exist, so that a new image shows in the change lists; on a first
        # deploy the registry stack creates them and the images are built just before the services' wave.
        if not self.manifest.get("repositories") or self._repositories_exist():
            self.build_now()

    def _repositories_exist(self) -> bool:
        names = sorted(set(self.manifest.get("repositories", {}).values()))
        ecr = self.target.client("ecr", self.manifest["region"])
        try:
            found = ecr.describe_repositories(repositoryNames=names)["repositories"]
        except ClientError:
            return False
        return len(found) == len(names)

    def build_now(self) -> None:
        """Build and push the pending images (into the registry stack's repositories, once it is deployed)."""
        builds, self.pending_builds = self.pending_builds, []
        if not builds:
            return
        self.images, notes = build_images(self.target, self.manifest["region"], self.manifest["app"],
                                          self.manifest["environment"], builds, self.tags, self._by_digest(),
                                          self.manifest.get("repositories"), self.image_tags)
        for note in notes:
            self.reporter.warn(note)
        self.result.notes.extend(notes)
        self.result.commit_tags.update(tag_commits(
            self.target.client("ecr", self.manifest["region"]), self.images, self.image_tags,
            self.manifest.get("repositories") or {}, self.manifest["app"], self.manifest["environment"],
            self.options.commit))

    def _by_digest(self) -> bool:
        if self.options.by_digest is None:
            return bool(self.synth.plan.production_guards)
        return self.options.by_digest

    def _needs_images(self, keys: list[str]) -> bool:
        return any("build" in p["from"] for k in keys for p in self.stacks[k].get("parameters", []))

    def _params(self, key: str, placeholders: bool) -> dict[str, str]:
        stack = self.stacks[key]
        if not placeholders:
            return stack_parameters(stack, self.result.outputs, self.images)
        values = {}
        for param in stack.get("parameters", []):
            source = param["from"]
            if "build" in source:
                values[param["name"]] = self.images.get(source["build"], f"<image of {source['build']}>")
            else:
                values[param["name"]] = self.result.outputs.get(source["stack"], {}).get(
                    source["output"], f"<{source['stack']}.{source['output']}>")
        return values

    def preview(self, key: str) -> list[ResourceChange]:
        """The change list of stack ``key`` against what is deployed (with the outputs known now)."""
        state = self.states.get(key)
        new_template = self.synth.templates[key]
        params = self._params(key, placeholders=True)
        if state is None or not state.deployed:
            return classify(None, {}, new_template, params)
        old = deployed_template(self.cf(key), state.name)
        return classify(old, state.parameters, new_template, params)

    # --- the deploy -------------------------------------------------------------------------------------
    def run(self) -> DeployResult:
        """Diff or deploy every stack; raises :class:`DeployRefused` before changing anything unsafe."""
        started = time.monotonic()
        refusals = rotation_refusals(self.synth.plan, self.target, self.manifest["region"])
        if refusals:
            raise DeployRefused(inputs=refusals)
        self.read_states()
        self.check_stuck()
        self.build()
        if self.options.migrations_dry_run:
            self._migrations_dry_run()
            self.result.elapsed = time.monotonic() - started
            return self.result
        previews = {key: self.preview(key) for key in self.stacks}
        dangerous: dict[str, list[ResourceChange]] = {}
        for key, changes in previews.items():
            state = self.states.get(key)
            new = state is None or not state.deployed
            outcome = StackOutcome(key, self.stacks[key]["name"], "planned" if changes else "unchanged",
                                   changes=changes)
            self.result.outcomes[key] = outcome
            bad = blocking(changes, self.options.allow_replace, self.options.allow_major_upgrade)  # sets .allowed
            if changes:
                self.reporter.changes(self.stacks[key]["name"], changes, new)
            if bad:
                dangerous[self.stacks[key]["name"]] = bad
        if dangerous:
            raise DeployRefused(dangerous=dangerous)
        added = {key: {c.logical_id for c in changes if c.action == "add"} for key, changes in previews.items()}
        found = leftovers(self.target, self.manifest, self.synth.templates, added)
        if found and self.options.adopt_retained and self.target.local:
            raise DeployRefused(leftovers=found, adoption=ADOPTION_NOT_EMULATED, target=self.target)
        if found and self.options.adopt_retained:
            for lf in found:  # imported in the stack's turn, when the outputs its parameters read exist
                self.imports.setdefault(next(k for k, s in self.stacks.items() if s["name"] == lf.stack), []).append(lf)
            note = "adopting what an earlier destroy kept (CloudFormation import): " + ", ".join(
                f"{lf.logical_id} ({lf.name})" for lf in found)
            self.reporter.warn(note)
            self.result.notes.append(note)
            found = []
        if found and not self.options.dry_run:
            raise DeployRefused(leftovers=found, target=self.target)
        if found:  # a diff shows its changes, and that a deploy would stop on these
            note = "a deploy would stop before changing anything:\n" + refusal(found, self.target)
            self.reporter.warn(note)
            self.result.notes.append(note)
            self.result.leftovers = found
        if self.options.dry_run or self.result.unchanged:
            if not self.options.dry_run:
                self._extend_expiry()
            self.result.elapsed = time.monotonic() - started
            return self.result
        failed = False
        jobs = {f"svc-{name}" for name in self.manifest.get("before_deploy_jobs", [])}
        self.interruption.deferring = True  # stacks change from here: Ctrl-C stops starting them and is recorded
        self.interruption.stoppable = True  # a second Ctrl-C stops the waiting below; after it, it is held
        try:
            for wave in self.manifest["waves"]:
                if failed:
                    for key in wave:
                        self.result.outcomes[key].action = "skipped"
                    continue
                if self.interruption.requested:
                    break
                first = [k for k in wave if k in jobs]
                rest = [k for k in wave if k not in jobs]
                if self.pending_builds and self._needs_images(wave):
                    self.build_now()
                failed = self._deploy_wave(first)
                # a job whose stack deployed runs even after a Ctrl-C (its migration belongs to that stack)
                if not failed and any(self.result.outcomes[k].action in ("create", "update", "unchanged")
                                      for k in first):
                    failed = self._run_jobs(first)
                if not failed and not self.interruption.requested:
                    failed = self._deploy_wave(rest)
                elif rest and failed:
                    for key in rest:
                        self.result.outcomes[key].action = "skipped"
        except KeyboardInterrupt:  # a second Ctrl-C while a job or a build ran: stop here, still recorded
            self.interruption.request()
        finally:
            self.interruption.stoppable = False
        if self.interruption.requested:
            self.result.interrupted = True
            for outcome in self.result.outcomes.values():
                if outcome.action == "planned":
                    outcome.action = "skipped"
            self.reporter.warn(self.result.interruption_report())
        elif not failed:
            self._extend_expiry()
        self.result.elapsed = time.monotonic() - started
        return self.result

    def _extend_expiry(self) -> None:
        """A preview's stacks that this deploy left unchanged get the new ``moorage:expires`` tag too, so that
        every deploy (a push that changed nothing included) extends the preview's life.

        A change set with the deployed template and parameters and only new stack tags: CloudFormation
        lists its changes with scope ``Tags`` and propagates the tags to the resources; nothing else changes.
        """
        if not self.manifest.get("preview"):
            return
        from moorage.deploy.previews import EXPIRES

        expires = self.tags[EXPIRES]
        for key, outcome in self.result.outcomes.items():
            state = self.states.get(key)
            if outcome.action != "unchanged" or state is None or not state.deployed:
                continue
            if state.tags.get(EXPIRES, "") >= expires:
                continue
            cf = self.cf(key)
            body, url = self._template_source(key)
            change_set = create_change_set(cf, state.name, body, url, self._params(key, placeholders=False),
                                           self.tags, "UPDATE", f"moorage {__version__}: preview expiry {expires}",
                                           poll=min(self.options.poll, 1.0))
            if change_set.empty:
                continue
            cf.execute_change_set(ChangeSetName=change_set.id, StackName=state.name)
            status, _ = wait_for_stack(cf, state.name, set(), lambda e: None, poll=self.options.poll)
            if status not in TERMINAL_OK or "ROLLBACK" in status:
                note = f"{state.name}: the new expiry tag was not written ({status})"
                self.reporter.warn(note)
                self.result.notes.append(note)
                return
        self.result.expires = expires

    def _deploy_wave(self, keys: list[str]) -> bool:
        """Deploy ``keys`` in parallel; True when one failed. After a Ctrl-C no further stack starts; after a
        second one the stacks still in flight are not waited for (outcome ``interrupted``)."""
        if not keys:
            return False
        for outcome in self._deploy_parallel(keys):
            self.result.outcomes[outcome.key] = outcome
        outcomes = [self.result.outcomes[k] for k in keys]
        if any(o.action in ("failed", "refused") for o in outcomes):
            return True
        return self._seed_previous_versions(keys)

    def _deploy_parallel(self, keys: list[str]) -> list[StackOutcome]:
        # Daemon threads, not a pool: a pool's exit (and the interpreter's) waits for every stack, so Ctrl-C
        # could neither stop the pending ones nor stop waiting for the running ones.
        futures: dict[str, Future[StackOutcome]] = {}

        def work(key: str) -> None:
            try:
                futures[key].set_result(self.deploy_stack(key))
            except BaseException as exc:  # noqa: BLE001 - raised again in the calling thread
                futures[key].set_exception(exc)

        waiting, running, finished = list(keys), list[str](), dict[str, StackOutcome]()
        said = self.interruption.requested
        try:
            while waiting or running:
                while waiting and len(running) < max(1, self.options.parallel) and not self.interruption.requested:
                    key = waiting.pop(0)
                    running.append(key)
                    futures[key] = Future()
                    threading.Thread(target=work, args=(key,), name=f"deploy {key}", daemon=True).start()
                if not running:
                    break
                if self.interruption.requested and not said:
                    said = True
                    # only the stacks that change are waited for in earnest (an unchanged one ends at once)
                    changing = [self.stacks[k]["name"] for k in running
                                if self.result.outcomes[k].action != "unchanged"]
                    self.reporter.warn("interrupted: no further stack starts" + (
                        "; waiting for " + ", ".join(changing) + " to finish (Ctrl-C again to stop waiting: "
                        "CloudFormation carries on with them)" if changing else ""))
                for future in wait([futures[k] for k in running], timeout=0.1, return_when=FIRST_COMPLETED)[0]:
                    key = next(k for k in running if futures[k] is future)
                    running.remove(key)
                    finished[key] = future.result()  # a stack's exception is raised here, as a pool would
        except KeyboardInterrupt:  # the second Ctrl-C: stop waiting
            self.interruption.request()
            for key in running:
                name = self.stacks[key]["name"]
                finished[key] = StackOutcome(key, name, "interrupted", "IN_PROGRESS",
                                             changes=self.result.outcomes[key].changes)
                self.reporter.stack_finished(name, "IN_PROGRESS", "not waited for (Ctrl-C): it keeps changing")
        for key in waiting:  # not started: "skipped", unless it had nothing to change anyway
            planned = self.result.outcomes[key]
            finished[key] = StackOutcome(key, self.stacks[key]["name"],
                                         "unchanged" if planned.action == "unchanged" else "skipped",
                                         changes=planned.changes)
        return [finished[k] for k in keys]

    def _seed_previous_versions(self, keys: list[str]) -> bool:
        """Secrets of the stacks just deployed whose previous value services read get one (before the services'
        wave); True when that failed."""
        from moorage.deploy.secret_versions import ensure_previous

        for entry in self.manifest.get("previous_secrets", []):
            if entry["stack"] not in keys or self.result.outcomes[entry["stack"]].action not in (
                    "create", "update", "unchanged"):
                continue
            try:
                if ensure_previous(self.target, self.stacks[entry["stack"]]["region"], entry["name"]):
                    note = f"secret {entry['name']}: given a previous version (the current value) for NAME_PREVIOUS"
                    self.reporter.info(note)
                    self.result.notes.append(note)
            except RuntimeError as exc:
                outcome = self.result.outcomes[entry["stack"]]
                outcome.action = "failed"
                outcome.failure = Event("", None, entry["name"], "AWS::SecretsManager::Secret", "PREVIOUS_FAILED",
                                        str(exc))
                return True
        return False

    def _template_source(self, key: str) -> tuple[str | None, str | None]:
        body = self.synth.template_text(key)
        if not self.stacks[key].get("needs_s3_upload"):
            return body, None
        from moorage.deploy.artifacts import upload_template

        region = self.target.region_for(self.stacks[key]["region"])
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        name = f"{self.manifest['app']}/{self.manifest['environment']}/{key}-{digest}.json"
        return None, upload_template(self.target, region, name, body, self.tags)

    def _import(self, key: str, state: StackState | None, params: dict[str, str]) -> Event | None:
        """Import the kept resources of stack ``key`` (an IMPORT change set); the failure, or None."""
        from moorage.deploy.adopt import import_template, resource_to_import
        from moorage.deploy.retained import secret_arn
        from moorage.render import to_json

        found, name, cf = self.imports.pop(key), self.stacks[key]["name"], self.cf(key)
        try:
            body = to_json(import_template(self.synth.templates[key], {lf.logical_id for lf in found},
                                           deployed_template(cf, name) if state is not None else None))
            entries = [resource_to_import(lf, secret_arn(self.target, lf.region, lf.name)
                                          if lf.resource_type == "AWS::SecretsManager::Secret" else None)
                       for lf in found]
            change_set = create_change_set(cf, name, body, None, params, self.tags, "IMPORT",
                                           f"moorage {__version__}: adopt kept resources", resources_to_import=entries,
                                           poll=min(self.options.poll, 1.0))
        except (ValueError, ChangeSetError) as exc:
            return Event("", None, name, "AWS::CloudFormation::Stack", "IMPORT_FAILED",
                         f"cannot adopt the kept resources: {getattr(exc, 'reason', exc)}")
        self.reporter.stack_started(name, "import", len(entries))
        cf.execute_change_set(ChangeSetName=change_set.id, StackName=name)
        status, events = wait_for_stack(cf, name, set(), lambda e: self.reporter.event(name, e),
                                        poll=self.options.poll)
        if status != "IMPORT_COMPLETE":
            failed = first_failure(events)
            return failed or Event("", None, name, "AWS::CloudFormation::Stack", status, "the import did not complete")
        return None

    def deploy_stack(self, key: str) -> StackOutcome:
        """Deploy one stack through a change set and wait for it."""
        stack = self.stacks[key]
        name = stack["name"]
        cf = self.cf(key)
        started = time.monotonic()
        previous = self.result.outcomes.get(key)
        outcome = StackOutcome(key, name, "unchanged", changes=previous.changes if previous else [])
        state = read_stack(cf, name)
        if state is not None and state.status == "REVIEW_IN_PROGRESS":
            cf.delete_stack(StackName=name)  # a create change set that was never executed
            wait_for_stack(cf, name, set(), lambda e: None, poll=self.options.poll)
            state = None
        params = self._params(key, placeholders=False)
        if self.imports.get(key):
            failure = self._import(key, state, params)
            if failure is not None:
                outcome.action, outcome.status, outcome.failure = "failed", failure.status, failure
                self.reporter.stack_finished(name, failure.status, failure.reason)
                return outcome
            state = read_stack(cf, name)
        template = self.synth.templates[key]
        old = deployed_template(cf, name) if state is not None else None
        changes = classify(old, state.parameters if state else {}, template, params)
        if state is not None and not changes:
            outcome.status = state.status
            self.result.outputs[key] = dict(state.outputs)
            return outcome
        kind = "UPDATE" if state is not None else "CREATE"
        body, url = self._template_source(key)
        description = f"moorage {__version__} deploy of {self.manifest['app']}/{self.manifest['environment']}" + (
            f" at commit {self.options.commit}" if self.options.commit else "")
        try:
            change_set = create_change_set(cf, name, body, url, params, self.tags, kind, description,
                                           poll=min(self.options.poll, 1.0))
        except ChangeSetError as exc:
            outcome.action, outcome.status = "failed", "CHANGE_SET_FAILED"
            outcome.failure = Event("", None, name, "AWS::CloudFormation::Stack", "CHANGE_SET_FAILED", exc.reason)
            self.reporter.stack_finished(name, outcome.status, exc.reason)
            return outcome
        if change_set.empty:
            outcome.status = state.status if state else ""
            return outcome
        changes = merge_change_set(changes, change_set.described)
        outcome.changes = changes
        bad = blocking(changes, self.options.allow_replace, self.options.allow_major_upgrade)
        if bad:
            cf.delete_change_set(ChangeSetName=change_set.id, StackName=name)
            outcome.action, outcome.status = "refused", state.status if state else ""
            self.reporter.warn(DeployRefused(dangerous={name: bad}).render())
            return outcome
        if self.interruption.requested:  # Ctrl-C while the change set was made: it is not executed
            cf.delete_change_set(ChangeSetName=change_set.id, StackName=name)
            outcome.action, outcome.status = "skipped", state.status if state else ""
            return outcome
        seen: set[str] = set()
        read_events(cf, name, seen)
        self.reporter.stack_started(name, kind.lower(), len(changes))
        cf.execute_change_set(ChangeSetName=change_set.id, StackName=name)
        status, events = wait_for_stack(cf, name, seen, lambda e: self.reporter.event(name, e),
                                        poll=self.options.poll)
        outcome.status = status
        outcome.elapsed = time.monotonic() - started
        outcome.not_emulated = [e for e in events if e.reason.startswith(NOT_EMULATED)]
        ok = status in TERMINAL_OK and "ROLLBACK" not in status
        if ok:
            outcome.action = kind.lower()
            after = read_stack(cf, name)
            self.result.outputs[key] = dict(after.outputs) if after else {}
            self.reporter.stack_finished(name, status, f"in {outcome.elapsed:.1f}s")
        else:
            outcome.action = "failed"
            outcome.failure = first_failure(events)
            detail = ""
            if outcome.failure is not None:
                detail = f"{outcome.failure.logical_id} ({outcome.failure.resource_type}): {outcome.failure.reason}"
            self.reporter.stack_finished(name, status, detail)
        return outcome

    def _run_jobs(self, keys: list[str]) -> bool:
        from moorage.deploy.jobs import run_job
        from moorage.deploy.snapshots import restore_hint, take_snapshots

        for key in keys:
            service = key.removeprefix("svc-")
            taken: list[tuple[dict[str, Any], str]] = []
            try:
                if any(s["job"] == service for s in self.manifest.get("pre_migration_snapshots", [])):
                    created = {k for k, o in self.result.outcomes.items() if o.action == "create"}
                    taken, notes = take_snapshots(self.target, self.manifest, service, self._release_number(),
                                                  created, self.tags, self.options.poll)
                    self.result.snapshots[service] = [name for _, name in taken]
                    for note in notes:
                        self.reporter.info(note)
                    self.result.notes.extend(notes)
                note = run_job(self.target, self.manifest, self.result.outputs, service, self.options.poll)
            except RuntimeError as exc:
                outcome = self.result.outcomes[key]
                outcome.action = "failed"
                region = self.manifest["region"]
                restore = "; ".join(f"restore {e['database']}: {restore_hint(self.target, region, e, n)}"
                                    for e, n in taken)
                reason = f"{exc}; {restore}" if restore else str(exc)
                outcome.failure = Event("", None, service, "AWS::ECS::Task", "JOB_FAILED", reason)
                self.reporter.stack_finished(f"job {service}", "FAILED", reason)
                return True
            self.reporter.info(note)
            self.result.notes.append(note)
        return False


    def _migrations_dry_run(self) -> None:
        """Each migration job once with the dry-run flag, on the deployed environment; no stack changes."""
        from moorage.deploy.jobs import dry_run_job
        from moorage.errors import Diagnostic, InputError

        jobs = self.manifest.get("migration_jobs", [])
        missing = sorted(self.stacks[k]["name"] for k, st in self.states.items() if st is None or not st.deployed)
        if not jobs or missing:
            raise InputError([Diagnostic(
                "error", "a migrations dry run needs " + ("a before-deploy job that uses a database" if not jobs
                                                          else "the environment deployed; not deployed: "
                                                          + ", ".join(missing)), None,
                "deploy the environment once (moorage deploy), then dry-run later releases' migrations")])
        if self.pending_builds:
            self.build_now()
        for job in jobs:
            image = self.images.get(job) or self.synth.plan.services[job].spec.image
            try:
                note = dry_run_job(self.target, self.manifest, self.result.outputs, job, image, self.options.poll)
            except RuntimeError as exc:
                self.result.outcomes[f"svc-{job}"] = StackOutcome(
                    f"svc-{job}", self.stacks[f"svc-{job}"]["name"], "failed",
                    failure=Event("", None, job, "AWS::ECS::Task", "JOB_FAILED", f"{exc} (dry run: nothing applied)"))
                self.reporter.stack_finished(f"job {job} (dry run)", "FAILED", str(exc))
                return
            self.reporter.info(note)
            self.result.notes.append(note)

    def _release_number(self) -> int:
        """The number this release's record will get (the deploy holds the environment's lock)."""
        if self.release_number is None:
            from moorage.deploy.releases import ReleaseStore

            self.release_number = ReleaseStore(self.target, self.manifest).next_number()
        return self.release_number


def deploy(synth: Synth, target: Target, options: DeployOptions, reporter: Reporter,
           interruption: Interruption | None = None) -> DeployResult:
    """Deploy (or with ``options.dry_run``, diff) one environment; a deploy holds the environment's lock
    (:mod:`moorage.deploy.lock`) throughout, a diff takes none. With ``interruption`` installed, Ctrl-C once
    stacks change ends the deploy early with ``result.interrupted`` instead of raising."""
    if options.dry_run:
        return Deployer(synth, target, options, reporter).run()
    from moorage.deploy.lock import environment_locked

    def waiting(holder: Any) -> None:
        reporter.info(f"waiting for the lock of {synth.manifest['app']}/{synth.manifest['environment']}, held by "
                      + (holder.describe() if holder else "another moorage process"))
    with environment_locked(target, synth.manifest, options.lock_wait, options.break_lock, waiting):
        result = Deployer(synth, target, options, reporter, interruption).run()
    if result.strays and result.ok and not options.migrations_dry_run:
        _remove_strays(synth.manifest, target, result, reporter, options)
    return result


def _remove_strays(manifest: dict[str, Any], target: Target, result: DeployResult, reporter: Reporter,
                   options: DeployOptions) -> None:
    """Delete a preview's stacks its plan no longer has (after its services moved to the shared stores; a
    preview's data is disposable: its buckets are emptied, its databases not snapshotted)."""
    from moorage.deploy.destroy import destroy
    from moorage.deploy.previews import Preview

    preview = manifest["preview"]
    doomed = Preview(manifest["environment"], preview["of"], "", stacks=list(result.strays))
    gone = destroy(target, doomed.manifest(manifest["app"], manifest["region"]), reporter, poll=options.poll,
                   lock_wait=options.lock_wait)
    result.removed = list(gone.deleted) + list(gone.absent)
    for name, reason in gone.failed.items():
        note = f"{name}: not deleted ({reason}); remove it with: {target.command('destroy', manifest['environment'])}"
        reporter.warn(note)
        result.notes.append(note)
