"""A preview's life after its first deploy, on the emulator: a push that changes nothing still extends its
expiry (the stacks' ``moorage:expires`` tag, which `destroy --expired` reads), and `run`, `exec`, `secrets` and
`rollback` reach it with `--preview-of` like `status` and `logs` do.

The emulator runs no containers: `run` and `exec` are checked through the RunTask call and the task found.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from moorage.deploy.session import Target

if TYPE_CHECKING:
    from conftest import CliResult

Aws = Callable[[str, str], Any]
Run = Callable[..., "CliResult"]

SPEC = """\
name: pl
region: eu-west-1
previews: {ttl_hours: 48}
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health, secrets: [API_KEY]}
secrets:
  API_KEY: {generate: true}
environments:
  staging:
    services: {web: {exec: true}}
"""


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch, fresh: str) -> str:
    """--local pointed at the in-process emulator on its loopback port."""
    monkeypatch.setattr("moorage.deploy.session.local_target", lambda project: Target(local=True, endpoint=fresh))
    monkeypatch.setattr("moorage.emulator.server.server_status",
                        lambda project: type("S", (), {"endpoint": fresh})())
    return fresh


def _tags(aws: Aws) -> dict[str, dict[str, str]]:
    stacks = aws("cloudformation", "eu-west-1").describe_stacks()["Stacks"]
    return {s["StackName"]: {t["Key"]: t["Value"] for t in s.get("Tags", [])} for s in stacks
            if s["StackStatus"] != "DELETE_COMPLETE" and s["StackName"].startswith("pl-pr-42-")}


def _web(aws: Aws) -> dict[str, Any]:
    ecs = aws("ecs", "eu-west-1")
    arns = ecs.list_services(cluster="pl-staging")["serviceArns"]
    [service] = [s for s in ecs.describe_services(cluster="pl-staging", services=arns)["services"]
                 if s["serviceName"].startswith("pl-pr-42-svc-web")]
    return service  # type: ignore[no-any-return]


def test_a_push_without_changes_extends_the_expiry(local: str, run_cli: Run, aws: Aws, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    assert run_cli("deploy", spec, "--env", "staging", "--local").code == 0
    start = datetime.now(UTC).replace(microsecond=0)
    monkeypatch.setattr("moorage.deploy.previews.utc_now", lambda: start)
    first = run_cli("deploy", spec, "--env", "pr-42", "--preview-of", "staging", "--local")
    assert first.code == 0, first.err
    first_expiry = (start + timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {t["moorage:expires"] for t in _tags(aws).values()} == {first_expiry}
    updated = {n: s.get("LastUpdatedTime") for n, s in ((s["StackName"], s) for s in aws(
        "cloudformation", "eu-west-1").describe_stacks()["Stacks"]) if n.startswith("pl-pr-42-")}

    # ten hours later the same push again: no change to any resource, yet the expiry moves
    later = start + timedelta(hours=10)
    monkeypatch.setattr("moorage.deploy.previews.utc_now", lambda: later)
    again = run_cli("deploy", spec, "--env", "pr-42", "--preview-of", "staging", "--local")
    assert again.code == 0, again.err
    second_expiry = (later + timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "No changes" in again.out and f"preview pr-42 expires {second_expiry}" in again.out
    assert {t["moorage:expires"] for t in _tags(aws).values()} == {second_expiry}
    assert all(t["moorage:preview-of"] == "staging" for t in _tags(aws).values())
    stacks = aws("cloudformation", "eu-west-1").describe_stacks()["Stacks"]
    assert all(s["StackStatus"] == "UPDATE_COMPLETE" for s in stacks if s["StackName"] in updated)
    # no release is recorded for it: nothing was released
    history = run_cli("history", spec, "--env", "pr-42", "--preview-of", "staging", "--local", "--json")
    assert history.code == 0 and history.out.count('"number"') == 1, history.out

    # past the first expiry, before the second: `destroy --expired` leaves it
    monkeypatch.setattr("moorage.deploy.previews.utc_now", lambda: start + timedelta(hours=49))
    kept = run_cli("destroy", spec, "--expired", "--local", "--yes")
    assert kept.code == 0 and "no expired preview" in kept.out, kept.out + kept.err
    assert set(_tags(aws)) == set(updated)
    # past the second: it goes
    monkeypatch.setattr("moorage.deploy.previews.utc_now", lambda: later + timedelta(hours=49))
    gone = run_cli("destroy", spec, "--expired", "--local", "--yes")
    assert gone.code == 0 and "destroyed preview pr-42" in gone.out, gone.out + gone.err
    assert not _tags(aws)


def test_day_two_commands_take_preview_of(local: str, run_cli: Run, aws: Aws, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run_cli("deploy", spec, "--env", "staging", "--local").code == 0
    preview = ("--env", "pr-42", "--preview-of", "staging", "--local")
    assert run_cli("deploy", spec, *preview).code == 0
    v1 = _web(aws)["taskDefinition"]
    # exec with no running task: the hint aims at the preview (--preview-of kept)
    for arn in aws("ecs", "eu-west-1").list_tasks(cluster="pl-staging")["taskArns"]:
        aws("ecs", "eu-west-1").stop_task(cluster="pl-staging", task=arn)
    idle = run_cli("exec", spec, *preview, "--service", "web")
    assert idle.code == 2 and "no running task" in idle.err, idle.out + idle.err
    assert "moorage status --env pr-42 --preview-of staging --local" in " ".join(idle.err.split())

    # run: a task of the preview's web, in staging's cluster, with the preview's task definition
    ran = run_cli("run", spec, *preview, "--service", "web", "--", "echo", "hi")
    assert ran.code == 0, ran.err
    ecs = aws("ecs", "eu-west-1")
    tasks = ecs.describe_tasks(cluster="pl-staging", tasks=ecs.list_tasks(cluster="pl-staging")["taskArns"])["tasks"]
    [task] = [t for t in tasks if t.get("overrides", {}).get("containerOverrides", [{}])[0].get("command")
              == ["echo", "hi"]]
    assert task["taskDefinitionArn"].rsplit("/", 1)[-1].startswith("pl-pr-42-web:")
    # exec: finds a task of the preview's service
    started = run_cli("run", spec, *preview, "--service", "web", "--detach")
    assert started.code == 0, started.err
    assert "moorage logs --env pr-42 --preview-of staging --local --service web --follow" in " ".join(
        started.err.split())
    shell = run_cli("exec", spec, *preview, "--service", "web", "--task", started.out.strip())
    assert shell.code == 0 and f"task {started.out.strip()} found" in shell.out, shell.out + shell.err
    # without --preview-of, the hint says how to name a preview
    missing = run_cli("run", spec, "--env", "pr-42", "--local", "--service", "web", "--", "ls")
    assert missing.code == 2 and "if pr-42 is a preview, add --preview-of staging" in missing.err

    # secrets: a preview reads its base's app secrets; it lists them and refuses to change them there
    listed = run_cli("secrets", "list", spec, *preview, "--json")
    assert listed.code == 0 and '"secret_id": "pl/staging/API_KEY"' in listed.out and '"exists": true' in listed.out
    refused = run_cli("secrets", "rotate", spec, "API_KEY", *preview)
    assert refused.code == 2 and "would change staging's" in refused.err
    assert "moorage secrets rotate --env staging --local API_KEY" in " ".join(refused.err.split())
    monkeypatch.setattr("sys.stdin", io.StringIO("new-value\n"))
    refused = run_cli("secrets", "set", spec, "API_KEY", *preview)
    assert refused.code == 2 and "moorage secrets set --env staging --local API_KEY" in " ".join(refused.err.split())

    # a preview not deployed yet: logs, run and open say how to deploy it, as a preview (no bad usage: the
    # logs view shows nothing, exit 0; run and open cannot act, exit 1)
    for command, code in ((("logs", "--service", "web"), 0), (("run", "--service", "web", "--", "ls"), 1),
                          (("open", "--no-browser"), 1)):
        undeployed = run_cli(command[0], spec, "--env", "pr-77", "--preview-of", "staging", "--local", *command[1:])
        assert undeployed.code == code, (command, undeployed.out + undeployed.err)
        assert "moorage deploy --env pr-77 --preview-of staging --local" in " ".join(undeployed.err.split()), command

    # rollback: release 2 of the preview's web, then back to release 1's task definition
    two = run_cli("deploy", spec, *preview, "--image", "web=ghcr.io/acme/web:2.0.0")
    assert two.code == 0, two.err
    assert _web(aws)["taskDefinition"] != v1
    back = run_cli("rollback", spec, *preview, "--service", "web")
    assert back.code == 0, back.out + back.err
    now = ecs.describe_task_definition(taskDefinition=_web(aws)["taskDefinition"])["taskDefinition"]
    first = ecs.describe_task_definition(taskDefinition=v1)["taskDefinition"]
    assert now["containerDefinitions"] == first["containerDefinitions"]  # release 1's definition and image again
    assert now["containerDefinitions"][0]["image"] == "ghcr.io/acme/web:1.0.0"
    assert "rollback to 1" in run_cli("history", spec, *preview).out
    staging = [s for s in ecs.describe_services(cluster="pl-staging", services=ecs.list_services(
        cluster="pl-staging")["serviceArns"])["services"] if s["serviceName"].startswith("pl-staging-svc-web")]
    assert staging and "pl-staging-web:1" in staging[0]["taskDefinition"]  # staging's own service untouched


OWN = """\
name: od
region: eu-west-1
previews: {data: {databases: own, caches: shared, buckets: own}}
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health, uses: [db, cache, files]}
databases:
  db: {engine: postgres}
