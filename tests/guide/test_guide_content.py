"""For every example and environment: the guide holds every service, data store, secret, alarm and stack,
no secret value, and only `aws` commands that name resources the templates create."""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path
from typing import Any

import pytest
from guide_helpers import assigned, aws_commands, build, flags

from moorage.guide.facts import secret_names

# Flags that do not name a resource of the environment.
PLAIN_FLAGS = {
    "--region", "--query", "--output", "--max-items", "--sort", "--since", "--follow", "--use-latest-restorable-time",
    "--engine", "--db-instance-class", "--scalable-dimension", "--service-namespace", "--min-capacity",
    "--max-capacity", "--desired-count", "--launch-type", "--network-configuration", "--force-new-deployment",
    "--secret-string", "--password-length", "--exclude-punctuation", "--interactive", "--command",
    "--desired-status",
}
# Flags whose value CloudFormation or AWS chose: the block reads it with another aws command (checked itself).
FROM_OUTPUTS = {"--services", "--service", "--service-name", "--task", "--tasks", "--target-group-arn", "--group-ids",
                "--db-subnet-group-name", "--vpc-security-group-ids"}
# Placeholders the reader fills in from the listing just above.
PLACEHOLDERS = {"--snapshot-identifier": "SNAPSHOT_ID", "--db-snapshot-identifier": "SNAPSHOT_ID"}
# (subcommand, flag) pairs that name the new resource a restore creates.
NEW_RESOURCE = {("restore-db-cluster-to-point-in-time", "--db-cluster-identifier"),
                ("restore-db-cluster-from-snapshot", "--db-cluster-identifier"),
                ("restore-db-instance-from-db-snapshot", "--db-instance-identifier"),
                ("create-db-instance", "--db-cluster-identifier"), ("create-db-instance", "--db-instance-identifier"),
                ("restore-db-instance-to-point-in-time", "--target-db-instance-identifier")}


def _props(templates: dict[str, dict[str, Any]], rtype: str, prop: str) -> set[str]:
    return {r["Properties"][prop] for t in templates.values() for r in t.get("Resources", {}).values()
            if r.get("Type") == rtype and isinstance(r.get("Properties", {}).get(prop), str)}


def _text(html: str) -> str:
    return htmllib.unescape(re.sub(r"<[^>]+>", "", html))


