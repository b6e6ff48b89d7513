"""Change classification: add / modify / replace / remove, parameters, stateful data, AWS verdicts."""

from __future__ import annotations

import copy
from typing import Any

from moorage.data.aws import create_only_paths
from moorage.deploy.changes import allows, blocking, classify, merge_change_set, resolve_parameters
from moorage.deploy.schema import is_stateful, replacing_properties

DB = {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot",
      "Properties": {"DBName": "app", "DBInstanceClass": "db.t4g.micro", "DBSubnetGroupName": {"Ref": "Subnets"}}}
LOGS = {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}}
ROLE = {"Type": "AWS::IAM::Role", "Properties": {"Description": "x"}}


def template(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": copy.deepcopy(resources)}


def test_new_stack_is_all_adds() -> None:
    changes = classify(None, {}, template(Db=DB, Logs=LOGS), {})
    assert [(c.logical_id, c.action) for c in changes] == [("Db", "add"), ("Logs", "add")]
    assert not blocking(changes, set())


def test_in_place_change_is_a_modify_with_its_properties() -> None:
    new = template(Db=DB)
    new["Resources"]["Db"]["Properties"]["DBInstanceClass"] = "db.t4g.small"
    [change] = classify(template(Db=DB), {}, new, {})
    assert change.action == "modify" and change.properties == ["DBInstanceClass"]
    assert not change.loses_data


def test_create_only_property_is_a_replacement_that_loses_data() -> None:
    new = template(Db=DB)
    new["Resources"]["Db"]["Properties"]["DBName"] = "other"
    [change] = classify(template(Db=DB), {}, new, {})
    assert change.action == "replace" and change.replaced_by == ["DBName"]
    assert change.stateful and change.loses_data
    assert blocking([change], set()) == [change]
    assert blocking([change], {"Db"}) == [] and blocking([change], {"db"}) == []


def test_changed_parameter_value_is_seen_through_ref() -> None:
    changes = classify(template(Db=DB), {"Subnets": "a"}, template(Db=DB), {"Subnets": "b"})
    assert [(c.action, c.replaced_by) for c in changes] == [("replace", ["DBSubnetGroupName"])]
    assert classify(template(Db=DB), {"Subnets": "a"}, template(Db=DB), {"Subnets": "a"}) == []


def test_type_change_is_a_replacement() -> None:
    new = template(Db={**DB, "Type": "AWS::RDS::DBCluster"})
    [change] = classify(template(Db=DB), {}, new, {})
    assert change.action == "replace" and change.replaced_by == ["Type"]


def test_removal_of_stateful_resource_respects_its_deletion_policy() -> None:
    changes = classify(template(Db=DB, Logs=LOGS, Role=ROLE), {}, template(Role=ROLE), {})
    by_id = {c.logical_id: c for c in changes}
    assert by_id["Db"].action == "remove" and not by_id["Db"].loses_data  # Snapshot keeps the data
    assert by_id["Logs"].loses_data  # a log group with data, deleted
    retained = template(Logs={**LOGS, "DeletionPolicy": "Retain"})
    assert not classify(retained, {}, template(), {})[0].loses_data


def test_schema_facts_from_cfn_lint() -> None:
    top = {path[0] for path in create_only_paths("AWS::RDS::DBInstance")}
    assert {"DBName", "DBInstanceIdentifier", "StorageEncrypted"} <= top
    assert ("ContainerDefinitions",) in create_only_paths("AWS::ECS::TaskDefinition")
    assert create_only_paths("AWS::Not::AType") == ()
    # Nested create-only paths are compared where they lead: a health check's path changes in place,
    # its type does not.
    check = "AWS::Route53::HealthCheck"
    old = {"HealthCheckConfig": {"Type": "HTTPS", "ResourcePath": "/health"}}
    assert replacing_properties(check, old, {"HealthCheckConfig": {"Type": "HTTPS", "ResourcePath": "/ready"}}) == []
    assert replacing_properties(check, old, {"HealthCheckConfig": {"Type": "HTTP", "ResourcePath": "/health"}}) == [
        "HealthCheckConfig.Type"]
    for rtype in ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::ElastiCache::ReplicationGroup",
                  "AWS::S3::Bucket", "AWS::EFS::FileSystem", "AWS::SecretsManager::Secret", "AWS::Logs::LogGroup"):
        assert is_stateful(rtype), rtype
    assert not is_stateful("AWS::ECS::Service")


