"""Hand-written templates that reproduce the guides' mistakes: each is reported with the right rule,
severity, resource and line, and its clean twin is not. Read from files, as `moorage check` reads them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moorage.api import template_sets
from moorage.policy import Report, checklist, run_checks
from moorage.policy.report import to_json, to_junit, to_markdown, to_sarif

DATA = Path(__file__).parent / "data" / "handwritten"

# case -> [(rule, severity, resource, text on the reported line, file)]; `file` for multi-stack cases;
# "A >> B": the first line with B after the first line with A.
EXPECTED: dict[str, list[tuple[str, str, str, str, str]]] = {
    "env_secrets": [
        ("MOO-SEC-007", "critical", "TaskDefinition", "Value: postgresql://app:", ""),
        ("MOO-SEC-007", "critical", "TaskDefinition", "Value: sk_live_", ""),
        ("MOO-SEC-007", "critical", "TaskDefinition", "Value: Server=sql.internal", ""),
        ("MOO-SEC-001", "critical", "TaskDefinition", "Name: DB_PWD", ""),
    ],
    "template_secrets": [
        ("MOO-SEC-007", "critical", "DbPassword", "Default: Xk9", ""),
        ("MOO-SEC-007", "critical", "Bastion", "Fn::Base64", ""),
        ("MOO-SEC-007", "critical", "Bastion", "Fn::Base64", ""),
        ("MOO-SEC-007", "critical", "GithubToken", "Value: ghp_", ""),
    ],
    "managed_policies": [
        ("MOO-IAM-002", "high", "ExecutionRole", "policy/SecretsManagerReadWrite", ""),
        ("MOO-IAM-002", "critical", "TaskRole", "policy/AdministratorAccess", ""),
        ("MOO-IAM-002", "medium", "DeployRole", "policy/AmazonS3FullAccess", ""),
    ],
    "sg_ranges": [
        ("MOO-NET-008", "medium", "ServicesSg", "FromPort: 4010, ToPort: 4070", ""),
        ("MOO-NET-008", "high", "WorkerSg", "FromPort: 0, ToPort: 65535", ""),
    ],
    "port_mismatch": [
        ("MOO-NET-008", "high", "TasksSg", "FromPort: 3030", "network.yaml"),
        ("MOO-ECS-014", "high", "Service", "ContainerName: web, ContainerPort: 3040", "app.yaml"),
    ],
    "health_check": [("MOO-ELB-007", "high", "HealthCheck", "HealthCheckConfig:", "")],
    "route_tables": [("MOO-NET-009", "high", "Service", "Subnets: [!Ref PrivateSubnet]", "")],
    "capacity_providers": [
        ("MOO-ECS-015", "high", "SpotProvider", "Name: FARGATE_SPOT", ""),
        ("MOO-ECS-015", "high", "Worker", "LaunchType: FARGATE", ""),
        ("MOO-ECS-015", "high", "Worker", "{CapacityProvider: FARGATE_SPOT", ""),
    ],
    "backups": [
        ("MOO-RDS-005", "high", "Db", "Properties:", ""),
        ("MOO-RDS-012", "high", "Replica", "Replica: >> BackupRetentionPeriod: 0", ""),
    ],
    "debug_flags": [
        ("MOO-ECS-016", "high", "TaskDefinition", "{Name: DEBUG,", ""),
        ("MOO-ECS-016", "high", "TaskDefinition", "{Name: NODE_ENV,", ""),
        ("MOO-ECS-016", "high", "TaskDefinition", "{Name: AWS_XRAY_DEBUG_MODE,", ""),
        ("MOO-ECS-016", "high", "NodeEnv", "NodeEnv: >> Value: development", ""),
    ],
    "alarm_topic_key": [
        ("MOO-MON-006", "high", "CpuAlarm", "AlarmActions: [!Ref AlarmTopic]", ""),
        ("MOO-MON-006", "high", "CpuAlarm", "OKActions: [!Ref PagingTopic]", ""),
    ],
    "cluster_mode_client": [
        ("MOO-EC-008", "high", "TaskDefinition", "Command: [bundle, exec, sidekiq", ""),
        ("MOO-EC-008", "high", "TaskDefinition", "{Name: CELERY_BROKER_URL", ""),
    ],
}
SECRETS = ["Tr0ub4dor3", "sk_live_51HqLyjWDarjtT1zdp7dcXYZabcdEFGH", "Wint3r2024!", "Xk9mQ2vLp7Rz", "Qz8vN3xTm4Lw",
           "AKIAIOSFODNN7EXAMPLE", "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"]


def files(case: str) -> list[Path]:
    path = DATA / case
    return sorted(path.glob("*.yaml")) if path.is_dir() else [DATA / f"{case}.yaml"]


def check(case: str, profile: str = "prod") -> Report:
    sets = template_sets(files(case))
    for s in sets:
        s.profile = profile
    return run_checks(sets)


def line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    after = 0
    if " >> " in text:
        first, text = text.split(" >> ", 1)
        after = next(i + 1 for i, line in enumerate(lines) if first in line)
    return next(i + 1 for i, line in enumerate(lines) if i + 1 > after and text in line)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_mistake_is_reported_with_rule_severity_and_line(case: str) -> None:
    report = check(case)
    rules = {e[0] for e in EXPECTED[case]}
    found = sorted((f.rule, str(f.severity), f.resource, Path(f.file or "").name, f.line or 0)
                   for f in report.findings if f.rule in rules)
    wanted = []
    for rule, severity, resource, text, name in EXPECTED[case]:
        path = DATA / case / name if name else files(case)[0]
        wanted.append((rule, severity, resource, path.name, line_of(path, text)))
    assert found == sorted(wanted), [f.message for f in report.findings if f.rule in rules]
    assert not report.errors, report.errors


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_clean_twin_is_not_reported(case: str) -> None:
    report = check(f"{case}_clean")
    rules = {e[0] for e in EXPECTED[case]}
    assert not [(f.rule, f.resource, f.message) for f in report.findings if f.rule in rules]
    evaluated = {e.rule for e in report.evaluations if e.status == "pass"}
    assert rules <= evaluated, f"the clean twin must be evaluated, not skipped: {rules - evaluated}"


def test_messages_name_the_form_of_the_credential() -> None:
    messages = sorted(f.message for f in check("env_secrets").findings if f.rule == "MOO-SEC-007")
    assert any("a URL with a password" in m for m in messages)
    assert any("a Stripe key (sk_l****)" in m for m in messages)
    assert any("a connection string with a password" in m for m in messages)
    messages = [f.message for f in check("template_secrets").findings if f.rule == "MOO-SEC-007"]
    assert any("an AWS access key (AKIA****)" in m for m in messages)
    assert any("user data sets DB_PASSWORD" in m for m in messages)
    assert any("a GitHub token" in m for m in messages)


def test_no_report_format_carries_a_secret_value() -> None:
    for case in ("env_secrets", "template_secrets"):
        report = check(case)
        items = checklist(report)
        for text in (to_json(report, items), to_sarif(report, "x"), to_junit(report), to_markdown(report, items)):
            leaked = [s for s in SECRETS if s in text]
            assert not leaked, leaked
        assert json.loads(to_json(report, items))["findings"]


def test_debug_settings_are_a_production_rule() -> None:
    assert not [f for f in check("debug_flags", profile="dev").findings if f.rule == "MOO-ECS-016"]


def test_broad_policy_severity_follows_the_role() -> None:
    by_role = {f.resource: f.message for f in check("managed_policies").findings if f.rule == "MOO-IAM-002"}
    assert "to an ECS execution role" in by_role["ExecutionRole"]
    assert "to an ECS task role" in by_role["TaskRole"]
    assert "to a CI role" in by_role["DeployRole"]
