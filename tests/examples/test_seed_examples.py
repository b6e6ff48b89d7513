"""The five seed-guide examples: every environment the guide names plans, synthesizes clean, is priced,
passes the high-severity rules, and carries the guide's features (examples/README.md)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from moorage import api
from moorage.cfn.sets import TemplateSet
from moorage.cost import estimate_template_set
from moorage.policy import run_checks
from moorage.render import Synth
from moorage.validate.lint import lint_template

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "maestro": ("moorage.yml", ("dev", "staging", "prod")),
    "macro-ai": ("moorage.yml", ("dev", "staging", "prod")),
    "cma": ("moorage.yml", ("dev", "prod")),
    "rupaya": ("moorage.yml", ("staging", "prod")),
    "smartboard": ("docker-compose.yml", ("dev", "staging", "prod")),
}
CASES = [(name, env) for name, (_, envs) in EXAMPLES.items() for env in envs]


@cache
def synth(name: str, env: str) -> Synth:
    return api.synth_environment(api.load_app(ROOT / "examples" / name / EXAMPLES[name][0]), env)


def template_set(s: Synth) -> TemplateSet:
    m = s.manifest
    regions = {st["key"]: st["region"] for st in m["stacks"] if st["region"] != m["region"]}
    return TemplateSet(m["environment"], m["region"], s.templates, list(m["residency"]), m["profile"], regions)


def resources(s: Synth, rtype: str) -> dict[str, dict[str, Any]]:
    return {f"{k}/{lid}": r for k, t in s.templates.items() for lid, r in t.get("Resources", {}).items()
            if r["Type"] == rtype}


def test_each_example_names_the_guides_environments() -> None:
    for name, (filename, envs) in EXAMPLES.items():
        loaded = api.load_app(ROOT / "examples" / name / filename)
        assert tuple(loaded.spec.environments) == envs, name
    assert "| # | mistake |" in (ROOT / "examples" / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "env"), CASES, ids=[f"{n}-{e}" for n, e in CASES])
def test_example_is_clean_priced_and_passes_high_rules(name: str, env: str) -> None:
    s = synth(name, env)
    regions = {st["key"]: st["region"] for st in s.manifest["stacks"]}
    findings = [f for key in s.templates
                for f in lint_template(s.template_text(key), [regions[key]], f"{name}/{env}/{key}.json")]
    assert not findings, "\n".join(f.render() for f in findings)
    tset = template_set(s)
    estimate = estimate_template_set(tset)
    assert estimate.monthly > 0
    high = run_checks([tset]).failing("high")
    assert not high, [(f.rule, f.stack, f.resource) for f in high]


def test_maestro_keeps_data_in_the_uae_with_its_own_key() -> None:
    s = synth("maestro", "prod")
    assert {st["region"] for st in s.manifest["stacks"] if st["key"] != "budget"} == {"me-central-1"}
    keys = resources(s, "AWS::KMS::Key")
    # the data key, and the alarm topics' own (CloudWatch may use it)
    assert set(keys) == {"keys/Key", "platform/AlarmTopicKey"}
    key = keys["keys/Key"]
    assert key["Properties"]["EnableKeyRotation"] and key["DeletionPolicy"] == "Retain"
    [db] = [r for r in resources(s, "AWS::RDS::DBInstance").values()]
    assert "KmsKeyId" in db["Properties"] and db["Properties"]["MonitoringInterval"] == 60
    assert not resources(s, "AWS::CloudFront::Distribution")


def test_macro_ai_cdn_cognito_and_xray() -> None:
    s = synth("macro-ai", "prod")
    assert "cdn" in s.templates and resources(s, "AWS::CloudFront::Distribution")
    role = s.templates["svc-api"]["Resources"]["TaskRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    sids = {st["Sid"]: st for st in role["Statement"]}
    assert sids["UserPoolUsers"]["Resource"] == ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/"
                                                 "us-east-1_MacroAi01"]
    assert "xray:PutTraceSegments" in sids["XRay"]["Action"]
    containers = s.templates["svc-api"]["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"]
    assert [c["Name"] for c in containers] == ["api", "xray-daemon"]
    assert not containers[1]["Image"].endswith(":latest")
    assert synth("macro-ai", "dev").templates["svc-api"]["Resources"]["Service"]["Properties"]["EnableExecuteCommand"]
    assert not s.templates["svc-api"]["Resources"]["Service"]["Properties"]["EnableExecuteCommand"]


def test_cma_storage_tiers_exec_logging_and_replica() -> None:
    s = synth("cma", "prod")
    buckets = resources(s, "AWS::S3::Bucket")
    archive = buckets["data/BucketArchive"]["Properties"]
    assert archive["IntelligentTieringConfigurations"][0]["Tierings"]
    documents = buckets["data/BucketDocuments"]["Properties"]["LifecycleConfiguration"]["Rules"][0]
    assert [t["StorageClass"] for t in documents["Transitions"]] == ["STANDARD_IA", "GLACIER", "DEEP_ARCHIVE"]
    assert "Configuration" not in s.templates["platform"]["Resources"]["Cluster"]["Properties"]  # no exec in prod
    cluster = synth("cma", "dev").templates["platform"]["Resources"]["Cluster"]["Properties"]
    logging = cluster["Configuration"]["ExecuteCommandConfiguration"]["LogConfiguration"]
    assert logging["CloudWatchEncryptionEnabled"] is True
    assert "DbDbReplica1" in s.templates["data"]["Resources"]
    assert len(resources(s, "AWS::ECR::Repository")) == 4


def test_rupaya_managed_password_cluster_mode_and_health_check() -> None:
    s = synth("rupaya", "prod")
    db = s.templates["data"]["Resources"]["DbDb"]["Properties"]
    assert db["ManageMasterUserPassword"] is True and "MasterUserPassword" not in db
    assert (db["StorageType"], db["Iops"]) == ("io2", 3000)
    cache_props = s.templates["data"]["Resources"]["CacheCache"]["Properties"]
    assert cache_props["ReplicasPerNodeGroup"] == 2 and cache_props["AutomaticFailoverEnabled"] is True
    assert resources(s, "AWS::Route53::HealthCheck") and "cdn" in s.templates
    assert "cdn" not in synth("rupaya", "staging").templates
    repos = resources(s, "AWS::ECR::Repository")
    assert all('"countNumber": 50' in r["Properties"]["LifecyclePolicy"]["LifecyclePolicyText"]
               for r in repos.values())
    env = s.templates["svc-backend"]["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    names = {x["Name"] for x in env["Secrets"]} | {x["Name"] for x in env["Environment"]}
    assert {"DB_PASSWORD", "DB_USER"} <= names
    assert "DATABASE_URL" not in {x["Name"] for x in env["Secrets"]}


def test_smartboard_config_in_ssm() -> None:
    s = synth("smartboard", "prod")
    params = resources(s, "AWS::SSM::Parameter")
    assert {p["Properties"]["Name"] for p in params.values()} == {"/smartboard/prod/MICROSOFT_CLIENT_ID",
                                                                    "/smartboard/prod/MICROSOFT_TENANT_ID"}
