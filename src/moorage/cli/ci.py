"""`moorage ci github` and `moorage ci gitlab`: write the pipeline and the `ci` stack's template.

Exit codes: 0 written, 2 bad input.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from moorage.cli.options import SpecArg
from moorage.cli.output import console
from moorage.lazy import lazy_module

if TYPE_CHECKING:
    from moorage.ci.stack import Provider

api = lazy_module("moorage.api")  # loaded when a command runs, not for --help
out = console()
err = console(stderr=True)

ci_app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                     help="Generated CI/CD with OIDC (no stored AWS keys).")

RepoOpt = Annotated[str, typer.Option("--repo", help="owner/name (GitHub) or group/project (GitLab) the roles trust")]
EnvsOpt = Annotated[str | None, typer.Option("--environments", help="comma-separated, in deploy order "
                                                                    "(default: all)")]
AccountOpt = Annotated[str | None, typer.Option("--account", help="AWS account id written into the pipeline "
                                                                  "(default: read from CI's AWS_ACCOUNT_ID)")]
BranchOpt = Annotated[str, typer.Option("--branch", help="the branch that deploys (a git branch name, no globs)")]
SourceOpt = Annotated[str | None, typer.Option(
    "--moorage-source", metavar="REQUIREMENT", help="pip requirement the runner installs moorage from (it is "
    "not on PyPI), e.g. git+https://HOST/OWNER/moorage@v0.1.0; default: the MOORAGE_SOURCE CI variable")]
ProviderArnOpt = Annotated[str | None, typer.Option("--provider-arn", help="use this existing OIDC identity "
                                                                           "provider instead of creating one")]
OutOpt = Annotated[Path | None, typer.Option("--output", "-o", help="repository root to write into (default: the "
                                                                    "git checkout holding the spec, else its "
                                                                    "directory)")]


def _write(files: dict[str, str], root: Path) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        out.print(f"wrote {path}")


def _generate(provider: Provider, spec: Path, repo: str, environments: str | None, account: str | None,
              branch: str, provider_arn: str | None, output: Path | None, source: str | None) -> None:
    names = [e.strip() for e in environments.split(",") if e.strip()] if environments else None
    ci, files, root, note = api.ci_files(spec, provider, repo, environments=names, account=account, branch=branch,
                                         provider_arn=provider_arn, moorage_source=source, output=output)
    stack_file = api.ci_stack_file(provider)
    if note:
        err.print(f"note: {note}", markup=False)
    _write(files, root)
    out.print(f"the pipeline runs from {root} and names the spec {ci.spec}")
    out.print("next:")
    if not ci.moorage_source:
        out.print("  0. moorage is not on PyPI: set the MOORAGE_SOURCE " + (
            "repository variable" if provider == "github" else "CI/CD variable") + " to a pip requirement for it "
            "(or rerun with --moorage-source)")
    out.print(f"  1. once per account: aws cloudformation deploy --template-file {shlex.quote(str(root / stack_file))} "
              f"--stack-name {ci.app}-ci --capabilities CAPABILITY_NAMED_IAM --region {ci.region}")
    if not ci.account:
        out.print("  2. set AWS_ACCOUNT_ID in the " + ("repository secrets" if provider == "github"
                                                        else "CI/CD variables") + " (or rerun with --account)")
    prod = [e.name for e in ci.environments if e.approval]
    if prod and provider == "github":
        out.print(f"  3. add required reviewers to the GitHub environment(s) {', '.join(prod)}: "
                  "Settings > Environments")
    elif prod:
        out.print(f"  3. protect the GitLab environment(s) {', '.join(prod)} and require approval: "
                  "Settings > CI/CD > Protected environments")
    if ci.preview_base:
        out.print(f"  4. previews of {ci.preview_base} per " + (
            "pull request: create the GitHub environment `preview` (Settings > Environments)"
            if provider == "github" else
            "merge request: add an hourly pipeline schedule (Build > Pipeline schedules) for destroy --expired"))


@ci_app.command("github")
def github(repo: RepoOpt, spec: SpecArg = Path("."), environments: EnvsOpt = None, account: AccountOpt = None,
           branch: BranchOpt = "main", provider_arn: ProviderArnOpt = None, output: OutOpt = None,
           moorage_source: SourceOpt = None) -> None:
    """Write .github/workflows (review on pull requests, deploys from the main branch) and the ci stack."""
    _generate("github", spec, repo, environments, account, branch, provider_arn, output, moorage_source)


@ci_app.command("gitlab")
def gitlab(repo: RepoOpt, spec: SpecArg = Path("."), environments: EnvsOpt = None, account: AccountOpt = None,
           branch: BranchOpt = "main", provider_arn: ProviderArnOpt = None, output: OutOpt = None,
           moorage_source: SourceOpt = None) -> None:
    """Write .gitlab-ci.yml (review on merge requests, deploys from the default branch) and the ci stack."""
    _generate("gitlab", spec, repo, environments, account, branch, provider_arn, output, moorage_source)
