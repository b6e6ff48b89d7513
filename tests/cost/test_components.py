"""Hand-computed expectations per component family, with the arithmetic shown.

Rates are the packaged us-east-1 ones unless a test builds its own catalog (then the rate is stated in
the test). ``test_packaged_rates_used_here`` pins every packaged rate these tests rely on, so a catalog
update fails there, in one place, with the rate that changed.
"""

from __future__ import annotations

import pytest

from moorage.cost import estimate_template_set, packaged_catalog
from moorage.cost.components.ecs import runs_per_month, split_capacity
from moorage.cost.usage import UsageFile

from .helpers import catalog, item, items, tset

HOURS = 730

TASK_QUARTER = {"Type": "AWS::ECS::TaskDefinition", "Properties": {
    "Cpu": "256", "Memory": "512", "RequiresCompatibilities": ["FARGATE"],
    "RuntimePlatform": {"CpuArchitecture": "X86_64", "OperatingSystemFamily": "LINUX"}}}


def service(count: object = 2, **props: object) -> dict[str, object]:
    return {"Type": "AWS::ECS::Service", "Properties": {
        "TaskDefinition": {"Ref": "Task"}, "DesiredCount": count, "LaunchType": "FARGATE", **props}}


def test_packaged_rates_used_here() -> None:
    rates = packaged_catalog().regions["us-east-1"]
    assert {k: rates[k].price for k in (
        "fargate.vcpu_hour.x86", "fargate.gb_hour.x86", "fargate.vcpu_hour.arm", "fargate.gb_hour.arm",
        "vpc.nat_hour", "vpc.nat_gb", "vpc.public_ipv4_hour", "elb.alb_hour", "elb.alb_lcu_hour",
        "logs.ingest_gb", "logs.storage_gb_month", "secretsmanager.secret_month", "s3.standard_gb_month")} == {
        "fargate.vcpu_hour.x86": 0.04048, "fargate.gb_hour.x86": 0.004445, "fargate.vcpu_hour.arm": 0.03238,
        "fargate.gb_hour.arm": 0.00356, "vpc.nat_hour": 0.045, "vpc.nat_gb": 0.045, "vpc.public_ipv4_hour": 0.005,
        "elb.alb_hour": 0.0225, "elb.alb_lcu_hour": 0.008, "logs.ingest_gb": 0.50, "logs.storage_gb_month": 0.03,
        "secretsmanager.secret_month": 0.40, "s3.standard_gb_month": 0.023}


def test_two_quarter_vcpu_tasks_for_a_month() -> None:
    report = estimate_template_set(tset({"Task": TASK_QUARTER, "Svc": service(2)}))
    vcpu = item(report, "Svc", "Fargate vCPU-hours")
    gb = item(report, "Svc", "Fargate GB-hours")
    # 2 tasks x 0.25 vCPU x 730 h = 365 vCPU-h; x $0.04048 = $14.7752
    assert vcpu.quantity == pytest.approx(365.0)
    assert vcpu.monthly == pytest.approx(14.7752)
    # 2 tasks x 0.5 GB x 730 h = 730 GB-h; x $0.004445 = $3.24485
    assert gb.quantity == pytest.approx(730.0)
    assert gb.monthly == pytest.approx(3.24485)
    assert report.monthly == pytest.approx(18.02005)  # 14.7752 + 3.24485
    assert item(report, "Task", "no charge").status == "free"  # priced on the service that runs it


def test_arm_task_uses_arm_rates() -> None:
    arm = {"Type": "AWS::ECS::TaskDefinition", "Properties": {
        "Cpu": "1024", "Memory": "2048", "RuntimePlatform": {"CpuArchitecture": "ARM64"}}}
    report = estimate_template_set(tset({"Task": arm, "Svc": service(1)}))
    # 1 vCPU x 730 h x $0.03238 = $23.6374 ; 2 GB x 730 h x $0.00356 = $5.1976
    assert item(report, "Svc", "Fargate vCPU-hours (arm").monthly == pytest.approx(23.6374)
    assert item(report, "Svc", "Fargate GB-hours (arm").monthly == pytest.approx(5.1976)