caches:
  cache: {}
buckets:
  files: {}
environments:
  staging: {}
"""


def test_a_preview_with_its_own_data_stores_and_their_destroy(local: str, run_cli: Run, aws: Aws,
                                                               tmp_path: Path) -> None:
    import json

    spec = tmp_path / "moorage.yml"
    spec.write_text(OWN, encoding="utf-8")
    assert run_cli("deploy", spec, "--env", "staging", "--local").code == 0
    rds, s3 = aws("rds", "eu-west-1"), aws("s3", "eu-west-1")
    cf = aws("cloudformation", "eu-west-1")
    base_buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    done = run_cli("deploy", spec, "--env", "pr-42", "--preview-of", "staging", "--local")
    assert done.code == 0, done.err
    stacks = {s["StackName"] for s in cf.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"}
    assert {n for n in stacks if n.startswith("od-pr-42-")} == {"od-pr-42-data", "od-pr-42-svc-web"}
    instances = {d["DBInstanceIdentifier"]: d for d in rds.describe_db_instances()["DBInstances"]}
    assert set(instances) == {"od-staging-db", "od-pr-42-db"}
    mine = instances["od-pr-42-db"]
    assert (mine["DBInstanceClass"], mine["MultiAZ"], mine["DeletionProtection"]) == ("db.t4g.micro", False, False)
    groups = aws("elasticache", "eu-west-1").describe_replication_groups()["ReplicationGroups"]
    assert [g["ReplicationGroupId"] for g in groups] == ["od-staging-cache"]  # caches: shared
    [own_bucket] = {b["Name"] for b in s3.list_buckets()["Buckets"]} - base_buckets
    # the task reads its own database and bucket, and staging's cache
    ecs = aws("ecs", "eu-west-1")
    [service] = [s for s in ecs.describe_services(cluster="od-staging", services=ecs.list_services(
        cluster="od-staging")["serviceArns"])["services"] if s["serviceName"].startswith("od-pr-42-svc-web")]
    container = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"][
        "containerDefinitions"][0]
    secrets = {s["name"]: s["valueFrom"] for s in container.get("secrets", [])}
    values = {e["name"]: e["value"] for e in container.get("environment", [])}
    said = json.dumps([secrets, values])
    assert "od/staging/preview-pr-42/db/db" in said and own_bucket in said and "od/staging/cache/cache" in said
    # envs prices the preview's own database
    listed = run_cli("envs", spec, "--local", "--json")
    rows = {r["name"]: r for r in json.loads(listed.out.strip().splitlines()[-1])}
    assert rows["pr-42"]["monthly_low"] > 10

    # destroy removes its stores for good (emptied, not snapshotted, not retained); staging's stay
    s3.put_object(Bucket=own_bucket, Key="upload.txt", Body=b"preview data")
    assert s3.list_objects_v2(Bucket=own_bucket)["KeyCount"] == 1
    gone = run_cli("destroy", spec, "--env", "pr-42", "--local", "--yes")
    assert gone.code == 0, gone.out + gone.err
    stacks = {s["StackName"] for s in cf.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"}
    assert not {n for n in stacks if n.startswith("od-pr-42-")}
    assert [d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]] == ["od-staging-db"]
    assert not [s for s in rds.describe_db_snapshots()["DBSnapshots"] if "pr-42" in s["DBSnapshotIdentifier"]]
    assert {b["Name"] for b in s3.list_buckets()["Buckets"]} == base_buckets
    assert "retained" not in gone.out and "kept" not in gone.out.lower()
    # gone already (the hourly `destroy --expired`, an earlier run): the CI's pull-request-closed job succeeds
    again = run_cli("destroy", spec, "--env", "pr-42", "--local", "--yes")
    assert again.code == 0, again.out + again.err
    assert "nothing to destroy: no preview pr-42 is deployed on local emulator" in " ".join(again.out.split())
    assert "--preview-of" not in again.out + again.err
    # a name no preview can have, or a near miss of an environment's, is still an error
    for name in ("PR_42", "stagin"):
        wrong = run_cli("destroy", spec, "--env", name, "--local", "--yes")
        assert wrong.code == 2 and f"no environment named '{name}'" in wrong.err, wrong.out + wrong.err


def test_own_database_from_the_bases_latest_snapshot(local: str, run_cli: Run, aws: Aws, tmp_path: Path) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(OWN.replace("caches: shared, buckets: own}", "caches: shared, from_snapshot: latest}"),
                    encoding="utf-8")
    assert run_cli("deploy", spec, "--env", "staging", "--local").code == 0
    cf, rds = aws("cloudformation", "eu-west-1"), aws("rds", "eu-west-1")
    # the emulator snapshots a new database at once; on AWS its first automated snapshot comes in the backup
    # window: start with none
    for snap in rds.describe_db_snapshots(DBInstanceIdentifier="od-staging-db")["DBSnapshots"]:
        rds.delete_db_snapshot(DBSnapshotIdentifier=snap["DBSnapshotIdentifier"])
    before = {s["StackName"] for s in cf.describe_stacks()["Stacks"]}
    # staging's database has no snapshot yet: refused before anything changes, with the command that takes one
    refused = run_cli("deploy", spec, "--env", "pr-42", "--preview-of", "staging", "--local")
    assert refused.code == 1
    said = " ".join(refused.err.split())
    assert "od-staging-db is NO SNAPSHOT" in said and "aws rds create-db-snapshot --db-instance-identifier " \
        "od-staging-db" in said and "moorage.yml:3" in said, said
    assert f"--db-snapshot-identifier od-staging-db-for-previews --region eu-west-1 --endpoint-url {local}" in said
    assert {s["StackName"] for s in cf.describe_stacks()["Stacks"]} == before
    for name in ("od-staging-db-older", "od-staging-db-newer"):
        rds.create_db_snapshot(DBInstanceIdentifier="od-staging-db", DBSnapshotIdentifier=name)
    # the spec moved to MySQL 8.0 before staging was redeployed: its postgres snapshots cannot start the database
    mysql = tmp_path / "mysql" / "moorage.yml"
    mysql.parent.mkdir()
    mysql.write_text(spec.read_text(encoding="utf-8").replace("{engine: postgres}", '{engine: mysql, version: "8.0"}'),
                     encoding="utf-8")
    other = run_cli("deploy", mysql, "--env", "pr-42", "--preview-of", "staging", "--local")
    said = " ".join(other.err.split())
    assert other.code == 1 and "od-staging-db is NO SNAPSHOT" in said and "none available of mysql 8.0 (2 of " \
        "postgres" in said, said
    assert {s["StackName"] for s in cf.describe_stacks()["Stacks"]} == before
    done = run_cli("deploy", spec, "--env", "pr-42", "--preview-of", "staging", "--local")
    assert done.code == 0, done.err

    def picked() -> str:
        [data] = cf.describe_stacks(StackName="od-pr-42-data")["Stacks"]
        return {p["ParameterKey"]: p["ParameterValue"] for p in data["Parameters"]}["DbDbSnapshot"]

    assert picked() == "od-staging-db-newer"
    assert "database db starts from snapshot od-staging-db-newer of staging's od-staging-db (postgres" \
        in " ".join(done.out.split()), done.out
    [restored] = rds.describe_db_instances(DBInstanceIdentifier="od-pr-42-db")["DBInstances"]
    assert (restored["DBInstanceClass"], restored["DeletionProtection"]) == ("db.t4g.micro", False)
    # a newer snapshot later does not replace the preview's database: it keeps the one it started from
    rds.create_db_snapshot(DBInstanceIdentifier="od-staging-db", DBSnapshotIdentifier="od-staging-db-newest")
    again = run_cli("deploy", spec, "--env", "pr-42", "--preview-of", "staging", "--local")
    assert again.code == 0 and "No changes" in again.out, again.out + again.err
    assert picked() == "od-staging-db-newer"
    assert run_cli("destroy", spec, "--env", "pr-42", "--local", "--yes").code == 0
    assert [d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]] == ["od-staging-db"]


def test_own_data_left_behind_by_a_switch_to_shared_is_shown_and_deleted(local: str, run_cli: Run, aws: Aws,
                                                                        tmp_path: Path) -> None:
    import json

    spec = tmp_path / "moorage.yml"
    spec.write_text(OWN.replace("{databases: own, caches: shared, buckets: own}", "{buckets: own}"), encoding="utf-8")
    assert run_cli("deploy", spec, "--env", "staging", "--local").code == 0
    first = run_cli("deploy", spec, "--env", "pr-42", "--preview-of", "staging", "--local")
    assert first.code == 0, first.err
    cf, s3 = aws("cloudformation", "eu-west-1"), aws("s3", "eu-west-1")

    def live() -> set[str]:
        return {s["StackName"] for s in cf.describe_stacks()["Stacks"]
                if s["StackStatus"] != "DELETE_COMPLETE" and s["StackName"].startswith("od-pr-42-")}

    assert live() == {"od-pr-42-data", "od-pr-42-svc-web"}
    [own_bucket] = [b["Name"] for b in s3.list_buckets()["Buckets"] if "pr-42" in b["Name"]]
    s3.put_object(Bucket=own_bucket, Key="upload.txt", Body=b"preview data")
    spec.write_text(OWN.replace("{databases: own, caches: shared, buckets: own}", "shared"), encoding="utf-8")
    # diff, status and envs see the data stack the plan no longer has
    diff = run_cli("diff", spec, "--env", "pr-42", "--preview-of", "staging", "--local")
    said = " ".join((diff.out + diff.err).split())
    assert diff.code == 0 and "od-pr-42-data: deployed, but no longer in preview pr-42's plan" in said \
        and "a deploy deletes it" in said, said
    shown = run_cli("status", spec, "--env", "pr-42", "--preview-of", "staging", "--local", "--json")
    body = json.loads(shown.out.strip().splitlines()[-1])
    assert "od-pr-42-data" in {s["name"] for s in body["stacks"]}, body
    assert any("od-pr-42-data" in p for p in body["problems"]), body
    rows = {r["name"]: r for r in json.loads(run_cli("envs", spec, "--local", "--json").out.strip().splitlines()[-1])}
    assert "od-pr-42-data" in rows["pr-42"]["status"] and rows["pr-42"]["unpriced"] >= 1, rows["pr-42"]
    # the deploy moves the services to staging's stores, then deletes the preview's own (its bucket emptied)
    done = run_cli("deploy", spec, "--env", "pr-42", "--preview-of", "staging", "--local")
    assert done.code == 0, done.out + done.err
    assert "removed od-pr-42-data" in " ".join(done.out.split()), done.out
    assert live() == {"od-pr-42-svc-web"}
    assert own_bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    again = run_cli("diff", spec, "--env", "pr-42", "--preview-of", "staging", "--local")
    assert "No changes" in again.out and "od-pr-42-data" not in again.out + again.err, again.out + again.err
