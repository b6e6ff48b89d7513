"""Hand counts: three estimates written out line by line, with the rate of every line, and compared with the code.

Each count is made from the example's spec and the synthesized templates by reading them, not from the estimate:
how many NAT gateways, tasks, vCPUs, alarms, secrets and log groups the environment has, times the rate. Rates are
the catalog's sourced rates where the region has one (the Price List SKU is in the catalog file); where it has none
the count uses the declared proxy, worked out by hand here as "us-east-1 (or nearest region) rate x the highest
measured ratio between the two regions' shared rates", and says so. Usage-driven lines use the medium profile of a
prod environment (moorage/data/usage_profiles.yaml): 200 GB NAT, 200 GB out, 20 M requests, 5 GB of logs per log
group, 20 GB of flow logs, 100 GB per bucket and Aurora cluster, 50 M Aurora I/Os, 2 % daily change, 50,000 secret
and 100,000 KMS calls. The estimate must land within 5 % of each count.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from moorage.api import template_sets
from moorage.cost import estimate_template_set

ROOT = Path(__file__).resolve().parents[2]
H = 730.0  # hours a month
MONTH_DAYS = 730.0 / 24.0
CONTAINER_INSIGHTS = "Container Insights metrics (upper bound)"


@dataclass(frozen=True)
class Line:
    """One line of a hand count: what, how many, at which rate, and whether the rate is sourced or a proxy."""

    what: str
    quantity: float
    rate: float
    basis: str  # "sourced" or "proxy: ..."

    @property
    def monthly(self) -> float:
        return self.quantity * self.rate


def total(lines: list[Line]) -> float:
    return sum(line.monthly for line in lines)


def sourced(lines: list[Line]) -> float:
    return sum(line.monthly for line in lines if line.basis == "sourced")


# --- smartboard prod, eu-west-1 --------------------------------------------------------------------------------------
# eu-west-1 / us-east-1 measured ratios: RDS instances 0.252 / 0.225 = 1.12 (postgres db.r6g.large), which is also the
# highest over all shared rates (ALB hour 0.0252 / 0.0225 = 1.12); ElastiCache not needed (sourced). Custom metrics
# (Container Insights) are sourced from the eu-west-1 CloudWatch offer file ($0.30, catalog).
EUW1 = 1.12
SMARTBOARD_PROD = [
    # 8 services (web, gateway, 6 svc-*) x 2 tasks x 0.5 vCPU + worker 1 on-demand task x 0.5 vCPU, all month;
    # migrate: 40 deploys x 5 min x 0.5 vCPU
    Line("Fargate vCPU-hours", (8 * 2 * 0.5 + 0.5) * H + 40 * 5 / 60 * 0.5, 0.04048, "sourced"),
    Line("Fargate GB-hours (1 GB per task)", (8 * 2 * 1 + 1) * H + 40 * 5 / 60 * 1, 0.004445, "sourced"),
    Line("Fargate Spot vCPU-hours (worker's second task)", 0.5 * H, 0.01257825, "sourced"),
    Line("Fargate Spot GB-hours", 1 * H, 0.00138118, "sourced"),
    Line("3 NAT gateways (one per AZ in prod)", 3 * H, 0.048, "sourced"),
    Line("6 public IPv4: 3 NAT Elastic IPs + the ALB in 3 AZs", 6 * H, 0.005, "sourced"),
    Line("ALB hours", H, 0.0252, "sourced"),
    Line("ElastiCache 2 x cache.t4g.medium", 2 * H, 0.068, "sourced"),
    Line("S3: 2 buckets (datasets, access logs) x 100 GB", 200, 0.023, "sourced"),
    Line("S3 PUTs: 2 x 100 k", 200, 0.005, "sourced"),
    Line("S3 GETs: 2 x 1,000 k", 2000, 0.0004, "sourced"),
    # both buckets are versioned: 1 % of 100 GB a day kept as noncurrent versions; the datasets bucket never
    # expires them (a year shown), the access-log bucket after 7 days
    Line("S3 noncurrent versions", 100 * 0.01 * 365 + 100 * 0.01 * 7, 0.023, "sourced"),
    Line("WAF web ACL", 1, 5.0, "sourced"),
    Line("WAF rules (3 managed rule groups)", 3, 1.0, "sourced"),
    Line("WAF requests: 20 M", 20, 0.6, "sourced"),
    Line("Cloud Map private namespace (hosted zone)", 1, 0.5, "sourced"),
    Line("Cloud Map instances: 8 discoverable services x 2 tasks", 16, 0.10, "sourced"),
    # Aurora db.r6g.large: eu-west-1 $0.286/h (catalog: the Pricing API's r6g.8xlarge $4.582 / 16, as billed)
    Line("Aurora PostgreSQL 2 x db.r6g.large (writer + reader)", 2 * H, 0.286, "sourced"),
    Line("Aurora storage 100 GB", 100, 0.10 * EUW1, "proxy: us-east-1 $0.10 x 1.12"),
    # Aurora I/O and backups: the eu-west-1 Price List API rates (EU-Aurora:StorageIOUsage, EU-Aurora:BackupUsage)
    Line("Aurora I/O 50 M", 50, 0.22, "sourced"),
    Line("Aurora backups: 100 GB x 2 % x 30 days", 60, 0.021, "sourced"),
    Line("NAT data 200 GB", 200, 0.048, "sourced"),
    Line("data out 200 GB", 200, 0.09, "sourced"),
    Line("ALB LCUs: 200 GB / 730 h = 0.27 LCU (processed bytes)", 200 / H * H, 0.008, "sourced"),
    # 10 log groups (web, gateway, 6 svc-*, worker, migrate) x 5 GB + 2 GB postgresql log export + Enhanced
    # Monitoring of 2 instances: 730 h x 3600 s / 60 s x 4 KB = 0.1752 GB each
    Line("log ingestion", 10 * 5 + 2 + 2 * 0.1752, 0.57, "sourced"),
    # 180-day retention: 5 GB x 180 / 30.42 per service log group and 20 GB for the flow log group; EM 30 days
    Line("log storage", (10 * 5 + 20) * 180 / MONTH_DAYS + 2 * 0.1752 * 30 / MONTH_DAYS, 0.03, "sourced"),
    # vended logs: eu-west-1's first tier from the Pricing API, $0.50 (catalog)
    Line("VPC flow log delivery 20 GB (vended)", 20, 0.50, "sourced"),
    # Secrets Manager: the eu-west-1 offer rows (SKUs 7XGGDB26HD68ED7A, EGBHGCHDFAQWM4B6); the dashboard is a global
    # Price List product ($3, global.yaml)
    Line("7 secrets", 7, 0.4, "sourced"),
    Line("secret API calls 7 x 50,000", 35, 0.05, "sourced"),
    Line("29 CloudWatch alarms", 29, 0.10, "sourced"),
    Line("dashboard", 1, 3.0, "sourced"),
    # the charges hand-written tables leave out: the datasets bucket's lifecycle rule moves every object written
    # (100 k PUTs) into GLACIER at $0.033 per 1,000 (eu-west-1 S3 offer); the cache keeps 7 daily snapshots, one
    # free: 6 x 2 GB at us-east-1's $0.085 x 1.112 (highest eu-west-1/us-east-1 ElastiCache ratio: r6g.large
    # 0.229 / 0.206)
    Line("S3 lifecycle transitions into GLACIER: 100 k", 100, 0.033, "sourced"),
    # registry.services: all: one ECR repository per image (9 services + migrate) x 20 GB, at the eu-west-1 AmazonECR
    # offer row (SKU 4NWTEXUZBWQH8MDW, $0.10)
    Line("ECR image storage: 10 repositories x 20 GB", 10 * 20, 0.10, "sourced"),
    Line("cache snapshots beyond the free one: 6 x 2 GB", 12, 0.085 * 0.229 / 0.206, "proxy: us-east-1 $0.085 x 1.112"),
    # Container Insights is billed as custom metrics: at most the 16 documented ECS metric names for the cluster
    # and for each of the 9 services (web, gateway, 6 svc-*, worker) and its task family (19 dimension sets),
    # and ~2 GB of performance events
    Line(CONTAINER_INSIGHTS, 16 * (1 + 2 * 9), 0.30, "sourced"),
    Line("Container Insights performance log events 2 GB", 2, 0.57, "sourced"),
]

# --- maestro prod, me-central-1 --------------------------------------------------------------------------------------
# me-central-1 / us-east-1, highest over every shared rate: Fargate GB-hours 0.0058 / 0.004445 = 1.3048 (the RDS
# instance ratio, 0.277 / 0.225 = 1.2311, no longer bounds a line here). NAT data, data out, LCUs, logs, gp3
# Multi-AZ, backups, secrets and custom metrics are sourced from the me-central-1 offer files (catalog, 2026-10-04);
# the db.r6g.xlarge Multi-AZ rate is derived from its db.r6g.large row (catalog, round 4).
MEC1_ALL = 0.0058 / 0.004445
MAESTRO_PROD = [
    # web: 3 tasks x 1 vCPU / 2 GB all month; a daily report task and the migration job are a few hours
    Line("Fargate vCPU-hours (web 3 x 1 vCPU)", 3 * 1 * H, 0.0526, "sourced"),
    Line("Fargate GB-hours (web 3 x 2 GB)", 3 * 2 * H, 0.0058, "sourced"),
    Line("3 NAT gateways", 3 * H, 0.0528, "sourced"),
    Line("6 public IPv4 (3 NAT EIPs, ALB in 3 AZs)", 6 * H, 0.005, "sourced"),
    Line("ALB hours", H, 0.028224, "sourced"),
    Line("S3: documents + access logs, 2 x 100 GB", 200, 0.025, "sourced"),
    Line("S3 noncurrent versions: documents (never expired, a year) + logs (7 days)", 365 + 7, 0.025, "sourced"),
    Line("WAF ACL + 3 rules + 20 M requests", 1, 5 + 3 + 20 * 0.6, "sourced"),
    Line("customer KMS key", 1, 1.0, "sourced"),
    # derived in the catalog: 2 x the me-central-1 db.r6g.large Multi-AZ row ($0.554), AWS's size normalization
    Line("RDS PostgreSQL db.r6g.xlarge Multi-AZ", H, 2 * 0.554, "sourced"),
    Line("RDS gp3 100 GB Multi-AZ", 100, 0.279, "sourced"),
    Line("RDS backups: 100 GB x 2 % x 30 days", 60, 0.1045, "sourced"),
    Line("ElastiCache 2 x cache.r6g.large", 2 * H, 0.206 * MEC1_ALL, "proxy: us-east-1 $0.206 x 1.305"),
    Line("NAT data 200 GB", 200, 0.0528, "sourced"),
    Line("data out 200 GB", 200, 0.117, "sourced"),
    Line("ALB LCUs 200 LCU-hours", 200, 0.00896, "sourced"),
    Line("flow log delivery 20 GB", 20, 0.5 * MEC1_ALL, "proxy: us-east-1 $0.50 x 1.305"),
    Line("log ingestion: 3 log groups x 5 GB + postgresql export 2 GB", 17, 0.63, "sourced"),
    Line("log storage: 3 x 5 GB + 20 GB flow logs, 180 days", 35 * 180 / MONTH_DAYS, 0.033, "sourced"),
    Line("7 secrets", 7, 0.40, "sourced"),
    Line("secret API calls 7 x 50,000", 35, 0.05 * MEC1_ALL, "proxy: us-east-1 $0.05 x 1.305"),
    Line("11 alarms + dashboard", 1, 11 * 0.1 * MEC1_ALL + 3 * MEC1_ALL, "proxy"),
    # one ECS service (web): the cluster + the service + its task family, 2 GB of performance events
    Line(CONTAINER_INSIGHTS, 16 * (1 + 2 * 1), 0.30, "sourced"),
    Line("Container Insights performance log events 2 GB", 2, 0.63, "sourced"),
]

# --- rupaya prod, us-east-1: the io2 case -----------------------------------------------------------------------------
RUPAYA_PROD = [
    Line("RDS PostgreSQL db.r6g.large Multi-AZ", H, 0.45, "sourced"),
    Line("io2 storage 500 GB, Multi-AZ (2 x $0.125)", 500, 0.25, "sourced"),
    Line("io2 provisioned IOPS 3,000, Multi-AZ (2 x $0.10)", 3000, 0.20, "sourced"),
    Line("RDS backups: 500 GB x 2 % x 30 days", 300, 0.095, "sourced"),
    Line("ElastiCache 3 x cache.r6g.large (1 shard, 2 replicas)", 3 * H, 0.206, "sourced"),
    Line("3 NAT gateways", 3 * H, 0.045, "sourced"),
    Line("6 public IPv4", 6 * H, 0.005, "sourced"),
    Line("backend 3 x 1 vCPU / 2 GB", 3 * H, 0.04048 + 2 * 0.004445, "sourced"),
    Line("ALB hours + 200 LCU-hours", 1, H * 0.0225 + 200 * 0.008, "sourced"),
    Line("CloudFront 200 GB + 20 M HTTPS requests", 1, 200 * 0.085 + 2000 * 0.01, "sourced"),
    Line("WAF ACL + 3 rules + 20 M requests", 1, 5 + 3 + 12, "sourced"),
    Line("NAT data 200 GB", 200, 0.045, "sourced"),
    Line("flow logs 20 GB + 4 log groups", 1, 20 * 0.5 + 12.18 * 0.5 + 177.71 * 0.03, "sourced"),
    Line(CONTAINER_INSIGHTS, 16 * (1 + 2 * 1), 0.30, "sourced"),  # one ECS service (backend)
    Line("Container Insights performance log events 2 GB", 2, 0.5, "sourced"),
]


def estimate(example: str, env: str):  # type: ignore[no-untyped-def]
    spec = ROOT / "examples" / example / ("docker-compose.yml" if example == "smartboard" else "moorage.yml")
    (tset,) = template_sets([spec], envs=[env])
    return estimate_template_set(tset)


@pytest.mark.parametrize(("example", "env", "count"), [
    ("smartboard", "prod", SMARTBOARD_PROD), ("maestro", "prod", MAESTRO_PROD), ("rupaya", "prod", RUPAYA_PROD)])
def test_estimate_is_within_5_percent_of_the_hand_count(example: str, env: str, count: list[Line]) -> None:
    report = estimate(example, env)
    hand = total(count)
    assert report.upper == pytest.approx(hand, rel=0.05), (example, report.upper, hand)
    # and the split holds: what the estimate calls sourced matches the count's sourced lines
    assert report.monthly == pytest.approx(sourced(count), rel=0.05), (example, report.monthly, sourced(count))


def test_the_hand_counts_agree_with_the_issue() -> None:
    # issue 12: "counted by hand ... it is about $1,110" for smartboard prod; the Aurora pair "≈ $418". That
    # count did not include Container Insights, which this one bounds from above on its own line.
    issue_lines = [line for line in SMARTBOARD_PROD if not line.what.startswith("Container Insights")]
    assert total(issue_lines) == pytest.approx(1110, rel=0.05)
    aurora = next(line for line in SMARTBOARD_PROD if line.what.startswith("Aurora PostgreSQL"))
    assert aurora.monthly == pytest.approx(418, rel=0.03)
    # "a Multi-AZ 500 GB io2 database with 3,000 IOPS reads $328.50; about $1,050 is real"
    db = [line for line in RUPAYA_PROD if line.what.startswith(("RDS PostgreSQL", "io2"))]
    assert total(db) == pytest.approx(1050, rel=0.03)
    report = estimate("rupaya", "prod")
    db_items = [i for i in report.items if i.resource == "DbDb" and i.component.startswith(("DB instance", "DB storage",
                                                                                          "provisioned IOPS"))]
    assert sum(i.monthly or 0.0 for i in db_items) == pytest.approx(total(db), rel=0.01)
    assert all(i.status == "priced" for i in db_items)


def test_smartboard_budget_reads_the_upper_bound() -> None:
    report = estimate("smartboard", "prod")
    assert report.budget is not None and report.budget.amount == 400
    pct = 100 * report.upper / report.budget.amount
    # the issue's hand count puts the truth at about 278 % of the budget; the sourced sum read 146 %. The bound
    # must not fall below the truth, and stays within what the bounded lines (Container Insights) can add.
    assert 278 * 0.95 <= pct <= 100 * total(SMARTBOARD_PROD) / 400 * 1.05