def test_guide_names_everything_of_the_plan(case: Any) -> None:
    built = build(case)
    plan = built.gi.plan
    text = _text(built.html)
    names = {f"service {n}": n for n in plan.services}
    names |= {f"database {n}": d.identifier for n, d in plan.databases.items()}
    names |= {f"cache {n}": c.identifier for n, c in plan.caches.items()}
    names |= {f"bucket {n}": n for n in plan.buckets}
    names |= {f"secret {n}": n for n in secret_names(case.synth)}
    names |= {f"parameter {n}": p for n, p in plan.parameters.items()}
    names |= {f"stack {s['key']}": s["name"] for s in case.manifest["stacks"]}
    for key, tpl in case.templates.items():
        stack = next(s["name"] for s in case.manifest["stacks"] if s["key"] == key)
        # A named alarm (a release's rollback alarm) is found by its name; others by stack and logical id.
        names |= {f"alarm {stack}-{lid}": r["Properties"].get("AlarmName") or f"{stack}-{lid}"
                  for lid, r in tpl["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"}
    assert len(names) > len(plan.services) + len(plan.stacks) - 1
    missing_md = [what for what, name in names.items() if f"`{name}`" not in built.markdown]
    missing_html = [what for what, name in names.items() if name not in text]
    assert not missing_md, f"{case.label}: DEPLOYMENT.md lacks {missing_md}"
    assert not missing_html, f"{case.label}: index.html lacks {missing_html}"
    if any(s.alarms for s in plan.services.values()) or plan.alarms:
        assert any(k.startswith("alarm ") for k in names), "alarms in the plan but none in the templates"


def test_every_aws_command_names_real_resources(case: Any) -> None:
    built = build(case)
    plan = built.gi.plan
    templates = case.templates
    stacks = {s["name"]: s for s in case.manifest["stacks"]}
    clusters = _props(templates, "AWS::ECS::Cluster", "ClusterName")
    families = _props(templates, "AWS::ECS::TaskDefinition", "Family")
    log_groups = _props(templates, "AWS::Logs::LogGroup", "LogGroupName")
    secrets = _props(templates, "AWS::SecretsManager::Secret", "Name")
    databases = (_props(templates, "AWS::RDS::DBCluster", "DBClusterIdentifier")
                 | _props(templates, "AWS::RDS::DBInstance", "DBInstanceIdentifier"))
    regions = {plan.env.region} | {s["region"] for s in stacks.values()}
    commands = aws_commands(built.markdown)
    variables = assigned(built.markdown)
    assert len(commands) >= len(stacks), f"{case.label}: only {len(commands)} aws commands"
    problems = []
    for words in commands:
        sub = words[2] if len(words) > 2 else ""
        given = flags(words)
        where = " ".join(words[:3])
        for flag, value in given.items():
            if flag in PLAIN_FLAGS:
                continue
            if (sub, flag) in NEW_RESOURCE:
                ok = any(value.startswith(d + "-restored") for d in databases)
            elif flag == "--stack-name":
                ok = value in stacks
                query = given.get("--query", "")
                out = re.search(r"OutputKey=='(\w+)'", query)
                if ok and out:
                    ok = out.group(1) in templates[stacks[value]["key"]].get("Outputs", {})
                if ok and given.get("--region"):
                    ok = given["--region"] == stacks[value]["region"]
            elif flag == "--cluster":
                ok = value in clusters
            elif flag in ("--family-prefix", "--task-definition"):
                ok = value.split(":")[0] in families
            elif flag == "--secret-id":
                ok = value in secrets
            elif flag in ("--db-cluster-identifier", "--db-instance-identifier", "--source-db-cluster-identifier",
                          "--source-db-instance-identifier"):
                ok = value in databases
            elif flag == "--container":
                ok = value in plan.services
            elif flag == "--resource-id":
                ok = value.split("/")[1] in clusters and value.startswith("service/")
            elif flag in FROM_OUTPUTS:
                ok = value == "OUTPUT" or value in variables
            elif flag in PLACEHOLDERS:
                ok = value == PLACEHOLDERS[flag]
            else:
                ok = False
            if not ok:
                problems.append(f"{where}: {flag} {value}")
        if words[1:3] == ["logs", "tail"] and words[3] not in log_groups:
            problems.append(f"{where}: log group {words[3]}")
        if given.get("--region") and given["--region"] not in regions:
            problems.append(f"{where}: region {given['--region']}")
    assert not problems, f"{case.label}: commands naming what the templates do not create: {problems[:10]}"


def _secret_values(path: Path, app: str) -> set[str]:
    text = path.read_text(encoding="utf-8")
    found = set(re.findall(r"\$\{[A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN|KEY)[A-Z0-9_]*:?-([^}]+)\}", text))
    found |= {m[1] for m in re.findall(r"^\s*-?\s*([A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN|KEY)[A-Z0-9_]*)\s*[:=]\s*"
                                      r"['\"]?([^'\"\s#${}]+)", text, flags=re.M)}
    return {v for v in found if len(v) >= 6 and v != app}


def test_no_secret_value_in_the_guide(case: Any) -> None:
    built = build(case)
    values = _secret_values(Path(case.loaded.path), built.gi.plan.app)
    if built.gi.plan.app == "smartboard":
        assert {"dev-only-jwt-secret", "dev-only-session-secret"} <= values, "the check lost its test values"
    leaked = [v for v in values if v in built.markdown or v in built.html]
    assert not leaked, f"{case.label}: secret values in the guide: {leaked}"


def test_literal_compose_secrets_stay_out(tmp_path: Path) -> None:
    from moorage import api
    from moorage.guide import guide_input
    from moorage.guide.html import to_html
    from moorage.guide.markdown import to_markdown
    from moorage.guide.pages import environment_document

    compose = tmp_path / "docker-compose.yml"
    compose.write_text(
        "services:\n"
        "  api:\n    image: ghcr.io/acme/api:1.0.0\n    ports: ['8000:8000']\n"
        "    environment:\n      JWT_SECRET: literal-jwt-value-93817\n"
        "      DATABASE_URL: postgresql://app:pg-pass-55120@db:5432/app\n    depends_on: [db]\n"
        "  db:\n    image: postgres:16\n    environment:\n      POSTGRES_USER: app\n"
        "      POSTGRES_PASSWORD: pg-pass-55120\n      POSTGRES_DB: app\n", encoding="utf-8")
    loaded = api.load_app(compose)
    doc = environment_document(guide_input(api.synth_environment(loaded, next(iter(loaded.spec.environments))),
                                           "docker-compose.yml"), draw=False)
    md, page = to_markdown(doc), to_html(doc)
    assert "JWT_SECRET" in md and "DATABASE_URL" in md
    for value in ("literal-jwt-value-93817", "pg-pass-55120"):
        assert value not in md and value not in page


def test_html_is_self_contained(case: Any) -> None:
    page = build(case).html
    assert "<script" not in page.lower()
    assert not re.search(r"""(?:src|href)=["'](?:https?:)?//""", page), "the page fetches from the network"
    assert not re.search(r"<link\b", page)
    assert page.count("<svg") <= 1


def test_guide_is_deterministic(cases: Any) -> None:
    from moorage.guide import graphviz_available, guide_input
    from moorage.guide.html import to_html
    from moorage.guide.pages import environment_document

    case = cases.get("examples/smartboard/docker-compose.yml", "prod")
    pages = [to_html(environment_document(guide_input(case.synth, "x.yml"), draw=graphviz_available()))
             for _ in range(2)]
    assert pages[0] == pages[1]


def test_comparison_sets_environments_side_by_side(cases: Any, tmp_path: Path) -> None:
    from moorage.guide import guide_input, write_site

    key = "examples/smartboard/docker-compose.yml"
    inputs = [guide_input(cases.get(key, e).synth, key) for e in ("dev", "staging", "prod")]
    written = write_site(inputs, tmp_path / "site", draw=False)
    names = {p.relative_to(tmp_path / "site").as_posix() for p in written}
    assert {"index.html", "COMPARISON.md", "prod/index.html", "prod/DEPLOYMENT.md", "dev/DEPLOYMENT.md"} <= names
    md = (tmp_path / "site" / "COMPARISON.md").read_text(encoding="utf-8")
    row = next(line for line in md.splitlines() if line.startswith("| database `postgres`"))
    assert "single-AZ" in row and "multi-AZ" in row
    costs = next(line for line in md.splitlines() if line.startswith("| monthly estimate"))
    from moorage.cost.report import estimate_phrase, total_phrase

    # one cell per environment: its total, plus the autoscaling bound where one applies (the phrase `envs` shows)
    assert costs.count("$") == 3 + sum("autoscaling up to" in estimate_phrase(gi.cost) for gi in inputs)
    assert all(f"| {estimate_phrase(gi.cost)} |" in costs for gi in inputs)

    # the same words as `moorage cost`: an environment with proxied items shows its upper bound, never the sourced sum
    assert all(total_phrase(gi.cost) in costs for gi in inputs)
    assert any(gi.cost.unknown for gi in inputs) and "at most $" in costs


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_data_store_recovery_follows_settings(cases: Any, env: str) -> None:
    built = build(cases.get("examples/smartboard/docker-compose.yml", env))
    db = built.gi.plan.databases["postgres"].spec
    section = built.markdown.split("### Database postgres", 1)[1].split("###", 1)[0]
    assert f"{db.backup_days}-day backup window" in section
    assert ("automatic failover to the standby" in section) == db.multi_az