def test_spot_split_from_capacity_provider_strategy() -> None:
    strategy = [{"CapacityProvider": "FARGATE", "Base": 1, "Weight": 0},
                {"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]
    assert split_capacity(strategy, 3) == (1, 2)
    assert split_capacity([{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}], 1) == (0, 1)
    assert split_capacity([{"CapacityProvider": "FARGATE", "Weight": 1},
                           {"CapacityProvider": "FARGATE_SPOT", "Weight": 3}], 4) == (1, 3)
    svc = {"Type": "AWS::ECS::Service", "Properties": {
        "TaskDefinition": {"Ref": "Task"}, "DesiredCount": 3, "CapacityProviderStrategy": strategy}}
    report = estimate_template_set(tset({"Task": TASK_QUARTER, "Svc": svc}))
    spot = item(report, "Svc", "Fargate vCPU-hours (Spot")
    # 2 Spot tasks x 0.25 vCPU x 730 h = 365 vCPU-h at the Spot rate $0.01264355 = $4.61489575
    assert spot.quantity == pytest.approx(365.0)
    assert spot.monthly == pytest.approx(365 * 0.01264355)
    regular = item(report, "Svc", "Fargate vCPU-hours (x86")
    assert regular.quantity == pytest.approx(182.5)  # the one on-demand task


def test_autoscaling_range_prices_desired_and_shows_min_max() -> None:
    target = {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
        "MinCapacity": 2, "MaxCapacity": 10, "ServiceNamespace": "ecs",
        "ScalableDimension": "ecs:service:DesiredCount",
        "ResourceId": {"Fn::Join": ["/", ["service", "c", {"Fn::GetAtt": ["Svc", "Name"]}]]}}}
    report = estimate_template_set(tset({"Task": TASK_QUARTER, "Svc": service(3), "Scaling": target}))
    vcpu = item(report, "Svc", "Fargate vCPU-hours")
    # desired 3: 3 x 0.25 x 730 x 0.04048 = 22.1628 ; min 2: 14.7752 ; max 10: 73.876
    assert vcpu.monthly == pytest.approx(22.1628)
    assert vcpu.low == pytest.approx(14.7752)
    assert vcpu.high == pytest.approx(73.876)
    assert report.low < report.monthly < report.high
    assert "autoscaling 2-10" in vcpu.note


def test_desired_count_that_is_not_a_literal_is_unknown() -> None:
    report = estimate_template_set(tset({"Task": TASK_QUARTER, "Svc": service({"Fn::ImportValue": "x"})}))
    assert [i.status for i in items(report, "Svc")] == ["unknown"]
    assert "not a literal" in items(report, "Svc")[0].note


def test_desired_count_from_parameter_default() -> None:
    ts = tset({"Task": TASK_QUARTER, "Svc": service({"Ref": "Count"})})
    ts.templates["main"]["Parameters"] = {"Count": {"Type": "Number", "Default": 4}}
    assert item(estimate_template_set(ts), "Svc", "Fargate vCPU-hours").quantity == pytest.approx(4 * 0.25 * 730)


def test_nat_gateway_with_100_gb_processed() -> None:
    resources = {"Eip": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
                 "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {
                     "AllocationId": {"Fn::GetAtt": ["Eip", "AllocationId"]}, "SubnetId": "subnet-1"}}}
    report = estimate_template_set(tset(resources), UsageFile(values={"nat_gb": 100}))
    # 730 h x $0.045 = $32.85 ; 100 GB x $0.045 = $4.50 ; the EIP: 730 h x $0.005 = $3.65
    assert item(report, "Nat", "NAT gateway hours").monthly == pytest.approx(32.85)
    data = item(report, "Nat", "NAT data processed")
    assert data.monthly == pytest.approx(4.50)
    assert data.assumption is False  # the figure came from the usage file
    assert item(report, "Eip", "public IPv4").monthly == pytest.approx(3.65)
    assert report.monthly == pytest.approx(41.00)


def test_nat_data_is_shared_across_gateways_and_marked_assumed() -> None:
    nat = {"Type": "AWS::EC2::NatGateway", "Properties": {"SubnetId": "s"}}
    report = estimate_template_set(tset({"Nat1": nat, "Nat2": nat}))
    # default profile small: nat_gb 20 -> 10 GB per gateway
    first = item(report, "Nat1", "NAT data processed")
    assert first.quantity == pytest.approx(10.0)
    assert first.assumption is True
    assert report.usage["nat_gb"].assumed is True


