"""Release records in AWS (the environment's artifacts bucket), release history, and rollback.

Each deploy that changed something writes ``releases/<app>/<env>/<number>.json``: who, when, which commit
and spec, the image each service runs, a hash of every stack's deployed template, which before-deploy jobs
ran, and the outcome. Next to it, ``<number>/<stack>.json`` keeps each service stack's deployed template and
parameters: a rollback redeploys those (through change sets) for the chosen services and touches no other stack,
so databases, caches and buckets stay as they are.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from moorage.cfn import parameter_source
from moorage.cfn.values import arn_region, strings
from moorage.data import load_data
from moorage.deploy.artifacts import artifacts_bucket, upload_template
from moorage.deploy.changes import blocking, classify, secret_name
from moorage.deploy.interrupt import Interruption
from moorage.deploy.session import Target
from moorage.deploy.stacks import (
    TERMINAL_OK,
    ChangeSetError,
    create_change_set,
    deployed_template,
    first_failure,
    read_stack,
    wait_for_stack,
)
from moorage.errors import Diagnostic, InputError
from moorage.spec.image_ref import IMAGE_HINT, LOOPBACK_HINT, image_problem, loopback_registry
from moorage.spec.load import LoadedApp
from moorage.spec.validate import validate_app

PREFIX = "releases"


@dataclass
class Migration:
    """A before-deploy job in a release: did a new version of it run, and may a rollback go back over it."""

    service: str
    ran: bool  # its stack changed in this release: new migration code ran
    reversible: bool
    result: str = ""
    snapshots: list[str] = field(default_factory=list)  # database snapshots taken just before it ran


@dataclass
class ReleaseRecord:
    """One release of one environment."""

    number: int
    app: str
    environment: str
    kind: str  # deploy | rollback
    started: str
    finished: str
    duration_seconds: float
    caller: str
    commit: str | None
    spec_hash: str | None
    outcome: str  # succeeded | failed | interrupted (Ctrl-C: the stacks in ``stacks`` as far as it got) |
    #             reconciled (no change: what ran differed from the last record, as after an unrecorded deploy)
    images: dict[str, str] = field(default_factory=dict)  # service -> image reference it runs
    commit_tags: dict[str, str] = field(default_factory=dict)  # service -> its built image's git commit tag
    digests: dict[str, str] = field(default_factory=dict)  # service -> sha256 digest when the reference pins one
    task_definitions: dict[str, str] = field(default_factory=dict)  # service -> task definition ARN
    templates: dict[str, str] = field(default_factory=dict)  # stack key -> sha256 of its deployed template
    stacks: dict[str, str] = field(default_factory=dict)  # stack key -> action in this release
    changed: list[str] = field(default_factory=list)  # services whose stack changed
    migrations: list[Migration] = field(default_factory=list)
    rollback_to: int | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReleaseRecord:
        """A record read back from the bucket."""
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["migrations"] = [Migration(**m) for m in data.get("migrations", [])]
        return cls(**values)


def release_started() -> datetime:
    """When a release starts (UTC)."""
    return datetime.now(UTC)


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def spec_hash(path: Path) -> str | None:
    """sha256 of the spec file as given (a directory: its moorage.yml or compose file)."""
    if path.is_dir():
        found = [path / n for n in ("moorage.yml", "moorage.yaml", "compose.yaml", "compose.yml",
                                    "docker-compose.yml", "docker-compose.yaml") if (path / n).is_file()]
        if not found:
            return None
        path = found[0]
    try:
        return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def template_hash(template: dict[str, Any]) -> str:
    """sha256 of a template in moorage's deterministic JSON form."""
    return "sha256:" + hashlib.sha256(json.dumps(template, indent=2, sort_keys=True).encode()).hexdigest()


