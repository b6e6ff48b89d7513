"""Plan -> CloudFormation templates (one concrete template per stack) and the synth manifest."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from moorage import __version__
from moorage.data import load_data
from moorage.errors import Diagnostic, InputError
from moorage.plan.model import PREVIEW_PRIORITIES, PREVIEW_SNAPSHOTS, Plan
from moorage.render.alarm_topics import render_health
from moorage.render.context import StackContext
from moorage.render.data import render_data
from moorage.render.edge import render_cdn, render_edge
from moorage.render.keys import render_keys, render_registry
from moorage.render.network import render_network, render_security
from moorage.render.observability import render_budget, render_observability
from moorage.render.platform import render_platform
from moorage.render.rotation import render_rotation
from moorage.render.service import render_service

MANIFEST = "manifest.json"

# Renderers of the stacks every environment may have; any other stack key is a service's stack.
SHARED_STACKS: dict[str, Callable[[StackContext], None]] = {
    "network": render_network, "data": render_data, "platform": render_platform, "edge": render_edge,
    "observability": render_observability, "budget": render_budget, "keys": render_keys,
    "registry": render_registry, "cdn": render_cdn, "security": render_security, "health": render_health,
    "rotation": render_rotation,
}


def _renderer(key: str) -> Callable[[StackContext], None] | None:
    # ``data-2``, ``edge-3`` ...: more stacks of one kind when one would pass CloudFormation's limits.
    return SHARED_STACKS.get(key) or (SHARED_STACKS.get(key.rsplit("-", 1)[0]) if key[-1].isdigit() else None)


@dataclass
class Synth:
    """The templates of one environment, and how to deploy them."""

    plan: Plan
    templates: dict[str, dict[str, Any]]
    manifest: dict[str, Any]

    def template_text(self, key: str) -> str:
        """The template of stack ``key`` as deterministic JSON text (callers may have changed ``templates``)."""
        return to_json(self.templates[key])


# orjson writes json.dumps(indent=2, sort_keys=True)'s bytes ~20x faster (the standard library's C encoder
# does no indent) except for non-ASCII and DEL (json.dumps escapes them) and floats under 1e-4 (json.dumps
# 1e-05 and 1e-07, orjson 0.00001 and 1e-7; every other finite float is spelled alike): texts with those
# are left to json.dumps (a string that merely looks like such a number costs only that).
_SHORT_EXPONENT = re.compile(rb"e-[0-9][,\n]")
_INDENT_2 = (orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
             | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME)  # as json.dumps: not JSON


def to_json(data: Any) -> str:
    """Deterministic JSON: sorted keys, two-space indent, trailing newline; byte for byte
    ``json.dumps(data, indent=2, sort_keys=True) + "\\n"`` but for NaN and infinities (not JSON, refused by
    CloudFormation), written ``null``."""
    if isinstance(data, (dict, list)):  # a bare scalar (no caller has one) stays json.dumps's
        try:
            fast = orjson.dumps(data, option=_INDENT_2)
        except TypeError:  # a key that is not a string, an integer past 64 bits ...: the standard library's rules
            fast = b"\x7f"
        if fast.isascii() and b"\x7f" not in fast and b"0.0000" not in fast and not _SHORT_EXPONENT.search(fast):
            return fast.decode("ascii")
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def synthesize(plan: Plan) -> Synth:
    """Render every stack of ``plan`` and the manifest that orders them."""
    contexts: dict[str, StackContext] = {}
    by_stack = {s.stack: s for s in reversed(plan.services.values())}  # the first service of a stack, as before
    for stack in plan.stacks:
        ctx = StackContext(plan, stack)
        render = _renderer(stack.key)
        if render and not stack.key.startswith("svc-"):
            render(ctx)
        else:
            render_service(ctx, by_stack[stack.key])
        contexts[stack.key] = ctx
    templates = {k: c.template.to_dict() for k, c in contexts.items()}
    texts = {k: to_json(t) for k, t in templates.items()}  # once for the limits and the manifest
    _check_wiring(plan, contexts, templates)
    _check_limits(templates, texts)
    _check_container_definitions(plan, templates)
    return Synth(plan, templates, _manifest(plan, contexts, templates, texts))


def _check_wiring(plan: Plan, contexts: dict[str, StackContext], templates: dict[str, dict[str, Any]]) -> None:
    # A consumer may only read outputs that exist, from stacks it is declared to come after.
    for key, ctx in contexts.items():
        deps = _ancestors(plan, key)
        for inp in ctx.inputs.values():
            if inp.stack in ("build", PREVIEW_PRIORITIES, PREVIEW_SNAPSHOTS) or (
                    plan.preview and inp.stack in plan.preview.base_stacks):
                continue  # an image, what a preview's deployer picks, or its base stack (deploy checks those)
            outputs = templates.get(inp.stack, {}).get("Outputs", {})
            if inp.output not in outputs:
                raise RuntimeError(f"stack {key} reads {inp.stack}.{inp.output}, which that stack does not output")
            if inp.stack not in deps:
                raise RuntimeError(f"stack {key} reads {inp.stack} but is not ordered after it")


def _check_limits(templates: dict[str, dict[str, Any]], texts: dict[str, str]) -> None:
    limits = load_data("cloudformation")["limits"]
    problems = []
    for key, tpl in templates.items():
        counts = {"resources": len(tpl.get("Resources", {})), "outputs": len(tpl.get("Outputs", {})),
                  "parameters": len(tpl.get("Parameters", {})), "template_bytes": len(texts[key].encode())}
        hint = ("a service stack holds one service: trim its environment variables, uses and sidecars"
                if key.startswith("svc-") else "split the app into smaller apps, or report this so moorage "
                "splits the stack (docs/scale.md)")
        problems += [Diagnostic("error", f"stack {key} would have {n} {what.replace('_', ' ')}; "
                                f"CloudFormation allows {limits[what]}", None, hint)
                     for what, n in counts.items() if n > limits[what]]
    if problems:
        raise InputError(problems)


# What an intrinsic function (a secret's ARN, an image URI, a log group) takes once CloudFormation resolves it:
# an upper estimate, as the resolved value is what ECS measures.
RESOLVED_VALUE_BYTES = 128


def _api_json(value: Any) -> Any:
    """``value`` as the RegisterTaskDefinition request carries it: intrinsics replaced by a resolved-size string
    (CloudFormation's PascalCase keys and ECS's camelCase ones have the same length)."""
    if isinstance(value, dict):
        if len(value) == 1 and (next(iter(value)) == "Ref" or next(iter(value)).startswith("Fn::")):
            return "x" * RESOLVED_VALUE_BYTES
        return {k: _api_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_api_json(v) for v in value]
    return value


def container_definitions_bytes(task_definition: dict[str, Any]) -> int:
    """The size ECS counts against its 64 KiB limit: every container definition of the task (name, image,
    command, entry point, variables, secret references, health check, labels, log settings ...), as JSON."""
    defs = (task_definition.get("Properties") or {}).get("ContainerDefinitions") or []
    return len(json.dumps(_api_json(defs), separators=(",", ":")).encode())


def _check_container_definitions(plan: Plan, templates: dict[str, dict[str, Any]]) -> None:
    """A task definition ECS would refuse at deploy time (its container definitions over 64 KiB), located
    at the service."""
    limit = load_data("aws_limits")["container_definitions_bytes"]
    problems = []
    for sp in plan.services.values():
        for lid, body in (templates.get(sp.stack, {}).get("Resources") or {}).items():
            if body.get("Type") != "AWS::ECS::TaskDefinition":
                continue
            size = container_definitions_bytes(body)
            if size > limit:
                problems.append(Diagnostic(
                    "error", f"service {sp.spec.name}'s task definition {lid} takes about {size:,} bytes (its "
                    f"containers' commands, variables, secret references, health checks ...); a whole ECS task "
                    f"definition holds at most {limit:,}", plan.env.locate(("services", sp.spec.name)),
                    "move large values to a bucket, `config:` (SSM) or `secrets:` (the task reads them by "
                    "reference), and shorten long commands"))
    if problems:
        raise InputError(problems)


def _ancestors(plan: Plan, key: str) -> set[str]:
    seen: set[str] = set()
    todo = list(plan.stack(key).depends_on)
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo.extend(plan.stack(k).depends_on)
    return seen


def deploy_waves(plan: Plan) -> list[list[str]]:
    """Stacks grouped in waves: each wave needs only earlier waves, so its stacks can deploy in parallel."""
    done: set[str] = set()
    waves: list[list[str]] = []
    remaining = [s.key for s in plan.stacks]
    while remaining:
        wave = [k for k in remaining if set(plan.stack(k).depends_on) <= done]
        if not wave:
            raise RuntimeError("stack dependency cycle: " + ", ".join(remaining))
        waves.append(wave)
        done.update(wave)
        remaining = [k for k in remaining if k not in done]
    return waves


def _manifest(plan: Plan, contexts: dict[str, StackContext], templates: dict[str, dict[str, Any]],
              texts: dict[str, str]) -> dict[str, Any]:
    env = plan.env
    stacks = []
    for stack in plan.stacks:
        ctx = contexts[stack.key]
        params = []
        for inp in sorted(ctx.inputs.values(), key=lambda i: i.parameter):
            if inp.stack == "build":
                params.append({"name": inp.parameter, "from": {"build": inp.output}})
            else:
                params.append({"name": inp.parameter, "from": {"stack": inp.stack, "output": inp.output}})
        body = texts[stack.key]
        stacks.append({
            "key": stack.key, "name": stack.name, "purpose": stack.purpose, "template": f"{stack.key}.json",
            "region": stack.region or env.region,
            "depends_on": stack.depends_on, "parameters": params,
            "outputs": sorted(templates[stack.key].get("Outputs", {})),
            "resources": len(templates[stack.key].get("Resources", {})), "bytes": len(body.encode()),
            "needs_s3_upload": len(body.encode()) > load_data("cloudformation")["limits"]["inline_template_bytes"],
        })
    jobs = [s.spec.name for s in plan.services.values() if s.spec.kind == "job"]
    return {
        "moorage": __version__, "app": env.app, "environment": env.env, "profile": env.profile,
        "region": env.region, "residency": env.residency, "tags": env.tags, "stacks": stacks,
        "waves": deploy_waves(plan),
        "before_deploy_jobs": jobs,
        # the spec's before-deploy jobs (not moorage's bootstrap jobs): what --migrations-dry-run runs
        "migration_jobs": plan.migration_jobs,
        # secrets whose previous version services read: the deployer gives each one before services start
        "previous_secrets": [{"name": s.secret_name, "stack": plan.home("secret", n)}
                             for n, s in sorted(plan.secrets.items()) if s.spec.previous and not s.spec.external],
        # taken by the deployer before these jobs run; named after the release (moorage history lists them)
        "pre_migration_snapshots": [{"job": s.job, "database": s.database, "identifier": s.identifier,
                                     "cluster": s.cluster, "stack": plan.home("db", s.database)}
                                    for s in plan.migration_snapshots],
        "repositories": dict(sorted(plan.repositories.items())),
        **({"preview": _preview(plan)} if plan.preview else {}),
    }


def _preview(plan: Plan) -> dict[str, Any]:
    preview = plan.preview
    assert preview is not None
    return {"of": preview.base, "base_stacks": dict(sorted(preview.base_stacks.items())),
            "ttl_hours": preview.ttl_hours, "host": preview.host, "path": preview.url_path,
            "priorities": {"stack": PREVIEW_PRIORITIES, "block": preview.block, "size": preview.block_size,
                           "blocks": preview.blocks, "rules": dict(sorted(preview.rule_offsets.items())),
                           "declared_at": preview.declared_at},
            **({"snapshots": {"stack": PREVIEW_SNAPSHOTS, "databases": dict(preview.restore),
                              # only a snapshot of this engine and major version can start the database
                              "engines": {n: {"engine": plan.databases[n].spec.engine,
                                              "major": plan.databases[n].spec.major} for n in preview.restore}}}
               if preview.restore else {})}


def write_synth(synth: Synth, out_dir: Path) -> list[Path]:
    """Write every template and the manifest into ``out_dir``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = out_dir / MANIFEST
    if previous.is_file():
        # Templates of stacks this synth no longer has would otherwise be linted or deployed again.
        try:
            old = json.loads(previous.read_text(encoding="utf-8")).get("stacks", [])
        except ValueError:
            old = []
        for stack in old:
            stale = out_dir / str(stack.get("template", ""))
            if stack.get("key") not in synth.templates and stale.suffix == ".json" and stale.is_file():
                stale.unlink()
    written = []
    for key in synth.templates:
        path = out_dir / f"{key}.json"
        path.write_text(synth.template_text(key), encoding="utf-8")
        written.append(path)
    path = out_dir / MANIFEST
    path.write_text(to_json(synth.manifest), encoding="utf-8")
    written.append(path)
    return written
