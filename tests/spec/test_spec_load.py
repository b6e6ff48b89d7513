"""Loading moorage.yml and the spec each environment sees (app-level values + its overrides)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from moorage import api
from moorage.errors import InputError
from moorage.spec.load import LoadedApp, environment_names, spec_for_environment

BASE = """
name: demo
region: eu-west-1
tags: {team: core}
services:
  web:
    image: x:1
    port: 80
    route: "/*"
    env: {LOG_LEVEL: info, MODE: base}
  api:
    image: y:1
    port: 81
databases:
  db: {engine: postgres}
environments:
  staging:
    tags: {cost-center: "42"}
  prod:
    region: eu-central-1
    network: {nat: single}
    services:
      web:
        cpu: 1024
        env: {MODE: prod}
    databases:
      db: {instance: db.r6g.xlarge}
  dev: {}
"""


def test_environments_keep_file_order(load_spec: Callable[[str], LoadedApp]) -> None:
    assert environment_names(load_spec(BASE)) == ["staging", "prod", "dev"]


def test_default_environments_when_none_are_given(load_spec: Callable[[str], LoadedApp]) -> None:
    loaded = load_spec("name: demo\nservices:\n  web: {image: x:1}\n")
    assert environment_names(loaded) == ["dev", "staging", "prod"]


def test_overrides_merge_into_the_named_items(load_spec: Callable[[str], LoadedApp]) -> None:
    loaded = load_spec(BASE)
    prod, _ = spec_for_environment(loaded, "prod")
    assert prod.region == "eu-central-1"
    assert prod.network.nat == "single"
    assert prod.services["web"].cpu == 1024
    assert prod.services["web"].env == {"LOG_LEVEL": "info", "MODE": "prod"}  # merged, not replaced
    assert prod.services["web"].route == "/*"
    assert prod.databases["db"].instance == "db.r6g.xlarge"
    dev, _ = spec_for_environment(loaded, "dev")
    assert dev.region == "eu-west-1" and dev.services["web"].cpu is None
    assert dev.services["web"].env["MODE"] == "base"
    staging, _ = spec_for_environment(loaded, "staging")
    assert staging.tags == {"team": "core", "cost-center": "42"}
    # the app-level spec is untouched by any environment's view of it
    assert loaded.spec.services["web"].env["MODE"] == "base"


def test_override_locations_point_at_the_override(load_spec: Callable[[str], LoadedApp],
                                                  locate: Callable[..., int]) -> None:
    loaded = load_spec(BASE)
    _, smap = spec_for_environment(loaded, "prod")
    assert smap.locate(("services", "web", "cpu")).line == locate(BASE, "cpu: 1024")
    assert smap.locate(("services", "web", "env", "MODE")).line == locate(BASE, "MODE: prod")
    assert smap.locate(("services", "web", "image")).line == locate(BASE, "image: x:1")


def test_unknown_environment_suggests_the_close_one(load_spec: Callable[[str], LoadedApp],
                                                   locate: Callable[..., int]) -> None:
    loaded = load_spec(BASE)
    with pytest.raises(InputError) as info:
        spec_for_environment(loaded, "prd")
    [diag] = info.value.diagnostics
    assert "no environment named 'prd'" in diag.message
    assert "did you mean 'prod'?" in diag.hint and "staging, prod, dev" in diag.hint
    assert diag.location is not None and diag.location.file == str(loaded.path)
    assert diag.location.line == locate(BASE, "environments:")


def test_override_of_an_undefined_service_is_located(input_errors: Callable[..., tuple[Path, list]],
                                                     locate: Callable[..., int]) -> None:
    text = """
        name: demo
        services:
          web: {image: x:1}
        databases:
          db: {}
        environments:
          dev:
            services:
              api: {cpu: 512}
            databases:
              dbb: {instance: db.t4g.small}
        """
    spec, diags = input_errors(text, "dev")
    messages = {d.location.key: d for d in diags if d.location}
    api_diag = messages["environments.dev.services.api"]
    assert "overrides services.api, which is not defined" in api_diag.message
    assert api_diag.location.file == str(spec) and api_diag.location.line == locate(text, "api: {cpu")
    assert "define 'api'" in api_diag.hint
    db_diag = messages["environments.dev.databases.dbb"]
    assert db_diag.location.line == locate(text, "dbb:")


def test_invalid_override_is_located_at_the_override(input_errors: Callable[..., tuple[Path, list]],
                                                     locate: Callable[..., int]) -> None:
    text = """
        name: demo
        services:
          web: {image: x:1}
        environments:
          prod:
            services:
              web: {imgae: x:2}
        """
    spec, diags = input_errors(text, "prod")
    [diag] = diags
    assert diag.message == "unknown key 'imgae'" and diag.hint == "did you mean 'image'?"
    assert diag.location.line == locate(text, "imgae")


def test_secret_in_an_environment_override_is_rejected(input_errors: Callable[..., tuple[Path, list]],
                                                       locate: Callable[..., int]) -> None:
    text = """
        name: demo
        services:
          web: {image: x:1}
        environments:
          dev: {}
          prod:
            services:
              web:
                env: {DB_PASSWORD: MARKER-prod-4411}
        """
    spec, diags = input_errors(text, "prod")
    [diag] = diags
    assert "looks like a credential" in diag.message
    assert diag.location.key == "services.web.env.DB_PASSWORD"
    assert (diag.location.file, diag.location.line) == (str(spec), locate(text, "DB_PASSWORD"))
    assert "MARKER-prod-4411" not in diag.render()


def test_load_app_finds_the_spec_in_a_directory(spec_file: Callable[[str], Path]) -> None:
    path = spec_file("name: demo\nservices:\n  web: {image: x:1}\n")
    assert api.load_app(path.parent).path == path


def test_load_app_reports_missing_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        api.load_app(tmp_path / "moorage.yml")
    with pytest.raises(InputError, match="no moorage.yml or compose file"):
        api.load_app(tmp_path)


def test_profile_flag_is_for_compose_only(spec_file: Callable[[str], Path]) -> None:
    path = spec_file("name: demo\nservices:\n  web: {image: x:1}\n")
    with pytest.raises(InputError, match="--compose-profile applies to compose files only"):
        api.load_app(path, profiles=["debug"])
