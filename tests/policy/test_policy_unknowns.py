"""What the rules cannot see is never silently fine, and equivalent spellings do not slip past them.

Hand-written bad/clean template pairs under data/unknowns, checked as `moorage check` reads them:
values under Fn::If (each branch judged), resources no rule can judge (listed as unchecked), CIDRs
compared as networks, bucket-policy conditions that pin nothing, URL passwords with special characters.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moorage.cli.app import app
from moorage.policy.cidrs import broad_public, whole_internet
from moorage.policy.rules.common import restricted
from moorage.url_passwords import url_passwords

DATA = Path(__file__).parent / "data" / "unknowns"
runner = CliRunner()


def check_json(name: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = runner.invoke(app, ["check", str(DATA / name), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def findings(report: dict, rule: str) -> list[dict]:  # type: ignore[type-arg]
    return [f for f in report["findings"] if f["rule"] == rule]


# ------------------------------------------------------------------ Fn::If

@pytest.mark.parametrize(("rule", "resource"), [
    ("MOO-RDS-001", "Db"), ("MOO-RDS-002", "Db"), ("MOO-NET-001", "AdminSg"), ("MOO-LOG-001", "Logs")])
def test_an_unsafe_branch_of_fn_if_is_a_finding_naming_its_condition(rule: str, resource: str) -> None:
    code, report = check_json("conditions_bad.yaml")
    hits = findings(report, rule)
    assert [f["resource"] for f in hits] == [resource]
    assert hits[0]["message"].endswith("(when condition IsProd is true)")
    assert hits[0]["line"]
    assert code == 1


def test_fn_if_with_safe_branches_passes() -> None:
    code, report = check_json("conditions_clean.yaml")
    for rule in ("MOO-RDS-001", "MOO-RDS-002", "MOO-NET-001", "MOO-LOG-001", "MOO-LOG-002", "MOO-RDS-005"):
        assert findings(report, rule) == [], rule
    assert report["results"]["MOO-RDS-002"] == {"pass": 1, "fail": 0, "error": 0}
    assert report["unchecked"] == []


def test_a_finding_of_both_branches_names_no_condition(tmp_path: Path) -> None:
    template = (DATA / "conditions_bad.yaml").read_text().replace("!If [IsProd, false, true]",
                                                                  "!If [IsProd, false, false]")
    (tmp_path / "t.yaml").write_text(template)
    result = runner.invoke(app, ["check", str(tmp_path / "t.yaml"), "--format", "json"])
    [hit] = findings(json.loads(result.stdout), "MOO-RDS-001")
    assert "when condition" not in hit["message"]


def test_too_many_conditions_make_the_resource_unchecked(tmp_path: Path) -> None:
    names = [f"C{i}" for i in range(6)]
    conditions = "".join(f"  {n}: !Equals [a, a]\n" for n in names)
    tags = "".join(f"        - {{Key: k{i}, Value: !If [{n}, x, y]}}\n" for i, n in enumerate(names))
    (tmp_path / "t.yaml").write_text(f"Conditions:\n{conditions}Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n"
                                     f"    Properties:\n      RetentionInDays: 90\n      Tags:\n{tags}")
    result = runner.invoke(app, ["check", str(tmp_path / "t.yaml"), "--format", "json"])
    [item] = json.loads(result.stdout)["unchecked"]
    assert (item["resource"], item["kind"]) == ("Logs", "conditions")
    assert "Fn::If on more than 5 conditions" in item["reason"]


# ------------------------------------------------------------------ unchecked resources

def test_nested_stacks_custom_resources_and_foreign_types_are_unchecked() -> None:
    code, report = check_json("unchecked_bad.yaml")
    kinds = {u["resource"]: u["kind"] for u in report["unchecked"]}
    assert kinds == {"Child": "nested-stack", "Seeder": "custom", "Legacy": "custom", "Thing": "foreign-type"}
    assert all(u["line"] and u["file"].endswith("unchecked_bad.yaml") for u in report["unchecked"])
    table = runner.invoke(app, ["check", str(DATA / "unchecked_bad.yaml")]).stdout
    assert "UNCHECKED (4" in table and "4 unchecked" in table
    for name in ("Child", "Seeder", "Legacy", "Thing"):
        assert f"unchecked_bad/{name}" in table


def test_only_types_the_rules_read_leave_nothing_unchecked() -> None:
    code, report = check_json("unchecked_clean.yaml")
    assert report["unchecked"] == []
    assert "unchecked" not in runner.invoke(app, ["check", str(DATA / "unchecked_clean.yaml")]).stdout.lower()


def test_an_aws_type_no_rule_reads_is_listed(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text("Resources:\n  Dash:\n    Type: AWS::CloudWatch::Dashboard\n"
                                     "    Properties: {DashboardBody: '{}'}\n")
    result = runner.invoke(app, ["check", str(tmp_path / "t.yaml"), "--format", "json"])
    [item] = json.loads(result.stdout)["unchecked"]
    assert item["kind"] == "aws-type" and "no rule reads AWS::CloudWatch::Dashboard" in item["reason"]
    table = runner.invoke(app, ["check", str(tmp_path / "t.yaml")]).stdout
    assert "AWS type(s) no rule reads" in table and "AWS::CloudWatch::Dashboard (1)" in table


# ------------------------------------------------------------------ CIDRs

def test_every_spelling_of_a_public_network_on_a_db_port_fires() -> None:
    _, report = check_json("cidrs_bad.yaml")
    opened = sorted(f["message"].split(" open to ")[1].split(",")[0] for f in findings(report, "MOO-NET-001"))
    assert opened == sorted(["::0/0", "0::/0", "0.0.0.0/1", "1.0.0.0/2", "4.0.0.0/6", "1.2.3.4/0", "2000::/3"])


def test_private_and_narrow_ranges_on_a_db_port_do_not_fire() -> None:
    _, report = check_json("cidrs_clean.yaml")
    assert findings(report, "MOO-NET-001") == []


@pytest.mark.parametrize(("cidr", "broad"), [
    ("0.0.0.0/0", True), ("::/0", True), ("::0/0", True), ("0.0.0.0/8", False), ("8.0.0.0/8", True),
    ("8.0.0.0/9", False), ("10.0.0.0/8", False), ("192.168.0.0/16", False), ("2600::/16", True),
    ("2600::/17", False), ("fc00::/7", False), ("not a cidr", False), (None, False)])
def test_broad_public(cidr: str | None, broad: bool) -> None:
    assert broad_public(cidr) is broad


def test_whole_internet_is_prefix_zero_however_spelled() -> None:
    assert whole_internet("0.0.0.0/0") and whole_internet("0::/0") and whole_internet("9.9.9.9/0")
    assert not whole_internet("0.0.0.0/1")


# ------------------------------------------------------------------ bucket policy conditions

def test_conditions_that_pin_nothing_keep_a_statement_public() -> None:
    _, report = check_json("bucket_policy_bad.yaml")
    sids = sorted(f["message"].split()[1] for f in findings(report, "MOO-S3-003"))
    assert sids == sorted(["AnyIp", "AnyIpv6", "AnyAccount", "AnyArn", "NoValues", "IfExists", "Negated"])


def test_conditions_with_concrete_values_make_it_private() -> None:
    _, report = check_json("bucket_policy_clean.yaml")
    assert findings(report, "MOO-S3-003") == []


def test_restricted_needs_a_concrete_value() -> None:
    def st(condition: object) -> dict[str, object]:
        return {"Effect": "Allow", "Principal": "*", "Condition": condition}

    assert restricted(st({"StringEquals": {"aws:SourceAccount": "123456789012"}}))
    assert restricted(st({"StringEquals": {"AWS:SOURCEACCOUNT": {"Ref": "AWS::AccountId"}}}))
    assert not restricted(st({"StringLike": {"aws:SourceAccount": ["123456789012", "*"]}}))
    assert not restricted(st({"Bool": {"aws:SecureTransport": "true"}}))
    assert not restricted(st({"Null": {"aws:SourceArn": "false"}}))


# ------------------------------------------------------------------ URL passwords

def test_url_passwords_with_special_characters_are_credentials() -> None:
    _, report = check_json("url_passwords_bad.yaml")
    names = sorted(f["message"].split(".Value")[0].split(".")[-1] for f in findings(report, "MOO-SEC-007"))
    assert names == ["0", "1", "2", "3", "4"]
    assert all("a URL with a password" in f["message"] for f in findings(report, "MOO-SEC-007"))
    assert not any("Sup3rS3cret" in f["message"] for f in report["findings"])  # masked, never shown


def test_urls_without_a_literal_password_are_not() -> None:
    _, report = check_json("url_passwords_clean.yaml")
    assert findings(report, "MOO-SEC-007") == []


def test_spec_and_templates_share_one_url_password_detector() -> None:
    from moorage.spec.models import embedded_credential

    for url in ("postgresql://app:Sup3r!Pass@db/x", "redis://:t0k$n@cache:6379", "amqp://u:a&b*c+d@mq"):
        assert url_passwords(url), url
        assert embedded_credential(url) == "a URL with a password", url
    for url in ("postgresql://app@db/x", "https://h:8443/p?e=a@b.c", "postgres://u:${PW}@db", "http://h/x:y@z"):
        assert not url_passwords(url), url


def test_unchecked_resources_reach_sarif_and_markdown() -> None:
    import jsonschema

    schema = json.loads((DATA.parent / "sarif-schema-2.1.0.json").read_bytes())
    sarif = json.loads(runner.invoke(app, ["check", str(DATA / "unchecked_bad.yaml"), "--format", "sarif"]).stdout)
    assert not list(jsonschema.Draft4Validator(schema).iter_errors(sarif))
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert sorted(n["message"]["text"].split()[1] for n in notes) == ["Child", "Legacy", "Seeder", "Thing"]
    assert all(n["level"] == "warning" and n["locations"][0]["physicalLocation"]["region"]["startLine"]
               for n in notes)
    markdown = runner.invoke(app, ["check", str(DATA / "unchecked_bad.yaml"), "--format", "md"]).stdout
    assert "## Unchecked (4: no rule could judge these)" in markdown and "| unchecked_bad/Seeder |" in markdown


def test_a_rule_that_passed_on_a_deploy_time_value_is_noted(tmp_path: Path) -> None:
    template = (DATA / "conditions_clean.yaml").read_text().replace(
        "Parameters:\n", "Parameters:\n  Encrypt: {Type: String, AllowedValues: ['true', 'false']}\n").replace(
        "StorageEncrypted: true", "StorageEncrypted: !Ref Encrypt")
    (tmp_path / "t.yaml").write_text(template)
    result = runner.invoke(app, ["check", str(tmp_path / "t.yaml"), "--format", "json"])
    [item] = json.loads(result.stdout)["unchecked"]
    assert (item["resource"], item["kind"]) == ("Db", "unknown-value")
    assert "MOO-RDS-001" in item["reason"] and "Ref Encrypt" in item["reason"]
    table = runner.invoke(app, ["check", str(tmp_path / "t.yaml")]).stdout
    assert "1 resource(s) passed rules on values set at deploy time" in table and "t/Db" in table
