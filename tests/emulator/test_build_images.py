"""Services built from source: their images go to the registry stack's repositories."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from moorage import api

SPEC = """
name: builder
region: eu-west-1
services:
  api: {build: ./api, port: 8080, route: "/*"}
  web: {build: ./web, port: 3000, route: "/web/*"}
environments: {dev: {}}
"""


def _image_of(aws: Any, stack: str) -> str:
    cf = aws("cloudformation", "eu-west-1")
    params = cf.describe_stacks(StackName=stack)["Stacks"][0]["Parameters"]
    return next(p["ParameterValue"] for p in params if p["ParameterKey"] == "Image")


def test_built_images_land_in_the_registry_stacks_repositories(
        tmp_path: Path, write_spec: Callable[..., Path], run_deploy: Callable[..., Any], aws: Any) -> None:
    spec = write_spec(tmp_path, SPEC)
    for name in ("api", "web"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(f"FROM scratch\nLABEL service={name}\n")
    synth = api.synth_environment(api.load_app(spec), "dev")
    assert synth.manifest["repositories"] == {"api": "builder/dev/api", "web": "builder/dev/web"}

    result, _ = run_deploy(synth, spec_dir=tmp_path)
    assert result.ok
    ecr = aws("ecr", "eu-west-1")
    repos = {r["repositoryName"] for r in ecr.describe_repositories()["repositories"]}
    assert repos == {"builder/dev/api", "builder/dev/web"}  # created by the registry stack, none by hand
    first_api, first_web = _image_of(aws, "builder-dev-svc-api"), _image_of(aws, "builder-dev-svc-web")
    assert "/builder/dev/api:" in first_api and "/builder/dev/web:" in first_web
    tags = {i["imageTag"] for i in ecr.list_images(repositoryName="builder/dev/api")["imageIds"] if "imageTag" in i}
    assert first_api.rsplit(":", 1)[1] in tags

    # Changing one service's source rebuilds it, and only its stack updates.
    (tmp_path / "web" / "Dockerfile").write_text("FROM scratch\nLABEL service=web version=2\n")
    synth = api.synth_environment(api.load_app(spec), "dev")
    result, _ = run_deploy(synth, spec_dir=tmp_path)
    updated = {k for k, o in result.outcomes.items() if o.action not in ("unchanged", "skipped")}
    assert updated == {"svc-web"}, result.outcomes
    assert _image_of(aws, "builder-dev-svc-api") == first_api
    assert _image_of(aws, "builder-dev-svc-web") != first_web


def _diff(synth: Any, run_deploy: Callable[..., Any], spec_dir: Path) -> dict[str, list[Any]]:
    result, _ = run_deploy(synth, spec_dir=spec_dir, dry_run=True, allow_replace={"*"})
    return {k: o.changes for k, o in result.outcomes.items() if o.changes}


def test_diff_after_a_no_op_deploy_shows_no_change(
        tmp_path: Path, write_spec: Callable[..., Path], run_deploy: Callable[..., Any], target: Any) -> None:
    """The image tag is the build context as Docker sees it: computed once, the same in deploy, diff, status."""
    from moorage.cli.deploy import image_tags
    from moorage.deploy.status import environment_status

    spec = write_spec(tmp_path, SPEC)
    for name in ("api", "web"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(f"FROM scratch\nCOPY . /srv\nLABEL service={name}\n")
        (tmp_path / name / ".dockerignore").write_text("*.log\ncache\n")
    synth = api.synth_environment(api.load_app(spec), "dev")
    result, _ = run_deploy(synth, spec_dir=tmp_path)
    assert result.ok
    assert _diff(synth, run_deploy, tmp_path) == {}  # a no-op: nothing to change, no image to rebuild
    assert not environment_status(target, synth.manifest, image_tags(synth, tmp_path)).problems

    # files .dockerignore leaves out, and files outside the context, change nothing
    (tmp_path / "api" / "debug.log").write_text("noise")
    (tmp_path / "api" / "cache").mkdir()
    (tmp_path / "api" / "cache" / "blob").write_text("x")
    (tmp_path / "notes.txt").write_text("unrelated")
    assert _diff(synth, run_deploy, tmp_path) == {}
    assert not environment_status(target, synth.manifest, image_tags(synth, tmp_path)).problems

    # a file Docker sends changes that service only, and status says it runs an older image
    (tmp_path / "api" / "main.py").write_text("print('v2')\n")
    changed = _diff(synth, run_deploy, tmp_path)
    assert set(changed) == {"svc-api"}, changed
    problems = environment_status(target, synth.manifest, image_tags(synth, tmp_path)).problems
    assert len(problems) == 1 and problems[0].startswith("api runs ") and "deploy to update it" in problems[0]