def test_aws_change_set_verdict_upgrades_a_modify() -> None:
    new = template(Db=DB)
    new["Resources"]["Db"]["Properties"]["DBInstanceClass"] = "db.t4g.small"
    changes = classify(template(Db=DB), {}, new, {})
    # Recorded DescribeChangeSet response (trimmed): AWS says the change needs a replacement.
    described = {"Status": "CREATE_COMPLETE", "Changes": [
        {"Type": "Resource", "ResourceChange": {
            "Action": "Modify", "LogicalResourceId": "Db", "PhysicalResourceId": "app-db",
            "ResourceType": "AWS::RDS::DBInstance", "Replacement": "True", "Scope": ["Properties"],
            "Details": [{"Target": {"Attribute": "Properties", "Name": "DBInstanceClass",
                                    "RequiresRecreation": "Always"}, "Evaluation": "Static",
                         "ChangeSource": "DirectModification"}]}},
        {"Type": "Resource", "ResourceChange": {
            "Action": "Modify", "LogicalResourceId": "Service", "ResourceType": "AWS::ECS::Service",
            "Replacement": "False", "Details": [{"Target": {"Attribute": "Properties", "Name": "TaskDefinition"}}]}},
    ]}
    merged = {c.logical_id: c for c in merge_change_set(changes, described)}
    assert merged["Db"].action == "replace" and merged["Db"].loses_data
    assert merged["Service"].action == "modify" and merged["Service"].properties == ["TaskDefinition"]


def test_resolve_parameters_and_allow_names() -> None:
    assert resolve_parameters({"A": [{"Ref": "P"}, {"Ref": "Other"}]}, {"P": "v"}) == {"A": ["v", {"Ref": "Other"}]}
    assert allows({"db"}, "DbDb") and allows({"DbDb"}, "DbDb") and allows({"sessions"}, "CacheSessions")
    assert not allows({"db"}, "CacheSessions") and not allows(set(), "DbDb")


def test_describe_lines() -> None:
    new = template(Db=DB)
    new["Resources"]["Db"]["Properties"]["DBName"] = "other"
    [change] = classify(template(Db=DB), {}, new, {})
    assert change.describe() == "replace Db (AWS::RDS::DBInstance): DBName"
    assert change.to_json()["loses_data"] is True


SECRET = {"Type": "AWS::SecretsManager::Secret",
          "Properties": {"Name": "a/dev/db/db", "GenerateSecretString": {
              "SecretStringTemplate": '{"username": "app"}', "GenerateStringKey": "password"}}}
CACHE = {"Type": "AWS::ElastiCache::ReplicationGroup",
         "Properties": {"ReplicationGroupDescription": "c", "TransitEncryptionEnabled": True, "AuthToken": "x"}}


def test_generated_secret_template_change_breaks_credentials() -> None:
    new = template(Secret=SECRET)
    new["Resources"]["Secret"]["Properties"]["GenerateSecretString"]["SecretStringTemplate"] = '{"username": "x"}'
    [change] = classify(template(Secret=SECRET), {}, new, {})
    assert change.action == "modify" and not change.loses_data
    assert change.breaks_credentials and change.dangerous
    assert "generates a new value" in change.consequence()
    assert blocking([change], set()) == [change] and blocking([change], {"Secret"}) == []
    assert change.to_json()["breaks_credentials"]


def test_description_change_of_a_secret_is_harmless() -> None:
    new = template(Secret=SECRET)
    new["Resources"]["Secret"]["Properties"]["Description"] = "new words"
    [change] = classify(template(Secret=SECRET), {}, new, {})
    assert not change.dangerous and blocking([change], set()) == []


def test_cache_auth_token_and_tls_changes_break_credentials() -> None:
    for prop, value in (("AuthToken", "y"), ("TransitEncryptionEnabled", False)):
        new = template(Cache=CACHE)
        new["Resources"]["Cache"]["Properties"][prop] = value
        [change] = classify(template(Cache=CACHE), {}, new, {})
        assert change.breaks_credentials and prop in change.credentials, prop


