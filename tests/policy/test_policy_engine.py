"""The engine: suppressions, opt-in rules, profiles, cross-stack references, locations, robustness."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from moorage.api import template_sets
from moorage.cfn.index import Resource
from moorage.errors import InputError
from moorage.policy import all_rules, check_templates, checklist, get_rule, run_checks
from moorage.policy.registry import Issue
from moorage.policy.rules.ecs import image_problem

from .cases import (
    BUCKET,
    CACHE,
    DB,
    EDGE,
    KEY,
    LB,
    SERVICE,
    SERVICE_STACK,
    TASK,
    allow,
    edit,
    policy_role,
    res,
    rule_findings,
    run,
    sg,
    template_set,
)

PUBLIC = {"Bucket": edit(BUCKET, AccessControl="PublicRead")}


# ---------------------------------------------------------------------------- suppressions


def test_suppressed_finding_is_reported_with_its_reason_and_stops_failing() -> None:
    reason = "public marketing assets, reviewed by security in ticket SEC-12"
    report = run(PUBLIC, suppressions=[{"rule": "MOO-S3-002", "resource": "Bucket", "reason": reason}])
    [finding] = rule_findings(report, "MOO-S3-002")
    assert finding.suppressed and finding.reason == reason and finding.suppressed_by == "spec"
    assert finding not in report.failing("low")
    assert report.counts()["suppressed"] == 1
    assert not report.unused_suppressions


def test_suppression_globs_and_stack_qualified_resources() -> None:
    glob = {"rule": "MOO-S3-*", "resource": "main/Buck*", "reason": "a long enough reason"}
    report = run(PUBLIC, suppressions=[glob])
    assert rule_findings(report, "MOO-S3-002")[0].suppressed
    report = run(PUBLIC, suppressions=[{"rule": "MOO-S3-002", "resource": "Other", "reason": "a long enough reason"}])
    assert not rule_findings(report, "MOO-S3-002")[0].suppressed
    assert report.unused_suppressions == ["MOO-S3-002 on Other"]


def test_suppression_limited_to_environments() -> None:
    only_prod = [{"rule": "MOO-S3-002", "reason": "accepted in production only", "environments": ["prod"]}]
    assert not rule_findings(run(PUBLIC, suppressions=only_prod, label="dev"), "MOO-S3-002")[0].suppressed
    assert rule_findings(run(PUBLIC, suppressions=only_prod, label="prod"), "MOO-S3-002")[0].suppressed


@pytest.mark.parametrize(("entry", "needle"), [
    ({"rule": "MOO-S3-002", "reason": ""}, "needs a reason"),
    ({"rule": "MOO-S3-002", "reason": "ok"}, "needs a reason"),
    ({"rule": "MOO-S3-02", "reason": "a long enough reason"}, "did you mean MOO-S3-002"),
    ({"reason": "a long enough reason"}, "no rule given"),
])
def test_bad_suppressions_are_input_errors(entry: dict[str, str], needle: str) -> None:
    with pytest.raises(InputError) as info:
        run(PUBLIC, suppressions=[entry])
    assert needle in str(info.value)


def test_template_metadata_suppression() -> None:
    bucket = dict(edit(BUCKET, AccessControl="PublicRead"),
                  Metadata={"moorage": {"suppress": [{"rule": "MOO-S3-002", "reason": "static website, no data"}]}})
    [finding] = rule_findings(run({"Bucket": bucket}), "MOO-S3-002")
    assert finding.suppressed and finding.suppressed_by == "template" and finding.reason == "static website, no data"


def test_template_metadata_suppression_needs_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text("Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Metadata:\n      moorage:\n"
                    "        suppress:\n          - rule: MOO-S3-004\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        run_checks(template_sets([path]))
    [diag] = info.value.diagnostics
    assert "needs a reason" in diag.message and diag.location is not None
    assert diag.location.file == str(path) and diag.location.line == 4


# ---------------------------------------------------------------------------- which rules run


def test_opt_in_rules_only_run_when_required() -> None:
    plain = {"Logs": res("AWS::Logs::LogGroup", {"RetentionInDays": 180})}
    assert not rule_findings(run(plain), "MOO-LOG-003")
    assert rule_findings(run(plain, require=("cmk",)), "MOO-LOG-003")
    with pytest.raises(InputError, match="unknown requirement"):
        run(plain, require=("quantum",))


def test_production_rules_do_not_run_in_dev_and_bare_templates_count_as_prod() -> None:
    unprotected = {"Db": edit(DB, DeletionProtection=False)}
    assert not [e for e in run(unprotected, profile="dev").evaluations if e.rule == "MOO-RDS-004"]
    assert rule_findings(run(unprotected, profile="prod"), "MOO-RDS-004")
    assert rule_findings(run(unprotected, profile=None), "MOO-RDS-004")


def test_residency_rules_only_run_with_a_residency() -> None:
    report = run({"Bucket": BUCKET}, region="me-south-1")
    assert not [e for e in report.evaluations if e.rule in ("MOO-RES-001", "MOO-RES-002")]
    assert [e.status for e in report.evaluations if e.rule == "MOO-RES-005"] == ["pass"]


def test_rule_errors_are_reported_not_raised() -> None:
    def broken(_: Resource) -> list[Issue]:
        raise KeyError("surprise")

    rules = [dataclasses.replace(get_rule("MOO-S3-004"), check=broken)]
    report = run_checks([template_set({"Bucket": BUCKET})], rules=rules)
    [error] = report.errors
    assert error.rule == "MOO-S3-004" and "surprise" in error.detail


def test_odd_template_shapes_do_not_break_any_rule() -> None:
    odd: dict[str, Any] = {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"Fn::If": ["C", {}, {}]}},
        "Db": edit(DB, MultiAZ={"Fn::If": ["Prod", True, False]}, BackupRetentionPeriod={"Ref": "Days"},
                   StorageEncrypted={"Ref": "Encrypt"}),
        "Role": edit(policy_role(allow({"Ref": "Action"}, {"Fn::Split": [",", "a,b"]})),
                     AssumeRolePolicyDocument={"Fn::If": ["C", {}, {}]}),
        "Sg": edit(sg(), SecurityGroupIngress={"Ref": "Rules"}, SecurityGroupEgress=[{"Fn::If": ["C", {}, {}]}]),
        "Task": edit(TASK, ContainerDefinitions=[{"Fn::If": ["C", {}, {}]}, "junk"]),
        "Alarm": res("AWS::CloudWatch::Alarm", {"Dimensions": {"Ref": "Dims"}, "AlarmActions": {"Ref": "A"}}),
        "Nothing": {"Type": "AWS::S3::Bucket"},
        "Broken": "not a resource",
    }
    report = run(odd, require=("cmk",), residency=("eu-west-1",))
    assert not report.errors, report.errors
    db_findings = {f.rule: f.message for f in report.findings if f.resource == "Db"}
    assert not {"MOO-RDS-001", "MOO-RDS-005"} & set(db_findings)  # values set by parameters without defaults
    # A value under Fn::If is judged on each branch: MultiAZ is false when Prod is false.
    assert db_findings["MOO-RDS-006"].endswith("(when condition Prod is false)")


def test_check_templates_convenience() -> None:
    findings = check_templates({"app": {"Resources": PUBLIC}}, region="eu-west-1")
    assert any(f.rule == "MOO-S3-002" and f.stack == "app" for f in findings)


# ---------------------------------------------------------------------------- cross-stack references


def _split_edge(param: dict[str, object], output_name: str = "SgAlb",
                export: str | None = None) -> dict[str, dict[str, Any]]:
    network: dict[str, Any] = {"Resources": {"SgAlb": sg((443, "0.0.0.0/0"))},
               "Outputs": {output_name: {"Value": {"Ref": "SgAlb"},
                                         **({"Export": {"Name": export}} if export else {})}}}
    lb = edit(LB, SecurityGroups=[param])
    described = {"Type": "String", "Description": "from stack network: output SgAlb"}
    edge: dict[str, Any] = {"Parameters": {"AlbGroup": described, "SgAlb": {"Type": "String"}},
                            "Resources": {"LoadBalancer": lb}}
    return {"network": network, "edge": edge}


@pytest.mark.parametrize("param", [
    {"Ref": "AlbGroup"},  # moorage's parameter description names the stack and output
    {"Ref": "SgAlb"},  # a unique output with the parameter's name
    {"Fn::ImportValue": "app-alb-sg"},  # an export
])
def test_references_across_stacks_are_followed(param: dict[str, object]) -> None:
    from moorage.cfn.sets import TemplateSet
    from moorage.policy import run_checks as check

    tset = TemplateSet("prod", "eu-west-1", _split_edge(param, export="app-alb-sg"), [], "prod")
    assert not rule_findings(check([tset]), "MOO-NET-003")
    lone = TemplateSet("prod", "eu-west-1", {"network": _split_edge(param)["network"]}, [], "prod")
    assert rule_findings(check([lone]), "MOO-NET-003")


# ---------------------------------------------------------------------------- specific behaviours


def test_load_balancer_log_buckets_are_exempt_from_kms_and_access_logging() -> None:
    logs = edit(BUCKET, BucketEncryption={"ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}, drop=("LoggingConfiguration",))
    lb = edit(LB, LoadBalancerAttributes=[{"Key": "access_logs.s3.bucket", "Value": {"Ref": "Logs"}}])
    report = run({**EDGE, "LoadBalancer": lb, "Logs": logs}, require=("cmk",))
    assert not [f for f in report.findings if f.resource == "Logs" and f.rule in ("MOO-S3-006", "MOO-S3-010")]


@pytest.mark.parametrize(("engine", "version", "parameters", "fails"), [
    ("postgres", "14.12", None, True),
    ("postgres", "16.4", None, False),  # RDS for PostgreSQL 15+ forces TLS by default
    ("postgres", "16.4", {"rds.force_ssl": "0"}, True),
    ("mysql", "8.0.40", {"require_secure_transport": "OFF"}, True),
    ("mariadb", "10.11.9", {"require_secure_transport": "1"}, False),
])
def test_rds_tls_per_engine(engine: str, version: str, parameters: dict[str, str] | None, fails: bool) -> None:
    db = edit(DB, Engine=engine, EngineVersion=version)
    stack = {"Db": db}
    if parameters is not None:
        stack["Params"] = res("AWS::RDS::DBParameterGroup", {"Family": "x", "Description": "x",
                                                             "Parameters": parameters})
        db["Properties"]["DBParameterGroupName"] = {"Ref": "Params"}
    assert bool(rule_findings(run(stack), "MOO-RDS-003")) is fails


def _aurora(instances: int, parameters: dict[str, str] | None = None) -> dict[str, dict[str, object]]:
    cluster = res("AWS::RDS::DBCluster", {
        "Engine": "aurora-postgresql", "EngineVersion": "16.4", "StorageEncrypted": True, "DeletionProtection": True,
        "BackupRetentionPeriod": 30, "DBClusterIdentifier": "app-db", "EnableCloudwatchLogsExports": ["postgresql"],
        "MasterUsername": "app", "MasterUserPassword": "{{resolve:secretsmanager:db:SecretString:password}}",
        **({"DBClusterParameterGroupName": {"Ref": "Params"}} if parameters else {})},
        DeletionPolicy="Snapshot", UpdateReplacePolicy="Snapshot")
    stack: dict[str, dict[str, object]] = {"Cluster": cluster}
    if parameters:
        stack["Params"] = res("AWS::RDS::DBClusterParameterGroup", {"Family": "aurora-postgresql16",
                                                                    "Description": "x", "Parameters": parameters})
    for i in range(instances):
        stack[f"Instance{i}"] = res("AWS::RDS::DBInstance", {"DBClusterIdentifier": {"Ref": "Cluster"},
                                                             "Engine": "aurora-postgresql",
                                                             "DBInstanceClass": "db.r6g.large"})
    return stack


def test_aurora_cluster_rules() -> None:
    one = run(_aurora(1))
    assert [f.resource for f in rule_findings(one, "MOO-RDS-006")] == ["Cluster"]
    assert [f.resource for f in rule_findings(one, "MOO-RDS-003")] == ["Cluster"]  # Aurora does not force TLS
    two = run(_aurora(2, {"rds.force_ssl": "1"}))
    assert not rule_findings(two, "MOO-RDS-006") and not rule_findings(two, "MOO-RDS-003")
    # cluster members are judged through their cluster, not one by one
    assert not [f for f in two.findings if f.resource.startswith("Instance") and f.rule in
                ("MOO-RDS-001", "MOO-RDS-004", "MOO-RDS-005", "MOO-RDS-007")]


def test_database_kept_on_replace_needs_update_replace_policy() -> None:
    db = dict(DB)
    db.pop("UpdateReplacePolicy")
    [finding] = rule_findings(run({"Db": db}), "MOO-RDS-007")
    assert "UpdateReplacePolicy" in finding.message


def test_secret_properties_from_parameters() -> None:
    params = {"Pw": {"Type": "String", "NoEcho": True}, "Plain": {"Type": "String"}}
    ok = {"main": {"Parameters": params, "Resources": {"Db": edit(DB, MasterUserPassword={"Ref": "Pw"})}}}
    bad = {"main": {"Parameters": params, "Resources": {"Db": edit(DB, MasterUserPassword={"Ref": "Plain"})}}}
    from moorage.cfn.sets import TemplateSet

    assert not rule_findings(run_checks([TemplateSet("t", "eu-west-1", ok, [], "prod")]), "MOO-SEC-002")
    [finding] = rule_findings(run_checks([TemplateSet("t", "eu-west-1", bad, [], "prod")]), "MOO-SEC-002")
    assert "not NoEcho" in finding.message


def test_dynamic_reference_in_environment_is_plain_text() -> None:
    task = edit(TASK, ContainerDefinitions=[{**TASK["Properties"]["ContainerDefinitions"][0], "Environment": [
        {"Name": "DATABASE_URL", "Value": "{{resolve:secretsmanager:db:SecretString:url}}"}]}])
    [finding] = rule_findings(run({"TaskDefinition": task}), "MOO-SEC-001")
    assert "DATABASE_URL" in finding.message


@pytest.mark.parametrize(("image", "pinned"), [
    ("ghcr.io/acme/web:1.4.2", True), ("nginx@sha256:" + "0" * 64, True), ("localhost:5000/web:2", True),
    ("nginx", False), ("nginx:latest", False), ("localhost:5000/web", False), ("public.ecr.aws/x/y:latest", False),
])
def test_image_pinning(image: str, pinned: bool) -> None:
    assert (image_problem(image) is None) is pinned


def test_scheduled_task_public_ip_and_scaling_minimum() -> None:
    rule = res("AWS::Events::Rule", {"ScheduleExpression": "rate(1 day)", "Targets": [{
        "Id": "job", "Arn": "arn:aws:ecs:eu-west-1:1:cluster/app", "EcsParameters": {
            "TaskDefinitionArn": "arn:x", "NetworkConfiguration": {"AwsVpcConfiguration": {
                "AssignPublicIp": "ENABLED", "Subnets": ["subnet-1"]}}}}]})
    assert [f.resource for f in rule_findings(run({"Schedule": rule}), "MOO-ECS-004")] == ["Schedule"]
    scaling = res("AWS::ApplicationAutoScaling::ScalableTarget", {
        "MinCapacity": 1, "MaxCapacity": 4, "ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount",
        "ResourceId": {"Fn::Join": ["/", ["service", "app", {"Fn::GetAtt": ["Service", "Name"]}]]}})
    [finding] = rule_findings(run({**SERVICE_STACK, "Scaling": scaling}), "MOO-ECS-011")
    assert "autoscaling allows 1" in finding.message


def test_iam_rules_read_standalone_policies() -> None:
    policy = res("AWS::IAM::ManagedPolicy", {"PolicyDocument": {"Statement": [allow("*", "*")]}})
    assert rule_findings(run({"Policy": policy}), "MOO-IAM-001")


def test_all_traffic_from_the_internet_is_critical_and_high() -> None:
    group = edit(sg(), SecurityGroupIngress=[{"IpProtocol": "-1", "CidrIpv6": "::/0", "Description": "all"}])
    report = run({"Sg": group})
    assert rule_findings(report, "MOO-NET-001") and rule_findings(report, "MOO-NET-002")


def test_caches_and_keys_outside_cmk_rules_pass_by_default() -> None:
    report = run({"Cache": edit(CACHE, drop=("KmsKeyId",)), "Key": KEY})
    assert not [f for f in report.findings if f.rule in ("MOO-EC-006",)]


# ---------------------------------------------------------------------------- locations and checklist


def test_findings_in_template_files_carry_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\n"
        "Resources:\n"
        "  Db:\n"
        "    Type: AWS::RDS::DBInstance\n"
        "    Properties:\n"
        "      Engine: postgres\n"
        "      DBInstanceClass: db.t4g.micro\n"
        "      PubliclyAccessible: true\n"
        "      MasterUserPassword: !Sub '{{resolve:secretsmanager:${AWS::StackName}:SecretString:pw}}'\n",
        encoding="utf-8")
    report = run_checks(template_sets([path]))
    [public] = rule_findings(report, "MOO-RDS-002")
    assert public.file == str(path) and public.line == 8
    [encrypted] = rule_findings(report, "MOO-RDS-001")
    assert encrypted.line == 5  # the Properties block: the property is missing


def test_checklist_ticks_from_results() -> None:
    sets = [template_set({**EDGE, "Bucket": BUCKET}, residency=("eu-west-1",))]
    report = run_checks(sets)
    items = {i.id: i for i in checklist(report, sets)}
    assert items["waf"].status == "pass" and items["waf"].ticked
    assert items["encryption-in-transit"].status == "fail"  # the bucket has no TLS-only policy
    assert "MOO-S3-005" in items["encryption-in-transit"].failing
    assert items["account"].status == "manual" and "CloudTrail" in items["account"].note
    assert items["residency"].status == "pass"
    assert {i.id for i in checklist(report)} == {r.checklist for r in all_rules()}
    trail = res("AWS::CloudTrail::Trail", {"IsLogging": True, "S3BucketName": "trail"})
    no_residency = [template_set({"Trail": trail})]
    items = {i.id: i for i in checklist(run_checks(no_residency), no_residency)}
    assert items["residency"].status == "not-applicable"
    assert items["account"].status == "manual" and "CloudTrail" not in items["account"].note


def test_a_deliberate_singleton_is_not_asked_for_a_second_task() -> None:
    single = {"DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}, "MaximumPercent": 100,
              "MinimumHealthyPercent": 0}
    stack = {**SERVICE_STACK, "Service": edit(SERVICE, DesiredCount=1, DeploymentConfiguration=single)}
    assert not rule_findings(run(stack), "MOO-ECS-011")
    # one task that may run beside its replacement during a rollout is still one point of failure
    rolling = {**SERVICE_STACK, "Service": edit(SERVICE, DesiredCount=1)}
    assert rule_findings(run(rolling), "MOO-ECS-011")
