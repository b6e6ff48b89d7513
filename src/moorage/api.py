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


def load_app(path: Path, *, profiles: Sequence[str] = (), strict: bool = False,
             env_file: Path | None = None) -> LoadedApp:
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
        for name in ("moorage.yml", "moorage.yaml", "compose.yaml", "compose.yml", "docker-compose.yml",
                     "docker-compose.yaml"):
            if (path / name).is_file():
                return load_app(path / name, profiles=profiles, strict=strict, env_file=env_file)
        raise InputError([Diagnostic("error", f"no moorage.yml or compose file in {path}", None,
                                     "run `moorage init --from docker-compose.yml` to create one")])
    if is_compose_file(path):
        from moorage.compose import import_compose

        return import_compose(path, profiles=profiles, env_file=env_file, strict=strict)
    if profiles:
        raise InputError([Diagnostic("error", "--profile applies to compose files only", None,
                                     "drop --profile, or point at the compose file")])
    return load_native(path)


def plan_environment(loaded: LoadedApp, env: str) -> Plan:
    """The plan for one environment."""
    return build_plan(resolve_environment(loaded, env))


def synth_environment(loaded: LoadedApp, env: str) -> Synth:
    """Templates and manifest for one environment."""
    return synthesize(plan_environment(loaded, env))


def app_schema() -> dict[str, object]:
    """JSON Schema of moorage.yml."""
    from moorage.spec.models import AppSpec

    schema = AppSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "moorage.yml"
    return schema
