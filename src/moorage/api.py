"""The library facade: everything the CLI does, callable from Python."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from moorage.errors import Diagnostic, InputError
from moorage.plan import Plan, build_plan
from moorage.render import Synth, synthesize
from moorage.resolve.environment import resolve_environment
from moorage.spec.load import LoadedApp, load_native
from moorage.spec.source import load_yaml


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


def app_schema() -> dict[str, object]:
    """JSON Schema of moorage.yml."""
    from moorage.spec.models import AppSpec

    schema = AppSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "moorage.yml"
    return schema
