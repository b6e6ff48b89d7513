"""Built images carry the git commit they were built from, beside the context hash that decides rebuilds;
the release record and `history` show it. A dirty tree's tag says so."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from moorage.cli.deploy import deploy
from moorage.cli.release import history
from moorage.deploy.images import commit_tag
from moorage.deploy.run import git_commit

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SPEC = """\
name: tagged
region: eu-west-1
services:
  api: {build: ./api, port: 8080, route: "/*", health: /}
environments: {dev: {}}
"""


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=repo,
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def cli(local_cli: Callable[..., typer.Typer]) -> typer.Typer:
    return local_cli(deploy, history)


def test_commit_and_dirty(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None  # not a repository
    _git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("1")
    _git(tmp_path, "add", "a.txt")
    _git(tmp_path, "commit", "-qm", "one")
    sha = _git(tmp_path, "rev-parse", "--short=12", "HEAD")
    assert git_commit(tmp_path) == sha
    (tmp_path / "untracked.txt").write_text("x")  # .moorage/ state and other untracked files do not count
    assert git_commit(tmp_path) == sha
    (tmp_path / "a.txt").write_text("2")
    assert git_commit(tmp_path) == f"{sha}-dirty"
    assert commit_tag("dev", sha, "dev-0123456789abcdef") == f"dev-git-{sha}"
    assert commit_tag("dev", f"{sha}-dirty", "dev-0123456789abcdef") == f"dev-git-{sha}-dirty-0123456789ab"
    assert commit_tag("dev", None, "dev-0123456789abcdef") is None


def _tags(aws: Any) -> dict[str, str]:
    ecr = aws("ecr", "eu-west-1")
    return {i["imageTag"]: i["imageDigest"] for i in ecr.list_images(repositoryName="tagged/dev/api")["imageIds"]
            if "imageTag" in i}


def test_built_images_are_tagged_with_the_commit(cli: typer.Typer, aws: Any, tmp_path: Path) -> None:
    (tmp_path / "moorage.yml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "Dockerfile").write_text("FROM scratch\nCOPY . /srv\n")
    (tmp_path / ".gitignore").write_text(".moorage/\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "v1")
    sha = _git(tmp_path, "rev-parse", "--short=12", "HEAD")
    runner = CliRunner()
    spec = str(tmp_path / "moorage.yml")
    first = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"])
    assert first.exit_code == 0, first.output
    tags = _tags(aws)
    identity = next(t for t in tags if not t.startswith("dev-git-"))
    assert tags[f"dev-git-{sha}"] == tags[identity]  # one image, two tags: the commit and the context hash

    (tmp_path / "api" / "main.py").write_text("print('v2')\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "v2")
    (tmp_path / "api" / "main.py").write_text("print('v2, not committed')\n")
    second = runner.invoke(cli, ["deploy", spec, "--env", "dev", "--local"])
    assert second.exit_code == 0, second.output
    sha2 = _git(tmp_path, "rev-parse", "--short=12", "HEAD")
    dirty = [t for t in _tags(aws) if t.startswith(f"dev-git-{sha2}-dirty-")]
    assert len(dirty) == 1

    shown = runner.invoke(cli, ["history", spec, "--env", "dev", "--local", "--json"])
    assert shown.exit_code == 0, shown.output
    records = json.loads(shown.output.strip().splitlines()[-1])
    assert [r["commit"] for r in records] == [sha, f"{sha2}-dirty"]
    assert [r["commit_tags"] for r in records] == [{"api": f"dev-git-{sha}"}, {"api": dirty[0]}]
    text = runner.invoke(cli, ["history", spec, "--env", "dev", "--local"])
    assert f"(tag {dirty[0]})" in text.output and f"commit {sha2}-dirty" in text.output
