"""Data residency: presets by jurisdiction, data outside the allowed regions, copies sent elsewhere."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from moorage import api
from moorage.api import template_sets
from moorage.cfn.sets import TemplateSet
from moorage.errors import Diagnostic, InputError
from moorage.policy import Report, allowed_regions, run_checks
from moorage.render import write_synth

from .cases import res, rule_findings

REPO = Path(__file__).resolve().parents[2]
MAESTRO = REPO / "examples" / "maestro" / "moorage.yml"


def test_presets_follow_the_country_of_each_region() -> None:
    assert allowed_regions("uae") == ["me-central-1"]  # me-south-1 is Bahrain, not the UAE
    assert allowed_regions("gcc") == ["me-central-1", "me-south-1"]
    eu = allowed_regions("eu")
    assert "eu-west-1" in eu and "eu-central-1" in eu
    assert "eu-west-2" not in eu and "eu-central-2" not in eu  # London and Zurich are outside the EU
    assert allowed_regions("me-central-1, eu-west-1") == ["eu-west-1", "me-central-1"]
    assert allowed_regions(["eu-west-1"]) == ["eu-west-1"]
    with pytest.raises(InputError, match="unknown residency"):
        allowed_regions("atlantis")


@pytest.fixture(scope="module")
def maestro_prod() -> TemplateSet:
    [tset] = template_sets([MAESTRO], envs=["prod"])
    return tset


def _check(tset: TemplateSet) -> Report:
    report = run_checks([tset])
    assert not report.errors
    return report


def test_allowed_configuration_passes(maestro_prod: TemplateSet) -> None:
    assert maestro_prod.residency == ["me-central-1"] and maestro_prod.region == "me-central-1"
    report = _check(maestro_prod)
    assert not [f for f in report.findings if f.rule.startswith("MOO-RES-")]
    stored = [e for e in report.evaluations if e.rule == "MOO-RES-001"]
    # the load balancer logs into the environment's one log bucket, in the data stack (prod)
    assert {e.resource for e in stored} >= {"DbDb", "BucketDocuments", "CacheSessions", "BucketServerLogs"}
    assert all(e.status == "pass" for e in stored)
    # the budget stack deploys to us-east-1 (Budgets is not offered in me-central-1): control data, not app data
    assert maestro_prod.regions == {"budget": "us-east-1"}
    assert not [e for e in stored if e.stack == "budget"]
    assert all(e.status == "pass" for e in report.evaluations if e.rule == "MOO-RES-005")


def test_uae_spec_in_bahrain_is_rejected_when_loaded(input_errors: Callable[..., tuple[Path, list[Diagnostic]]],
                                                    ) -> None:
    text = MAESTRO.read_text(encoding="utf-8").replace("region: me-central-1", "region: me-south-1")
    _, diags = input_errors(text, env="prod")  # checked when an environment is resolved
    assert any("me-south-1 is outside the residency" in d.message for d in diags)


def test_uae_templates_in_bahrain_fail_and_name_every_data_resource(maestro_prod: TemplateSet) -> None:
    text = MAESTRO.read_text(encoding="utf-8")
    assert "region: me-central-1" in text
    bahrain = copy.deepcopy(maestro_prod)
    bahrain.region = "me-south-1"
    report = _check(bahrain)
    named = {f.resource for f in rule_findings(report, "MOO-RES-001")}
    assert {"DbDb", "BucketDocuments", "CacheSessions", "DbDbSecret", "FlowLogGroup"} <= named
    assert all("me-south-1 (Middle East (Bahrain), BH)" in f.message for f in rule_findings(report, "MOO-RES-001"))
    assert all(f.severity == "critical" for f in rule_findings(report, "MOO-RES-001"))


def test_backup_copy_to_an_eu_region_fails_naming_the_database(maestro_prod: TemplateSet) -> None:
    tset = copy.deepcopy(maestro_prod)
    tset.templates["data"]["Resources"]["DbDb"]["Properties"]["AutomaticBackupReplicationRegion"] = "eu-central-1"
    [finding] = rule_findings(_check(tset), "MOO-RES-002")
    assert finding.resource == "DbDb" and finding.stack == "data"
    assert "automated backup copy in eu-central-1" in finding.message


def test_replication_to_a_bucket_in_an_eu_stack_fails_naming_the_bucket(maestro_prod: TemplateSet) -> None:
    tset = copy.deepcopy(maestro_prod)
    tset.templates["replica"] = {"Resources": {"Replica": res("AWS::S3::Bucket", {})},
                                 "Outputs": {"ReplicaArn": {"Value": {"Fn::GetAtt": ["Replica", "Arn"]}}}}
    tset.regions["replica"] = "eu-west-1"
    data = tset.templates["data"]
    data["Parameters"]["ReplicaArn"] = {"Type": "String", "Description": "from stack replica: output ReplicaArn"}
    data["Resources"]["BucketDocuments"]["Properties"]["ReplicationConfiguration"] = {
        "Role": "arn:aws:iam::111122223333:role/replication",
        "Rules": [{"Status": "Enabled", "Destination": {"Bucket": {"Ref": "ReplicaArn"}}}]}
    report = _check(tset)
    [copied] = rule_findings(report, "MOO-RES-002")
    assert copied.resource == "BucketDocuments"
    assert "eu-west-1" in copied.message and "replica/Replica" in copied.message
    assert [f.resource for f in rule_findings(report, "MOO-RES-001")] == ["Replica"]


def test_backup_plan_copy_to_an_eu_vault_fails(maestro_prod: TemplateSet) -> None:
    tset = copy.deepcopy(maestro_prod)
    tset.templates["data"]["Resources"]["BackupPlan"] = res("AWS::Backup::BackupPlan", {"BackupPlan": {
        "BackupPlanName": "daily", "BackupPlanRule": [{
            "RuleName": "daily", "TargetBackupVault": "local", "CopyActions": [
                {"DestinationBackupVaultArn": "arn:aws:backup:eu-west-1:111122223333:backup-vault:dr"}]}]}})
    [finding] = rule_findings(_check(tset), "MOO-RES-002")
    assert finding.resource == "BackupPlan" and "backup copy in eu-west-1" in finding.message


def test_copies_inside_the_residency_pass() -> None:
    db = res("AWS::RDS::DBInstance", {"Engine": "postgres", "DBInstanceClass": "db.t4g.micro",
                                      "AutomaticBackupReplicationRegion": "me-south-1"})
    secret = res("AWS::SecretsManager::Secret", {"ReplicaRegions": [{"Region": "me-south-1"}]})
    tset = TemplateSet("prod", "me-central-1", {"data": {"Resources": {"Db": db, "Secret": secret}}},
                       ["me-central-1", "me-south-1"], "prod")
    report = _check(tset)
    assert not [f for f in report.findings if f.rule.startswith("MOO-RES")]
    passed = {e.resource for e in report.evaluations if e.rule == "MOO-RES-002" and e.status == "pass"}
    assert passed == {"Db", "Secret"}


def test_other_copy_destinations_are_read() -> None:
    resources = {
        "Secret": res("AWS::SecretsManager::Secret", {"ReplicaRegions": [{"Region": "us-east-1"}]}),
        "Files": res("AWS::EFS::FileSystem", {"Encrypted": True, "ReplicationConfiguration": {
            "Destinations": [{"Region": "eu-west-1"}]}}),
        "Images": res("AWS::ECR::ReplicationConfiguration", {"ReplicationConfiguration": {"Rules": [
            {"Destinations": [{"Region": "us-west-2", "RegistryId": "111122223333"}]}]}}),
        "Table": res("AWS::DynamoDB::GlobalTable", {"Replicas": [{"Region": "me-central-1"},
                                                                 {"Region": "ap-south-1"}]}),
        "Logs": res("AWS::Logs::SubscriptionFilter", {"LogGroupName": "x", "FilterPattern": "",
                                                      "DestinationArn": "arn:aws:kinesis:eu-west-1:1:stream/s"}),
        "Task": res("AWS::ECS::TaskDefinition", {"ContainerDefinitions": [{"Name": "web", "Image": "x:1",
                                                                           "LogConfiguration": {
                                                                               "LogDriver": "awslogs", "Options": {
                                                                                   "awslogs-region": "eu-west-1"}}}]}),
    }
    tset = TemplateSet("prod", "me-central-1", {"main": {"Resources": resources}}, ["me-central-1"], "prod")
    named = {f.resource for f in rule_findings(_check(tset), "MOO-RES-002")}
    assert named == set(resources)


def test_cloudfront_under_residency_and_unknown_destinations() -> None:
    cdn = res("AWS::CloudFront::Distribution", {"DistributionConfig": {
        "Enabled": True, "Logging": {"Bucket": "somewhere.s3.amazonaws.com"}}})
    tset = TemplateSet("prod", "me-central-1", {"main": {"Resources": {"Cdn": cdn}}}, ["me-central-1"], "prod")
    report = _check(tset)
    assert [f.resource for f in rule_findings(report, "MOO-RES-003")] == ["Cdn"]
    [unknown] = rule_findings(report, "MOO-RES-004")
    assert "access log bucket" in unknown.message


def test_synth_directory_manifest_carries_the_residency(tmp_path: Path) -> None:
    loaded = api.load_app(MAESTRO)
    out = tmp_path / "prod"
    write_synth(api.synth_environment(loaded, "prod"), out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    manifest["region"] = "me-south-1"  # as if someone deployed the same templates to Bahrain
    for stack in manifest["stacks"]:
        if stack["region"] == "me-central-1":
            stack["region"] = "me-south-1"
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    [tset] = template_sets([out])
    assert tset.residency == ["me-central-1"] and tset.region == "me-south-1"
    assert "DbDb" in {f.resource for f in rule_findings(_check(tset), "MOO-RES-001")}


def test_resource_types_missing_from_a_region_are_errors() -> None:
    budget = res("AWS::Budgets::Budget", {"Budget": {"BudgetType": "COST", "TimeUnit": "MONTHLY"}})
    tset = TemplateSet("prod", "me-central-1", {"budget": {"Resources": {"Budget": budget}}}, [], "prod")
    [finding] = rule_findings(_check(tset), "MOO-RES-005")
    assert "AWS::Budgets::Budget is not offered in me-central-1" in finding.message and finding.severity == "high"
