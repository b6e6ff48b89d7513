"""Images for ``build:`` services: an ECR repository (scan on push, lifecycle policy), a Docker build
and push when Docker is available, referenced by digest."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from moorage.deploy.context import context_digest
from moorage.deploy.session import Target

LIFECYCLE = {"rules": [
    {"rulePriority": 1, "description": "expire untagged images after 7 days",
     "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
     "action": {"type": "expire"}},
    {"rulePriority": 2, "description": "keep the 30 most recent images",
     "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30},
     "action": {"type": "expire"}},
]}


class ImageError(Exception):
    """An image could not be built or pushed."""


@dataclass(frozen=True)
class BuildSpec:
    """What to build for one service."""

    service: str
    context: Path
    dockerfile: str | None
    target: str | None
    args: dict[str, str]


def ensure_repository(ecr: Any, name: str, tags: dict[str, str]) -> str:
    """The URI of ECR repository ``name``, created with scan-on-push and a lifecycle policy."""
    try:
        repo = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "RepositoryNotFoundException":
            raise
        repo = ecr.create_repository(repositoryName=name, imageScanningConfiguration={"scanOnPush": True},
                                     imageTagMutability="MUTABLE",
                                     tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())])["repository"]
        ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=json.dumps(LIFECYCLE))
    return str(repo["repositoryUri"])


def build_specs(plan_services: dict[str, Any], spec_dir: Path) -> list[BuildSpec]:
    """What to build: one spec per ``build:`` service of a plan, its context resolved against ``spec_dir``."""
    builds = []
    for name, svc in plan_services.items():
        if svc.spec.build is not None and not svc.spec.image:
            build = svc.spec.build
            builds.append(BuildSpec(name, (spec_dir / build.context).resolve(), build.dockerfile, build.target,
                                    dict(build.args)))
    return builds


def build_tag(spec: BuildSpec, env: str) -> str:
    """The image tag of a build: the environment and the hash of its context as Docker sees it.

    The one identity of a built image: deploy pushes it, diff and status compare against it.
    """
    return f"{env}-{context_digest(spec.context, spec.dockerfile, spec.target, spec.args)}"


def commit_tag(env: str, commit: str | None, identity: str) -> str | None:
    """The second tag of a built image: the git commit it was built from (None outside a repository).

    ``identity`` (:func:`build_tag`) stays the tag that decides rebuilds; a dirty tree's commit tag also carries
    the context hash, as two dirty builds of one commit may differ (and repositories keep tags immutable)."""
    if not commit:
        return None
    tag = f"{env}-git-{commit}"
    return f"{tag}-{identity.rsplit('-', 1)[-1][:12]}" if commit.endswith("-dirty") else tag


def add_tag(ecr: Any, repo: str, tag: str, extra: str) -> None:
    """Give the image tagged ``tag`` in ``repo`` the tag ``extra`` too (ECR's retag: its manifest put again)."""
    images = ecr.batch_get_image(repositoryName=repo, imageIds=[{"imageTag": tag}])["images"]
    if not images:
        raise ImageError(f"{repo}:{tag} is not in ECR, so it cannot be tagged {extra}")
    try:
        ecr.put_image(repositoryName=repo, imageManifest=images[0]["imageManifest"], imageTag=extra)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("ImageAlreadyExistsException",
                                                             "ImageTagAlreadyExistsException"):
            raise


def tag_commits(ecr: Any, images: dict[str, str], identities: dict[str, str], repositories: dict[str, str],
                app: str, env: str, commit: str | None) -> dict[str, str]:
    """Tag every built image with its commit (:func:`commit_tag`); returns service -> commit tag."""
    tagged = {}
    for service, identity in sorted(identities.items()):
        extra = commit_tag(env, commit, identity)
        repo = repositories.get(service) or f"{app}/{service}"  # as build_images names it
        if extra is None or service not in images:
            continue
        add_tag(ecr, repo, identity, extra)
        tagged[service] = extra
    return tagged


def pushed_image(ecr: Any, repo: str, tag: str, by_digest: bool) -> str | None:
    """The reference of the image already pushed to ``repo`` with ``tag``; None when there is none."""
    try:
        uri = ecr.describe_repositories(repositoryNames=[repo])["repositories"][0]["repositoryUri"]
        details = ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": tag}])["imageDetails"]
    except ClientError:
        return None
    if not details:
        return None
    return f"{uri}@{details[0]['imageDigest']}" if by_digest else f"{uri}:{tag}"


def existing_repository(ecr: Any, name: str) -> str:
    """The URI of ECR repository ``name``, which the environment's registry stack created."""
    try:
        return str(ecr.describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryUri"])
    except ClientError as exc:
        raise ImageError(f"ECR repository {name} does not exist: the registry stack should have created it "
                         f"({exc.response.get('Error', {}).get('Code', 'error')})") from None


def build_images(target: Target, region: str, app: str, env: str, builds: list[BuildSpec],
                 tags: dict[str, str], by_digest: bool, repositories: dict[str, str] | None = None,
                 image_tags: dict[str, str] | None = None) -> tuple[dict[str, str], list[str]]:
    """Build and push every image whose tag is not pushed yet; returns (service -> image reference, notes).

    ``repositories`` (service -> name) are the registry stack's; without them a repository is created here.
    ``image_tags`` (service -> tag) are the tags computed by the caller (else :func:`build_tag`).
    """
    images: dict[str, str] = {}
    notes: list[str] = []
    if not builds:
        return images, notes
    ecr = target.client("ecr", region)
    for spec in builds:
        planned = (repositories or {}).get(spec.service)
        repo_name = planned or f"{app}/{spec.service}"
        uri = existing_repository(ecr, planned) if planned else ensure_repository(ecr, repo_name, tags)
        tag = (image_tags or {}).get(spec.service) or build_tag(spec, env)
        pushed = pushed_image(ecr, repo_name, tag, by_digest)
        if pushed is not None:
            images[spec.service] = pushed  # the context is unchanged: nothing to build
            continue
        if target.local:
            images[spec.service] = _register_placeholder(ecr, uri, repo_name, tag, by_digest)
            notes.append(f"{spec.service}: the emulator cannot run Docker builds; registered {tag} in its ECR "
                         f"repository without building {spec.context}")
            continue
        if shutil.which("docker") is None:
            raise ImageError(f"service {spec.service} is built from {spec.context}, and Docker is not available "
                             "here: install Docker, or build and push the image yourself and set `image:`")
        images[spec.service] = _docker_build_push(ecr, uri, tag, spec, by_digest)
    return images, notes


def _register_placeholder(ecr: Any, uri: str, repo: str, tag: str, by_digest: bool) -> str:
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"digest": "sha256:" + hashlib.sha256(tag.encode()).hexdigest(), "size": 0,
                                      "mediaType": "application/vnd.docker.container.image.v1+json"},
                           "layers": []})
    try:
        image = ecr.put_image(repositoryName=repo, imageManifest=manifest, imageTag=tag)["image"]
        digest = image["imageId"]["imageDigest"]
    except ClientError as exc:
        if "ImageAlreadyExists" not in str(exc):
            raise
        digest = ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": tag}])["imageDetails"][0][
            "imageDigest"]
    return f"{uri}@{digest}" if by_digest else f"{uri}:{tag}"