def with_images(loaded: LoadedApp, images: dict[str, str]) -> LoadedApp:
    """The app with these services' images replaced (``deploy --image svc=ref``): one release of one image."""
    if not images:
        return loaded
    data = json.loads(json.dumps(loaded.data))
    services = data.get("services") or {}
    problems = []
    for name, ref in images.items():
        if name not in services:
            problems.append(Diagnostic("error", f"--image {name}=...: no service named {name!r}", None,
                                       "services: " + ", ".join(services)))
            continue
        why = image_problem(ref)
        if why:
            problems.append(Diagnostic("error", f"--image {name}={ref!r} is not an image reference: it {why}", None,
                                       IMAGE_HINT))
            continue
        host = loopback_registry(ref)
        if host:  # said of the flag, not of the spec line the new image replaces
            problems.append(Diagnostic("error", f"--image {name}={ref!r} is pulled from {host}, this machine: a "
                                       "Fargate task runs in AWS and can never pull from it", None, LOOPBACK_HINT))
            continue
        services[name]["image"] = ref
        services[name].pop("build", None)  # the image is given: nothing to build
        for env in (data.get("environments") or {}).values():
            override = ((env or {}).get("services") or {}).get(name)
            if isinstance(override, dict):
                override.pop("image", None)
                override.pop("build", None)
    if problems:
        raise InputError(problems)
    spec = validate_app(data, loaded.source)
    return LoadedApp(spec, data, loaded.source, loaded.path, loaded.origin, list(loaded.warnings))


def parse_images(values: list[str] | None) -> dict[str, str]:
    """``svc=ref`` options into a dict; a located usage error for anything else."""
    out: dict[str, str] = {}
    for value in values or []:
        name, sep, ref = value.partition("=")
        if not sep or not name or not ref:
            raise InputError([Diagnostic("error", f"--image {value!r}: expected SERVICE=IMAGE", None,
                                         "e.g. --image api=ghcr.io/acme/api@sha256:...")])
        out[name] = ref
    return out


class ReleaseStore:
    """The release records of one environment, in the account's artifacts bucket of its home region."""

    def __init__(self, target: Target, manifest: dict[str, Any]) -> None:
        self.target = target
        self.manifest = manifest
        self.region = target.region_for(str(manifest["region"]))
        self.app = str(manifest["app"])
        self.env = str(manifest["environment"])
        self._bucket: str | None = None

    @property
    def s3(self) -> Any:
        """The S3 client."""
        return self.target.client("s3", self.region)

    def bucket(self) -> str:
        """The artifacts bucket (created when missing); keeps release records out of its template expiry."""
        if self._bucket is None:
            tags = {"moorage:app": self.app}
            self._bucket = artifacts_bucket(self.target, self.region, tags)
            keep_releases(self.s3, self._bucket)
        return self._bucket

    def _prefix(self) -> str:
        return f"{PREFIX}/{self.app}/{self.env}/"

    def records(self) -> list[ReleaseRecord]:
        """Every release record, oldest first (none when the bucket does not exist yet)."""
        name = existing_bucket(self.target, self.region)
        if name is None:
            return []
        out = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=name, Prefix=self._prefix()):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                rest = key[len(self._prefix()):]
                if "/" in rest or not rest.endswith(".json"):
                    continue  # a stored template, not a record
                body = self.s3.get_object(Bucket=name, Key=key)["Body"].read()
                out.append(ReleaseRecord.from_json(json.loads(body)))
        return sorted(out, key=lambda r: r.number)

    def next_number(self) -> int:
        """The number the next release gets."""
        records = self.records()
        return records[-1].number + 1 if records else 1

    def write(self, record: ReleaseRecord, templates: dict[str, dict[str, Any]]) -> str:
        """Store a record and its service stacks' templates; returns the record's s3:// address."""
        bucket = self.bucket()
        base = f"{self._prefix()}{record.number:06d}"
        for key, stored in sorted(templates.items()):
            self.s3.put_object(Bucket=bucket, Key=f"{base}/{key}.json", ContentType="application/json",
                               Body=json.dumps(stored, sort_keys=True).encode())
        self.s3.put_object(Bucket=bucket, Key=f"{base}.json", ContentType="application/json",
                           Body=json.dumps(record.to_json(), indent=2, sort_keys=True).encode())
        return f"s3://{bucket}/{base}.json"

    def stored_template(self, number: int, stack: str) -> dict[str, Any] | None:
        """A service stack's template and parameters as release ``number`` deployed them."""
        try:
            body = self.s3.get_object(Bucket=self.bucket(), Key=f"{self._prefix()}{number:06d}/{stack}.json")["Body"]
        except ClientError:
            return None
        data: dict[str, Any] = json.loads(body.read())
        return data


def existing_bucket(target: Target, region: str) -> str | None:
    """The artifacts bucket's name when it exists."""
    account = target.client("sts", region).get_caller_identity()["Account"]
    name = f"moorage-artifacts-{account}-{region}"
    try:
        target.client("s3", region).head_bucket(Bucket=name)
    except ClientError:
        return None
    return name


