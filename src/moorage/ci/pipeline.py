"""What a generated pipeline needs to know about the app: environments in order, roles, commands."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from moorage import __version__
from moorage.errors import Diagnostic, InputError
from moorage.plan import Plan
from moorage.spec.load import LoadedApp

PROFILE_ORDER = {"dev": 0, "staging": 1, "prod": 2}
PREVIEW_PREFIX = "pr"  # previews are pr-<number>: the ci stack's preview role may drive only <app>-pr-* stacks
REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")
# moorage is not published on PyPI: the runner installs it from a source the user names (--moorage-source)
# or from the MOORAGE_SOURCE CI variable, never from a package name someone else could claim.
SOURCE_VARIABLE = "MOORAGE_SOURCE"


@dataclass(frozen=True)
class CiEnvironment:
    """One environment the pipeline deploys."""

    name: str
    profile: str
    region: str

    @property
    def approval(self) -> bool:
        """Production deploys wait for a reviewer."""
        return self.profile == "prod"


@dataclass(frozen=True)
class CiSettings:
    """The app as its pipeline sees it."""

    app: str
    spec: str  # path of the spec relative to the repository root
    repo: str  # owner/name (GitHub) or group/project (GitLab)
    branch: str
    region: str
    environments: tuple[CiEnvironment, ...]
    review_env: str  # the environment pull requests are diffed against
    budget: float | None
    builds: bool  # some service is built from source (Docker on the runner)
    account: str | None = None  # AWS account id; None: the pipeline reads it from a CI secret/variable
    version: str = __version__
    preview_base: str | None = None  # spec has `previews:`: each pull request gets a preview of this environment
    preview_hours: int = 72  # a preview's time to live after its last deploy
    moorage_source: str | None = None  # a pip requirement for moorage; None: the MOORAGE_SOURCE CI variable

    def preview_name(self, number: str) -> str:
        """The preview environment of pull/merge request ``number`` (an expression of the CI system)."""
        return f"{PREVIEW_PREFIX}-{number}"

    def role_name(self, purpose: str) -> str:
        """The fixed name of a ci-stack role (``deploy-<env>``, ``review``, ``execution``)."""
        return f"{self.app}-ci-{purpose}"[:64]

    @property
    def install_target(self) -> str:
        """The (shell-quoted) pip argument that names moorage: the given source, else the CI variable."""
        if self.moorage_source:
            return shlex.quote(self.moorage_source)
        return (f'"${{{SOURCE_VARIABLE}:?set the {SOURCE_VARIABLE} CI variable to a pip requirement for moorage '
                f'{self.version} (a git URL pinned to a tag or commit, or a wheel), or regenerate with '
                '--moorage-source}"')

    @property
    def install(self) -> str:
        """The command that installs moorage on a runner."""
        return f"pip install {self.install_target}"

    @property
    def install_yaml(self) -> str:
        """:attr:`install` as a YAML scalar (a JSON string is a YAML double-quoted scalar)."""
        return json.dumps(self.install)


def branch_problem(branch: str) -> str | None:
    """Why ``branch`` is not a branch name a pipeline may be written for (git check-ref-format), or None.

    Globs, ``$`` (CI expressions and variables) and quotes are refused too: the name is written into YAML
    and compared by the CI system, and ``*`` would deploy from any branch."""
    if not branch:
        return "is empty"
    bad = sorted({c for c in branch if ord(c) < 0x20 or c in ' ~^:?*[\\\x7f$"\'{}'})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        return f"holds {shown}, which a branch name may not (globs and CI expressions are not accepted)"
    if ".." in branch or "@{" in branch or "//" in branch or branch in ("@", "HEAD"):
        return "is not a valid git branch name ('..', '@{', '//', '@' and HEAD are not allowed)"
    if branch.startswith(("/", "-")) or branch.endswith(("/", ".")):
        return "may not start with '/' or '-' or end with '/' or '.'"
    if any(part.startswith(".") or part.endswith(".lock") for part in branch.split("/")):
        return "has a part that starts with '.' or ends with '.lock'"
    return None


SOURCE_RE = re.compile(r"[^\x00-\x1f\x7f]{1,500}")


def ci_settings(loaded: LoadedApp, plans: dict[str, Plan], repo: str, spec: Path, branch: str = "main",
                environments: list[str] | None = None, account: str | None = None,
                moorage_source: str | None = None) -> CiSettings:
    """Settings for the pipeline of ``loaded``'s environments (all, or ``environments`` in that order)."""
    if not re.fullmatch(r"[A-Za-z0-9._+/-]+", spec.as_posix()):
        raise InputError([Diagnostic("error", f"the spec's path {spec.as_posix()!r} (from the repository root) is "
                                     "written into the pipeline's shell commands and may hold only letters, digits "
                                     "and . _ + - /", None, "rename the file or its folders (for example "
                                     "infra/moorage.yml)")])
    problem = branch_problem(branch)
    if problem:
        raise InputError([Diagnostic("error", f"--branch {branch!r} {problem}", None,
                                     "name the one branch that deploys, e.g. --branch main or --branch release/v2")])
    if moorage_source is not None and (not SOURCE_RE.fullmatch(moorage_source) or "${{" in moorage_source):
        raise InputError([Diagnostic("error", f"--moorage-source {moorage_source!r} is not a pip requirement", None,
                                     "e.g. --moorage-source 'git+https://HOST/OWNER/moorage@v0.1.0' (one line, "
                                     "no ${{ }})")])
    if not REPO_RE.match(repo):
        raise InputError([Diagnostic("error", f"--repo {repo!r} is not owner/name", None,
                                     "e.g. --repo acme/shop (GitHub) or --repo group/sub/project (GitLab)")])
    if account is not None and not re.fullmatch(r"\d{12}", account):
        raise InputError([Diagnostic("error", f"--account {account!r} is not a 12-digit AWS account id", None,
                                     "e.g. --account 123456789012, or leave it out and set the AWS_ACCOUNT_ID "
                                     "secret/variable in CI")])
    names = environments or list(loaded.spec.environments)
    unknown = [n for n in names if n not in plans]
    if unknown:
        raise InputError([Diagnostic("error", f"unknown environment(s): {', '.join(unknown)}", None,
                                     "environments: " + ", ".join(loaded.spec.environments))])
    envs = sorted((CiEnvironment(n, plans[n].env.profile, plans[n].env.region) for n in names),
                  key=lambda e: (PROFILE_ORDER.get(e.profile, 1), names.index(e.name)))
    review = next((e.name for e in envs if e.profile == "staging"), envs[0].name)
    budget = loaded.spec.budget.monthly if loaded.spec.budget else None
    builds = any(s.spec.build is not None and not s.spec.image for p in plans.values() for s in p.services.values())
    previews = loaded.spec.previews
    if previews and "preview" in names:
        raise InputError([Diagnostic("error", "an environment named `preview` and `previews:` would share the ci "
                                     "stack's preview role and GitHub environment", None,
                                     "rename the environment, or leave it out with --environments")])
    return CiSettings(app=loaded.spec.name, spec=spec.as_posix(), repo=repo, branch=branch,
                      region=loaded.spec.region, environments=tuple(envs), review_env=review, budget=budget,
                      builds=builds, account=account, preview_base=review if previews else None,
                      preview_hours=previews.ttl_hours if previews else 72, moorage_source=moorage_source)