def test_multi_az_r6g_large_with_100_gb_gp3() -> None:
    db = {"Type": "AWS::RDS::DBInstance", "Properties": {
        "Engine": "postgres", "DBInstanceClass": "db.r6g.large", "MultiAZ": True, "AllocatedStorage": "100",
        "StorageType": "gp3", "BackupRetentionPeriod": 30, "EnablePerformanceInsights": True,
        "PerformanceInsightsRetentionPeriod": 7}}
    cat = catalog(**{"rds__instance_hour__postgres__db__r6g__large__multi": 0.45,
                     "rds__storage_gb_month__gp3__multi": 0.23, "rds__backup_gb_month": 0.095})
    # the test catalog's keys: dots are written as "__"; r6g.large -> r6g__large
    report = estimate_template_set(tset({"Db": db}), UsageFile(values={"db_daily_change_pct": 2}), catalog=cat)
    # catalog rate $0.45/h (Multi-AZ) x 730 h = $328.50 ; 100 GB x $0.23 (Multi-AZ gp3) = $23.00
    assert item(report, "Db", "DB instance hours").monthly == pytest.approx(328.50)
    assert item(report, "Db", "DB storage").monthly == pytest.approx(23.00)
    # backups from the template: 100 GB x 2 % changed a day x 30 days (BackupRetentionPeriod) = 60 GB beyond the
    # free copy of the storage, x $0.095 = $5.70
    backup = item(report, "Db", "backup storage")
    assert backup.quantity == pytest.approx(60.0) and backup.monthly == pytest.approx(5.70)
    assert "30-day retention" in backup.component
    assert item(report, "Db", "Performance Insights").status == "free"  # 7-day retention tier
    assert report.monthly == pytest.approx(357.20)


def test_backups_grow_with_the_templates_retention_and_vanish_without_it() -> None:
    cat = catalog(**{"rds__instance_hour__postgres__db__t4g__micro__single": 0.016,
                     "rds__storage_gb_month__gp3__single": 0.115, "rds__backup_gb_month": 0.095})

    def backup_gb(days: int) -> float:
        db = {"Type": "AWS::RDS::DBInstance", "Properties": {
            "Engine": "postgres", "DBInstanceClass": "db.t4g.micro", "AllocatedStorage": "50", "StorageType": "gp3",
            "BackupRetentionPeriod": days}}
        report = estimate_template_set(tset({"Db": db}), UsageFile(values={"db_daily_change_pct": 1}), catalog=cat)
        found = [i for i in items(report, "Db") if i.component.startswith("backup")]
        return found[0].quantity if found else 0.0

    assert backup_gb(0) == 0.0
    assert backup_gb(7) == pytest.approx(3.5)  # 50 GB x 1 % x 7 days
    assert backup_gb(35) == pytest.approx(17.5)


def test_enhanced_monitoring_and_log_exports_are_read_from_the_template() -> None:
    cat = catalog(**{"rds__instance_hour__postgres__db__t4g__micro__single": 0.016,
                     "rds__storage_gb_month__gp3__single": 0.115, "logs__ingest_gb": 0.5,
                     "logs__storage_gb_month": 0.03})
    db = {"Type": "AWS::RDS::DBInstance", "Properties": {
        "Engine": "postgres", "DBInstanceClass": "db.t4g.micro", "AllocatedStorage": "20", "StorageType": "gp3",
        "BackupRetentionPeriod": 0, "MonitoringInterval": 60, "EnableCloudwatchLogsExports": ["postgresql", "upgrade"]}}
    usage = UsageFile(values={"enhanced_monitoring_kb_per_sample": 4, "db_log_export_gb": 3})
    report = estimate_template_set(tset({"Db": db}), usage, catalog=cat)
    # 730 h x 3600 s / 60 s = 43,800 samples x 4 KB = 0.1752 GB ingested x $0.50
    monitoring = item(report, "Db", "Enhanced Monitoring (60 s)")
    assert monitoring.quantity == pytest.approx(0.1752) and monitoring.monthly == pytest.approx(0.0876)
    # two exported engine logs x 3 GB x $0.50
    assert item(report, "Db", "engine log export").monthly == pytest.approx(3.00)


