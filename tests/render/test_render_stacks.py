"""What specific stacks contain: edge, data, services, observability, budget; and writing a synth."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from moorage import api
from moorage.render import MANIFEST, Synth, write_synth

if TYPE_CHECKING:
    from conftest import Case, Cases

Kitchen = Callable[[str], "Case"]


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template.get("Resources", {}).items() if r["Type"] == kind}


def props(template: dict[str, Any], lid: str) -> dict[str, Any]:
    return template["Resources"][lid]["Properties"]


# --------------------------------------------------------------------------- edge


def test_https_with_redirect_certificate_and_dns(kitchen: Kitchen) -> None:
    edge = kitchen("staging").templates["edge"]
    http = props(edge, "HttpListener")
    assert http["Port"] == 80
    assert http["DefaultActions"][0]["RedirectConfig"] == {"Protocol": "HTTPS", "Port": "443",
                                                           "StatusCode": "HTTP_301"}
    https = props(edge, "HttpsListener")
    assert https["Port"] == 443 and https["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
    cert = props(edge, "Certificate")
    # outside prod each environment gets its own name under the app's domain
    assert cert["DomainName"] == "staging.app.kitchen.example.com" and cert["ValidationMethod"] == "DNS"
    assert props(edge, "DnsRecord")["Name"] == "staging.app.kitchen.example.com"
    assert edge["Outputs"]["ListenerArn"]["Value"] == {"Ref": "HttpsListener"}


def test_no_domain_means_plain_http(cases: Cases) -> None:
    edge = cases.get("examples/hello/moorage.yml", "prod").templates["edge"]
    assert "HttpsListener" not in edge["Resources"] and "Certificate" not in edge["Resources"]
    assert props(edge, "HttpListener")["DefaultActions"][0]["Type"] == "fixed-response"


def test_behind_cloudfront_the_load_balancer_has_no_port_80(cases: Cases) -> None:
    """CloudFront redirects viewers at the edge and reaches the origin over HTTPS only: port 80 serves nobody."""
    synth = cases.get("examples/cma/moorage.yml", "prod")
    edge = synth.templates["edge"]
    assert "HttpListener" not in edge["Resources"] and "HttpsListener" in edge["Resources"]
    origin = synth.templates["cdn"]["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["Origins"][0]
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    groups = [r for t in synth.templates.values() for lid, r in t["Resources"].items()
              if r["Type"] == "AWS::EC2::SecurityGroup" and lid.startswith("SgAlb")]
    assert groups and all(rule["FromPort"] == 443 for g in groups for rule in g["Properties"]["SecurityGroupIngress"])
    assert all("Metadata" not in g for g in groups)  # no scanner suppression left to explain
    # Without CloudFront the redirect listener stays (rupaya's staging has a domain but no CDN).
    staging = cases.get("examples/rupaya/moorage.yml", "staging").templates["edge"]
    assert staging["Resources"]["HttpListener"]["Properties"]["DefaultActions"][0]["Type"] == "redirect"


@pytest.mark.parametrize("app", ["examples/maestro/moorage.yml", "kitchen"])
def test_environments_do_not_claim_the_same_dns_name(cases: Cases, app: str) -> None:
    claimed: dict[tuple[str, str], str] = {}
    for env in cases.loaded(app).spec.environments:
        record = cases.get(app, env).templates["edge"]["Resources"].get("DnsRecord")
        if record:
            key = (record["Properties"]["HostedZoneId"], record["Properties"]["Name"])
            assert key not in claimed, f"{env} and {claimed.get(key)} both create {key[1]} in zone {key[0]}"
            claimed[key] = env


@pytest.mark.parametrize(("env", "waf"), [("dev", False), ("staging", False), ("prod", True)])
def test_waf_and_access_logs_in_prod(kitchen: Kitchen, env: str, waf: bool) -> None:
    edge = kitchen(env).templates["edge"]
    assert bool(of_type(edge, "AWS::WAFv2::WebACL")) is waf
    assert bool(of_type(edge, "AWS::WAFv2::WebACLAssociation")) is waf
    attrs = {a["Key"]: a["Value"] for a in props(edge, "LoadBalancer")["LoadBalancerAttributes"]}
    assert (attrs.get("access_logs.s3.enabled") == "true") is waf
    assert attrs["deletion_protection.enabled"] == str(waf).lower()
    assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "true"
    if waf:
        rules = [r["Name"] for r in props(edge, "WebAcl")["Rules"]]
        assert "AWSManagedRulesCommonRuleSet" in rules


# --------------------------------------------------------------------------- data


@pytest.mark.parametrize(("env", "instances"), [("dev", 1), ("staging", 1), ("prod", 2)])
def test_aurora_gets_a_standby_instance_in_prod(kitchen: Kitchen, env: str, instances: int) -> None:
    data = kitchen(env).templates["data"]
    cluster = props(data, "DbDb")
    assert cluster["Engine"] == "aurora-postgresql" and cluster["EngineVersion"].startswith("15.")
    members = [r for r in of_type(data, "AWS::RDS::DBInstance").values()
               if r["Properties"].get("DBClusterIdentifier") == {"Ref": "DbDb"}]
    assert len(members) == instances
    assert all(m["Properties"]["PubliclyAccessible"] is False for m in members)


@pytest.mark.parametrize(("env", "nodes", "failover"), [("dev", 1, False), ("prod", 2, True)])
def test_redis_failover_in_prod(kitchen: Kitchen, env: str, nodes: int, failover: bool) -> None:
    rg = props(kitchen(env).templates["data"], "CacheQueue")
    assert (rg["NumCacheClusters"], rg["AutomaticFailoverEnabled"], rg["MultiAZEnabled"]) == (nodes, failover,
                                                                                              failover)


@pytest.mark.parametrize(("env", "expected"), [
    ("dev", {"DBInstanceClass": "db.t4g.micro", "MultiAZ": False, "BackupRetentionPeriod": 1,
             "DeletionProtection": False}),
    ("prod", {"DBInstanceClass": "db.r6g.xlarge", "MultiAZ": True, "BackupRetentionPeriod": 30,
              "DeletionProtection": True, "EnablePerformanceInsights": True}),
])
def test_rds_sizes_per_profile(cases: Cases, env: str, expected: dict[str, Any]) -> None:
    db = props(cases.get("examples/maestro/moorage.yml", env).templates["data"], "DbDb")
    assert {k: db[k] for k in expected} == expected
    assert db["EngineVersion"].startswith("15.") and db["DBName"] == "maestro"


def test_generated_secrets_are_generated_by_secrets_manager(kitchen: Kitchen) -> None:
    data = kitchen("prod").templates["data"]
    jwt = props(data, "SecretJwtSecret")
    assert jwt["Name"] == "kitchen/prod/JWT_SECRET"
    assert jwt["GenerateSecretString"]["PasswordLength"] == 40
    assert "SecretString" not in jwt
    assert data["Outputs"]["SecretJwtSecretArn"]["Value"] == {"Ref": "SecretJwtSecret"}


def test_persistent_volume_is_encrypted_efs_mounted_in_the_task(kitchen: Kitchen) -> None:
    case = kitchen("prod")
    data = case.templates["data"]
    [(lid, fs)] = of_type(data, "AWS::EFS::FileSystem").items()
    assert fs["Properties"]["Encrypted"] is True and fs["DeletionPolicy"] == "Retain"
    assert len(of_type(data, "AWS::EFS::MountTarget")) == case.synth.plan.network.azs
    task = props(case.templates["svc-files"], "TaskDefinition")
    [volume] = task["Volumes"]
    assert volume["EFSVolumeConfiguration"]["TransitEncryption"] == "ENABLED"
    assert task["ContainerDefinitions"][0]["MountPoints"] == [
        {"ContainerPath": "/data", "ReadOnly": False, "SourceVolume": volume["Name"]}]


def test_ephemeral_volume_is_a_writable_mount(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec("""
        name: demo
        services:
          web:
            image: x:1
            readonly_root: true
            volumes: [{path: /tmp}]
        """, "dev")
    task = props(synth.templates["svc-web"], "TaskDefinition")
    container = task["ContainerDefinitions"][0]
    assert container["ReadonlyRootFilesystem"] is True
    mounts = {m["ContainerPath"]: m for m in container.get("MountPoints", [])}
    assert "/tmp" in mounts and mounts["/tmp"]["ReadOnly"] is False
    assert mounts["/tmp"]["SourceVolume"] in {v["Name"] for v in task.get("Volumes", [])}


# --------------------------------------------------------------------------- services


def test_prod_scales_two_to_ten_at_70_percent_cpu(cases: Cases, kitchen: Kitchen) -> None:
    for template in (cases.get("examples/hello/moorage.yml", "prod").templates["svc-web"],
                     kitchen("prod").templates["svc-gateway"], kitchen("prod").templates["svc-worker"]):
        target = props(template, "ScalableTarget")
        assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 10)
        config = props(template, "ScaleCpu")["TargetTrackingScalingPolicyConfiguration"]
        assert config["TargetValue"] == 70.0
        assert config["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
        assert props(template, "Service")["DesiredCount"] == 2
    dev = cases.get("examples/hello/moorage.yml", "dev").templates["svc-web"]
    assert "ScalableTarget" not in dev["Resources"] and props(dev, "Service")["DesiredCount"] == 1


def test_spec_scaling_override_wins(cases: Cases) -> None:
    target = props(cases.get("examples/maestro/moorage.yml", "prod").templates["svc-web"], "ScalableTarget")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (3, 10)


def test_task_role_grants_only_what_uses_implies(cases: Cases) -> None:
    case = cases.get("examples/maestro/moorage.yml", "prod")
    statements = props(case.templates["svc-reports"], "TaskRole")["Policies"][0]["PolicyDocument"]["Statement"]
    assert {s["Sid"]: s["Action"] for s in statements} == {"ObjectsDocuments": ["s3:GetObject"],
                                                           "ListDocuments": ["s3:ListBucket"],
                                                           "KeyDocuments": ["kms:Decrypt"]}  # SSE-KMS
    web = props(case.templates["svc-web"], "TaskRole")["Policies"][0]["PolicyDocument"]["Statement"]
    assert "s3:PutObject" in next(s["Action"] for s in web if s["Sid"] == "ObjectsDocuments")
    assert "Policies" not in props(case.templates["svc-migrate"], "TaskRole")


def test_before_deploy_job_has_no_service(cases: Cases) -> None:
    case = cases.get("examples/maestro/moorage.yml", "dev")
    migrate = case.templates["svc-migrate"]
    assert "Service" not in migrate["Resources"] and "TaskDefinition" in migrate["Resources"]
    assert case.manifest["before_deploy_jobs"] == ["migrate"]
    schedule = props(case.templates["svc-reports"], "Schedule")
    assert schedule["ScheduleExpression"] == "cron(0 2 * * ? *)"


def test_service_urls_name_what_cloud_map_registers(kitchen: Kitchen) -> None:
    case = kitchen("dev")
    namespace = props(case.templates["platform"], "Namespace")["Name"]
    name = props(case.templates["svc-svc-auth"], "Discovery")["Name"]
    port = props(case.templates["svc-svc-auth"], "TaskDefinition")["ContainerDefinitions"][0]["PortMappings"][0]
    env = {e["Name"]: e["Value"] for e in props(case.templates["svc-gateway"], "TaskDefinition")[
        "ContainerDefinitions"][0]["Environment"]}
    assert env["AUTH_URL"] == env["SVC_AUTH_URL"] == f"http://{name}.{namespace}:{port['ContainerPort']}"


def test_less_common_shapes(variants: Kitchen) -> None:
    case = variants("prod")
    api_task = props(case.templates["svc-api"], "TaskDefinition")
    assert api_task["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
    main, otel = api_task["ContainerDefinitions"]
    assert main["Image"] == {"Ref": "Image"} and main["ReadonlyRootFilesystem"] is True
    assert main["HealthCheck"]["Command"] == ["CMD-SHELL", "curl -f localhost:8080/healthz"]
    assert (otel["Name"], otel["Essential"], otel["PortMappings"][0]["ContainerPort"]) == ("otel", False, 4317)
    image = next(p for s in case.manifest["stacks"] if s["key"] == "svc-api" for p in s["parameters"]
                 if p["name"] == "Image")
    assert image["from"] == {"build": "api"}
    assert props(case.templates["svc-api"], "Service")["HealthCheckGracePeriodSeconds"] == 120
    data = case.templates["data"]
    cache = props(data, "CacheCache")
    assert (cache["Engine"], cache["NumNodeGroups"], cache["ReplicasPerNodeGroup"]) == ("valkey", 2, 1)
    assert cache["AutomaticFailoverEnabled"] is True
    orders = props(data, "DbOrders")
    assert (orders["StorageType"], orders["Iops"], orders["Engine"]) == ("io2", 3000, "mysql")
    replica = data["Resources"]["DbOrdersReplica1"]
    assert replica["Properties"]["SourceDBInstanceIdentifier"] == {"Ref": "DbOrders"}
    assert replica["DeletionPolicy"] == "Delete"  # a replica holds no data of its own
    assert props(data, "DbAnalytics")["Engine"] == "aurora-mysql"
    statements = props(data, "BucketAssetsPolicy")["PolicyDocument"]["Statement"]
    assert {s["Sid"] for s in statements} == {"DenyInsecureTransport", "PublicRead"}
    assert props(data, "BucketAssets")["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is False
    web = case.synth.plan.security_groups["svc-api"]
    assert ("svc-web", 8080) in {(r.peer, r.port) for r in web.ingress}  # web uses api: one rule for it
    nightly = props(case.templates["svc-nightly"], "Schedule")["Targets"][0]["EcsParameters"]
    assert nightly["LaunchType"] == "FARGATE"
    assert props(case.templates["svc-nightly"], "TaskDefinition")["ContainerDefinitions"][0]["StopTimeout"] == 60


def test_external_secret_is_referenced_by_arn(synth_spec: Callable[[str, str], Synth]) -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared/stripe-AbCdEf"
    synth = synth_spec(f"""
        name: demo
        region: eu-west-1
        services:
          web: {{image: x:1, secrets: [STRIPE_KEY]}}
        secrets:
          STRIPE_KEY: {{external: "{arn}"}}
        """, "dev")
    container = props(synth.templates["svc-web"], "TaskDefinition")["ContainerDefinitions"][0]
    assert container["Secrets"] == [{"Name": "STRIPE_KEY", "ValueFrom": arn}]
    policy = props(synth.templates["platform"], "ExecutionRole")["Policies"][0]["PolicyDocument"]
    assert arn in next(s for s in policy["Statement"] if s["Sid"] == "Secrets")["Resource"]
    assert "SecretStripeKey" not in synth.templates["data"]["Resources"]


def test_secrets_mapped_to_other_variable_names(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec("""
        name: demo
        services:
          web: {image: x:1, secrets: {STRIPE_API_KEY: STRIPE, SIGNING_KEY: STRIPE}}
        secrets:
          STRIPE: {length: 64}
        """, "dev")
    container = props(synth.templates["svc-web"], "TaskDefinition")["ContainerDefinitions"][0]
    assert container["Secrets"] == [{"Name": "SIGNING_KEY", "ValueFrom": {"Ref": "SecretStripeArn"}},
                                    {"Name": "STRIPE_API_KEY", "ValueFrom": {"Ref": "SecretStripeArn"}}]
    assert "Environment" not in container
    assert props(synth.templates["data"], "SecretStripe")["GenerateSecretString"]["PasswordLength"] == 64


def test_alarms_go_to_an_existing_topic_when_given(synth_spec: Callable[[str, str], Synth]) -> None:
    arn = "arn:aws:sns:eu-west-1:123456789012:ops"
    synth = synth_spec(f"""
        name: demo
        region: eu-west-1
        alarms: {{topic_arn: "{arn}"}}
        services:
          web: {{image: x:1, port: 80, route: "/*"}}
        """, "prod")
    platform = synth.templates["platform"]
    assert not of_type(platform, "AWS::SNS::Topic")
    assert platform["Outputs"]["AlarmTopicArn"]["Value"] == arn
    alarms = of_type(synth.templates["svc-web"], "AWS::CloudWatch::Alarm")
    assert alarms and all(a["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopicArn"}] for a in alarms.values())


def test_scheduled_spot_task_runs_on_fargate_spot(synth_spec: Callable[[str, str], Synth]) -> None:
    # was planned as FARGATE_SPOT but rendered on FARGATE (fixed in 10964b7)
    synth = synth_spec("""
        name: demo
        services:
          reports: {image: x:1, schedule: "rate(1 hour)", spot: true}
        """, "dev")
    assert {d.topic: d.value for d in synth.plan.decisions}["services.reports.capacity"] == "FARGATE_SPOT"
    ecs = props(synth.templates["svc-reports"], "Schedule")["Targets"][0]["EcsParameters"]
    assert "FARGATE_SPOT" in json.dumps(ecs)


# --------------------------------------------------------------------------- observability and budget


def test_alarms_watch_the_resources_that_exist(kitchen: Kitchen) -> None:
    case = kitchen("prod")
    plan = case.synth.plan
    dims = [d for a in of_type(case.templates["observability"], "AWS::CloudWatch::Alarm").values()
            for d in a["Properties"].get("Dimensions", [])]  # metric-math rates have theirs in Metrics
    cluster_ids = {d["Value"] for d in dims if d["Name"] == "DBClusterIdentifier"}
    assert cluster_ids == {plan.databases["db"].identifier}
    cache_ids = {d["Value"] for d in dims if d["Name"] == "CacheClusterId"}
    assert cache_ids == {f"{plan.caches['queue'].identifier}-001"}


def test_alarms_watch_a_cache_whose_name_was_shortened(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec("""
        name: acme-analytics-platform
        alarms: {email: ops@example.com}
        services:
          web: {image: x:1, uses: [sessions]}
        caches:
          sessions: {}
        environments:
          production: {}
        """, "production")
    identifier = synth.plan.caches["sessions"].identifier
    assert len(identifier) <= 40
    assert props(synth.templates["data"], "CacheSessions")["ReplicationGroupId"] == identifier
    watched = {d["Value"] for a in of_type(synth.templates["observability"], "AWS::CloudWatch::Alarm").values()
               for d in a["Properties"]["Dimensions"] if d["Name"] == "CacheClusterId"}
    assert watched == {f"{identifier}-001"}


def test_budget_stack_and_its_region(cases: Cases) -> None:
    case = cases.get("examples/maestro/moorage.yml", "prod")
    assert case.region_of("budget") == "us-east-1"
    assert {case.region_of(k) for k in case.templates if k != "budget"} == {"me-central-1"}
    budget = props(case.templates["budget"], "Budget")
    assert budget["Budget"]["BudgetLimit"] == {"Amount": 1600.0, "Unit": "USD"}
    addresses = {s["Address"] for n in budget["NotificationsWithSubscribers"] for s in n["Subscribers"]}
    assert addresses == {"finance@maestro.example.com"}


def test_budget_counts_only_this_deployments_costs(cases: Cases) -> None:
    case = cases.get("examples/maestro/moorage.yml", "prod")
    budget = props(case.templates["budget"], "Budget")
    [tag] = budget["Budget"]["CostFilters"]["TagKeyValue"]
    key, _, value = tag.removeprefix("user:").partition("$")
    assert value == "maestro-prod", "the filter must single out this app's environment"
    # ... and the tag it filters on is on what costs money
    for stack, lid in (("svc-web", "Service"), ("data", "DbDb"), ("data", "CacheSessions"), ("edge", "LoadBalancer")):
        assert {"Key": key, "Value": value} in props(case.templates[stack], lid)["Tags"], f"{stack}/{lid}"


# --------------------------------------------------------------------------- writing


def test_write_synth_writes_templates_and_manifest(cases: Cases, tmp_path: Path) -> None:
    synth = api.synth_environment(cases.loaded("examples/maestro/moorage.yml"), "prod")
    written = write_synth(synth, tmp_path)
    assert sorted(p.name for p in written) == sorted([f"{k}.json" for k in synth.templates] + [MANIFEST])
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert manifest == json.loads(json.dumps(synth.manifest))
    for key in synth.templates:
        assert json.loads((tmp_path / f"{key}.json").read_text()) == json.loads(synth.template_text(key))


def test_write_synth_removes_templates_of_stacks_no_longer_planned(
        synth_spec: Callable[[str, str], Synth], tmp_path: Path) -> None:
    text = """
        name: demo
        budget: {monthly: 100, email: a@example.com}
        services:
          web: {image: x:1, port: 80, route: "/*"}
          worker: {image: x:1}
        """
    write_synth(synth_spec(text, "dev"), tmp_path)
    assert (tmp_path / "budget.json").is_file() and (tmp_path / "svc-worker.json").is_file()
    (tmp_path / "notes.json").write_text("{}")  # not ours: must survive
    smaller = text.replace("        budget: {monthly: 100, email: a@example.com}\n", "") \
        .replace("          worker: {image: x:1}\n", "")
    write_synth(synth_spec(smaller, "dev"), tmp_path)
    assert not (tmp_path / "budget.json").exists()
    assert not (tmp_path / "svc-worker.json").exists()
    assert (tmp_path / "svc-web.json").is_file() and (tmp_path / "notes.json").is_file()
    assert {s["key"] for s in json.loads((tmp_path / MANIFEST).read_text())["stacks"]} == {
        "network", "platform", "edge", "svc-web"}
