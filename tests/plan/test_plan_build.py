"""EnvSpec -> Plan: stacks, their order, edge routes, wiring and security groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from moorage import api
from moorage.errors import InputError
from moorage.plan import Plan
from moorage.spec.load import LoadedApp

if TYPE_CHECKING:
    from conftest import Case, Cases

Kitchen = Callable[[str], "Case"]


def plan_of(load_spec: Callable[[str], LoadedApp], text: str, env: str) -> Plan:
    return api.plan_environment(load_spec(text), env)


def test_stacks_and_their_order(kitchen: Kitchen) -> None:
    plan = kitchen("prod").synth.plan
    keys = [s.key for s in plan.stacks]
    assert keys[:2] == ["keys", "network"]  # prod's customer-managed key first: the flow log group uses it
    assert {"data", "platform", "edge", "budget", "observability"} <= set(keys)
    assert {f"svc-{n}" for n in ("web", "gateway", "svc-auth", "worker", "migrate", "files")} <= set(keys)
    deps = {s.key: set(s.depends_on) for s in plan.stacks}
    assert deps["network"] == {"keys"} and deps["data"] == {"network", "keys"}
    # every service comes after the before-deploy job (migrate): a failed migration stops the release first;
    # the database's bootstrap job (extensions, schemas, logins) runs before anything that uses the database
    boot = {"svc-db-bootstrap"}
    assert deps["svc-web"] - {"keys"} - boot == {"network", "platform", "data", "edge", "svc-migrate"}
    assert deps["svc-worker"] - {"keys"} - boot == {"network", "platform", "data", "svc-migrate"}  # no edge
    assert deps["svc-migrate"] - {"keys"} == {"network", "platform", "data"} | boot
    assert deps["svc-db-bootstrap"] - {"keys"} == {"network", "platform", "data"}
    assert {f"svc-{n}" for n in ("web", "gateway", "worker")} <= deps["observability"]
    assert all(len(s.name) <= 128 and s.name.startswith("kitchen-prod-") for s in plan.stacks)


def test_no_data_stack_and_no_edge_when_nothing_needs_them(load_spec: Callable[[str], LoadedApp]) -> None:
    plan = plan_of(load_spec, "name: demo\nservices:\n  worker: {image: x:1}\n", "dev")
    assert [s.key for s in plan.stacks] == ["network", "platform", "svc-worker"]
    assert plan.edge is None and "alb" not in plan.security_groups
    assert any(d.topic == "edge" and d.value == "none" for d in plan.decisions)


def test_routes_most_specific_first(kitchen: Kitchen) -> None:
    edge = kitchen("dev").synth.plan.edge
    assert edge is not None
    assert [(r.service, r.path) for r in edge.routes] == [("gateway", "/api/*"), ("web", "/*")]
    assert [r.priority for r in edge.routes] == sorted({r.priority for r in edge.routes})


def test_https_with_a_domain_and_waf_in_prod(kitchen: Kitchen) -> None:
    dev, prod = kitchen("dev").synth.plan.edge, kitchen("prod").synth.plan.edge
    assert dev and prod
    assert dev.https and dev.domain == "dev.app.kitchen.example.com"
    assert prod.domain == "app.kitchen.example.com"
    assert (dev.waf, prod.waf) == (False, True)
    assert (dev.deletion_protection, prod.deletion_protection) == (False, True)


@pytest.mark.parametrize(("env", "nats"), [("dev", 1), ("staging", 1), ("prod", 3)])
def test_nat_gateways_per_profile(kitchen: Kitchen, env: str, nats: int) -> None:
    net = kitchen(env).synth.plan.network
    assert net.nat_gateways == nats
    assert net.azs == (3 if env == "prod" else 2)


def test_nat_none_with_services_is_refused_with_a_location(load_spec: Callable[[str], LoadedApp]) -> None:
    loaded = load_spec("name: demo\nnetwork: {nat: none}\nservices:\n  wk: {image: ghcr.io/acme/wk:1.0.0}\n")
    with pytest.raises(InputError) as info:
        api.plan_environment(loaded, "dev")
    diag = info.value.diagnostics[0]
    assert "nat" in diag.message and diag.location is not None and diag.location.line == 2
    assert "single" in diag.hint


def test_prod_caps_azs_at_what_the_region_has(load_spec: Callable[[str], LoadedApp]) -> None:
    plan = plan_of(load_spec, "name: demo\nregion: us-west-1\nservices:\n  wk: {image: x:1}\n", "prod")
    assert plan.network.azs == 2 and plan.network.nat_gateways == 2


def test_only_users_reach_the_database_and_cache(kitchen: Kitchen) -> None:
    groups = kitchen("prod").synth.plan.security_groups
    assert {r.peer for r in groups["db-db"].ingress} == {"svc-gateway", "svc-svc-auth", "svc-migrate",
                                                            "svc-db-bootstrap"}
    assert {r.port for r in groups["db-db"].ingress} == {5432}
    assert {r.peer for r in groups["cache-queue"].ingress} == {"svc-gateway", "svc-worker"}
    assert {r.port for r in groups["cache-queue"].ingress} == {6379}
    assert not any(r.peer.startswith(("db-", "cache-")) for r in groups["svc-web"].egress)
    assert not groups["db-db"].egress and not groups["cache-queue"].egress


def test_private_service_is_reached_only_by_its_users(kitchen: Kitchen) -> None:
    groups = kitchen("prod").synth.plan.security_groups
    assert [(r.peer, r.port) for r in groups["svc-svc-auth"].ingress] == [("svc-gateway", 4010)]
    assert [(r.peer, r.port) for r in groups["svc-web"].ingress] == [("alb", 3000)]
    assert groups["svc-worker"].ingress == []


def test_only_the_load_balancer_is_open_to_the_internet(kitchen: Kitchen) -> None:
    groups = kitchen("prod").synth.plan.security_groups
    for key, sg in groups.items():
        for rule in sg.ingress:
            if rule.peer_is_cidr:
                assert key == "alb" and rule.port in (80, 443), (key, rule)
        for rule in sg.ingress + sg.egress:
            assert rule.description, (key, rule)
    assert {(r.port, r.peer) for r in groups["alb"].ingress} == {(80, "0.0.0.0/0"), (443, "0.0.0.0/0")}
    assert {r.peer for r in groups["alb"].egress} == {"svc-web", "svc-gateway"}


def test_volume_gets_its_own_nfs_group(kitchen: Kitchen) -> None:
    plan = kitchen("staging").synth.plan
    [vol] = plan.volumes
    assert (vol.service, vol.path, vol.retain) == ("files", "/data", True)
    assert [(r.peer, r.port) for r in plan.security_groups["efs-files"].ingress] == [("svc-files", 2049)]


def test_wiring_gives_connection_settings_as_secrets(kitchen: Kitchen) -> None:
    services = kitchen("dev").synth.plan.services
    gw = services["gateway"]
    assert {"DATABASE_URL", "DB_URL", "REDIS_URL", "QUEUE_URL", "JWT_SECRET"} <= set(gw.secrets)
    assert not {"DATABASE_URL", "REDIS_URL", "JWT_SECRET"} & set(gw.env)
    assert "SVC_AUTH_URL" in gw.env and "AUTH_URL" in gw.env
    auth = services["svc-auth"]
    assert auth.secrets["DB_PASSWORD"].attribute == "password" and "DB_PASSWORD" not in auth.env
    assert "DB_HOST" in auth.env
    worker = services["worker"]
    assert [p.sid for p in worker.permissions] == ["ObjectsDatasets", "ListDatasets"]
    assert services["web"].permissions == [] and services["web"].secrets == {}


def test_private_services_are_discoverable(kitchen: Kitchen) -> None:
    services = kitchen("dev").synth.plan.services
    assert services["svc-auth"].discovery and services["web"].discovery
    assert not services["worker"].discovery


def test_spot_is_a_recorded_decision(kitchen: Kitchen) -> None:
    decisions = {d.topic: d for d in kitchen("dev").synth.plan.decisions}
    assert decisions["services.worker.capacity"].value == "FARGATE_SPOT"
    assert "services.web.capacity" not in decisions


@pytest.mark.parametrize(("env", "on_delete"), [("dev", "delete"), ("staging", "snapshot"), ("prod", "snapshot")])
def test_database_on_delete_decision(kitchen: Kitchen, env: str, on_delete: str) -> None:
    plan = kitchen(env).synth.plan
    assert {d.topic: d.value for d in plan.decisions}["databases.db.on_delete"] == on_delete
    assert plan.databases["db"].retain is (on_delete == "snapshot")


def test_budget_moves_to_us_east_1_where_the_region_lacks_budgets(cases: Cases) -> None:
    plan = cases.get("examples/maestro/moorage.yml", "prod").synth.plan
    assert plan.env.region == "me-central-1"
    assert plan.stack("budget").region == "us-east-1"
    reason = {d.topic: d for d in plan.decisions}["budget.region"]
    assert reason.value == "us-east-1" and "me-central-1" in reason.reason
    assert all(s.region is None for s in plan.stacks if s.key != "budget")


def test_budget_stays_in_a_region_that_has_budgets(kitchen: Kitchen) -> None:
    plan = kitchen("prod").synth.plan
    assert plan.stack("budget").region is None
    assert {d.topic: d.value for d in plan.decisions}["budget.region"] == "eu-west-1"


def test_budget_without_email_warns(load_spec: Callable[[str], LoadedApp]) -> None:
    plan = plan_of(load_spec, "name: demo\nbudget: {monthly: 10}\nservices:\n  wk: {image: x:1}\n", "dev")
    assert any("budget has no email" in w.message for w in plan.warnings)


def test_observability_only_where_the_profile_wants_alarms(load_spec: Callable[[str], LoadedApp]) -> None:
    text = "name: demo\nalarms: {email: a@example.com}\nservices:\n  web: {image: x:1, port: 80, route: /*}\n"
    assert "observability" not in [s.key for s in plan_of(load_spec, text, "dev").stacks]
    staging = plan_of(load_spec, text, "staging")
    assert "observability" in [s.key for s in staging.stacks]
    prod = plan_of(load_spec, text, "prod")
    kinds = {a.key for a in prod.services["web"].alarms}
    assert {"Cpu", "Memory", "Healthy", "Target5xxRate", "Latency"} <= kinds
    assert {a.key for a in staging.services["web"].alarms} == {"Cpu", "Healthy", "Target5xxRate"}


def test_bare_connection_names_only_when_one_of_a_kind_is_used(variants: Kitchen) -> None:
    services = variants("dev").synth.plan.services
    api_svc = services["api"]
    # two databases: only the prefixed names, so DATABASE_URL never silently picks one of them
    assert {"ORDERS_URL", "ANALYTICS_URL"} <= set(api_svc.secrets) and "DATABASE_URL" not in api_svc.secrets
    assert {"CACHE_URL", "REDIS_URL"} <= set(api_svc.secrets)  # one cache: both
    assert {"ASSETS_BUCKET", "BUCKET_NAME"} <= set(api_svc.env)
    assert {"DATABASE_URL", "ORDERS_URL"} <= set(services["nightly"].secrets)
    assert set(services["web"].env) == {"API_URL"}


def test_stack_look_up_follows_changes_to_the_stack_list(cases: Cases) -> None:
    plan = api.plan_environment(cases.loaded("kitchen"), "prod")  # its own plan: the list is changed here
    first, last = plan.stacks[0], plan.stacks[-1]
    assert plan.stack(last.key) is last and plan.stack(first.key) is first
    plan.stacks.remove(first)  # positions move: the look-up notices and re-indexes
    assert plan.stack(last.key) is last
    with pytest.raises(KeyError):
        plan.stack(first.key)
    plan.stacks.insert(0, first)
    assert plan.stack(first.key) is first