def test_serverless_v2_acus_come_from_the_clusters_scaling_configuration() -> None:
    cat = catalog(**{"aurora__serverless_v2_acu_hour": 0.12, "aurora__storage_gb_month__standard": 0.10,
                     "aurora__io_million": 0.20, "aurora__backup_gb_month": 0.021})
    resources = {
        "Cluster": {"Type": "AWS::RDS::DBCluster", "Properties": {
            "Engine": "aurora-postgresql", "BackupRetentionPeriod": 1,
            "ServerlessV2ScalingConfiguration": {"MinCapacity": 0.5, "MaxCapacity": 4}}},
        "Writer": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "DBClusterIdentifier": {"Ref": "Cluster"}, "Engine": "aurora-postgresql",
            "DBInstanceClass": "db.serverless"}}}
    report = estimate_template_set(tset(resources), catalog=cat)
    acu = item(report, "Writer", "Aurora Serverless v2 ACU-hours")
    # 0.5 ACU x 730 h x $0.12 = $43.80 expected; up to 4 ACU x 730 x $0.12 = $350.40
    assert acu.monthly == pytest.approx(43.80) and acu.high == pytest.approx(350.40)


def test_read_replica_takes_engine_and_storage_from_its_source() -> None:
    cat = catalog(**{"rds__instance_hour__postgres__db__t4g__medium__single": 0.065,
                     "rds__storage_gb_month__gp3__single": 0.115, "rds__backup_gb_month": 0.095})
    resources = {
        "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "Engine": "postgres", "DBInstanceClass": "db.t4g.medium", "AllocatedStorage": 50, "StorageType": "gp3"}},
        "Replica": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "SourceDBInstanceIdentifier": {"Ref": "Db"}, "DBInstanceClass": "db.t4g.medium"}}}
    report = estimate_template_set(tset(resources), catalog=cat)
    # replica: 730 x $0.065 = $47.45 and its own copy of 50 GB x $0.115 = $5.75
    assert item(report, "Replica", "DB read replica hours").monthly == pytest.approx(47.45)
    assert item(report, "Replica", "DB storage").monthly == pytest.approx(5.75)
    assert not [i for i in items(report, "Replica") if i.component.startswith("backup")]


def test_aurora_cluster_and_instances() -> None:
    cat = catalog(**{"rds__instance_hour__aurora-postgresql__db__r6g__large": 0.26,
                     "aurora__storage_gb_month__standard": 0.10, "aurora__io_million": 0.20,
                     "aurora__backup_gb_month": 0.021})
    resources = {
        "Cluster": {"Type": "AWS::RDS::DBCluster", "Properties": {"Engine": "aurora-postgresql"}},
        **{f"I{n}": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "DBClusterIdentifier": {"Ref": "Cluster"}, "Engine": "aurora-postgresql",
            "DBInstanceClass": "db.r6g.large"}} for n in (1, 2)}}
    usage = UsageFile(values={"aurora_storage_gb": 100, "aurora_io_million": 10, "db_daily_change_pct": 0})
    report = estimate_template_set(tset(resources), usage, catalog=cat)
    # 2 instances x 730 x $0.26 = $379.60 ; 100 GB x $0.10 = $10 ; 10 M I/O x $0.20 = $2
    assert report.monthly == pytest.approx(379.60 + 10 + 2)


def test_elasticache_replication_group_counts_every_node() -> None:
    cat = catalog(**{"elasticache__node_hour__redis__cache__r6g__large": 0.206})
    group = {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
        "Engine": "redis", "CacheNodeType": "cache.r6g.large", "NumCacheClusters": 2}}
    sharded = {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
        "Engine": "redis", "CacheNodeType": "cache.r6g.large", "NumNodeGroups": 3, "ReplicasPerNodeGroup": 1}}
    report = estimate_template_set(tset({"Cache": group, "Sharded": sharded}), catalog=cat)
    # 2 nodes x 730 x $0.206 = $300.76 ; 3 shards x 2 nodes = 6 nodes -> $902.28
    assert item(report, "Cache", "cache node hours").monthly == pytest.approx(300.76)
    assert item(report, "Sharded", "cache node hours").monthly == pytest.approx(902.28)