def test_aws_reported_credential_change_is_classified() -> None:
    described = {"Changes": [{"ResourceChange": {
        "LogicalResourceId": "DbSecret", "ResourceType": "AWS::SecretsManager::Secret", "Action": "Modify",
        "Replacement": "False", "Details": [{"Target": {"Name": "GenerateSecretString"}}]}}]}
    [change] = merge_change_set([], described)
    assert change.breaks_credentials and blocking([change], set()) == [change]


def _db(engine: str, version: str, lid_type: str = "AWS::RDS::DBInstance") -> dict[str, Any]:
    body = copy.deepcopy(DB)
    body["Type"] = lid_type
    body["Properties"].update(Engine=engine, EngineVersion=version)
    return template(Db=body)


def test_engine_change_is_a_replacement_refused_without_allow_replace() -> None:
    for rtype in ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"):
        old, new = ("postgres", "16.4"), ("mysql", "8.0.39")
        if rtype == "AWS::RDS::DBCluster":
            old, new = ("aurora-postgresql", "16.4"), ("aurora-mysql", "8.0.mysql_aurora.3.05.2")
        [change] = classify(_db(*old, lid_type=rtype), {}, _db(*new, lid_type=rtype), {})
        assert change.action == "replace" and "Engine" in change.replaced_by and change.loses_data
        assert not change.major_upgrade  # a new engine is a new database, not an upgrade
        assert blocking([change], set(), allow_major=True) == [change]
        assert blocking([change], {"db"}) == []


def test_major_version_change_needs_allow_major_upgrade() -> None:
    [change] = classify(_db("postgres", "15.7"), {}, _db("postgres", "16.4"), {})
    assert change.action == "modify" and not change.dangerous
    assert change.major_upgrade == "postgres 15.7 -> 16.4"
    assert "offline" in change.consequence() and "cannot be rolled back" in change.consequence()
    assert blocking([change], {"*"}) == [change]  # --allow-replace does not cover it
    assert blocking([change], set(), allow_major=True) == []
    assert change.to_json()["major_upgrade"] == "postgres 15.7 -> 16.4"


def test_minor_version_changes_are_routine() -> None:
    for engine, old, new in (("postgres", "16.3", "16.4"), ("mysql", "8.0.36", "8.0.39"),
                             ("aurora-mysql", "8.0.mysql_aurora.3.05.2", "8.0.mysql_aurora.3.06.0")):
        [change] = classify(_db(engine, old), {}, _db(engine, new), {})
        assert not change.major_upgrade and not blocking([change], set()), (engine, old, new)
    [mysql] = classify(_db("mysql", "8.0.39"), {}, _db("mysql", "8.4.3"), {})
    assert mysql.major_upgrade == "mysql 8.0.39 -> 8.4.3"


def test_refusal_of_a_major_upgrade_names_the_flag() -> None:
    from moorage.deploy.run import DeployRefused

    [change] = classify(_db("postgres", "15.7"), {}, _db("postgres", "16.4"), {})
    text = DeployRefused(dangerous={"demo-prod-data": [change]}).render()
    assert "major version (postgres 15.7 -> 16.4)" in text and "--allow-major-upgrade" in text
    assert "--allow-replace" not in text


def test_major_version_downgrade_is_refused_whatever_the_flags() -> None:
    [change] = classify(_db("postgres", "15.19"), {}, _db("postgres", "14.24"), {})
    assert not change.major_upgrade  # not an upgrade: RDS cannot go down a major version
    assert change.impossible == "downgrade: RDS cannot downgrade (postgres 15.19 -> 14.24)"
    assert blocking([change], {"*"}, allow_major=True) == [change]
    assert change.to_json()["impossible"] == change.consequence() == change.impossible
    from moorage.deploy.run import DeployRefused

    text = DeployRefused(dangerous={"demo-prod-data": [change]}).render()
    assert "RDS cannot downgrade" in text and "restore a snapshot into a new database" in text
    assert "--allow-major-upgrade" not in text and "--allow-replace" not in text
    [mysql] = classify(_db("mysql", "8.4.3"), {}, _db("mysql", "8.0.39"), {})
    assert mysql.impossible.startswith("downgrade:") and not mysql.major_upgrade


