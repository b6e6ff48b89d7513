"""Preview environments as planned and synthesized: only the web services' stacks, on the base's stacks,
their listener rules ahead of the base's, the cheapest settings, clean under cfn-lint and the policy rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from moorage import api
from moorage.cfn import template_set_of
from moorage.errors import InputError
from moorage.plan.preview import preview_block
from moorage.policy import run_checks
from moorage.validate.lint import lint_template

ROOT = Path(__file__).resolve().parents[2]


def _examples() -> list[Path]:
    return sorted((ROOT / "examples").glob("*/*.yml"))


def _with_previews(tmp_path: Path, example: Path, previews: dict[str, Any] | None = None) -> Any:
    loaded = api.load_app(example)
    data = loaded.data if isinstance(loaded.data, dict) else YAML(typ="safe").load(example.read_text("utf-8"))
    data = json.loads(json.dumps(data))
    data["previews"] = previews if previews is not None else {"ttl_hours": 48}
    spec = tmp_path / "moorage.yml"
    spec.write_text(json.dumps(data), encoding="utf-8")
    return api.load_app(spec)


def _rule(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["ListenerRule"]["Properties"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("example", _examples(), ids=lambda p: p.parent.name)
def test_every_example_previews_onto_its_base(tmp_path: Path, example: Path) -> None:
    loaded = _with_previews(tmp_path, example)
    base = next(e for e in ("staging", "dev") if e in loaded.spec.environments)
    base_synth = api.synth_environment(loaded, base)
    synth = api.synth_preview(loaded, "pr-42", base)
    manifest = synth.manifest
    # services only: nothing of the network, data, cluster or load balancer is the preview's own
    assert all(s["key"].startswith("svc-") for s in manifest["stacks"]), manifest["stacks"]
    assert manifest["preview"]["of"] == base
    assert manifest["preview"]["base_stacks"]["network"] == f"{loaded.spec.name}-{base}-network"
    kinds = {n: s.spec.kind for n, s in synth.plan.services.items()}
    assert set(kinds.values()) <= {"web", "service"}, kinds
    for stack in manifest["stacks"]:
        assert stack["name"].startswith(f"{loaded.spec.name}-pr-42-svc-")
        for param in stack["parameters"]:
            source = param["from"]
            assert "build" in source or source["stack"] in manifest["preview"]["base_stacks"] or (
                param["name"] == "RulePriority" and source == {"stack": "listener-priorities", "output": stack["key"]}
            ), param
    all_types = {r["Type"] for t in synth.templates.values() for r in t["Resources"].values()}
    assert not all_types & {"AWS::EC2::VPC", "AWS::EC2::NatGateway", "AWS::EC2::EIP",
                            "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ECS::Cluster",
                            "AWS::RDS::DBInstance", "AWS::RDS::DBCluster"}
    host = manifest["preview"]["host"]
    base_priorities = [_rule(t)["Priority"] for k, t in base_synth.templates.items()
                       if k.startswith("svc-") and "ListenerRule" in t["Resources"]]
    assert base_priorities and min(base_priorities) >= 1010  # previews: the base starts past the reserved block
    for key, template in synth.templates.items():
        resources = template["Resources"]
        service = resources["Service"]["Properties"]
        assert service["DesiredCount"] == 1
        assert service["DeploymentConfiguration"].get("Strategy", "ROLLING") == "ROLLING"
        assert "ScalableTarget" not in resources and "AlternateTargetGroup" not in resources
        assert not [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
        assert resources["LogGroup"]["Properties"]["LogGroupName"].startswith(
            f"/moorage/{loaded.spec.name}/{base}/preview-pr-42/")  # under the base's execution role's logs
        assert resources["LogGroup"]["DeletionPolicy"] == "Delete"  # gone with the preview
        family = resources["TaskDefinition"]["Properties"]["Family"]
        assert family == f"{loaded.spec.name}-pr-42-{key.removeprefix('svc-')}"
        if "Discovery" in resources:
            assert resources["Discovery"]["Properties"]["Name"] == f"pr-42-{key.removeprefix('svc-')}"
        if "ListenerRule" in resources:
            rule = _rule(template)
            # the deployer gives it a priority in a free block, preferring block 42 of the reserved 1-999
            assert rule["Priority"] == {"Ref": "RulePriority"}
            assert template["Parameters"]["RulePriority"]["Type"] == "Number"
            priorities = manifest["preview"]["priorities"]
            assert priorities["block"] == 42 and priorities["size"] == 10 and 0 <= priorities["rules"][key] <= 8
            fields = {c["Field"]: c for c in rule["Conditions"]}
            if host:
                assert fields["host-header"]["HostHeaderConfig"]["Values"] == [host]
            else:
                assert fields["path-pattern"]["PathPatternConfig"]["Values"][0].startswith("/pr-42/")
    errors = [f.render() for key in synth.templates
              for f in lint_template(synth.template_text(key), [synth.manifest["region"]], f"preview/{key}")]
    assert not errors, errors
    report = run_checks([template_set_of(synth)])
    assert not report.errors and not report.failing("high")
    # with a domain the base answers for the previews' hosts: a wildcard certificate name and DNS record
    edge = base_synth.templates["edge"]
    errors = [f.render() for f in lint_template(base_synth.template_text("edge"), [synth.manifest["region"]], "edge")]
    assert not errors, errors
    if host:
        wildcard = "*." + host.split(".", 1)[1]
        if "Certificate" in edge["Resources"]:
            assert wildcard in edge["Resources"]["Certificate"]["Properties"]["SubjectAlternativeNames"]
        if "DnsRecord" in edge["Resources"]:
            assert edge["Resources"]["PreviewDnsRecord"]["Properties"]["Name"] == wildcard
    else:
        assert "PreviewDnsRecord" not in edge["Resources"]


def test_service_wiring_uses_the_previews_own_names(tmp_path: Path) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text("""\
name: wired
region: eu-west-1
previews: {}
services:
  web: {image: ghcr.io/a/web:1, port: 3000, route: "/*", health: /, uses: [api]}
  api: {image: ghcr.io/a/api:1, port: 4000, health: /}
  worker: {image: ghcr.io/a/worker:1}
