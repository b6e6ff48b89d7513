"""End to end on the emulator: deploy from nothing, verify through boto3 describe_* calls, redeploy,
update one service, refuse a data-losing replacement, fail and roll back, repair, destroy."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from moorage import api
from moorage.deploy.destroy import destroy
from moorage.deploy.progress import QuietReporter
from moorage.deploy.run import DeployRefused, DeployResult
from moorage.deploy.session import Target
from moorage.deploy.status import environment_status
from moorage.render import Synth

Run = Callable[..., tuple[DeployResult, QuietReporter]]
Aws = Callable[[str, str], Any]


def stack_statuses(aws: Aws, synth: Synth) -> dict[str, str]:
    out = {}
    for stack in synth.manifest["stacks"]:
        found = aws("cloudformation", stack["region"]).describe_stacks(StackName=stack["name"])["Stacks"]
        out[stack["key"]] = found[0]["StackStatus"]
    return out


def outputs(aws: Aws, synth: Synth, key: str) -> dict[str, str]:
    stack = next(s for s in synth.manifest["stacks"] if s["key"] == key)
    found = aws("cloudformation", stack["region"]).describe_stacks(StackName=stack["name"])["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}


def test_hello_dev_from_nothing_routes_and_services(cases: Any, run_deploy: Run, aws: Aws) -> None:
    synth = cases.get("examples/hello/moorage.yml", "dev").synth
    result, reporter = run_deploy(synth)
    assert result.ok, result.to_json()
    assert set(stack_statuses(aws, synth).values()) == {"CREATE_COMPLETE"}
    assert all(o.action == "create" and not o.not_emulated for o in result.outcomes.values())
    region = synth.manifest["region"]
    elb, ecs = aws("elbv2", region), aws("ecs", region)
    listener = outputs(aws, synth, "edge")["ListenerArn"]
    rules = [r for r in elb.describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"]]
    web_tg = outputs(aws, synth, "svc-web")["TargetGroupArn"]
    assert [(r["Conditions"][0]["PathPatternConfig"]["Values"], r["Actions"][0]["TargetGroupArn"]) for r in rules] \
        == [(["/*"], web_tg)]
    cluster = outputs(aws, synth, "platform")["ClusterName"]
    name = outputs(aws, synth, "svc-web")["ServiceName"]
    [service] = ecs.describe_services(cluster=cluster, services=[name])["services"]
    assert service["taskDefinition"] == outputs(aws, synth, "svc-web")["TaskDefinitionArn"]
    assert [lb["targetGroupArn"] for lb in service["loadBalancers"]] == [web_tg]
    assert service["launchType"] == "FARGATE"
    task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    assert task["containerDefinitions"][0]["image"] == "public.ecr.aws/nginx/nginx:1.27.3"
    assert task["networkMode"] == "awsvpc" and task["cpu"] and task["executionRoleArn"]
    assert any(e.status == "CREATE_COMPLETE" and e.logical_id == "Service" for _, e in reporter.events)
    # Tags: every stack carries app, environment and moorage version.
    tags = {t["Key"]: t["Value"] for t in aws("cloudformation", region).describe_stacks(
        StackName="hello-dev-network")["Stacks"][0]["Tags"]}
    assert {"moorage:app": "hello", "moorage:environment": "dev"}.items() <= tags.items()
    assert "moorage:version" in tags
    # Redeploy with no change: nothing executed, said in one line.
    events_before = {k: len(aws("cloudformation", region).describe_stack_events(StackName=s["name"])["StackEvents"])
                     for k, s in ((s["key"], s) for s in synth.manifest["stacks"])}
    again, _ = run_deploy(synth)
    assert again.unchanged and again.ok
    events_after = {s["key"]: len(aws("cloudformation", region).describe_stack_events(StackName=s["name"])[
        "StackEvents"]) for s in synth.manifest["stacks"]}
    assert events_after == events_before
    status = environment_status(Target(local=True, endpoint=aws("s3", region).meta.endpoint_url), synth.manifest)
    assert status.url and status.url.startswith("http://") and [s.name for s in status.services] == ["web"]
    assert [s.ecs_service for s in status.services] == [name]


def test_maestro_dev_database_secrets_and_service_update(cases: Any, run_deploy: Run, aws: Aws,
                                                         target: Target) -> None:
    loaded = cases.loaded("examples/maestro/moorage.yml")
    synth = api.synth_environment(loaded, "dev")
    result, _ = run_deploy(synth)
    assert result.ok, result.to_json()
    assert set(stack_statuses(aws, synth).values()) == {"CREATE_COMPLETE"}
    region = synth.manifest["region"]
    rds, ec2, sm, ecs = aws("rds", region), aws("ec2", region), aws("secretsmanager", region), aws("ecs", region)
    network = outputs(aws, synth, "network")
    [db] = rds.describe_db_instances(DBInstanceIdentifier="maestro-dev-db")["DBInstances"]
    assert db["PubliclyAccessible"] is False and db["StorageEncrypted"] is True
    db_subnets = {s["SubnetIdentifier"] for s in db["DBSubnetGroup"]["Subnets"]}
    assert db_subnets == set(network["IsolatedSubnets"].split(","))
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [network["SgDbDb"]]
    # Isolated: no route of those subnets' tables leads to an internet or NAT gateway.
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": sorted(db_subnets)}])
    for table in tables["RouteTables"]:
        for route in table["Routes"]:
            assert not route.get("GatewayId", "local").startswith("igw-") and "NatGatewayId" not in route
    # Secrets exist, and the task definition references them by ARN.
    task_arn = outputs(aws, synth, "svc-web")["TaskDefinitionArn"]
    container = ecs.describe_task_definition(taskDefinition=task_arn)["taskDefinition"]["containerDefinitions"][0]
    refs = {s["name"]: s["valueFrom"] for s in container["secrets"]}
    assert {"DATABASE_URL", "ENCRYPTION_KEY", "REDIS_URL"} <= set(refs)
    for arn in refs.values():
        assert arn.startswith(f"arn:aws:secretsmanager:{region}:")
        assert sm.describe_secret(SecretId=arn)["ARN"] == arn
    url = sm.get_secret_value(SecretId=refs["DATABASE_URL"])["SecretString"]
    assert url.startswith("postgresql://maestro_admin:") and db["Endpoint"]["Address"] in url
    # An image tag change updates only that service's stack, and the service runs the new image.
    changed = copy.deepcopy(synth)
    containers = changed.templates["svc-web"]["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    containers[0]["Image"] = "ghcr.io/maestro/web:2.3.2"
    update, _ = run_deploy(changed)
    assert update.ok, update.to_json()
    assert {k: o.action for k, o in update.outcomes.items() if o.action != "unchanged"} == {"svc-web": "update"}
    name = outputs(aws, synth, "svc-web")["ServiceName"]
    [svc] = ecs.describe_services(cluster="maestro-dev", services=[name])["services"]
    image = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"][
        "containerDefinitions"][0]["image"]
    assert image == "ghcr.io/maestro/web:2.3.2"
    # A replacement that keeps the database's fixed name is one CloudFormation cannot make: refused whatever
    # the flags, and the emulator's engine fails it as CloudFormation does.
    replace = copy.deepcopy(synth)
    props = replace.templates["data"]["Resources"]["DbDb"]["Properties"]
    props["DBName"] = "maestro2"
    with pytest.raises(DeployRefused) as refused:
        run_deploy(replace, allow_replace={"db"})
    assert "custom-named" in str(refused.value) and "rerun with --allow-replace" not in str(refused.value)
    # A replacement under a new name is refused before anything changes ...
    props["DBInstanceIdentifier"] = "maestro-dev-db2"
    with pytest.raises(DeployRefused) as refused:
        run_deploy(replace)
    assert "DbDb" in str(refused.value) and "--allow-replace db" in str(refused.value)  # the spec name
    assert rds.describe_db_instances(DBInstanceIdentifier="maestro-dev-db")["DBInstances"][0]["DBName"] == "maestro"
    # ... and goes through with --allow-replace: the new one is created, the old one deleted.
    allowed, _ = run_deploy(replace, allow_replace={"db"})
    assert allowed.ok and allowed.outcomes["data"].action == "update", allowed.to_json()
    assert rds.describe_db_instances(DBInstanceIdentifier="maestro-dev-db2")["DBInstances"][0]["DBName"] == "maestro2"
    names = {d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]}
    assert "maestro-dev-db" not in names


def test_failing_update_rolls_back_and_names_the_resource(cases: Any, run_deploy: Run, aws: Aws) -> None:
    synth = cases.get("examples/hello/moorage.yml", "dev").synth
    assert run_deploy(synth)[0].ok
    region = synth.manifest["region"]
    ec2 = aws("ec2", region)
    vpc = outputs(aws, synth, "network")["VpcId"]
    before = sorted(s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "Subnets"])
    broken = copy.deepcopy(synth)
    resources = broken.templates["network"]["Resources"]
    resources["ExtraSubnet"] = {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"},
                                                                          "CidrBlock": "10.200.0.0/24"}}
    resources["ExtraLogs"] = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/moorage/extra"}}
    result, reporter = run_deploy(broken)
    assert not result.ok
    failed = result.outcomes["network"]
    assert failed.action == "failed" and failed.status == "UPDATE_ROLLBACK_COMPLETE"
    assert failed.failure is not None and failed.failure.logical_id == "ExtraSubnet"
    assert "10.200.0.0/24" in failed.failure.reason or "invalid" in failed.failure.reason.lower()
    assert all(o.action in ("unchanged", "skipped") for k, o in result.outcomes.items() if k != "network")
    after = sorted(s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "Subnets"])
    assert after == before
    groups = aws("logs", region).describe_log_groups(logGroupNamePrefix="/moorage/extra")["logGroups"]
    assert groups == []  # created before the failure, removed by the rollback
    assert run_deploy(synth)[0].unchanged  # the previous version is intact


def test_failed_create_is_detected_and_repaired(cases: Any, run_deploy: Run, aws: Aws) -> None:
    synth = copy.deepcopy(cases.get("examples/hello/moorage.yml", "dev").synth)
    synth.templates["platform"]["Resources"]["Broken"] = {
        "Type": "AWS::ECS::Service", "Properties": {"Cluster": "no-such-cluster", "TaskDefinition": "nope:1",
                                                    "ServiceName": "broken"}}
    result, _ = run_deploy(synth)
    assert result.outcomes["platform"].status == "ROLLBACK_COMPLETE"
    assert result.outcomes["platform"].failure is not None
    assert result.outcomes["platform"].failure.logical_id == "Broken"
    assert result.outcomes["svc-web"].action == "skipped"
    fixed = cases.get("examples/hello/moorage.yml", "dev").synth
    with pytest.raises(DeployRefused) as refused:
        run_deploy(fixed)
    assert refused.value.problems[0].fix == "delete" and "ROLLBACK_COMPLETE" in str(refused.value)
    repaired, _ = run_deploy(fixed, repair=True)
    assert repaired.ok and set(stack_statuses(aws, fixed).values()) == {"CREATE_COMPLETE"}


def test_destroy_dev_removes_everything(cases: Any, run_deploy: Run, aws: Aws, target: Target) -> None:
    synth = api.synth_environment(cases.loaded("examples/maestro/moorage.yml"), "dev")
    assert run_deploy(synth)[0].ok
    region = synth.manifest["region"]
    result = destroy(target, synth.manifest, QuietReporter(), poll=0.05)
    assert result.ok and len(result.deleted) == len(synth.manifest["stacks"])
    assert {k.resource_type for k in result.kept} <= {"AWS::KMS::Key"}  # keys are retained, even in dev
    assert aws("rds", region).describe_db_instances()["DBInstances"] == []
    assert aws("elbv2", region).describe_load_balancers()["LoadBalancers"] == []
    assert aws("elbv2", region).describe_target_groups()["TargetGroups"] == []
    assert aws("secretsmanager", region).list_secrets()["SecretList"] == []
    assert aws("elasticache", region).describe_replication_groups()["ReplicationGroups"] == []
    clusters = aws("ecs", region).describe_clusters(clusters=["maestro-dev"])["clusters"]
    assert all(c["status"] == "INACTIVE" for c in clusters)
    assert [v for v in aws("ec2", region).describe_vpcs()["Vpcs"] if not v.get("IsDefault")] == []
    # The account's artifacts bucket (templates, deploy locks) is moorage's, not the environment's: it stays.
    assert [b for b in aws("s3", region).list_buckets()["Buckets"] if not b["Name"].startswith("moorage-artifacts-")] \
        == []
    assert aws("logs", region).describe_log_groups(logGroupNamePrefix="/moorage/")["logGroups"] == []
    assert aws("cloudformation", region).describe_stacks()["Stacks"] == []


def test_prod_destroy_keeps_what_deletion_policy_keeps(cases: Any, run_deploy: Run, aws: Aws,
                                                       target: Target) -> None:
    synth = cases.get("examples/hello/moorage.yml", "prod").synth
    result, _ = run_deploy(synth)
    assert result.ok, result.to_json()
    assert all(not o.not_emulated for o in result.outcomes.values())
    region = synth.manifest["region"]
    gone = destroy(target, synth.manifest, QuietReporter(), poll=0.05)
    assert gone.ok
    kept = {(k.logical_id, k.policy) for k in gone.kept}
    assert ("AccessLogBucket", "Retain") in kept
    buckets = [b["Name"] for b in aws("s3", region).list_buckets()["Buckets"]]
    assert [k.physical_id for k in gone.kept if k.logical_id == "AccessLogBucket"][0] in buckets


def test_update_rollback_failed_is_repaired_with_continue_update_rollback(cases: Any, run_deploy: Run,
                                                                          aws: Aws, fresh: str) -> None:
    """The emulator reaches UPDATE_ROLLBACK_FAILED only by force: set it in its backend, then repair."""
    from moto.cloudformation.models import cloudformation_backends

    synth = cases.get("examples/hello/moorage.yml", "dev").synth
    assert run_deploy(synth)[0].ok
    region = synth.manifest["region"]
    stack = cloudformation_backends["123456789012"][region].get_stack("hello-dev-platform")
    stack.status = "UPDATE_ROLLBACK_FAILED"
    with pytest.raises(DeployRefused) as refused:
        run_deploy(synth)
    assert refused.value.problems[0].fix == "continue-rollback"
    repaired, _ = run_deploy(synth, repair=True)
    assert repaired.ok and repaired.unchanged
    status = aws("cloudformation", region).describe_stacks(StackName="hello-dev-platform")["Stacks"][0]["StackStatus"]
    assert status == "UPDATE_ROLLBACK_COMPLETE"
