"""Preview environments end to end on the emulator: a preview deploys onto staging's network, cluster and load
balancer, `envs` lists it with its expiry, `destroy --expired` removes only previews past their expiry and
`destroy --env` removes exactly one preview; staging is untouched throughout.

What the emulator cannot show: that a request to the preview's host or path reaches its tasks (it runs no
containers and its load balancer routes nothing); the listener rules that would route it are checked here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from moorage import api
from moorage.cli.app import plan
from moorage.cli.deploy import deploy, destroy, diff, status
from moorage.cli.operate import envs, logs, open_
from moorage.cli.release import history
from moorage.deploy.session import Target

Aws = Callable[[str, str], Any]

SPEC = """\
name: pv
region: eu-west-1
previews: {ttl_hours: 48}
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health, uses: [api]}
  api: {image: ghcr.io/acme/api:1.0.0, port: 4000, route: "/api/*", health: /api/health, uses: [files]}
  worker: {image: ghcr.io/acme/worker:1.0.0, uses: [files]}
buckets:
  files: {}
environments:
  staging: {}
"""


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, fresh: str) -> typer.Typer:
    """deploy, destroy and envs, with --local pointed at the in-process emulator on its loopback port."""
    monkeypatch.setattr("moorage.deploy.session.local_target", lambda project: Target(local=True, endpoint=fresh))
    monkeypatch.setattr("moorage.emulator.server.server_status",
                        lambda project: type("S", (), {"endpoint": fresh})())
    app = typer.Typer()
    for command in (deploy, destroy, envs, diff, plan, status, history, logs):
        app.command()(command)
    app.command("open")(open_)
    return app


def _stacks(aws: Aws) -> dict[str, dict[str, Any]]:
    found = aws("cloudformation", "eu-west-1").describe_stacks()["Stacks"]
    return {s["StackName"]: s for s in found if s["StackStatus"] != "DELETE_COMPLETE"}


def _staging_state(aws: Aws) -> dict[str, Any]:
    stacks = _stacks(aws)
    return {n: (s["StackStatus"], s.get("LastUpdatedTime"), sorted(o["OutputValue"] for o in s.get("Outputs", [])))
            for n, s in stacks.items() if n.startswith("pv-staging-")}


def _rules(aws: Aws) -> dict[int, dict[str, Any]]:
    elb = aws("elbv2", "eu-west-1")
    [lb] = elb.describe_load_balancers()["LoadBalancers"]
    [listener] = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    return {int(r["Priority"]): r for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
            if r["Priority"] != "default"}


def test_preview_deploys_onto_staging_and_expires(cli: typer.Typer, aws: Aws, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC, encoding="utf-8")
    spec = str(spec_path)
    runner = CliRunner()
    base = runner.invoke(cli, ["deploy", spec, "--env", "staging", "--local"])
    assert base.exit_code == 0, base.output
    ec2 = aws("ec2", "eu-west-1")
    vpcs, nats = len(ec2.describe_vpcs()["Vpcs"]), len(ec2.describe_nat_gateways()["NatGateways"])
    addresses = len(ec2.describe_addresses()["Addresses"])
    staging = _staging_state(aws)
    assert sorted(_rules(aws)) == [1010, 1020]  # staging's own rules start past the block kept for previews

    preview = runner.invoke(cli, ["deploy", spec, "--env", "pr-42", "--preview-of", "staging", "--local"])
    assert preview.exit_code == 0, preview.output
    assert "/pr-42/" in preview.output  # its URL: staging's load balancer and the preview's path prefix
    mine = {n for n in _stacks(aws) if n.startswith("pv-pr-42-")}
    assert mine == {"pv-pr-42-svc-web", "pv-pr-42-svc-api"}  # no network, data, cluster or edge of its own
    assert (len(ec2.describe_vpcs()["Vpcs"]), len(ec2.describe_nat_gateways()["NatGateways"]),
            len(ec2.describe_addresses()["Addresses"])) == (vpcs, nats, addresses)
    tags = {t["Key"]: t["Value"] for t in _stacks(aws)["pv-pr-42-svc-web"]["Tags"]}
    assert tags["moorage:preview-of"] == "staging" and tags["moorage:environment"] == "pr-42"
    expires = datetime.strptime(tags["moorage:expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert timedelta(hours=47) < expires - datetime.now(UTC) <= timedelta(hours=48)
    # its rules sit on staging's listener, ahead of staging's, and forward to the preview's own target groups
    rules = _rules(aws)
    assert sorted(rules) == [421, 422, 1010, 1020]
    paths = {p: [v for c in rules[p]["Conditions"] for v in c.get("PathPatternConfig", {}).get("Values", [])]
             for p in (421, 422)}
    assert paths == {421: ["/pr-42/api/*"], 422: ["/pr-42/*"]}
    outputs = {o["OutputKey"]: o["OutputValue"] for o in _stacks(aws)["pv-pr-42-svc-web"]["Outputs"]}
    assert rules[422]["Actions"][0]["TargetGroupArn"] == outputs["TargetGroupArn"]
    # its services run in staging's cluster, one task each, named apart from staging's
    ecs = aws("ecs", "eu-west-1")
    arns = ecs.list_services(cluster="pv-staging")["serviceArns"]
    services = {s["serviceName"]: s for s in ecs.describe_services(cluster="pv-staging", services=arns)["services"]}
    previews = [s for n, s in services.items() if n.startswith("pv-pr-42-")]
    assert len(previews) == 2 and all(s["desiredCount"] == 1 for s in previews)
    task = ecs.describe_task_definition(taskDefinition=next(
        s for n, s in services.items() if n.startswith("pv-pr-42-svc-web"))["taskDefinition"])["taskDefinition"]
    assert any("pr-42-api.pv.internal" in e["value"] for e in task["containerDefinitions"][0]["environment"])
    discovery = {s["Name"] for s in aws("servicediscovery", "eu-west-1").list_services()["Services"]}
    assert {"web", "api", "pr-42-web", "pr-42-api"} <= discovery

    same = runner.invoke(cli, ["diff", spec, "--env", "pr-42", "--preview-of", "staging", "--local"])
    assert same.exit_code == 0 and "No changes: 2 stacks" in same.output, same.output
    planned = runner.invoke(cli, ["plan", spec, "--env", "pr-42", "--preview-of", "staging", "--json"])
    assert planned.exit_code == 0, planned.output
    decisions = {d["topic"]: d["value"] for d in json.loads(planned.output)["pr-42"]["decisions"]}
    assert decisions["preview.route.web"] == "/pr-42/* priority 422" and decisions["preview.base"] == "staging"

    listed = runner.invoke(cli, ["envs", spec, "--local", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["name"]: r for r in json.loads(listed.output.strip().splitlines()[-1])}
    assert rows["pr-42"]["preview_of"] == "staging" and rows["pr-42"]["expires"] == tags["moorage:expires"]
    assert rows["pr-42"]["url"] == rows["staging"]["url"].rstrip("/") + "/pr-42/"
    assert rows["pr-42"]["last_release"] and rows["pr-42"]["last_release"][:4].isdigit()  # not "-"
    assert 0 < rows["pr-42"]["monthly_low"] < rows["staging"]["monthly_low"]

    # status, history and open read the preview when named with its base; without it the hint says so
    shown = runner.invoke(cli, ["status", spec, "--env", "pr-42", "--preview-of", "staging", "--local", "--json"])
    assert shown.exit_code == 0, shown.output
    st = json.loads(shown.output.strip().splitlines()[-1])
    assert {s["name"]: s["status"] for s in st["stacks"]} == {"pv-pr-42-svc-web": "CREATE_COMPLETE",
                                                              "pv-pr-42-svc-api": "CREATE_COMPLETE"}
    assert st["url"] == rows["pr-42"]["url"] and st["last_deploy"]
    assert sorted(s["name"] for s in st["services"]) == ["api", "web"]  # found in staging's cluster
    releases = runner.invoke(cli, ["history", spec, "--env", "pr-42", "--preview-of", "staging", "--local",
                                   "--json"])
    assert releases.exit_code == 0, releases.output
    recorded = json.loads(releases.output.strip().splitlines()[-1])
    assert [r["number"] for r in recorded] == [1] and recorded[0]["outcome"] == "succeeded"
    logged = runner.invoke(cli, ["logs", spec, "--env", "pr-42", "--preview-of", "staging", "--local"])
    assert logged.exit_code == 0 and "no log lines since 10m in" in logged.output, logged.output
    opened = runner.invoke(cli, ["open", spec, "--env", "pr-42", "--preview-of", "staging", "--local",
                                 "--no-browser"])
    assert opened.exit_code == 0 and rows["pr-42"]["url"] in opened.output, opened.output

    # staging is not destroyed under its previews
    refused = runner.invoke(cli, ["destroy", spec, "--env", "staging", "--local", "--yes"])
    assert refused.exit_code == 1 and "pr-42" in refused.output
    # the fix is aimed where the user aimed (the emulator)
    assert "destroy them first: moorage destroy --env pr-42 --local --yes" in " ".join(refused.output.split())
    # a second preview, destroyed by name: exactly its stacks go
    second = runner.invoke(cli, ["deploy", spec, "--env", "pr-7", "--preview-of", "staging", "--local"])
    assert second.exit_code == 0, second.output
    assert sorted(_rules(aws)) == [71, 72, 421, 422, 1010, 1020]
    gone = runner.invoke(cli, ["destroy", spec, "--env", "pr-7", "--local", "--yes"])
    assert gone.exit_code == 0, gone.output
    assert not [n for n in _stacks(aws) if n.startswith("pv-pr-7-")] and sorted(_rules(aws)) == [421, 422, 1010, 1020]

    # not yet expired: nothing goes
    early = runner.invoke(cli, ["destroy", spec, "--expired", "--local", "--yes"])
    assert early.exit_code == 0 and "no expired preview" in early.output
    assert {n for n in _stacks(aws) if n.startswith("pv-pr-42-")} == mine
    # two days later it has expired: it goes, and staging is exactly as it was
    later = datetime.now(UTC) + timedelta(hours=49)
    monkeypatch.setattr("moorage.deploy.previews.utc_now", lambda: later)
    expired = runner.invoke(cli, ["destroy", spec, "--expired", "--local", "--yes"])
    assert expired.exit_code == 0, expired.output
    assert "destroyed preview pr-42: 2 stacks" in expired.output
    assert not [n for n in _stacks(aws) if n.startswith("pv-pr-")]
    assert _staging_state(aws) == staging
    assert sorted(_rules(aws)) == [1010, 1020]
    arns = ecs.list_services(cluster="pv-staging")["serviceArns"]
    active = sorted(s["serviceName"].rsplit("-", 1)[0] for s in ecs.describe_services(
        cluster="pv-staging", services=arns)["services"] if s["status"] == "ACTIVE")
    assert active == ["pv-staging-svc-api-Service", "pv-staging-svc-web-Service", "pv-staging-svc-worker-Service"]


def test_a_preview_needs_its_base_deployed(cli: typer.Typer, tmp_path: Path) -> None:
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC, encoding="utf-8")
    result = CliRunner().invoke(cli, ["deploy", str(spec_path), "--env", "pr-1", "--preview-of", "staging",
                                      "--local"])
    assert result.exit_code == 1
    assert "pv-staging-" in result.output
    # one fix for every base stack, aimed where the user aimed (the emulator)
    said = " ".join(result.output.split())
    assert said.count("deploy --env staging") == 1 and "fix: moorage deploy --env staging --local first" in said
    assert said.count(" is NOT_DEPLOYED: preview pr-1 runs on environment staging") > 1


def test_a_preview_refuses_a_base_deployed_before_previews(cli: typer.Typer, aws: Aws, tmp_path: Path) -> None:
    # staging deployed without `previews:` has its rules at 10, 20: a preview's 421 would never get a request
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC.replace("previews: {ttl_hours: 48}\n", ""), encoding="utf-8")
    spec = str(spec_path)
    runner = CliRunner()
    base = runner.invoke(cli, ["deploy", spec, "--env", "staging", "--local"])
    assert base.exit_code == 0, base.output
    assert sorted(_rules(aws)) == [10, 20]
    spec_path.write_text(SPEC, encoding="utf-8")
    before = set(_stacks(aws))
    refused = runner.invoke(cli, ["deploy", spec, "--env", "pr-42", "--preview-of", "staging", "--local"])
    assert refused.exit_code == 1, refused.output
    assert "priority 10" in refused.output and "moorage deploy --env staging --local" in refused.output
    assert set(_stacks(aws)) == before and sorted(_rules(aws)) == [10, 20]  # nothing changed
    # redeployed with `previews:`, staging's rules move past the block and the preview deploys ahead of them
    again = runner.invoke(cli, ["deploy", spec, "--env", "staging", "--local"])
    assert again.exit_code == 0, again.output
    assert sorted(_rules(aws)) == [1010, 1020]
    preview = runner.invoke(cli, ["deploy", spec, "--env", "pr-42", "--preview-of", "staging", "--local"])
    assert preview.exit_code == 0, preview.output
    assert sorted(_rules(aws)) == [421, 422, 1010, 1020]
    # a redeploy of the preview is not refused for its own rules (nor another preview for them)
    redo = runner.invoke(cli, ["deploy", spec, "--env", "pr-42", "--preview-of", "staging", "--local"])
    assert redo.exit_code == 0, redo.output
    other = runner.invoke(cli, ["deploy", spec, "--env", "pr-7", "--preview-of", "staging", "--local"])
    assert other.exit_code == 0, other.output


def test_destroy_usage_errors(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC, encoding="utf-8")
    neither = run_cli("destroy", spec_path, "--local", "--yes")
    assert neither.code == 2 and "--expired" in neither.err
    both = run_cli("destroy", spec_path, "--env", "pr-1", "--expired", "--local", "--yes")
    assert both.code == 2 and "drop --env" in both.err
    gone = run_cli("destroy", spec_path, "--env", "pr-1", "--local", "--yes")  # a preview already destroyed
    assert gone.code == 0 and "nothing to destroy: no preview pr-1 is deployed" in gone.out, gone.out + gone.err
    unknown = run_cli("destroy", spec_path, "--env", "Pr_1", "--local", "--yes")
    assert unknown.code == 2 and "no environment named 'Pr_1'" in unknown.err
    for command in ("status", "history", "logs", "open"):  # a preview named without its base: the hint says how
        missing = run_cli(command, spec_path, "--env", "pr-1", "--local")
        assert missing.code == 2 and "if pr-1 is a preview, add --preview-of staging" in missing.err, command


def test_previews_100_apart_get_disjoint_blocks_and_a_full_listener_refuses(
        cli: typer.Typer, aws: Aws, tmp_path: Path) -> None:
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC, encoding="utf-8")
    spec = str(spec_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["deploy", spec, "--env", "staging", "--local"]).exit_code == 0
    for name in ("pr-42", "pr-142"):
        done = runner.invoke(cli, ["deploy", spec, "--env", name, "--preview-of", "staging", "--local"])
        assert done.exit_code == 0, done.output
    # pr-142 prefers block 42 too; pr-42's rules hold it, so it takes the next free block
    assert sorted(_rules(aws)) == [421, 422, 431, 432, 1010, 1020]
    # pr-43 prefers 43, now pr-142's: it goes on to 44; a redeploy of pr-142 keeps its block
    assert runner.invoke(cli, ["deploy", spec, "--env", "pr-43", "--preview-of", "staging", "--local"]).exit_code == 0
    assert runner.invoke(cli, ["deploy", spec, "--env", "pr-142", "--preview-of", "staging", "--local"]).exit_code == 0
    rules = _rules(aws)
    assert sorted(rules) == [421, 422, 431, 432, 441, 442, 1010, 1020]
    paths = {p: [v for c in rules[p]["Conditions"] for v in c.get("PathPatternConfig", {}).get("Values", [])][0]
             for p in rules}
    assert (paths[431], paths[441]) == ("/pr-142/api/*", "/pr-43/api/*")
    # once pr-42 is gone, its block is free again for the next preview that prefers it
    assert runner.invoke(cli, ["destroy", spec, "--env", "pr-42", "--local", "--yes"]).exit_code == 0
    assert runner.invoke(cli, ["deploy", spec, "--env", "pr-242", "--preview-of", "staging", "--local"]).exit_code == 0
    assert sorted(_rules(aws))[:2] == [421, 422]

    # the listener takes 100 rules: with 99 on it, a preview of two routed services is refused, nothing changes
    elb = aws("elbv2", "eu-west-1")
    [lb] = elb.describe_load_balancers()["LoadBalancers"]
    [listener] = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    for i in range(99 - len(_rules(aws))):
        elb.create_rule(ListenerArn=listener["ListenerArn"], Priority=2000 + i, Conditions=[
            {"Field": "path-pattern", "PathPatternConfig": {"Values": [f"/other-{i}/*"]}}],
            Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])
    before = set(_stacks(aws))
    full = runner.invoke(cli, ["deploy", spec, "--env", "pr-9", "--preview-of", "staging", "--local"])
    assert full.exit_code == 1, full.output
    said = " ".join(full.output.split())
    assert "staging's listener holds 99 rules" in said and "needs 2 more" in said and "takes 100" in said
    assert "previews: at moorage.yml:3" in said and "moorage destroy --expired" in said
    assert set(_stacks(aws)) == before
    # a redeploy of a preview already on the listener is not refused: its own rules are counted once
    again = runner.invoke(cli, ["deploy", spec, "--env", "pr-43", "--preview-of", "staging", "--local"])
    assert again.exit_code == 0, again.output


def _preview_stack(aws: Aws, name: str, preview: str, resources: dict[str, Any], base: str = "staging") -> None:
    """A stack tagged as preview ``preview`` of ``base`` (expired), made by hand: what `destroy --expired` finds."""
    cf = aws("cloudformation", "eu-west-1")
    tags = [{"Key": "moorage:app", "Value": "pv"}, {"Key": "moorage:environment", "Value": preview},
            {"Key": "moorage:preview-of", "Value": base}, {"Key": "moorage:expires", "Value": "2020-01-01T00:00:00Z"}]
    made = cf.create_change_set(StackName=name, ChangeSetName="c1", ChangeSetType="CREATE", Tags=tags,
                                TemplateBody=json.dumps({"Resources": resources}))
    cf.execute_change_set(ChangeSetName=made["Id"])
    assert cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_destroy_expired_never_says_destroyed_beside_a_failed_delete(cli: typer.Typer, aws: Aws,
                                                                      tmp_path: Path) -> None:
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC, encoding="utf-8")
    _preview_stack(aws, "pv-pr-9-svc-api", "pr-9", {"Topic": {"Type": "AWS::SNS::Topic"}})
    # a stray stack whose bucket holds an object under legal hold: emptying it, so deleting it, fails
    _preview_stack(aws, "pv-pr-9-svc-old", "pr-9", {"Held": {"Type": "AWS::S3::Bucket",
                                                             "Properties": {"BucketName": "pv-pr-9-held",
                                                                            "VersioningConfiguration": {
                                                                                "Status": "Enabled"}}}})
    s3 = aws("s3", "eu-west-1")
    s3.put_object_lock_configuration(Bucket="pv-pr-9-held", ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    s3.put_object(Bucket="pv-pr-9-held", Key="evidence", Body=b"x", ObjectLockLegalHoldStatus="ON")
    result = CliRunner().invoke(cli, ["destroy", str(spec_path), "--expired", "--local", "--yes"])
    assert result.exit_code == 1, result.output
    said = " ".join(result.output.split())
    assert "destroyed preview pr-9" not in said
    assert "preview pr-9: destroy incomplete: deleted 1 stack; 1 stack remain:" in said, said
    assert "pv-pr-9-svc-old: cannot empty bucket pv-pr-9-held" in said, said
    assert "pv-pr-9-svc-api" not in _stacks(aws) and "pv-pr-9-svc-old" in _stacks(aws)
    s3.put_object_legal_hold(Bucket="pv-pr-9-held", Key="evidence", LegalHold={"Status": "OFF"})


def test_a_base_under_several_previews_names_each_in_its_fix(cli: typer.Typer, aws: Aws, tmp_path: Path) -> None:
    spec_path = tmp_path / "moorage.yml"
    spec_path.write_text(SPEC, encoding="utf-8")
    base = api.synth_environment(api.load_app(spec_path), "staging").manifest["stacks"][0]["name"]
    made = aws("cloudformation", "eu-west-1").create_change_set(
        StackName=base, ChangeSetName="c1", ChangeSetType="CREATE",
        TemplateBody=json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))
    aws("cloudformation", "eu-west-1").execute_change_set(ChangeSetName=made["Id"])
    for preview in ("pr-1", "pr-2"):
        _preview_stack(aws, f"pv-{preview}-svc-api", preview, {"Topic": {"Type": "AWS::SNS::Topic"}})
    refused = CliRunner().invoke(cli, ["destroy", str(spec_path), "--env", "staging", "--local", "--yes"])
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.output.split())
    assert ("fix: destroy them first: moorage destroy --env pr-1 --local --yes && "
            "moorage destroy --env pr-2 --local --yes") in said, said
    assert base in _stacks(aws)