def test_alb_hours_lcus_public_ipv4_and_data_out() -> None:
    alb = {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
        "Type": "application", "Scheme": "internet-facing", "Subnets": ["subnet-a", "subnet-b"]}}
    usage = UsageFile(values={"requests_per_month": 0, "data_out_gb": 730})
    report = estimate_template_set(tset({"Alb": alb}), usage)
    # 730 h x $0.0225 = $16.425
    assert item(report, "Alb", "ALB hours").monthly == pytest.approx(16.425)
    # 730 GB processed / 730 h = 1 GB/h = 1 LCU; x 730 h x $0.008 = $5.84
    assert item(report, "Alb", "ALB capacity units").monthly == pytest.approx(5.84)
    # 2 AZs x 730 h x $0.005 = $7.30
    assert item(report, "Alb", "public IPv4").monthly == pytest.approx(7.30)
    # 730 GB x $0.09 = $65.70
    assert item(report, "Alb", "data transfer out").monthly == pytest.approx(65.70)


def test_internal_alb_has_no_public_ipv4_or_data_out() -> None:
    alb = {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Scheme": "internal"}}
    comps = [i.component for i in items(estimate_template_set(tset({"Alb": alb})), "Alb")]
    assert not [c for c in comps if "IPv4" in c or "transfer" in c]


def test_alb_subnets_inferred_from_public_route_tables() -> None:
    network = {
        "Igw": {"Type": "AWS::EC2::InternetGateway"},
        "Rt": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": "v"}},
        "Route": {"Type": "AWS::EC2::Route",
                  "Properties": {"RouteTableId": {"Ref": "Rt"}, "GatewayId": {"Ref": "Igw"}}},
        **{f"A{i}": {"Type": "AWS::EC2::SubnetRouteTableAssociation",
                     "Properties": {"RouteTableId": {"Ref": "Rt"}, "SubnetId": {"Ref": f"S{i}"}}} for i in range(3)}}
    alb = {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
        "Subnets": {"Fn::Split": [",", {"Ref": "PublicSubnets"}]}}}
    report = estimate_template_set(tset({"Alb": alb}, network=network))
    ipv4 = item(report, "Alb", "public IPv4")
    assert ipv4.quantity == pytest.approx(3 * HOURS)
    assert ipv4.note.startswith("3 public subnets in the set")


def test_logs_secrets_kms_waf_and_storage() -> None:
    resources = {
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
        "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {}},
        "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
        "Acl": {"Type": "AWS::WAFv2::WebACL", "Properties": {"Rules": [{"Name": "a"}, {"Name": "b"}, {"Name": "c"}]}},
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}},
        "Repo": {"Type": "AWS::ECR::Repository", "Properties": {}},
        "Zone": {"Type": "AWS::Route53::HostedZone", "Properties": {"Name": "example.com"}},
    }
    usage = UsageFile(values={"log_gb": 10, "secret_api_calls": 0, "kms_requests": 0, "requests_per_month": 1e6,
                              "s3_gb": 100, "s3_put_k": 0, "s3_get_k": 0, "ecr_gb": 10, "dns_queries_million": 0})
    report = estimate_template_set(tset(resources), usage)
    # logs: 10 GB x $0.50 = $5 ; stored 10 GB x 30/30.4167 months = 9.863 GB-month x $0.03 = $0.2959
    assert item(report, "Logs", "log ingestion").monthly == pytest.approx(5.0)
    assert item(report, "Logs", "log storage").monthly == pytest.approx(10 * 30 / (730 / 24) * 0.03)
    assert item(report, "Secret", "secret").monthly == pytest.approx(0.40)
    assert item(report, "Key", "KMS customer managed key").monthly == pytest.approx(1.00)
    # WAF: $5 ACL + 3 rules x $1 + 1 M requests x $0.60 = $8.60
    assert sum(i.monthly or 0 for i in items(report, "Acl")) == pytest.approx(8.60)
    assert item(report, "Bucket", "S3 Standard storage").monthly == pytest.approx(2.30)  # 100 GB x $0.023
    assert item(report, "Repo", "ECR image storage").monthly == pytest.approx(1.00)  # 10 GB x $0.10
    assert "no lifecycle policy" in item(report, "Repo", "ECR image storage").note
    assert item(report, "Zone", "Route 53 hosted zone").monthly == pytest.approx(0.50)