def test_replacing_a_custom_named_resource_is_refused_whatever_the_flags() -> None:
    from moorage.deploy.run import DeployRefused

    old, new = _db("postgres", "16.4"), _db("mysql", "8.0.39")
    for body in (old, new):
        body["Resources"]["Db"]["Properties"]["DBInstanceIdentifier"] = "demo-prod-db"
    [change] = classify(old, {}, new, {})
    assert change.action == "replace" and "custom-named" in change.impossible
    assert "DBInstanceIdentifier" in change.impossible
    assert blocking([change], {"*"}, allow_major=True) == [change]
    text = DeployRefused(dangerous={"demo-prod-data": [change]}).render()
    assert "even with --allow-replace" in text and "give it a new name so the new one is created beside" in text
    assert "snapshot it, destroy it and restore" in text and "rerun with --allow-replace" not in text
    # A new name: the new database can exist beside the old one, so --allow-replace is the way.
    new["Resources"]["Db"]["Properties"]["DBInstanceIdentifier"] = "demo-prod-db2"
    [renamed] = classify(old, {}, new, {})
    assert renamed.action == "replace" and not renamed.impossible and blocking([renamed], {"db"}) == []
    # Unnamed (CloudFormation generates the name): replaceable with --allow-replace.
    [unnamed] = classify(_db("postgres", "16.4"), {}, _db("mysql", "8.0.39"), {})
    assert not unnamed.impossible and blocking([unnamed], {"db"}) == []
    # A cache's name property is ReplicationGroupId: the same answer as the emulator's.
    cache = {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {"ReplicationGroupId": "demo-prod-cache",
                                                                         "AtRestEncryptionEnabled": False}}
    encrypted = copy.deepcopy(cache)
    encrypted["Properties"]["AtRestEncryptionEnabled"] = True
    [c] = classify(template(Cache=cache), {}, template(Cache=encrypted), {})
    assert c.action == "replace" and "ReplicationGroupId is set" in c.impossible


def test_advanced_parameter_going_back_to_standard_is_refused() -> None:
    from moorage.deploy.run import DeployRefused

    advanced = {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "x" * 5000,
                                                             "Tier": "Advanced"}}
    standard = {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "small"}}
    [change] = classify(template(Config=advanced), {}, template(Config=standard), {})
    assert "AWS cannot turn an advanced SSM parameter back into a standard one" in change.impossible
    assert blocking([change], {"*"}, allow_major=True) == [change]
    text = DeployRefused(dangerous={"demo-prod-app": [change]}).render()
    assert "keep the value over 4 KB" in text and "remove the config value" in text
    explicit = copy.deepcopy(standard)
    explicit["Properties"]["Tier"] = "Standard"
    assert classify(template(Config=advanced), {}, template(Config=explicit), {})[0].impossible
    # Standard -> Advanced, and Advanced -> Advanced with a new value, are in-place updates.
    for old, new in ((standard, advanced), (advanced, {**advanced, "Properties": {**advanced["Properties"],
                                                                                "Value": "y" * 5000}})):
        [ok] = classify(template(Config=old), {}, template(Config=new), {})
        assert not ok.impossible and not blocking([ok], set())


def test_aws_replacement_verdict_of_a_custom_named_resource_is_refused() -> None:
    cache = {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {"ReplicationGroupId": "demo-prod-cache",
                                                                         "CacheNodeType": "cache.t4g.micro"}}
    bigger = copy.deepcopy(cache)
    bigger["Properties"]["CacheNodeType"] = "cache.t4g.small"
    [change] = classify(template(Cache=cache), {}, template(Cache=bigger), {})
    assert change.action == "modify" and not change.impossible
    described = {"Changes": [{"ResourceChange": {
        "LogicalResourceId": "Cache", "ResourceType": "AWS::ElastiCache::ReplicationGroup", "Action": "Modify",
        "Replacement": "True", "Details": [{"Target": {"Name": "CacheNodeType"}}]}}]}
    [merged] = merge_change_set([change], described)
    assert merged.action == "replace" and "ReplicationGroupId is set" in merged.impossible
    assert blocking([merged], {"*"}, allow_major=True) == [merged]