environments: {staging: {}}
""", encoding="utf-8")
    synth = api.synth_preview(api.load_app(spec), "pr-7", "staging")
    assert sorted(synth.plan.services) == ["api", "web"]  # the worker would take the base's work
    container = synth.templates["svc-web"]["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    values = [e["Value"] for e in container["Environment"]]
    assert any("pr-7-api.wired.internal" in v for v in values), values
    assert not any(v.startswith("api.wired.internal") or "//api.wired" in v for v in values)
    rule = _rule(synth.templates["svc-web"])
    assert rule["Conditions"][0]["PathPatternConfig"]["Values"] == ["/pr-7/*"]
    assert synth.manifest["preview"]["priorities"]["rules"] == {"svc-web": 0}  # first of block 7: 71
    decisions = {d.topic: d for d in synth.plan.decisions}
    assert "worker" in decisions["preview.services"].reason
    assert decisions["preview.data"].value == "shared with staging"


def test_without_previews_the_base_does_not_change(tmp_path: Path) -> None:
    synth = api.synth_environment(api.load_app(ROOT / "examples" / "rupaya" / "moorage.yml"), "staging")
    assert _rule(synth.templates["svc-backend"])["Priority"] == 10
    edge = synth.templates["edge"]["Resources"]
    assert "PreviewDnsRecord" not in edge and "SubjectAlternativeNames" not in edge["Certificate"]["Properties"]


def test_preview_blocks_come_from_the_number() -> None:
    assert preview_block("pr-42") == 42 and preview_block("pr-142") == 42 and preview_block("pr-7") == 7
    assert 0 <= preview_block("feature-login") < 100


@pytest.mark.parametrize(("previews", "name", "base", "expected"), [
    (None, "pr-1", "staging", "this app has no previews"),
    ({}, "PR_1", "staging", "is not usable"),
    ({}, "prod", "staging", "is an environment of the spec"),
    ({}, "pr-1", "nowhere", "no environment named 'nowhere'"),
])
def test_bad_previews_are_located_errors(tmp_path: Path, previews: dict[str, Any] | None, name: str, base: str,
                                         expected: str) -> None:
    text = (ROOT / "examples" / "hello" / "moorage.yml").read_text(encoding="utf-8")
    if previews is not None:
        text += "previews: {}\n"
    spec = tmp_path / "moorage.yml"
    spec.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        api.synth_preview(api.load_app(spec), name, base)
    rendered = "\n".join(d.render() for d in exc.value.diagnostics)
    assert expected in rendered and "hint" in rendered


def test_a_base_without_routes_has_no_previews(tmp_path: Path) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text("name: quiet\n" + """\
region: eu-west-1
previews: {}
services: {worker: {image: ghcr.io/a/w:1}}
environments: {staging: {}}
""", encoding="utf-8")
    with pytest.raises(InputError, match="no load balancer"):
        api.synth_preview(api.load_app(spec), "pr-1", "staging")


def test_a_preview_takes_at_most_nine_routes(tmp_path: Path) -> None:
    services = "".join(f"  s{i}: {{image: a/b:1, port: 80, route: /p{i}/*, health: /}}\n" for i in range(10))
    spec = tmp_path / "moorage.yml"
    spec.write_text(f"name: wide\nregion: eu-west-1\npreviews: {{}}\nservices:\n{services}"
                    "environments: {staging: {}}\n", encoding="utf-8")
    loaded = api.load_app(spec)
    with pytest.raises(InputError, match="at most 9 routed services"):
        api.synth_preview(loaded, "pr-1", "staging")


OWN = """\
name: own
region: eu-west-1
previews: {ttl_hours: 24, data: DATA}
services:
  web: {image: ghcr.io/a/web:1, port: 3000, route: "/*", health: /, uses: [db, cache, files], secrets: [API_KEY]}
