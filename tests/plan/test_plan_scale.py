"""Hundreds of services within CloudFormation's limits: stacks are spread before any passes a limit, and what
cannot be spread is a located error (exit 2), never troposphere's ValueError or an internal error."""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from moorage import api
from moorage.data import load_data
from moorage.errors import InputError
from moorage.render import Synth, to_json

if TYPE_CHECKING:
    from conftest import CliResult

REPO_ROOT = Path(__file__).resolve().parents[2]
LIMITS = load_data("cloudformation")["limits"]


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("scale_generate", REPO_ROOT / "benchmarks" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _synth(tmp: Path, n: int, **kwargs: Any) -> Synth:
    path = tmp / f"scale-{n}.yml"
    path.write_text(_generator().generated_yaml(n, **kwargs), encoding="utf-8")
    loaded = api.load_app(path)
    return api.synth_environment(loaded, next(iter(loaded.spec.environments)))


@cache
def _synth_1000(tmp: Path) -> Synth:
    return _synth(tmp, 1000, built=500)  # half of them built from source: 500 ECR repositories


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth_1000(tmp_path_factory.mktemp("scale"))


def _listener_rules(synth: Synth) -> Counter[str]:
    """Listener rules per (edge stack that owns the listener)."""
    per: Counter[str] = Counter()
    for key, tpl in synth.templates.items():
        manifest = next(s for s in synth.manifest["stacks"] if s["key"] == key)
        for res in tpl.get("Resources", {}).values():
            if res["Type"] == "AWS::ElasticLoadBalancingV2::ListenerRule":
                param = res["Properties"]["ListenerArn"]["Ref"]
                source = next(p["from"]["stack"] for p in manifest["parameters"] if p["name"] == param)
                per[source] += 1
    return per


def _group_rules(synth: Synth) -> dict[tuple[str, str], int]:
    """Rules per (security group output name, direction), wherever the rule resources live."""
    counts: Counter[tuple[str, str]] = Counter()
    for key, tpl in synth.templates.items():
        manifest = next(s for s in synth.manifest["stacks"] if s["key"] == key)
        params = {p["name"]: p["from"].get("output") for p in manifest["parameters"]}

        def group_name(value: Any, params: dict[str, Any] = params) -> str:
            return str(params.get(value["Ref"], value["Ref"]))

        for lid, res in tpl.get("Resources", {}).items():
            props = res.get("Properties", {})
            if res["Type"] == "AWS::EC2::SecurityGroup":
                counts[(lid, "in")] += len(props.get("SecurityGroupIngress", []))
                counts[(lid, "out")] += len(props.get("SecurityGroupEgress", []))
            elif res["Type"] == "AWS::EC2::SecurityGroupIngress":
                counts[(group_name(props["GroupId"]), "in")] += 1
            elif res["Type"] == "AWS::EC2::SecurityGroupEgress":
                counts[(group_name(props["GroupId"]), "out")] += 1
    return counts


def test_a_1000_service_app_keeps_every_stack_within_cloudformation_limits(big: Synth) -> None:
    assert len(big.plan.services) == 1000
    assert len(big.plan.databases) == 100 and len(big.plan.caches) == 50 and len(big.plan.edges) >= 6
    for key, tpl in big.templates.items():
        assert len(tpl.get("Resources", {})) <= LIMITS["resources"], key
        assert len(tpl.get("Outputs", {})) <= LIMITS["outputs"], key
        assert len(tpl.get("Parameters", {})) <= LIMITS["parameters"], key
        assert len(to_json(tpl).encode()) <= LIMITS["template_bytes"], key
    keys = set(big.templates)
    assert {"security-2", "data-2", "edge-2", "observability-2", "registry-2", "registry-3"} <= keys
    assert len(big.templates["network"]["Resources"]) < 100  # the VPC alone; groups live in security stacks


def test_a_1000_service_app_has_at_most_100_rules_per_listener_and_few_groups_per_task(big: Synth) -> None:
    per_listener = _listener_rules(big)
    assert sum(per_listener.values()) == 600
    assert max(per_listener.values()) <= LIMITS["listener_rules"]
    for tpl in big.templates.values():
        for res in tpl.get("Resources", {}).values():
            if res["Type"] == "AWS::ECS::Service":
                groups = res["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["SecurityGroups"]
                assert len(groups) <= LIMITS["security_groups_per_eni"]


def test_a_1000_service_app_stays_under_the_default_rules_per_group_quota(big: Synth) -> None:
    counts = _group_rules(big)
    assert max(counts.values()) <= LIMITS["sg_rules_default"]
    # the load balancers' per-service rules were folded into per-port rules to the VPC
    alb2 = big.templates["security"]["Resources"]["SgAlb2"]["Properties"]["SecurityGroupEgress"]
    assert {r["CidrIp"] for r in alb2} == {"10.0.0.0/16"} and {r["FromPort"] for r in alb2} == {3000, 8080}


def test_a_1000_service_app_spreads_its_repositories_over_registry_stacks(big: Synth) -> None:
    holders: Counter[str] = Counter()
    for key, tpl in big.templates.items():
        for res in tpl.get("Resources", {}).values():
            if res["Type"] == "AWS::ECR::Repository":
                assert key.startswith("registry"), key
                holders[res["Properties"]["RepositoryName"]] += 1
    assert len(holders) == 500 and set(holders.values()) == {1}  # each repository once
    for name in ("s0", "s499"):
        home = big.plan.home("repo", name)
        assert f"scale/prod/{name}" in {r["Properties"]["RepositoryName"]
                                        for r in big.templates[home]["Resources"].values()
                                        if r["Type"] == "AWS::ECR::Repository"}
        assert home in big.plan.stack(f"svc-{name}").depends_on
    assert big.plan.home("repo", "s499") != "registry"
    assert any(d.topic == "registry.stacks" and d.value == "3 registry stacks" for d in big.plan.decisions)


def test_every_stack_reads_only_outputs_of_stacks_it_comes_after(big: Synth) -> None:
    # synthesize() checks this too; here against the manifest a deployer reads
    order = {k: i for i, wave in enumerate(big.manifest["waves"]) for k in wave}
    for stack in big.manifest["stacks"]:
        for p in stack["parameters"]:
            source = p["from"].get("stack")
            if source:
                assert order[source] < order[stack["key"]], (stack["key"], source)
                assert p["from"]["output"] in big.templates[source]["Outputs"]


def test_150_routes_never_put_more_than_100_rules_on_a_listener(tmp_path: Path) -> None:
    synth = _synth(tmp_path, 160, routed=150)
    per_listener = _listener_rules(synth)
    assert sum(per_listener.values()) == 150
    assert per_listener == Counter({"edge": 100, "edge-2": 50})
    second = synth.plan.edge_of("edge-2")
    assert second.security_group == "alb-2" and second.routes[0].priority == 10
    assert any(d.topic == "edge.load_balancers" for d in synth.plan.decisions)


def test_a_catch_all_route_stays_on_the_first_load_balancer(tmp_path: Path) -> None:
    gen = _generator()
    spec = gen.generated_spec(130, routed=120)
    spec["services"]["s0"]["route"] = "/*"
    path = tmp_path / "moorage.yml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    synth = api.synth_environment(api.load_app(path), "prod")
    first = synth.plan.edge_of("edge")
    assert len(first.routes) == 100 and first.routes[-1].path == "/*"
    assert all(r.path != "/*" for r in synth.plan.edge_of("edge-2").routes)


def test_small_apps_keep_one_network_data_edge_and_observability_stack(tmp_path: Path) -> None:
    synth = _synth(tmp_path, 40)
    assert not synth.plan.homes and not synth.plan.placed_rules
    assert not any(k.endswith("-2") or k.startswith("security") for k in synth.templates)


def _popular(n: int) -> str:
    users = "\n".join(f"  u{i}: {{image: x:1, uses: [hub]}}" for i in range(n))
    return f"name: popular\nregion: eu-west-1\nservices:\n  hub: {{image: x:1, port: 8080}}\n{users}\n"


def test_a_group_past_the_most_rules_aws_allows_is_a_located_error(
        tmp_path: Path, write_spec: Callable[..., Path], run_cli: Callable[..., CliResult]) -> None:
    path = write_spec(tmp_path, _popular(LIMITS["sg_rules_max"] + 1))
    with pytest.raises(InputError) as caught:
        api.plan_environment(api.load_app(path), "dev")
    d = caught.value.diagnostics[0]
    assert "security group svc-hub needs 201 inbound rules" in d.message and "at most 200" in d.message
    assert d.location is not None and d.location.line == 4 and "fewer services use hub" in d.hint
    result = run_cli("synth", path, "-o", tmp_path / "out")
    assert result.code == 2 and "svc-hub" in result.err and "internal error" not in result.err


def test_a_group_past_the_default_quota_is_a_warning_naming_the_quota(
        tmp_path: Path, write_spec: Callable[..., Path]) -> None:
    path = write_spec(tmp_path, _popular(LIMITS["sg_rules_default"] + 1))
    plan = api.plan_environment(api.load_app(path), "dev")
    warning = next(w for w in plan.warnings if "svc-hub" in w.message)
    assert "61 inbound rules" in warning.message and "rules per security group" in warning.message


def test_a_service_stack_past_a_limit_is_exit_2_not_a_troposphere_error(
        tmp_path: Path, write_spec: Callable[..., Path], run_cli: Callable[..., CliResult]) -> None:
    names = [f"K{i}" for i in range(LIMITS["parameters"] + 5)]
    secrets = "\n".join(f"  {n}: {{generate: true}}" for n in names)
    path = write_spec(tmp_path, f"name: many\nregion: eu-west-1\nservices:\n  web:\n    image: x:1\n"
                                f"    secrets: [{', '.join(names)}]\nsecrets:\n{secrets}\n")
    result = run_cli("synth", path, "-o", tmp_path / "out")
    assert result.code == 2, result.err
    assert "stack svc-web would have 209 parameters; CloudFormation allows 200" in result.err  # 205 + 4 shared
    assert "trim its environment variables" in result.err
