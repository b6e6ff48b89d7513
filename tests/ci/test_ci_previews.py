"""Generated CI with `previews:`: a preview per pull/merge request (deployed, its URL shown, destroyed on close),
a scheduled `destroy --expired`, a ci-stack role that can drive only previews' stacks. Every example's files
pass actionlint, the GitHub workflow schema and GitLab's CI schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from moorage import api
from moorage.cfn import TemplateSet
from moorage.ci import ci_settings
from moorage.ci.github import github_files
from moorage.ci.gitlab import gitlab_files
from moorage.ci.pipeline import CiSettings
from moorage.ci.stack import ci_template
from moorage.errors import InputError
from moorage.policy import run_checks
from moorage.validate.lint import lint_template

from .test_ci import EXAMPLES, _actionlint, _vendored_schema, workflows_written_and_schema_checked

PREVIEW_WORKFLOW = ".github/workflows/moorage-preview.yml"


def _settings(example: Path, tmp_path: Path, repo: str = "acme/shop", **kw: Any) -> CiSettings:
    loaded = api.load_app(example)
    data = loaded.data if isinstance(loaded.data, dict) else YAML(typ="safe").load(example.read_text("utf-8"))
    data = json.loads(json.dumps(data))
    data["previews"] = {"ttl_hours": 48}
    tmp_path.mkdir(parents=True, exist_ok=True)
    spec = tmp_path / "moorage.yml"
    spec.write_text(json.dumps(data), encoding="utf-8")
    loaded = api.load_app(spec)
    plans = {e: api.plan_environment(loaded, e) for e in loaded.spec.environments}
    return ci_settings(loaded, plans, repo, Path("moorage.yml"), **kw)


def _on(workflow: dict[Any, Any]) -> Any:
    return workflow[True if True in workflow else "on"]  # YAML 1.1 reads the key `on` as True


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.parent.name)
def test_preview_workflows_pass_actionlint_and_the_schemas(example: Path, tmp_path: Path) -> None:
    import jsonschema

    ci = _settings(example, tmp_path / "spec")
    files = github_files(ci)
    assert PREVIEW_WORKFLOW in files
    paths = workflows_written_and_schema_checked(files, tmp_path)
    gitlab = YAML(typ="safe").load(gitlab_files(ci)[".gitlab-ci.yml"])
    errors = [e.message for e in jsonschema.Draft7Validator(_vendored_schema("gitlab-ci.json")).iter_errors(gitlab)]
    assert not errors, errors
    done = _actionlint(paths)
    assert done.returncode == 0, done.stdout + done.stderr


def test_preview_workflow_shape(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    ci = _settings(root / "examples" / "rupaya" / "moorage.yml", tmp_path, account="123456789012")
    workflow = YAML(typ="safe").load(github_files(ci)[PREVIEW_WORKFLOW])
    on = _on(workflow)
    assert on["pull_request"]["types"] == ["opened", "synchronize", "reopened", "closed"]
    assert "schedule" in on
    jobs = workflow["jobs"]
    assert "github.event.action != 'closed'" in jobs["preview"]["if"]
    assert "head.repo.full_name == github.repository" in jobs["preview"]["if"]  # forks get no OIDC token
    runs = {j: [s.get("run", "") for s in job["steps"]] for j, job in jobs.items()}
    assert any('moorage deploy moorage.yml --env "$PREVIEW" --preview-of staging' in r for r in runs["preview"])
    deploy_step = next(s for s in jobs["preview"]["steps"] if s.get("id") == "deploy")
    assert deploy_step["env"]["PREVIEW"] == "pr-${{ github.event.pull_request.number }}"
    assert jobs["preview"]["environment"]["url"] == "${{ steps.deploy.outputs.url }}"
    assert sum("gh pr comment" in r for r in runs["preview"]) == 1
    assert "github.event.action == 'closed'" in jobs["destroy"]["if"]
    assert runs["destroy"][-1] == 'moorage destroy moorage.yml --env "pr-${{ github.event.pull_request.number }}" --yes'
    assert "schedule" in jobs["expired"]["if"] and runs["expired"][-1] == "moorage destroy moorage.yml --expired --yes"
    for job in jobs.values():
        creds = next(s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", ""))
        assert creds["with"]["role-to-assume"] == "arn:aws:iam::123456789012:role/rupaya-ci-deploy-preview"
    text = github_files(ci)[PREVIEW_WORKFLOW] + gitlab_files(ci)[".gitlab-ci.yml"]
    for secretish in ("aws-access-key-id", "aws-secret-access-key", "AWS_SECRET_ACCESS_KEY", "AKIA"):
        assert secretish not in text

    gitlab = YAML(typ="safe").load(gitlab_files(ci)[".gitlab-ci.yml"])
    assert gitlab["preview"]["environment"]["on_stop"] == "preview-stop"
    assert gitlab["preview"]["environment"]["auto_stop_in"] == "48 hours"
    assert gitlab["preview-stop"]["environment"]["action"] == "stop"
    assert gitlab["preview-stop"]["script"] == ['moorage destroy moorage.yml --env "pr-$CI_MERGE_REQUEST_IID" --yes']
    assert gitlab["preview-expired"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    assert all("!= \"schedule\"" in gitlab[j]["rules"][0]["if"] for j in ("deploy-staging", "deploy-prod")), \
        "the hourly schedule must not deploy"


def test_without_previews_no_preview_jobs() -> None:
    root = Path(__file__).resolve().parents[2]
    loaded = api.load_app(root / "examples" / "hello" / "moorage.yml")
    plans = {e: api.plan_environment(loaded, e) for e in loaded.spec.environments}
    ci = ci_settings(loaded, plans, "acme/hello", Path("moorage.yml"))
    assert PREVIEW_WORKFLOW not in github_files(ci) and "preview" not in gitlab_files(ci)[".gitlab-ci.yml"]
    assert "DeployRolePreview" not in ci_template(ci, "github")["Resources"]


@pytest.mark.parametrize("provider", ["github", "gitlab"])
def test_preview_role_drives_only_previews(provider: str, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    ci = _settings(root / "examples" / "macro-ai" / "moorage.yml", tmp_path, repo="acme/macro-ai")
    template = ci_template(ci, provider)  # type: ignore[arg-type]
    assert not lint_template(json.dumps(template), [ci.region], "ci.json")
    report = run_checks([TemplateSet("ci", ci.region, {"ci": template}, [], "prod")])
    assert not report.errors and not report.failing("high")
    role = template["Resources"]["DeployRolePreview"]["Properties"]
    issuer = "token.actions.githubusercontent.com" if provider == "github" else "gitlab.com"
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    if provider == "github":
        assert trust["Condition"]["StringEquals"][f"{issuer}:sub"] == "repo:acme/macro-ai:environment:preview"
    else:
        assert trust["Condition"]["StringLike"][f"{issuer}:sub"].startswith("project_path:acme/macro-ai:")
    statements = {s["Sid"]: s for s in role["Policies"][0]["PolicyDocument"]["Statement"]}
    assert statements["ChangeOwnStacksAsExecutionRole"]["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/macro-ai-pr-*/*"}]
    assert statements["ReadBaseStacks"]["Action"] == ["cloudformation:DescribeStacks",
                                                      "cloudformation:DescribeStackEvents",
                                                      "cloudformation:GetTemplate"]
    assert statements["PushImages"]["Resource"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:ecr:*:${AWS::AccountId}:repository/macro-ai/staging/*"}]
    assert "RunJobs" not in statements  # previews run no migrations
    # the deployer reads the base's listener rules; destroy empties only the previews' own buckets
    assert statements["ReadListenerRules"]["Action"] == ["elasticloadbalancing:DescribeRules"]
    assert statements["EmptyOwnBuckets"]["Resource"][0] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::macro-ai-pr-*"}
    change_actions = {a for s in statements.values() for a in s["Action"] if a in (
        "cloudformation:CreateChangeSet", "cloudformation:DeleteStack")}
    assert all(s["Resource"][0]["Fn::Sub"].endswith("macro-ai-pr-*/*") for s in statements.values()
               if set(s["Action"]) & change_actions)


def test_an_environment_named_preview_clashes(tmp_path: Path) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text("name: xy\nregion: eu-west-1\npreviews: {}\nservices:\n  web: {image: a/b:1, port: 80, "
                    "route: '/*', health: /}\nenvironments: {staging: {}, preview: {profile: dev}}\n",
                    encoding="utf-8")
    loaded = api.load_app(spec)
    plans = {e: api.plan_environment(loaded, e) for e in loaded.spec.environments}
    with pytest.raises(InputError, match="named `preview`"):
        ci_settings(loaded, plans, "a/b", Path("moorage.yml"))