def keep_releases(s3: Any, bucket: str) -> None:
    """Make the bucket's expiry apply to uploaded templates only, never to release records."""
    try:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
    except ClientError:
        rules = []
    wanted = [r for r in rules if _prefix_of(r).startswith("templates/")]
    if wanted and len(wanted) == len(rules):
        return
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "expire-templates", "Status": "Enabled", "Filter": {"Prefix": "templates/"},
         "Expiration": {"Days": 30}}]})


def _prefix_of(rule: dict[str, Any]) -> str:
    return str((rule.get("Filter") or {}).get("Prefix", rule.get("Prefix", "")))


# --------------------------------------------------------------------------- what is deployed


def service_stacks(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Manifest stack entries of services: stack key -> entry."""
    return {s["key"]: s for s in manifest["stacks"] if str(s["key"]).startswith("svc-")}


def snapshot(target: Target, manifest: dict[str, Any]) -> tuple[dict[str, str], dict[str, dict[str, Any]],
                                                                dict[str, str], dict[str, str]]:
    """What runs now: (template hash per stack, service stacks' template+parameters, image and task
    definition per service), read from CloudFormation and ECS."""
    hashes: dict[str, str] = {}
    stored: dict[str, dict[str, Any]] = {}
    images: dict[str, str] = {}
    task_defs: dict[str, str] = {}
    for stack in manifest["stacks"]:
        cf = target.client("cloudformation", target.region_for(stack["region"]))
        state = read_stack(cf, stack["name"])
        if state is None or not state.deployed:
            continue
        template = deployed_template(cf, stack["name"])
        hashes[stack["key"]] = template_hash(template)
        if not str(stack["key"]).startswith("svc-"):
            continue
        stored[stack["key"]] = {"template": template, "parameters": state.parameters}
        service = str(stack["key"]).removeprefix("svc-")
        arn = state.outputs.get("TaskDefinitionArn")
        if arn:
            task_defs[service] = arn
            ecs = target.client("ecs", target.region_for(stack["region"]))
            try:
                task = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
                containers = task.get("containerDefinitions", [])
                main = next((c for c in containers if c.get("name") == service), containers[0] if containers else {})
                images[service] = str(main.get("image", ""))
            except (ClientError, IndexError):
                pass
    return hashes, stored, images, task_defs


def digests_of(images: dict[str, str]) -> dict[str, str]:
    """The sha256 digests the image references pin (tags are recorded as given, without a digest)."""
    return {s: ref.split("@", 1)[1] for s, ref in images.items() if "@sha256:" in ref}


def caller(target: Target, region: str) -> str:
    """The caller identity's ARN."""
    try:
        return str(target.client("sts", region).get_caller_identity().get("Arn", "unknown"))
    except ClientError:
        return "unknown"


def record_release(target: Target, manifest: dict[str, Any], *, kind: str, started: datetime, ok: bool,
                   stacks: dict[str, str], commit: str | None, spec: str | None,
                   reversible: dict[str, bool], job_results: dict[str, str] | None = None,
                   rollback_to: int | None = None, note: str = "",
                   commit_tags: dict[str, str] | None = None,
                   snapshots: dict[str, list[str]] | None = None,
                   outcome: str | None = None) -> tuple[ReleaseRecord, str]:
    """Write the record of a release that just ended; returns it and its address."""
    store = ReleaseStore(target, manifest)
    hashes, stored, images, task_defs = snapshot(target, manifest)
    jobs = [str(j) for j in manifest.get("before_deploy_jobs", [])]
    migrations = [Migration(job, stacks.get(f"svc-{job}") in ("create", "update", "interrupted"),
                            reversible.get(job, False),
                            (job_results or {}).get(job, ""), list((snapshots or {}).get(job, [])))
                  for job in jobs]
    changed = sorted(k.removeprefix("svc-") for k, a in stacks.items()
                     if k.startswith("svc-") and a in ("create", "update"))
    record = ReleaseRecord(
        number=store.next_number(), app=store.app, environment=store.env, kind=kind,
        started=started.replace(microsecond=0).isoformat(), finished=now(),
        duration_seconds=round((datetime.now(UTC) - started).total_seconds(), 1), caller=caller(target, store.region),
        commit=commit, spec_hash=spec, outcome=outcome or ("succeeded" if ok else "failed"), images=images,
        digests=digests_of(images), task_definitions=task_defs, templates=hashes, stacks=dict(sorted(stacks.items())),
        changed=changed, migrations=migrations, rollback_to=rollback_to, note=note,
        commit_tags=dict(sorted((commit_tags or {}).items())))
    return record, store.write(record, stored)


def _version_of(record: ReleaseRecord, service: str) -> tuple[str | None, str | None]:
    """What ``service`` ran in ``record``: its image and task definition (a release that changed only its
    secrets or settings ran another task definition with the same image: "the one before" for ``--service``
    is the last that ran another version, not another image)."""
    return record.images.get(service), record.task_definitions.get(service)


def deployed_releases(records: list[ReleaseRecord]) -> list[ReleaseRecord]:
    """The releases that set what runs, oldest first: those that succeeded, were reconciled, or were
    interrupted after changing stacks (a failed one's stacks rolled back)."""
    return [r for r in records if r.outcome in ("succeeded", "reconciled") or (r.outcome == "interrupted" and any(
        a in ("create", "update", "interrupted") for a in r.stacks.values()))]


def drift(target: Target, manifest: dict[str, Any], records: list[ReleaseRecord]) -> str:
    """"what runs differs from release N: ..." when the services' images or task definitions running now are
    not those of the last release that set what runs (a deploy that ended before its record was written); ""
    when they agree or nothing is recorded."""
    deployed = deployed_releases(records)
    if not deployed:
        return ""
    last = deployed[-1]
    _, _, images, task_defs = snapshot(target, manifest)
    if not images:  # nothing runs (destroyed): nothing a release could say runs
        return ""
    said = []
    for service in sorted(set(images) | set(last.images)):
        now, then = images.get(service, "not deployed"), last.images.get(service, "not deployed")
        if now != then:
            said.append(f"{service} runs {now} (release {last.number}: {then})")
        elif last.task_definitions and task_defs.get(service) != last.task_definitions.get(service):
            said.append(f"{service} runs task definition {task_defs.get(service, 'none')} (release "
                        f"{last.number}: {last.task_definitions.get(service, 'none')})")
    if not said:
        return ""
    return f"what runs differs from release {last.number}: " + "; ".join(said)


# --------------------------------------------------------------------------- rollback


class RollbackRefused(Exception):
    """The rollback would be unsafe or has nothing to go back to."""


@dataclass
class RollbackPlan:
    """Which release to go back to, which services, and the releases being left."""

    target: ReleaseRecord
    current: ReleaseRecord
    services: list[str]
    leaving: list[ReleaseRecord]


def plan_rollback(records: list[ReleaseRecord], service: str | None, to: int | None) -> RollbackPlan:
    """The rollback to release ``to`` (default: the one before the current) for ``service`` (default: all);
    refuses when a release being left ran a migration not marked ``reversible: true``.

    The current release is what runs: the last that succeeded or was interrupted after changing stacks
    (a failed one's stacks rolled back); targets are releases that succeeded."""
    good = [r for r in records if r.outcome == "succeeded"]
    deployed = deployed_releases(records)
    if not good:
        raise RollbackRefused("no successful release is recorded for this environment: nothing to roll back to")
    current = deployed[-1]
    if to is not None:
        target = next((r for r in records if r.number == to), None)
        if target is None:
            raise RollbackRefused(f"no release {to}; recorded: " + ", ".join(str(r.number) for r in records))
        if target.outcome != "succeeded":
            raise RollbackRefused(f"release {to} {target.outcome}: roll back to a release that succeeded")
        if target.number == current.number:
            raise RollbackRefused(f"release {to} is the current release")
    else:
        older = [r for r in good if r.number < current.number
                 and (service is None or _version_of(r, service) != _version_of(current, service))]
        if not older:
            raise RollbackRefused("no earlier successful release"
                                  + (f" ran another version of {service} (image or task definition)" if service
                                     else "") + ": nothing to go back to")
        target = older[-1]
    names = sorted(target.images) if service is None else [service]
    if service is not None and service not in target.images:
        raise RollbackRefused(f"release {target.number} has no service {service!r}")
    low, high = sorted((target.number, current.number))
    leaving = [r for r in deployed if low < r.number <= high and r.kind == "deploy"]
    for r in leaving:
        for m in r.migrations:
            if m.ran and not m.reversible:
                raise RollbackRefused(
                    f"release {r.number} ran a new version of migration {m.service!r}, which is not marked "
                    f"`reversible: true`: the data may no longer fit release {target.number}'s code. Fix forward "
                    f"(deploy a new release), or mark the job `reversible: true` once its migrations are backward "
                    "compatible")
    return RollbackPlan(target, current, names, leaving)


@dataclass
class _Step:
    """One service's rollback, prepared before anything changes."""

    service: str
    key: str
    entry: dict[str, Any]
    template: dict[str, Any]
    params: dict[str, str]
    old: dict[str, Any]
    state: Any
    changes: list[Any]  # what going back changes in the stack (classified before any stack changes)


def _outputs_now(target: Target, manifest: dict[str, Any]) -> dict[str, dict[str, str] | None]:
    """stack key -> its outputs as deployed now (None when it is not deployed)."""
    found: dict[str, dict[str, str] | None] = {}
    for stack in manifest["stacks"]:
        state = read_stack(target.client("cloudformation", target.region_for(stack["region"])), stack["name"])
        found[stack["key"]] = dict(state.outputs) if state is not None and state.deployed else None
    return found


def _secret_gone(target: Target, arn: str) -> str | None:
    """Why the Secrets Manager secret ``arn`` cannot be read now; None when it exists."""
    arn = ":".join(arn.split(":")[:7])  # without a task definition's ``:json-key:stage:version`` suffix
    try:
        found = target.client("secretsmanager", arn_region(arn) or "us-east-1").describe_secret(SecretId=arn)
    except ClientError as exc:
        return str(exc.response.get("Error", {}).get("Code", "unreadable"))
    return "scheduled for deletion" if found.get("DeletedDate") else None


def _prepare(target: Target, manifest: dict[str, Any], store: ReleaseStore, plan: RollbackPlan,
             on_line: Callable[[str], None]) -> tuple[list[_Step], dict[str, str]]:
    """Each service's template and parameters to go back to; refuses (before anything changes) when a stack is
    not deployed or the release reads a stack output or a secret the environment no longer has."""
    stacks = service_stacks(manifest)
    number = plan.target.number
    steps: list[_Step] = []
    actions: dict[str, str] = {}
    outputs: dict[str, dict[str, str] | None] | None = None
    absent: list[str] = []
    gone: list[str] = []
    losing: list[str] = []
    for service in plan.services:
        key = f"svc-{service}"
        entry = stacks.get(key)
        stored = store.stored_template(number, key)
        if entry is None or stored is None:
            on_line(f"{service}: release {number} holds no template of it: skipped")
            actions[key] = "skipped"
            continue
        cf = target.client("cloudformation", target.region_for(entry["region"]))
        state = read_stack(cf, entry["name"])
        if state is None or not state.deployed:
            absent.append(entry["name"])
            continue
        template = stored["template"]
        old = deployed_template(cf, entry["name"])
        # what the deployed template declares (the emulator also keeps parameters an update dropped)
        params = {k: v for k, v in state.parameters.items() if k in old.get("Parameters", {})}
        for name in template.get("Parameters", {}):
            if name != "Image" and name in params:
                continue
            source = parameter_source(template, name) if name != "Image" else None
            if source is not None and any(st["key"] == source[0] for st in manifest["stacks"]):
                # fed from another stack of the environment: that output's value now, if it still has it
                outputs = outputs if outputs is not None else _outputs_now(target, manifest)
                now = (outputs.get(source[0]) or {}).get(source[1])
                if now is None:
                    secret = secret_name(source[1], "Arn")
                    gone.append(f"{service}: release {number} reads "
                                + (f"secret {secret} ({name}, " if secret else f"{name} (")
                                + f"output {source[1]} of stack {source[0]}), which the environment no longer has"
                                + (" (the stack is not deployed)" if outputs.get(source[0]) is None else ""))
                    continue
                params[name] = now
                continue
            if name not in stored["parameters"]:
                raise RollbackRefused(f"{service}: parameter {name} has no value now or in release {number}")
            params[name] = stored["parameters"][name]
        params = {k: v for k, v in params.items() if k in template.get("Parameters", {})}
        # the secrets it reads: through its parameters, or written into the template (an existing secret's ARN)
        read = {str(v): f" ({k})" for k, v in sorted(params.items())}
        read.update({v: "" for v in strings(template) if v not in read})
        for value, via in read.items():
            if value.startswith("arn:aws:secretsmanager:"):
                why = _secret_gone(target, value)
                if why:
                    gone.append(f"{service}: release {number} reads secret {value}{via}: {why}")
        changes = classify(old, state.parameters, template, params)
        bad = blocking(changes, set())
        if bad:  # every service's refusal is found before any stack changes, not halfway through
            losing.append(f"{service}: going back would replace or remove "
                          + ", ".join(c.logical_id for c in bad) + ", which hold data")
        steps.append(_Step(service, key, entry, template, params, old, state, changes))
    if absent and not steps:
        raise RollbackRefused(f"nothing to roll back: {', '.join(absent)} "
                              + ("is" if len(absent) == 1 else "are") + " not deployed (destroyed, or never "
                              "deployed); deploy the environment (moorage deploy) instead")
    if absent:
        raise RollbackRefused(f"{', '.join(absent)} " + ("is" if len(absent) == 1 else "are") + " not deployed: "
                              "a rollback changes deployed service stacks only; deploy the environment first")
    if gone:
        raise RollbackRefused(f"release {number} cannot run on the environment as deployed now:\n    "
                              + "\n    ".join(gone)
                              + "\n    (a database, cache or secret was renamed, replaced or removed since): fix "
                                "forward with a deploy, or roll back to a release made after that change")
    if losing:
        raise RollbackRefused("\n    ".join(losing) + ("\n    nothing was rolled back" if len(plan.services) > 1
                                                      else ""))
    return steps, actions


def execute_rollback(target: Target, manifest: dict[str, Any], store: ReleaseStore, plan: RollbackPlan,
                     on_line: Callable[[str], None], poll: float = 2.0,
                     interruption: Interruption | None = None) -> dict[str, str]:
    """Redeploy the target release's service stacks (only those of ``plan.services``); returns stack -> action.

    Each stack goes through a change set with the recorded template; parameters keep their current values
    except the image ones, which take the recorded values, and those the current template lacks, which take the
    current output of the stack they come from. Before anything changes, refuses (:class:`RollbackRefused`)
    when a service stack is not deployed, the release reads an output or a secret that no longer exists, or
    going back would lose data in any of the stacks (all classified first).

    With ``interruption`` installed, Ctrl-C once stacks change (as a deploy's, :mod:`moorage.deploy.interrupt`)
    starts no further stack (``skipped``) and waits for the one in flight; a second Ctrl-C stops waiting for it
    (``interrupted``). ``interruption.requested`` then tells the caller to record the rollback as interrupted."""
    steps, actions = _prepare(target, manifest, store, plan, on_line)
    interruption = interruption or Interruption()
    in_flight: list[str] = []  # the stack being waited for, for the line the first Ctrl-C prints
    interruption.on_request = lambda: on_line(
        "interrupted: no further stack starts" + (f"; waiting for {in_flight[0]} to finish (Ctrl-C again to stop "
                                                  "waiting: CloudFormation carries on with it)" if in_flight else ""))
    interruption.deferring = True  # stacks change from here: Ctrl-C stops starting them and is recorded
    for step in steps:
        if interruption.requested:
            actions[step.key] = "skipped"
            continue
        interruption.stoppable = True  # a second Ctrl-C stops waiting for this stack; after it, it is held
        try:
            actions[step.key] = _roll_back(target, store, plan, step, on_line, poll, interruption, in_flight)
        except KeyboardInterrupt:  # the second Ctrl-C: stop waiting (or stop before executing the change set)
            interruption.request()
            actions[step.key] = "interrupted" if in_flight else "skipped"
            if in_flight:
                on_line(f"{step.service}: not waited for (Ctrl-C): it keeps changing")
        finally:
            interruption.stoppable = False
        in_flight.clear()
        if actions[step.key] == "failed":
            break
    interruption.on_request = None
    return actions


def _roll_back(target: Target, store: ReleaseStore, plan: RollbackPlan, step: _Step,
               on_line: Callable[[str], None], poll: float, interruption: Interruption, in_flight: list[str]) -> str:
    """Redeploy one service stack of the target release; its action (``in_flight`` holds its name while its
    change set executes)."""
    service, key, entry, template, params = step.service, step.key, step.entry, step.template, step.params
    cf = target.client("cloudformation", target.region_for(entry["region"]))
    if not step.changes:  # (a change that would lose data was refused by _prepare, before any stack changed)
        on_line(f"{service}: already runs release {plan.target.number}'s version")
        return "unchanged"
    body: str | None = json.dumps(template, indent=2, sort_keys=True)
    url = None
    tags = {t: v for t, v in step.state.tags.items()}
    if body is not None and len(body.encode()) > load_data("cloudformation")["limits"]["inline_template_bytes"]:
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        url = upload_template(target, target.region_for(entry["region"]),
                              f"{store.app}/{store.env}/{key}-{digest}.json", body, tags)
        body = None
    try:
        cs = create_change_set(cf, entry["name"], body, url, params, tags, "UPDATE",
                               f"moorage rollback of {plan.current.app}/{plan.current.environment} to release "
                               f"{plan.target.number}", poll=min(poll, 1.0))
    except ChangeSetError as exc:
        on_line(f"{service}: change set failed: {exc.reason}")
        return "failed"
    if cs.empty:
        return "unchanged"
    if interruption.requested:  # Ctrl-C while the change set was made: it is not executed
        cf.delete_change_set(ChangeSetName=cs.id, StackName=entry["name"])
        return "skipped"
    on_line(f"{service}: rolling back to release {plan.target.number} ({plan.target.images.get(service, '?')})")
    seen: set[str] = set()
    in_flight.append(entry["name"])
    cf.execute_change_set(ChangeSetName=cs.id, StackName=entry["name"])
    status, events = wait_for_stack(cf, entry["name"], seen, lambda e: None, poll=poll)
    if status in TERMINAL_OK and "ROLLBACK" not in status:
        on_line(f"{service}: {status}")
        return "update"
    failure = first_failure(events)
    on_line(f"{service}: {status}" + (f": {failure.logical_id} {failure.reason}" if failure else ""))
    return "failed"


def unemulated_release_note(plan: Any) -> str | None:
    """One line for a deploy to the emulator of services whose strategy shifts traffic: what it does not do."""
    shifting = sorted(f"{n} ({sp.release.strategy})" for n, sp in plan.services.items()
                      if sp.release is not None and sp.release.shifts_traffic)
    if not shifting:
        return None
    return (f"note: the emulator creates the release resources of {', '.join(shifting)} but does not shift "
            "traffic, bake, call the smoke hook or evaluate rollback alarms (see docs/deploy.md)")


def _reversible(synth: Any) -> dict[str, bool]:
    return {n: s.spec.reversible for n, s in synth.plan.services.items() if s.spec.kind == "job"}


def _job_results(synth: Any, result: Any) -> dict[str, str]:
    """What each before-deploy job did, as the deploy reported it."""
    results = {}
    for job in synth.manifest.get("before_deploy_jobs", []):
        outcome = result.outcomes.get(f"svc-{job}")
        if outcome is not None and outcome.failure is not None and outcome.failure.status == "JOB_FAILED":
            results[job] = outcome.failure.reason
            continue
        results[job] = next((n for n in result.notes if n.startswith(f"job {job}:")),
                            "not run" if outcome is None or outcome.action == "skipped" else "")
    return results


def record_deploy(target: Target, synth: Any, result: Any, started: datetime, commit: str | None,
                  spec: Path) -> tuple[ReleaseRecord, str] | None:
    """Write the release record of a deploy that changed (or failed to change) something: (record, where).

    ``synth`` and ``result`` are the deploy's :class:`~moorage.render.Synth` and
    :class:`~moorage.deploy.run.DeployResult`; None when the deploy changed nothing (an interrupted deploy
    that changed no stack included). An interrupted one that changed stacks is recorded ``interrupted``.
    """
    stacks = {k: o.action for k, o in result.outcomes.items()}
    if result.unchanged and result.ok:
        # nothing to change, yet what runs may not be what history says (an earlier deploy ended before its
        # record): record what runs, so that rollback starts from the truth
        differs = drift(target, synth.manifest, ReleaseStore(target, synth.manifest).records())
        if not differs:
            return None
        return record_release(target, synth.manifest, kind="deploy", started=started, ok=True, stacks=stacks,
                              commit=commit, spec=spec_hash(spec), reversible={}, note=differs,
                              outcome="reconciled")
    if result.unchanged or (result.interrupted and not result.changed):
        return None
    return record_release(target, synth.manifest, kind="deploy", started=started, ok=result.ok, stacks=stacks,
                          commit=commit, spec=spec_hash(spec), reversible=_reversible(synth),
                          job_results=_job_results(synth, result), commit_tags=result.commit_tags,
                          snapshots=result.snapshots, outcome="interrupted" if result.interrupted else None)
