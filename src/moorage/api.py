"""The library facade: everything the CLI does, callable from Python."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moorage.cfn import TemplateSet, file_template_sets, is_spec, template_set_of
from moorage.errors import Diagnostic, InputError
from moorage.plan import Plan, build_plan
from moorage.render import Synth, synthesize
from moorage.resolve.environment import resolve_environment
from moorage.spec.load import LoadedApp, load_native
from moorage.spec.source import load_yaml

if TYPE_CHECKING:
    from moorage.ci.pipeline import CiSettings
    from moorage.ci.stack import Provider
    from moorage.cost.model import CostReport
    from moorage.deploy.session import Target
    from moorage.guide.inputs import GuideInput
    from moorage.operate.deployed import Deployed
    from moorage.operate.envs import EnvSummary
    from moorage.policy import ChecklistItem, Report


def is_compose_file(path: Path) -> bool:
    """True when ``path`` is a docker-compose file rather than a moorage.yml."""
    name = path.name.lower()
    if "compose" in name:
        return True
    if name.startswith("moorage."):
        return False
    from moorage.compose import looks_like_compose

    data, _ = load_yaml(path)
    return looks_like_compose(path, data)


COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")


def compose_file_in(directory: Path) -> Path | None:
    """The compose file in ``directory`` (compose's own order of names), or None."""
    return next((directory / n for n in COMPOSE_FILES if (directory / n).is_file()), None)


def load_app(path: Path, *, profiles: Sequence[str] = (), strict: bool = False,
             env_file: Path | None = None, skip: Sequence[str] = ()) -> LoadedApp:
    """Load a moorage.yml or a compose file into a validated spec."""
    try:
        path.is_dir()  # a path the system cannot even look up (too long, ...) is bad input, not a bug
    except OSError as exc:
        raise InputError([Diagnostic("error", f"cannot read {str(path)[:200]}: {exc.strerror or exc}", None,
                                     "give the path of a moorage.yml or a docker-compose.yml")]) from None
    if not path.exists():
        raise InputError([Diagnostic("error", f"file not found: {path}", None,
                                     "give a moorage.yml or a docker-compose.yml")])
    if path.is_dir():
        for name in ("moorage.yml", "moorage.yaml", *COMPOSE_FILES):
            if (path / name).is_file():
                return load_app(path / name, profiles=profiles, strict=strict, env_file=env_file, skip=skip)
        raise InputError([Diagnostic("error", f"no moorage.yml or compose file in {path}", None,
                                     "run `moorage init --from docker-compose.yml` to create one")])
    if is_compose_file(path):
        from moorage.compose import import_compose

        return import_compose(path, profiles=profiles, env_file=env_file, strict=strict, skip=skip)
    if skip:
        raise InputError([Diagnostic("error", "--skip applies to compose files only", None,
                                     "drop --skip, or point at the compose file; in moorage.yml delete the service")])
    if profiles:
        raise InputError([Diagnostic("error", "--compose-profile applies to compose files only", None,
                                     "drop --compose-profile, or point at the compose file")])
    return load_native(path)


def import_checked(source: Path, *, profiles: Sequence[str] = (), strict: bool = False,
                   env_file: Path | None = None, skip: Sequence[str] = ()) -> tuple[LoadedApp, str]:
    """Import a compose file as moorage.yml text that every later command accepts.

    The import is planned for every environment (the checks every command runs), and the written text
    is loaded back and must say the same thing; any failure raises :class:`InputError` with the located
    reason, so a caller writes nothing.
    """
    import tempfile

    from moorage.compose import import_compose, to_moorage_yaml

    loaded = import_compose(source, profiles=profiles, env_file=env_file, strict=strict, skip=skip)
    problems: list[Diagnostic] = []
    for env in loaded.spec.environments:
        try:
            plan_environment(loaded, env)
        except InputError as exc:
            problems.extend(d for d in exc.diagnostics if d not in problems)
    if problems:
        raise InputError(problems)
    text = to_moorage_yaml(loaded)
    with tempfile.TemporaryDirectory() as tmp:
        written = Path(tmp) / "moorage.yml"
        written.write_text(text, encoding="utf-8")
        try:
            again = load_native(written)
        except InputError as exc:
            raise InputError([Diagnostic("error", f"the moorage.yml written from {source.name} would not load: "
                                         f"{d.message}", None, "please report this with the compose file",
                                         "compose-internal") for d in exc.diagnostics]) from None
    if again.spec != loaded.spec:
        raise InputError([Diagnostic("error", f"the moorage.yml written from {source.name} differs from the import",
                                     None, "please report this with the compose file", "compose-internal")])
    return loaded, text


def plan_environment(loaded: LoadedApp, env: str) -> Plan:
    """The plan for one environment."""
    return build_plan(resolve_environment(loaded, env))


def synth_environment(loaded: LoadedApp, env: str) -> Synth:
    """Templates and manifest for one environment."""
    return synthesize(plan_environment(loaded, env))


def plan_preview(loaded: LoadedApp, name: str, base: str) -> Plan:
    """The plan of preview environment ``name`` deployed onto environment ``base`` (docs/deploy.md)."""
    from moorage.plan.preview import preview_plan

    if name in loaded.spec.environments:
        raise InputError([Diagnostic("error", f"{name} is an environment of the spec, not a preview",
                                     loaded.source.locate(("environments", name)),
                                     f"name the preview differently (e.g. pr-42), or deploy --env {name}")])
    return preview_plan(plan_environment(loaded, base), name)


def synth_preview(loaded: LoadedApp, name: str, base: str) -> Synth:
    """Templates and manifest of preview environment ``name`` of ``base``."""
    return synthesize(plan_preview(loaded, name, base))


def _refuse_region_on_spec(spec: Path, region: str | None) -> None:
    """A spec names its region per environment: a --region given with one would be silently ignored."""
    if region:
        raise InputError([Diagnostic(
            "error", f"--region applies to templates; {spec} is a spec, whose environments name their "
            "own region", None, "set `region:` in the spec (or the environment), or price it at another "
            f"region's rates with --price-region {region}")])


def template_sets(targets: Sequence[Path], *, envs: Sequence[str] = (), region: str | None = None,
                  profiles: Sequence[str] = ()) -> list[TemplateSet]:
    """Template sets for ``targets``: one per environment of a spec (synthesized in memory), one per
    synth directory, and one for the template files given together (they reference each other)."""
    sets: list[TemplateSet] = []
    loose: list[Path] = []
    for target in targets:
        if target.exists() and is_spec(target):
            _refuse_region_on_spec(target, region)
            loaded = load_app(target, profiles=profiles)
            for env in envs or list(loaded.spec.environments):
                sets.append(template_set_of(synth_environment(loaded, env)))
        elif target.is_dir() or not target.exists():
            sets += file_template_sets([target], region=region)
        else:
            loose.append(target)
    return sets + file_template_sets(loose, region=region) if loose else sets


def app_schema() -> dict[str, object]:
    """JSON Schema of moorage.yml."""
    from moorage.spec.models import AppSpec

    schema = AppSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "moorage.yml"
    return schema


def plan_estimate(plan: Plan) -> dict[str, float | int | str]:
    """The monthly estimate of a plan in brief (what `moorage plan` shows; `moorage cost` itemizes it)."""
    from moorage.cost import estimate_summary

    return estimate_summary(template_set_of(synthesize(plan)))


def estimate_targets(targets: Sequence[Path], *, envs: Sequence[str] = (), region: str | None = None,
                     profiles: Sequence[str] = (), usage: Path | None = None, usage_profile: str | None = None,
                     prices: Path | None = None, price_region: str | None = None) -> list[CostReport]:
    """The itemized monthly estimate of every template set of ``targets`` (what `moorage cost` prints).

    ``price_region`` is a what-if: every stack priced at that region's rates.
    """
    from moorage.cost import catalog_from_directory, estimate_template_set, load_usage_file, packaged_catalog
    from moorage.cost.usage import check_usage_names, checked_usage_profile, resource_names

    usage_file = load_usage_file(usage) if usage else None
    catalog = catalog_from_directory(prices) if prices else packaged_catalog()
    checked_usage_profile(usage_profile)
    sets = template_sets(targets, envs=envs, region=region, profiles=profiles)
    if usage_file:
        every = template_sets(targets, region=region, profiles=profiles) if envs else sets
        check_usage_names(usage_file, {s.label for s in every}, resource_names(every))
    reports = []
    for s in sets:
        # a what-if keeps the environment's name for its usage figures; only the report's label says it
        report = estimate_template_set(replace(s, region=price_region, regions={}) if price_region else s,
                                       usage_file, catalog=catalog, usage_profile=usage_profile)
        if price_region:
            report.label = f"{s.label} (at {price_region} rates)"
        reports.append(report)
    return reports


def spec_suppressions(loaded: Any) -> list[Any]:
    """The spec's ``suppress:`` entries (empty until the spec has the field)."""
    return list(getattr(loaded.spec, "suppress", None) or [])


@dataclass
class CheckResult:
    """What `moorage check` found: the merged report, its checklist, the sets checked, the first spec."""

    report: Report
    checklist: list[ChecklistItem]
    sets: list[TemplateSet] = field(default_factory=list)
    spec: Path | None = None  # where findings without a file of their own are located (SARIF)


def check_targets(targets: Sequence[Path], *, envs: Sequence[str] = (), region: str | None = None,
                  profiles: Sequence[str] = (), residency: str | None = None, env_profile: str | None = None,
                  require: Sequence[str] = (), standard: str | None = None) -> CheckResult:
    """Policy findings for ``targets`` (what `moorage check` prints).

    Each spec is one group (its environments synthesized in memory, its ``suppress:`` applied, findings
    located in it); each synth directory is one; template files given together are one set, since they
    reference each other. ``residency`` (a preset or regions) overrides the manifests'; ``env_profile``
    judges sets without a manifest; ``standard`` keeps only the rules mapped to it.
    """
    from moorage.policy import allowed_regions, checklist, run_checks
    from moorage.policy.findings import merge_reports
    from moorage.policy.registry import get_rule, rules_for_standard

    chosen = rules_for_standard(standard) if standard is not None else None
    regions = allowed_regions(residency) if residency else None
    # `out/prod/*.json` also matches the synth manifest: it describes the templates, it is not one.
    targets = [t for t in targets if not (t.name == "manifest.json" and t.is_file())]
    groups: list[tuple[Path | None, list[TemplateSet], list[Any]]] = []
    loose: list[Path] = []
    for target in targets:
        if target.exists() and is_spec(target):
            _refuse_region_on_spec(target, region)
            loaded = load_app(target, profiles=profiles)
            sets = [template_set_of(synth_environment(loaded, e)) for e in envs or list(loaded.spec.environments)]
            groups.append((loaded.path, sets, spec_suppressions(loaded)))  # a directory: the spec in it
        elif target.is_file():
            loose.append(target)  # template files given together are one set: they reference each other
        else:
            groups.append((None, file_template_sets([target], region=region), []))
    if loose:
        groups.append((None, file_template_sets(loose, region=region), []))
    reports, checked = [], []
    for spec, sets, suppress in groups:
        for tset in sets:
            if regions is not None:
                tset.residency = list(regions)
            if tset.profile is None and env_profile:
                tset.profile = env_profile
        report = run_checks(sets, suppressions=suppress, require=require, rules=chosen)
        if standard is not None:
            report.findings = [replace(f, controls=get_rule(f.rule).controls[standard]) for f in report.findings]
        if spec is not None:
            report.findings = [f if f.file else replace(f, file=str(spec)) for f in report.findings]
        reports.append(report)
        checked += sets
    report = merge_reports(reports)
    first_spec = next((spec for spec, _, _ in groups if spec is not None), None)
    return CheckResult(report, checklist(report, checked), checked, first_spec)


def guide_inputs(loaded: LoadedApp, envs: Sequence[str], spec: str) -> list[GuideInput]:
    """What the guide of each environment is written from: synthesized, priced and checked (with the spec's
    ``suppress:``); ``spec`` is the spec as the reader names it in commands."""
    from moorage.guide import guide_input

    suppress = spec_suppressions(loaded)
    return [guide_input(synth_environment(loaded, e), spec, suppressions=suppress) for e in envs]


def project_dir(spec: Path) -> Path:
    """The project directory of a spec path (it holds the build contexts and ``.moorage/``)."""
    return spec if spec.is_dir() else (spec.parent if str(spec.parent) else Path("."))


def deploy_synth(spec: Path, env: str, *, profiles: Sequence[str] = (), env_file: Path | None = None,
                 images: Sequence[str] | None = None, preview_of: str | None = None,
                 warn: Callable[[list[Diagnostic]], None] | None = None) -> Synth:
    """The templates a deploy, diff or status compares: ``images`` (SERVICE=IMAGE) released in place of the
    spec's; ``env`` a preview of ``preview_of`` when given; an unknown environment gets the located "did you
    mean" of `plan`. ``warn`` gets the load's warnings (a compose import's, as `plan` shows them)."""
    from moorage.deploy.releases import parse_images, with_images

    loaded = load_app(spec, profiles=profiles, env_file=env_file)
    if warn is not None:
        warn([w for w in loaded.warnings if w.severity == "warning"])
    loaded = with_images(loaded, parse_images(list(images or [])))
    if preview_of:
        return synth_preview(loaded, env, preview_of)
    try:
        return synth_environment(loaded, env)
    except InputError as exc:
        if loaded.spec.previews is None or env in loaded.spec.environments or len(exc.diagnostics) != 1:
            raise
        # a preview is no environment of the spec: it is named with its base
        bases = " or ".join(f"--preview-of {e}" for e in loaded.spec.environments)
        raise InputError([replace(exc.diagnostics[0], hint=f"if {env} is a preview, add {bases}; "
                                  f"{exc.diagnostics[0].hint}")]) from None


def deploy_target(spec: Path, *, local: bool, profile: str | None, region: str | None) -> Target:
    """Where to deploy: the project's local emulator (started when stopped) or AWS (``profile``, ``region``)."""
    from moorage.deploy.session import aws_target, local_target

    if local:
        if profile:
            raise InputError([Diagnostic("error", "--profile does not apply with --local", None,
                                         "drop --profile, or drop --local to deploy to AWS")])
        target = local_target(project_dir(spec))
        target.region = region
        return target
    return aws_target(profile, region)


def stopped_emulator(spec: Path) -> Diagnostic:
    """What read-only commands say instead of starting the emulator."""
    from moorage.emulator.server import RESET_HINT, saved_state_problem

    problem = saved_state_problem(project_dir(spec))
    return Diagnostic("error", f"the local emulator of {project_dir(spec).resolve().name} is stopped"
                      + (f", and its saved state cannot be loaded: {problem}" if problem else ""), None,
                      RESET_HINT if problem else f"start it (its saved state is restored): moorage local start "
                      f"--project {shlex.quote(str(project_dir(spec)))}")


def existing_target(spec: Path, *, local: bool, profile: str | None, region: str | None,
                    required: bool = True) -> Target | None:
    """Like :func:`deploy_target`, but never starts the emulator: None (or, when ``required``, an error) if
    it is stopped."""
    if not local or profile:
        return deploy_target(spec, local=local, profile=profile, region=region)  # AWS, or the located refusal
    from moorage.deploy.session import Target
    from moorage.emulator.server import server_status

    server = server_status(project_dir(spec))
    if server is None:
        if required:  # the input is fine: the command cannot do what was asked (exit 1, not 2)
            from moorage.emulator.server import EmulatorStopped

            stopped = stopped_emulator(spec)
            raise EmulatorStopped(stopped.message, stopped.hint or "")
        return None
    return Target(local=True, endpoint=server.endpoint, region=region)


def ci_files(spec: Path, provider: Provider, repo: str, *, environments: Sequence[str] | None = None,
             account: str | None = None, branch: str = "main", provider_arn: str | None = None,
             moorage_source: str | None = None, output: Path | None = None,
             ) -> tuple[CiSettings, dict[str, str], Path, str | None]:
    """The CI pipeline files of ``provider`` (github, gitlab) and the stack of its OIDC roles, by path relative
    to the repository root, with the settings they were written from, that root (``output``, else the git
    checkout holding the spec, else the spec's directory) and a note when no checkout was found."""
    import json

    from moorage.ci.github import github_files
    from moorage.ci.gitlab import gitlab_files
    from moorage.ci.pipeline import ci_settings, pipeline_root
    from moorage.ci.stack import ci_template

    loaded = load_app(spec)
    root, spec_path, note = pipeline_root(loaded.path, output)
    names = list(environments) if environments else None
    plans = {e: plan_environment(loaded, e) for e in (names or loaded.spec.environments)
             if e in loaded.spec.environments}
    ci = ci_settings(loaded, plans, repo, spec_path, branch, names, account, moorage_source)
    files = github_files(ci) if provider == "github" else gitlab_files(ci)
    files[ci_stack_file(provider)] = json.dumps(ci_template(ci, provider, provider_arn), indent=2,
                                                sort_keys=True) + "\n"
    return ci, files, root, note


def ci_stack_file(provider: str) -> str:
    """The file name of the CI roles' stack template."""
    return f"moorage-ci-{provider}.json"


def deployed_environment(spec: Path, env: str, *, local: bool, profile: str | None, region: str | None,
                         profiles: Sequence[str] = (), env_file: Path | None = None,
                         preview_of: str | None = None) -> tuple[Deployed, Synth]:
    """One deployed environment (its stacks' outputs, cluster, services; a preview of ``preview_of`` when given)
    and the templates it was read against; a stopped emulator is an error, not a start."""
    from moorage.operate.deployed import deployed_environment as read_deployed

    synth = deploy_synth(spec, env, profiles=profiles, env_file=env_file, preview_of=preview_of)
    target = existing_target(spec, local=local, profile=profile, region=region)
    assert target is not None  # required: a stopped emulator is an error
    return read_deployed(target, synth), synth


def environment_summaries(spec: Path, *, local: bool, profile: str | None, region: str | None,
                          profiles: Sequence[str] = (), env_file: Path | None = None
                          ) -> tuple[str, list[EnvSummary], bool]:
    """(app name, each environment's region, state, last release, URL and estimate, whether anything was
    reachable): a stopped emulator reads as nothing deployed."""
    from moorage.operate.envs import environment_summary

    loaded = load_app(spec, profiles=profiles, env_file=env_file)
    target = existing_target(spec, local=local, profile=profile, region=region, required=False)
    rows = [environment_summary(target, synth_environment(loaded, e)) for e in loaded.spec.environments]
    if target is not None and loaded.spec.previews is not None:
        from moorage.deploy.previews import previews
        from moorage.operate.envs import preview_summary

        urls = {r.name: r.url for r in rows}
        rows += [preview_summary(synth_preview(loaded, p.name, p.base), p, urls.get(p.base), target)
                 for p in previews(target, loaded.spec.name, region or loaded.spec.region)]
    return loaded.spec.name, rows, target is not None