def pipeline_root(spec_file: Path, output: Path | None = None) -> tuple[Path, Path, str | None]:
    """Where the pipeline files go and how they name the spec: (repository root, the spec's path relative to
    it, a note or None).

    GitHub reads workflows only from ``<repository root>/.github/workflows`` and GitLab ``.gitlab-ci.yml`` only
    at the root, and their jobs start in the root: the root is ``output`` when given, else the git checkout
    holding the spec, else (no checkout found, said in the note) the spec's directory."""
    from moorage.compose.project import project_root

    spec_file = spec_file.resolve()
    note = None
    if output is not None:
        root = output.resolve()
        if not spec_file.is_relative_to(root):
            raise InputError([Diagnostic(
                "error", f"the spec {spec_file} is outside --output {root}: the pipeline runs in the repository "
                "root and names the spec by its path there", None,
                "give the root of the repository that holds the spec as --output, or leave --output out (the "
                "git checkout holding the spec is found)")])
        checkout = project_root(root)
        if checkout != root and (checkout / ".git").exists():
            note = (f"--output {root} is inside the git checkout {checkout} but is not its root: GitHub reads "
                    f"workflows only from {checkout / '.github' / 'workflows'} and GitLab .gitlab-ci.yml only at "
                    "the root, where the jobs start too, so this pipeline never runs as written; rerun with "
                    f"--output {checkout} (or without --output)")
    else:
        root = project_root(spec_file.parent)
        if not (root / ".git").exists():
            note = (f"no git checkout holds {spec_file}: the pipeline files were written next to the spec, as if "
                    "its directory were the repository root; if the repository root is another directory, rerun "
                    "with --output ROOT")
    return root, spec_file.relative_to(root), note
