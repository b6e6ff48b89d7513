"""`ci --branch` is a git branch name written quoted into YAML, and the runner installs moorage from a source the
user names (--moorage-source) or the MOORAGE_SOURCE CI variable, never from PyPI where moorage is not published."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from moorage import api
from moorage.ci import ci_settings
from moorage.ci.github import github_files
from moorage.ci.gitlab import gitlab_files
from moorage.ci.pipeline import CiSettings, branch_problem
from moorage.errors import InputError

from .test_ci import ROOT, _actionlint, workflows_written_and_schema_checked

EXAMPLE = ROOT / "examples" / "rupaya" / "moorage.yml"


def _settings(**kw: Any) -> CiSettings:
    loaded = api.load_app(EXAMPLE)
    plans = {e: api.plan_environment(loaded, e) for e in loaded.spec.environments}
    return ci_settings(loaded, plans, "acme/shop", Path(EXAMPLE.name), **kw)


BAD_BRANCHES = ['main"]\n    types: [x]\n  push:\n    branches: ["*', "${{ github.event.pull_request.title }}", "*",
                "release/*", "a b", "a..b", "-x", "feature/", ".hidden", "x.lock", "a@{1}", "", "$CI_DEFAULT_BRANCH"]


@pytest.mark.parametrize("branch", BAD_BRANCHES)
def test_bad_branch_is_refused(branch: str) -> None:
    with pytest.raises(InputError) as info:
        _settings(branch=branch)
    assert "--branch" in str(info.value)


@pytest.mark.parametrize("branch", ["main", "release/v2.1", "feat_x-1"])
def test_good_branch_agrees_with_git(branch: str, tmp_path: Path) -> None:
    assert branch_problem(branch) is None
    done = subprocess.run(["git", "check-ref-format", "--branch", branch], capture_output=True, check=False)
    assert done.returncode == 0


@pytest.mark.parametrize("branch", [b for b in BAD_BRANCHES if b and "\n" not in b and "$" not in b])
def test_refused_refs_git_also_refuses_or_are_globs(branch: str) -> None:
    done = subprocess.run(["git", "check-ref-format", "--branch", branch], capture_output=True, check=False)
    assert done.returncode != 0 or "*" in branch


def test_branch_is_written_quoted_and_parses(tmp_path: Path) -> None:
    ci = _settings(branch="release/v2.1")
    files = github_files(ci)
    deploy = YAML(typ="safe").load(files[".github/workflows/moorage-deploy.yml"])
    assert deploy[True if True in deploy else "on"]["push"]["branches"] == ["release/v2.1"]
    assert 'branches: ["release/v2.1"]' in files[".github/workflows/moorage-deploy.yml"]
    done = _actionlint(workflows_written_and_schema_checked(files, tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr


def _install_steps(ci: CiSettings) -> list[dict[str, Any]]:
    review = YAML(typ="safe").load(github_files(ci)[".github/workflows/moorage-review.yml"])
    return [s for s in review["jobs"]["review"]["steps"] if s.get("name") == "install moorage"]


def test_install_never_names_an_unpublished_pypi_package(tmp_path: Path) -> None:
    ci = _settings()
    text = "".join(github_files(ci).values()) + gitlab_files(ci)[".gitlab-ci.yml"]
    assert "moorage==" not in text
    (step,) = _install_steps(ci)
    assert step["env"] == {"MOORAGE_SOURCE": "${{ vars.MOORAGE_SOURCE }}"}
    assert step["run"].startswith('pip install "${MOORAGE_SOURCE:?set the MOORAGE_SOURCE CI variable')
    gitlab = YAML(typ="safe").load(gitlab_files(ci)[".gitlab-ci.yml"])
    assert "${MOORAGE_SOURCE:?" in gitlab[".moorage"]["before_script"][0]
    # the unset variable stops the job with the message, before pip runs
    done = subprocess.run(["sh", "-c", step["run"].replace("pip install", "echo")], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin"}, check=False)
    assert done.returncode != 0 and "MOORAGE_SOURCE" in done.stderr
    done_ok = _actionlint(workflows_written_and_schema_checked(github_files(ci), tmp_path))
    assert done_ok.returncode == 0, done_ok.stdout + done_ok.stderr


def test_install_from_the_given_source_is_quoted(tmp_path: Path) -> None:
    source = "git+https://git.example.org/acme/moorage@v0.1.0#egg=moorage"
    ci = _settings(moorage_source=source)
    (step,) = _install_steps(ci)
    assert step["run"] == f"pip install '{source}'" and "env" not in step
    gitlab = YAML(typ="safe").load(gitlab_files(ci)[".gitlab-ci.yml"])
    assert gitlab[".moorage"]["before_script"][0].endswith(f" '{source}'")
    done = _actionlint(workflows_written_and_schema_checked(github_files(ci), tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("source", ["a\nb", "x ${{ secrets.X }}", ""])
def test_bad_source_is_refused(source: str) -> None:
    with pytest.raises(InputError):
        _settings(moorage_source=source)