def _docker_build_push(ecr: Any, uri: str, tag: str, spec: BuildSpec, by_digest: bool) -> str:
    auth = ecr.get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(auth["authorizationToken"]).decode().split(":", 1)
    registry = auth["proxyEndpoint"]
    _run(["docker", "login", "--username", user, "--password-stdin", registry], password)
    cmd = ["docker", "build", "-t", f"{uri}:{tag}"]
    if spec.dockerfile:
        cmd += ["-f", str(spec.context / spec.dockerfile)]
    if spec.target:
        cmd += ["--target", spec.target]
    for key, value in sorted(spec.args.items()):
        cmd += ["--build-arg", f"{key}={build_arg_value(key, value)}"]
    _run([*cmd, str(spec.context)])
    _run(["docker", "push", f"{uri}:{tag}"])
    if not by_digest:
        return f"{uri}:{tag}"
    repo = uri.split("/", 1)[1]
    digest = ecr.describe_images(repositoryName=repo, imageIds=[{"imageTag": tag}])["imageDetails"][0]["imageDigest"]
    return f"{uri}@{digest}"


def build_arg_value(key: str, value: str) -> str:
    """A build arg's value: ``${VAR}`` (how a credential is written in moorage.yml) is read from the
    deploying shell's environment, so the value never sits in the spec."""
    ref = re.fullmatch(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", value)
    if ref is None:
        return value
    if ref.group(1) not in os.environ:
        raise ImageError(f"build arg {key} is read from ${{{ref.group(1)}}}, which is not set in this environment: "
                         f"export {ref.group(1)} before `moorage deploy` (in CI, from a masked secret)")
    return os.environ[ref.group(1)]


def _run(cmd: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise ImageError(f"`{' '.join(cmd[:3])} ...` failed: {(done.stderr or done.stdout).strip()[-2000:]}")


def current_image_tags(synth: Any, spec_dir: Path) -> dict[str, str]:
    """service -> the tag of its build context as it is now (the one deploy pushes and diff compares).

    ``synth`` is a :class:`moorage.render.Synth` (its plan's services and manifest).
    """
    env = synth.manifest["environment"]
    return {b.service: build_tag(b, env) for b in build_specs(synth.plan.services, spec_dir)}



def images_kept(target: Target, synth: Any, named: dict[str, str]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """With ``deploy --image``: each deployed ``image:`` service the options do not name that runs another image
    than the spec's -> (the image it runs now, the spec's image): the deploy keeps those running (``--image
    api=REF`` releases api; it is no revert of an earlier ``--image web=REF`` hotfix; Copilot and ecs-deploy alike
    change only the image they are told about). And a line per ``build:`` service not named that runs an image
    from elsewhere (an earlier ``--image``): it is built from its context again, so the line says so loudly
    (keeping it would drop its repository from the registry stack).
    """
    from moorage.deploy.releases import snapshot

    _, _, running, _ = snapshot(target, synth.manifest)
    repositories = synth.manifest.get("repositories") or {}
    kept: dict[str, tuple[str, str]] = {}
    rebuilt: list[str] = []
    for service, image in sorted(running.items()):
        plan = synth.plan.services.get(service)
        if service in named or not image or plan is None or plan.spec.image == image:
            continue
        if plan.spec.image:
            kept[service] = (image, plan.spec.image)
            continue
        repo = repositories.get(service)
        if repo and f"/{repo}:" not in image and f"/{repo}@" not in image:
            rebuilt.append(f"{service}: runs {image} (an earlier --image); this deploy builds {service} from its "
                           f"context again and releases that: add --image {service}={image} to keep it")
    return kept, rebuilt