def test_no_sourced_rate_is_reported_never_guessed() -> None:
    # a region whose catalog has rates, but none for Fargate (the packaged catalog now prices Fargate there)
    cat = catalog(region="me-central-1", vpc__public_ipv4_hour=0.005)
    report = estimate_template_set(tset({"Task": TASK_QUARTER, "Svc": service(1)}, region="me-central-1"),
                                   catalog=cat)
    vcpu = item(report, "Svc", "Fargate vCPU-hours")
    assert vcpu.status == "unknown" and vcpu.monthly is None
    assert vcpu.note == "unknown price in me-central-1: no sourced rate for fargate.vcpu_hour.x86"
    assert report.monthly == 0.0
    assert len(report.unknown) == 2


def test_region_without_catalog_says_so() -> None:
    report = estimate_template_set(tset({"Task": TASK_QUARTER, "Svc": service(1)}, region="ap-south-2"))
    assert "no price catalog for this region" in item(report, "Svc", "Fargate vCPU-hours").note


def test_unknown_resource_type_is_not_priced_and_free_types_are_listed() -> None:
    report = estimate_template_set(tset({"Thing": {"Type": "AWS::Foo::Bar"}, "Vpc": {"Type": "AWS::EC2::VPC"}}))
    assert item(report, "Thing", "resource").status == "not-priced"
    assert item(report, "Vpc", "no charge").status == "free"
    assert len(report.unknown) == 1


def test_scheduled_task_runs() -> None:
    assert runs_per_month("cron(0 2 * * ? *)") == pytest.approx(730 / 24)
    assert runs_per_month("rate(5 minutes)") == pytest.approx(730 * 12)
    assert runs_per_month("cron(0/15 9-17 ? * MON-FRI *)") == pytest.approx(4 * 9 * 5 * 730 / 24 / 7)
    assert runs_per_month("cron(0 3 1 * ? *)") == pytest.approx(1)
    rule = {"Type": "AWS::Events::Rule", "Properties": {"ScheduleExpression": "cron(0 2 * * ? *)", "Targets": [
        {"Id": "t", "Arn": "x", "EcsParameters": {"TaskDefinitionArn": {"Ref": "Task"}, "TaskCount": 1}}]}}
    report = estimate_template_set(tset({"Task": TASK_QUARTER, "Nightly": rule}),
                                   UsageFile(values={"scheduled_task_minutes": 30}))
    # 30.4167 runs x 0.5 h x 0.25 vCPU = 3.802 vCPU-h x $0.04048
    assert item(report, "Nightly", "Fargate vCPU-hours").monthly == pytest.approx(730 / 24 * 0.5 * 0.25 * 0.04048)
    assert item(report, "Task", "no charge").note == "priced on Nightly, which runs it"


def test_one_off_job_task_definition_priced_per_deploy() -> None:
    report = estimate_template_set(tset({"Task": TASK_QUARTER}),
                                   UsageFile(values={"deploys_per_month": 30, "job_minutes": 6}))
    # 30 runs x 0.1 h x 0.25 vCPU = 0.75 vCPU-h
    assert item(report, "Task", "Fargate vCPU-hours").quantity == pytest.approx(0.75)