databases:
  db: {engine: postgres}
caches:
  cache: {}
buckets:
  files: {}
secrets:
  API_KEY: {}
environments: {staging: {}}
"""


def _own(tmp_path: Path, data: str) -> Any:
    spec = tmp_path / "moorage.yml"
    spec.write_text(OWN.replace("DATA", data), encoding="utf-8")
    return api.load_app(spec)


def test_own_data_stores_are_small_disposable_and_the_previews_own(tmp_path: Path) -> None:
    from moorage.cost import monthly_total

    loaded = _own(tmp_path, "own")
    synth = api.synth_preview(loaded, "pr-42", "staging")
    manifest = synth.manifest
    assert [s["name"] for s in manifest["stacks"]] == ["own-pr-42-data", "own-pr-42-svc-web"]
    assert manifest["stacks"][1]["depends_on"] == ["data"]  # its stores first
    data = synth.templates["data"]["Resources"]
    db = data["DbDb"]
    assert db["Properties"]["DBInstanceIdentifier"] == "own-pr-42-db"
    assert (db["Properties"]["DBInstanceClass"], db["Properties"]["MultiAZ"], db["Properties"]["DeletionProtection"],
            db["DeletionPolicy"]) == ("db.t4g.micro", False, False, "Delete")  # smallest, one AZ, not kept
    cache = data["CacheCache"]
    assert (cache["Properties"]["CacheNodeType"], cache["Properties"]["NumCacheClusters"], cache["DeletionPolicy"]) \
        == ("cache.t4g.micro", 1, "Delete")
    assert data["BucketFiles"]["DeletionPolicy"] == "Delete"
    # nothing of it is kept on delete, and its credentials sit under the base's path (the base's execution role
    # reads secrets there) and apart from the base's own
    policies = {r.get("DeletionPolicy", "Delete") for r in data.values()}
    assert policies == {"Delete"}
    names = sorted(r["Properties"]["Name"] for r in data.values() if r["Type"] == "AWS::SecretsManager::Secret")
    assert names and all(n.startswith("own/staging/preview-pr-42/") for n in names), names
    # the service reads its own stores from its data stack, the app secret from the base's
    sources = {p["name"]: p["from"] for p in manifest["stacks"][1]["parameters"]}
    assert sources["DbDbUrl"] == {"stack": "data", "output": "DbDbUrl"}
    assert sources["BucketFilesArn"]["stack"] == "data" and sources["CacheCacheUrl"]["stack"] == "data"
    assert sources["SecretApiKeyArn"] == {"stack": "base-data", "output": "SecretApiKeyArn"}
    assert manifest["preview"]["base_stacks"]["base-data"] == "own-staging-data"
    assert "data" not in manifest["preview"]["base_stacks"]
    # the network it stands on is the base's: no VPC, NAT or address of its own
    types = {r["Type"] for t in synth.templates.values() for r in t["Resources"].values()}
    assert not types & {"AWS::EC2::VPC", "AWS::EC2::NatGateway", "AWS::EC2::EIP", "AWS::EC2::SecurityGroup"}
    errors = [f.render() for key in synth.templates
              for f in lint_template(synth.template_text(key), ["eu-west-1"], f"preview/{key}")]
    assert not errors, errors
    report = run_checks([template_set_of(synth)])
    assert not report.errors and not report.failing("high"), [f.rule for f in report.failing("high")]
    decision = next(d for d in synth.plan.decisions if d.topic == "preview.data")
    assert decision.value == "own buckets, caches, databases" and "deleted with the preview" in decision.reason
    # its cost shows its own stores: more than the same preview sharing the base's
    shared = api.synth_preview(_own(tmp_path, "shared"), "pr-42", "staging")
    own_low, _, _ = monthly_total(template_set_of(synth))
    shared_low, _, _ = monthly_total(template_set_of(shared))
    assert 20 < own_low - shared_low < 35  # a db.t4g.micro and a cache.t4g.micro: about $27 (docs/deploy.md)


def test_own_data_per_kind(tmp_path: Path) -> None:
    synth = api.synth_preview(_own(tmp_path, "{databases: own, caches: shared, buckets: own}"), "pr-7", "staging")
    data = synth.templates["data"]["Resources"]
    assert "DbDb" in data and "BucketFiles" in data and "CacheCache" not in data
    sources = {p["name"]: p["from"]["stack"] for p in synth.manifest["stacks"][-1]["parameters"]}
    assert (sources["DbDbUrl"], sources["BucketFilesName"], sources["CacheCacheUrl"]) == ("data", "data", "base-data")
    decision = next(d for d in synth.plan.decisions if d.topic == "preview.data")
    assert decision.value == "own buckets, databases; shared caches"


def test_own_databases_refuse_a_bootstrap_they_cannot_run(tmp_path: Path) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(OWN.replace("DATA", "own").replace("{engine: postgres}", "{engine: postgres, extensions: "
                                                                               "[pgvector]}"), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        api.synth_preview(api.load_app(spec), "pr-1", "staging")
    [d] = exc.value.diagnostics
    assert "bootstrap job" in d.message and d.location is not None and d.location.line == 3
    assert "databases: shared" in (d.hint or "")


def test_previews_data_is_validated(tmp_path: Path) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(OWN.replace("DATA", "{databases: fresh}"), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        api.load_app(spec)
    rendered = "\n".join(d.render() for d in exc.value.diagnostics)
    assert "previews.data" in rendered and "moorage.yml:3" in rendered, rendered


def test_own_databases_from_the_bases_latest_snapshot(tmp_path: Path) -> None:
    synth = api.synth_preview(_own(tmp_path, "{databases: own, from_snapshot: latest}"), "pr-5", "staging")
    db = synth.templates["data"]["Resources"]["DbDb"]["Properties"]
    assert db["DBSnapshotIdentifier"] == {"Ref": "DbDbSnapshot"}  # the deployer picks the snapshot
    assert "DBName" not in db and "MasterUsername" not in db and "StorageEncrypted" not in db
    assert "MasterUserPassword" in db  # the preview's own password, not the base's
    assert synth.manifest["preview"]["snapshots"] == {"stack": "base-snapshots", "databases": {"db": "own-staging-db"},
                                                      "engines": {"db": {"engine": "postgres", "major": "16"}}}
    errors = [f.render() for f in lint_template(synth.template_text("data"), ["eu-west-1"], "preview/data")]
    assert not errors, errors
    decisions = {d.topic: d.value for d in synth.plan.decisions}
    assert decisions["preview.data.from_snapshot"] == "db from own-staging-db"


def test_from_snapshot_needs_own_databases(tmp_path: Path) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(OWN.replace("DATA", "{buckets: own, from_snapshot: latest}"), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        api.load_app(spec)
    rendered = "\n".join(d.render() for d in exc.value.diagnostics)
    assert "set databases: own" in rendered and "moorage.yml:3" in rendered, rendered
