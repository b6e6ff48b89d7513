"""Generated CI for a spec that is not at the repository root: the files go where GitHub and GitLab read them
(the root of the git checkout), and every step names the spec by its path from that root, where jobs start."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from .test_ci import ROOT, _actionlint, _vendored_schema

# moorage commands the pipelines run, with the spec as their first argument.
COMMAND = re.compile(r"\bmoorage (check|cost|diff|deploy|destroy) (\S+\.ya?ml)\b")


def _repository(tmp_path: Path) -> tuple[Path, Path]:
    """(root, spec): a git checkout with the spec in infra/, and previews on so the preview workflow is written."""
    root = tmp_path / "shop"
    root.mkdir()
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(root)], check=True)
    else:  # what moorage looks for is the .git entry a checkout has
        (root / ".git").mkdir()
    data = YAML(typ="safe").load((ROOT / "examples" / "hello" / "moorage.yml").read_text(encoding="utf-8"))
    data["previews"] = {"ttl_hours": 48}
    spec = root / "infra" / "moorage.yml"
    spec.parent.mkdir()
    spec.write_text(json.dumps(data), encoding="utf-8")
    return root, spec


def _spec_arguments(texts: list[str]) -> list[str]:
    return [m.group(2) for text in texts for m in COMMAND.finditer(text)]


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_a_spec_in_a_subdirectory_gets_its_pipeline_at_the_repository_root(
        provider: str, tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    import jsonschema

    root, spec = _repository(tmp_path)
    done = run_cli("ci", provider, spec, "--repo", "acme/shop")
    assert done.code == 0, done.out + done.err
    assert "names the spec infra/moorage.yml" in done.out and "note:" not in done.err
    assert not (spec.parent / ".github").exists() and not (spec.parent / ".gitlab-ci.yml").exists()
    assert (root / f"moorage-ci-{provider}.json").is_file()
    if provider == "github":
        paths = sorted((root / ".github" / "workflows").glob("*.yml"))
        assert {p.name for p in paths} == {"moorage-review.yml", "moorage-deploy.yml", "moorage-preview.yml"}
        schema = _vendored_schema("github-workflows.json")
    else:
        paths = [root / ".gitlab-ci.yml"]
        schema = _vendored_schema("gitlab-ci.json")
    texts = [p.read_text(encoding="utf-8") for p in paths]
    for path, text in zip(paths, texts, strict=True):
        errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(YAML(typ="safe").load(text))]
        assert not errors, f"{path.name}: {errors}"
    named = _spec_arguments(texts)
    assert len(named) >= 6, named  # check, cost, diff, a deploy per environment, the previews' deploy/destroy
    assert set(named) == {"infra/moorage.yml"}, named
    assert (root / named[0]).resolve() == spec.resolve(), "from the root, where jobs start, the path is the spec"
    if provider == "github":
        linted = _actionlint(paths)
        assert linted.returncode == 0, linted.stdout + linted.stderr


def test_the_spec_at_the_root_is_named_by_its_file_name(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    root, spec = _repository(tmp_path)
    at_root = spec.rename(root / "moorage.yml")
    assert run_cli("ci", "gitlab", at_root, "--repo", "acme/shop").code == 0
    assert set(_spec_arguments([(root / ".gitlab-ci.yml").read_text(encoding="utf-8")])) == {"moorage.yml"}


def test_output_is_the_root_and_must_hold_the_spec(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    root, spec = _repository(tmp_path)
    done = run_cli("ci", "gitlab", spec, "--repo", "acme/shop", "--output", spec.parent)
    assert done.code == 0, done.err
    assert set(_spec_arguments([(spec.parent / ".gitlab-ci.yml").read_text(encoding="utf-8")])) == {"moorage.yml"}
    said = " ".join(done.err.split())  # infra/ is no repository root: GitHub and GitLab never read files there
    assert f"note: --output {spec.parent.resolve()} is inside the git checkout {root.resolve()} but is not its root" \
        in said and f"rerun with --output {root.resolve()}" in said, said
    at_root = run_cli("ci", "gitlab", spec, "--repo", "acme/shop", "--output", root)
    assert at_root.code == 0 and "note:" not in at_root.err, at_root.err
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    bad = run_cli("ci", "github", spec, "--repo", "acme/shop", "--output", elsewhere)
    assert bad.code == 2 and "outside --output" in bad.err and "hint:" in bad.err, bad.err
    assert not list(elsewhere.iterdir()), "nothing is written when the spec is outside the root"


def test_without_a_checkout_the_spec_directory_is_used_and_said(tmp_path: Path,
                                                                run_cli: Callable[..., Any]) -> None:
    if any((folder / ".git").exists() for folder in (tmp_path, *tmp_path.parents)):
        pytest.skip("the temporary directory is inside a git checkout")
    spec = tmp_path / "app" / "moorage.yml"
    spec.parent.mkdir()
    shutil.copy(ROOT / "examples" / "hello" / "moorage.yml", spec)
    done = run_cli("ci", "github", spec, "--repo", "acme/shop")
    assert done.code == 0, done.err
    assert "note: no git checkout holds" in done.err and "--output" in done.err
    deploy = (spec.parent / ".github" / "workflows" / "moorage-deploy.yml").read_text(encoding="utf-8")
    assert set(_spec_arguments([deploy])) == {"moorage.yml"}
