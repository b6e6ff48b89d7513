"""Preview environments on a target: their base's outputs, their expiry tag, finding them and the expired ones.

A preview's stacks carry ``moorage:preview-of`` (its base) and ``moorage:expires`` (UTC, ISO 8601). Only stacks
with both tags are ever listed or deleted here, so a base environment's stacks can never be reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from moorage.deploy.repair import Problem
from moorage.deploy.session import Target
from moorage.deploy.stacks import read_stack

PREVIEW_OF = "moorage:preview-of"
EXPIRES = "moorage:expires"


def utc_now() -> datetime:
    """The current time, in UTC (the one clock previews' expiry is read against)."""
    return datetime.now(UTC)


def expiry(ttl_hours: int, now: datetime | None = None) -> str:
    """The expiry tag value: ``ttl_hours`` after ``now`` (UTC, to the second)."""
    at = (now or utc_now()) + timedelta(hours=ttl_hours)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def base_outputs(target: Target, manifest: dict[str, Any]) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """The outputs of the base stacks a preview reads (by stack key), and a problem per base stack not deployed."""
    preview = manifest["preview"]
    wanted = sorted({p["from"]["stack"] for s in manifest["stacks"] for p in s.get("parameters", [])
                     if "stack" in p["from"] and p["from"]["stack"] in preview["base_stacks"]})
    cf = target.client("cloudformation", manifest["region"])
    outputs: dict[str, dict[str, str]] = {}
    problems = []
    for key in wanted:
        name = preview["base_stacks"][key]
        state = read_stack(cf, name)
        if state is None or not state.deployed or state.status.endswith("FAILED") or state.status == \
                "ROLLBACK_COMPLETE":
            problems.append(Problem(name, state.status if state else "NOT_DEPLOYED",
                                    f"preview {manifest['environment']} runs on environment {preview['of']}, "
                                    "whose stack this is", f"{target.command('deploy', preview['of'])} first",
                                    "none"))
            continue
        outputs[key] = dict(state.outputs)
    return outputs, problems


def base_rule_problems(target: Target, manifest: dict[str, Any],
                       outputs: dict[str, dict[str, str]]) -> list[Problem]:
    """A problem per base listener whose own rules sit in the block kept for previews' rules (the base was
    deployed before the spec had ``previews:``): a preview's rules there would come after the base's and
    never get a request."""
    from moorage.data import load_data

    preview = manifest["preview"]
    reserved = int(load_data("releases")["previews"]["reserved_priorities"])
    elb = target.client("elbv2", manifest["region"])
    cf = target.client("cloudformation", manifest["region"])
    theirs = {r["PhysicalResourceId"] for p in previews(target, manifest["app"], manifest["region"])
              for name in p.stacks for r in cf.describe_stack_resources(StackName=name)["StackResources"]
              if r["ResourceType"] == "AWS::ElasticLoadBalancingV2::ListenerRule"}
    problems = []
    for key, values in sorted(outputs.items()):
        listener = values.get("ListenerArn")
        if not listener:
            continue
        rules = [r for r in elb.describe_rules(ListenerArn=listener)["Rules"]
                 if r["Priority"] != "default" and r["RuleArn"] not in theirs and int(r["Priority"]) < reserved]
        if not rules:
            continue
        low = min(int(r["Priority"]) for r in rules)
        local = " --local" if target.local else ""
        problems.append(Problem(
            preview["base_stacks"].get(key, key), f"RULE PRIORITY {low}",
            f"environment {preview['of']}'s listener rules start at priority {low}, inside the block 1-{reserved - 1} "
            f"kept for previews (it was deployed before the spec had `previews:`): preview "
            f"{manifest['environment']}'s rules would come after them and never get a request",
            f"redeploy {preview['of']} first (its rules move past the block): moorage deploy --env "
            f"{preview['of']}{local}", "none"))
    return problems


def allocate_block(taken: set[int], preferred: int, current: int | None, blocks: int) -> int | None:
    """The block of priorities a preview's rules take: the one it holds already when no other rule sits there,
    else the first block from ``preferred`` on (wrapping) that no other rule holds; None when every block is
    taken."""
    if current is not None and current not in taken:
        return current
    return next(((preferred + k) % blocks for k in range(blocks) if (preferred + k) % blocks not in taken), None)


def rule_priorities(target: Target, manifest: dict[str, Any], outputs: dict[str, dict[str, str]],
                    own_stacks: dict[str, Any]) -> tuple[dict[str, str], list[Problem]]:
    """Each preview rule's priority on its base's listener (service stack key -> priority), from a block no other
    rule on the listener holds (the block the preview already has when it is still free); a problem instead when
    the listener has no free block or no room under its rule limit. ``own_stacks``: stack key -> the preview's
    deployed :class:`~moorage.deploy.stacks.StackState` (or None)."""
    from moorage.data import load_data

    preview = manifest["preview"]
    blocks = preview.get("priorities") or {}
    rules = blocks.get("rules") or {}
    if not rules:
        return {}, []
    size, count = int(blocks["size"]), int(blocks["blocks"])
    listeners = {s["key"]: outputs.get(p["from"]["stack"], {}).get("ListenerArn") for s in manifest["stacks"]
                 if s["key"] in rules for p in s.get("parameters", []) if p["name"] == "ListenerArn"}
    region = manifest["region"]
    elb = target.client("elbv2", region)
    cf = target.client("cloudformation", region)
    own_rules = {r["PhysicalResourceId"] for st in own_stacks.values() if st is not None and st.deployed
                 for r in cf.describe_stack_resources(StackName=st.name)["StackResources"]
                 if r["ResourceType"] == "AWS::ElasticLoadBalancingV2::ListenerRule"}
    current = {int(st.parameters["RulePriority"]) for k, st in own_stacks.items() if k in rules and st is not None
               and st.deployed and str(st.parameters.get("RulePriority", "")).isdigit()}
    limit = int(load_data("cloudformation")["limits"]["listener_rules"])
    taken: set[int] = set()
    problems = []
    edge = next((k for k in preview["base_stacks"] if k == "edge"), "edge")
    for arn in sorted({a for a in listeners.values() if a}):
        found = [r for page in elb.get_paginator("describe_rules").paginate(ListenerArn=arn) for r in page["Rules"]
                 if r["Priority"] != "default" and r["RuleArn"] not in own_rules]
        taken |= {(int(r["Priority"]) - 1) // size for r in found if int(r["Priority"]) <= size * count}
        mine = sum(1 for a in listeners.values() if a == arn)
        if len(found) + mine > limit:
            problems.append(Problem(
                preview["base_stacks"].get(edge, edge), f"{len(found)} LISTENER RULES",
                f"{preview['of']}'s listener holds {len(found)} rules (its own and other previews'); preview "
                f"{manifest['environment']} needs {mine} more and a load balancer takes {limit} "
                f"(previews: at {blocks.get('declared_at', 'the spec')})",
                "destroy previews no longer needed (moorage destroy --expired, or --env NAME), or preview fewer "
                "routed services", "none"))
    if problems:
        return {}, problems
    held = (min(current) - 1) // size if current else None
    block = allocate_block(taken, int(blocks["block"]), held, count)
    if block is None:
        return {}, [Problem(
            preview["base_stacks"].get(edge, edge), "NO FREE PRIORITY BLOCK",
            f"all {count} blocks of {size} priorities kept for previews on {preview['of']}'s listener are held by "
            f"other previews' rules (previews: at {blocks.get('declared_at', 'the spec')})",
            "destroy previews no longer needed: moorage destroy --expired, or --env NAME", "none")]
    return {k: str(1 + block * size + int(i)) for k, i in sorted(rules.items())}, []


def newest_snapshot(found: list[dict[str, Any]], engine: str, major: str) -> dict[str, Any] | None:
    """The newest available snapshot in ``found`` (DescribeDBSnapshots entries) of ``engine`` at ``major``
    version: one of another engine or major version (taken before the base's engine changed) cannot start the
    database."""
    from moorage.data.aws import major_version

    fits = [s for s in found if s.get("Status") == "available" and s.get("Engine") == engine
            and major_version(engine, str(s.get("EngineVersion", ""))) == major]
    return max(fits, key=lambda s: s["SnapshotCreateTime"]) if fits else None


def restore_snapshots(target: Target, manifest: dict[str, Any],
                      own_stacks: dict[str, Any]) -> tuple[dict[str, str], list[Problem], list[str]]:
    """The snapshot each own database of a preview starts from (``previews.data.from_snapshot: latest``): the one
    its deployed data stack already has (another would replace the database), else the newest available
    snapshot of the base's database with the spec's engine and major version; a problem when the base's database
    has none. Also a line per database saying which snapshot it starts from."""
    snapshots = manifest["preview"].get("snapshots")
    if not snapshots:
        return {}, [], []
    params = {p["from"]["output"]: p["name"] for s in manifest["stacks"] for p in s.get("parameters", [])
              if p["from"].get("stack") == snapshots["stack"]}
    data = own_stacks.get("data")
    rds = target.client("rds", manifest["region"])
    picked: dict[str, str] = {}
    problems = []
    notes = []
    base = manifest["preview"]["of"]
    for db, identifier in sorted(snapshots["databases"].items()):
        kept = data.parameters.get(params.get(db, "")) if data is not None and data.deployed else None
        if kept:
            picked[db] = str(kept)
            notes.append(f"database {db} keeps snapshot {kept} of {base}'s {identifier} (it started from it)")
            continue
        wanted = (snapshots.get("engines") or {}).get(db) or {}
        engine, major = str(wanted.get("engine", "")), str(wanted.get("major", ""))
        found = [s for page in rds.get_paginator("describe_db_snapshots").paginate(DBInstanceIdentifier=identifier)
                 for s in page["DBSnapshots"] if s.get("Status") == "available"]
        newest = newest_snapshot(found, engine, major) if engine else \
            (max(found, key=lambda s: s["SnapshotCreateTime"]) if found else None)
        if newest is None:
            other = sorted({f"{s.get('Engine')} {s.get('EngineVersion')}" for s in found})
            skipped = f" ({len(found)} of {', '.join(other)} skipped)" if found else ""
            problems.append(Problem(
                identifier, "NO SNAPSHOT",
                f"preview {manifest['environment']}'s database {db} starts from the newest snapshot of "
                f"{base}'s {identifier}, which has none available" + (f" of {engine} {major}" if engine else "")
                + f"{skipped} (previews.data.from_snapshot "
                f"at {(manifest['preview'].get('priorities') or {}).get('declared_at', 'the spec')})",
                "take one: " + target.aws(f"rds create-db-snapshot --db-instance-identifier {identifier} "
                                          f"--db-snapshot-identifier {identifier}-for-previews",
                                          target.region_for(manifest["region"])) + (
                    f" (after deploying {base} with {engine} {major})" if found else "") + " (or drop from_snapshot)",
                "none"))
            continue
        picked[db] = str(newest["DBSnapshotIdentifier"])
        notes.append(f"database {db} starts from snapshot {picked[db]} of {base}'s {identifier} "
                     f"({newest.get('Engine')} {newest.get('EngineVersion')}, taken {newest['SnapshotCreateTime']})")
    return picked, problems, notes


@dataclass
class Preview:
    """One preview environment as its stacks' tags describe it."""

    name: str
    base: str
    expires: str
    stacks: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)

    def expired(self, now: datetime | None = None) -> bool:
        """True once its expiry has passed (an unreadable expiry counts as passed: it is a preview)."""
        try:
            at = datetime.strptime(self.expires, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            return True
        return at <= (now or utc_now())

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {"name": self.name, "base": self.base, "expires": self.expires, "expired": self.expired(),
                "stacks": self.stacks, "statuses": self.statuses}

    def manifest(self, app: str, region: str) -> dict[str, Any]:
        """A manifest holding exactly this preview's stacks, for destroy: its own data stack (``<app>-<name>-data``)
        goes after its services; its own buckets are emptied first (a preview's data is disposable)."""
        data = [n for n in self.stacks if n == f"{app}-{self.name}-data"]
        return {"app": app, "environment": self.name, "region": region, "profile": "preview",
                "stacks": [{"key": n, "name": n, "region": region} for n in self.stacks],
                "waves": [w for w in (data, [n for n in self.stacks if n not in data]) if w], "empty_buckets": True}


def previews(target: Target, app: str, region: str) -> list[Preview]:
    """Every preview of ``app`` in ``region`` (stacks tagged with both preview tags), by name."""
    cf = target.client("cloudformation", region)
    found: dict[str, Preview] = {}
    for page in cf.get_paginator("describe_stacks").paginate():
        for stack in page["Stacks"]:
            tags = {t["Key"]: t["Value"] for t in stack.get("Tags", [])}
            if tags.get("moorage:app") != app or PREVIEW_OF not in tags or EXPIRES not in tags:
                continue
            if stack["StackStatus"] == "DELETE_COMPLETE":
                continue
            name = tags.get("moorage:environment", "")
            preview = found.setdefault(name, Preview(name, tags[PREVIEW_OF], tags[EXPIRES]))
            preview.expires = max(preview.expires, tags[EXPIRES])  # the last deploy that changed a stack
            preview.stacks.append(stack["StackName"])
            preview.statuses.append(stack["StackStatus"])
    return [found[n] for n in sorted(found)]


def stray_stacks(target: Target, manifest: dict[str, Any]) -> list[str]:
    """A preview's deployed stacks that its plan no longer has: its own data stack (``<app>-<name>-data``) once
    ``previews.data`` shares the base's stores (only stacks tagged as this preview's are ever named)."""
    if not manifest.get("preview"):
        return []
    found = preview_named(target, manifest["app"], manifest["region"], manifest["environment"])
    planned = {s["name"] for s in manifest["stacks"]}
    return [n for n in found.stacks if n not in planned] if found else []


def why_stray(manifest: dict[str, Any], name: str) -> str:
    """Why a preview's deployed stack ``name`` is not in its plan any more, in words."""
    if name == f"{manifest['app']}-{manifest['environment']}-data":
        return f"previews.data shares {manifest['preview']['of']}'s stores now"
    return "the spec no longer has it"


def preview_url(manifest: dict[str, Any], outputs: dict[str, dict[str, str]]) -> str | None:
    """Where a preview answers: its host on the base's scheme, or the base's URL plus its path prefix."""
    preview = manifest["preview"]
    base = outputs.get("edge", {}).get("Url")
    if not base:
        return None
    if preview.get("host"):
        return f"{base.split('://', 1)[0]}://{preview['host']}/"
    return base.rstrip("/") + str(preview.get("path") or "/")


def preview_cluster_and_url(target: Target, manifest: dict[str, Any]) -> tuple[str | None, str | None]:
    """A preview's cluster (its base's) and URL (on its base's load balancer); None where its base is not
    deployed."""
    outputs, _ = base_outputs(target, manifest)
    return outputs.get("platform", {}).get("ClusterName"), preview_url(manifest, outputs)


def preview_named(target: Target, app: str, region: str, name: str) -> Preview | None:
    """The preview called ``name`` on ``target``, if its stacks exist."""
    return next((p for p in previews(target, app, region) if p.name == name), None)


def destroy_previews(target: Target, app: str, region: str, doomed: list[Preview], reporter: Any,
                     poll: float = 2.0, lock_wait: float = 0.0) -> dict[str, Any]:
    """Destroy each preview in ``doomed`` (only its tagged stacks); preview name -> its DestroyResult."""
    from moorage.deploy.destroy import destroy

    return {p.name: destroy(target, p.manifest(app, region), reporter, poll=poll, lock_wait=lock_wait)
            for p in doomed}