def test_versioned_bucket_keeps_noncurrent_versions_for_the_templates_expiry() -> None:
    cat = catalog(**{"s3__standard_gb_month": 0.023, "s3__put_1k": 0.005, "s3__get_1k": 0.0004})

    def noncurrent(props: dict[str, object]) -> float | None:
        bucket = {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": props}}
        report = estimate_template_set(tset(bucket), UsageFile(values={"s3_gb": 100, "s3_daily_overwrite_pct": 1}),
                                       catalog=cat)
        found = [i for i in items(report, "Bucket") if i.component.startswith("S3 noncurrent")]
        return found[0].quantity if found else None

    assert noncurrent({}) is None  # no versioning, no noncurrent versions
    on = {"VersioningConfiguration": {"Status": "Enabled"}}
    assert noncurrent(on) == pytest.approx(100 * 0.01 * 365)  # never expired: a year's worth, flagged
    expiring = {**on, "LifecycleConfiguration": {"Rules": [
        {"Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 7}}]}}
    assert noncurrent(expiring) == pytest.approx(100 * 0.01 * 7)


def test_lifecycle_transitions_and_intelligent_tiering_monitoring_are_billed_per_object() -> None:
    # the packaged us-east-1 rates (infracost's golden output): into STANDARD_IA $0.01, GLACIER $0.03,
    # DEEP_ARCHIVE $0.05, INTELLIGENT_TIERING $0.01 per 1,000 requests; monitoring $0.0025 per 1,000 objects
    moves = [{"StorageClass": k, "TransitionInDays": d} for k, d in (("STANDARD_IA", 30), ("GLACIER", 90),
                                                                         ("DEEP_ARCHIVE", 365))]
    rules = [{"Id": "age", "Status": "Enabled", "Transitions": moves},
             {"Id": "off", "Status": "Disabled",
              "Transitions": [{"StorageClass": "GLACIER_IR", "TransitionInDays": 1}]}]
    tiered = [{"Id": "intelligent-tiering", "Status": "Enabled",
               "Transitions": [{"StorageClass": "INTELLIGENT_TIERING", "TransitionInDays": 0}]}]
    buckets = {"Docs": {"Type": "AWS::S3::Bucket", "Properties": {"LifecycleConfiguration": {"Rules": rules}}},
               "Archive": {"Type": "AWS::S3::Bucket", "Properties": {"LifecycleConfiguration": {"Rules": tiered}}},
               "Plain": {"Type": "AWS::S3::Bucket", "Properties": {}}}
    report = estimate_template_set(tset(buckets), UsageFile(values={"s3_put_k": 200, "s3_objects_k": 4000}))
    # 200k objects written a month, each moved once into each class of an enabled rule
    assert item(report, "Docs", "S3 lifecycle transitions into STANDARD_IA").monthly == pytest.approx(2.00)
    assert item(report, "Docs", "S3 lifecycle transitions into GLACIER").monthly == pytest.approx(6.00)
    assert item(report, "Docs", "S3 lifecycle transitions into DEEP_ARCHIVE").monthly == pytest.approx(10.00)
    assert not [i for i in items(report, "Docs") if "GLACIER_IR" in i.component]  # the disabled rule moves nothing
    assert not [i for i in items(report, "Docs") if "Intelligent-Tiering" in i.component]
    assert item(report, "Archive", "S3 lifecycle transitions into INTELLIGENT_TIERING").monthly == pytest.approx(2.00)
    # 4,000k objects x $0.0025 per 1,000 = $10.00 a month, whatever their access
    monitoring = item(report, "Archive", "S3 Intelligent-Tiering monitoring")
    assert monitoring.monthly == pytest.approx(10.00) and "128 KB" in monitoring.note
    assert [i.component for i in items(report, "Plain")] == [
        "S3 Standard storage", "S3 PUT/COPY/POST/LIST requests", "S3 GET/SELECT requests"]


def test_lifecycle_transitions_use_the_regions_rate_or_say_they_are_bounded() -> None:
    rules = [{"Status": "Enabled", "Transitions": [{"StorageClass": "GLACIER", "TransitionInDays": 90},
                                                   {"StorageClass": "STANDARD_IA", "TransitionInDays": 30}]}]
    bucket = {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"LifecycleConfiguration": {"Rules": rules}}}}
    report = estimate_template_set(tset(bucket, region="eu-west-2"), UsageFile(values={"s3_put_k": 100}))
    glacier = item(report, "Bucket", "S3 lifecycle transitions into GLACIER")
    assert glacier.status == "priced" and glacier.monthly == pytest.approx(100 * 0.0318)  # the London offer row
    ia = item(report, "Bucket", "S3 lifecycle transitions into STANDARD_IA")
    assert ia.status == "unknown" and ia.monthly is None  # never $0: bounded from us-east-1's $0.01
    assert ia.proxy_monthly is not None and ia.proxy_monthly >= 100 * 0.01


def test_cache_snapshots_beyond_the_free_one_follow_the_retention() -> None:
    def snapshots(engine: str, days: int, kind: str = "AWS::ElastiCache::ReplicationGroup") -> float | None:
        props = {"Engine": engine, "CacheNodeType": "cache.t4g.small", "SnapshotRetentionLimit": days,
                 **({"NumCacheClusters": 2} if kind.endswith("ReplicationGroup") else {"NumCacheNodes": 1})}
        report = estimate_template_set(tset({"Cache": {"Type": kind, "Properties": props}}),
                                       UsageFile(values={"cache_snapshot_gb": 4}))
        found = [i for i in items(report, "Cache") if i.component.startswith("cache snapshot storage")]
        return found[0].monthly if found else None

    # 7 days kept, one free: 6 x 4 GB x $0.085 (us-east-1) = $2.04
    assert snapshots("redis", 7) == pytest.approx(6 * 4 * 0.085)
    assert snapshots("valkey", 7, "AWS::ElastiCache::CacheCluster") == pytest.approx(2.04)
    assert snapshots("redis", 1) is None and snapshots("redis", 0) is None  # the one snapshot is free
    assert snapshots("memcached", 7, "AWS::ElastiCache::CacheCluster") is None  # memcached keeps no snapshots


def test_round_two_rates_are_sourced_in_their_regions() -> None:
    cat = packaged_catalog()
    sm = cat.lookup("eu-west-1", "secretsmanager.secret_month").rate
    assert sm is not None and sm.region == "eu-west-1" and "7XGGDB26HD68ED7A" in sm.source
    api = cat.lookup("eu-west-1", "secretsmanager.api_10k").rate
    assert api is not None and api.price == pytest.approx(0.05) and "EGBHGCHDFAQWM4B6" in api.source
    for region in ("eu-west-1", "eu-west-2", "me-central-1"):  # a global Price List product, not a regional row
        dashboard = cat.lookup(region, "cloudwatch.dashboard_month").rate
        assert dashboard is not None and dashboard.region == "global" and dashboard.price == 3.0


def test_container_insights_is_bounded_by_its_documented_metrics() -> None:
    from moorage.cost.components.ecs import CONTAINER_INSIGHTS_METRICS

    cat = catalog(**{"cloudwatch__metric_month": 0.30, "logs__ingest_gb": 0.5})
    resources = {"Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {
        "ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]}},
        **{f"Svc{n}": {"Type": "AWS::ECS::Service", "Properties": {"LaunchType": "EC2"}} for n in (1, 2)}}
    report = estimate_template_set(tset(resources), catalog=cat)
    metrics = item(report, "Cluster", "Container Insights metrics")
    # 16 documented metric names x (the cluster + 2 services + their 2 task families) = 80 metrics x $0.30
    assert len(CONTAINER_INSIGHTS_METRICS) == 16
    assert metrics.quantity == 80 and metrics.monthly == pytest.approx(24.0) and metrics.status == "priced"
    assert item(report, "Cluster", "Container Insights performance").assumption is True


def test_a_task_definition_in_another_stack_is_found_through_the_parameter_that_feeds_it() -> None:
    # moorage describes a cross-stack parameter as "from stack S: output O"; cost follows it as policy does.
    svc = {"Type": "AWS::ECS::Service", "Properties": {
        "TaskDefinition": {"Ref": "TaskArn"}, "DesiredCount": 2, "LaunchType": "FARGATE"}}
    both = tset({"Svc": svc}, defs={"Task": TASK_QUARTER})
    both.templates["main"]["Parameters"] = {"TaskArn": {"Type": "String",
                                                        "Description": "from stack defs: output TaskArn"}}
    both.templates["defs"]["Outputs"] = {"TaskArn": {"Value": {"Ref": "Task"}}}
    vcpu = item(estimate_template_set(both), "Svc", "Fargate vCPU-hours (x86")
    assert vcpu.status == "priced" and vcpu.quantity == pytest.approx(2 * 0.25 * 730)
    del both.templates["main"]["Parameters"]["TaskArn"]["Description"]
    del both.templates["defs"]["Outputs"]
    assert "not in this template" in item(estimate_template_set(both), "Svc", "Fargate").note
