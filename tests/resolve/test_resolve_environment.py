"""AppSpec + environment -> EnvSpec: profile defaults, overrides, and the reason for each decision."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from moorage.data.aws import creatable_versions
from moorage.errors import InputError
from moorage.resolve.environment import EnvSpec, profile_for, resolve_environment
from moorage.spec.load import LoadedApp

APP = """
name: demo
region: eu-west-1
alarms: {email: ops@example.com}
services:
  web: {image: x:1.0, port: 80, route: "/*"}
  worker: {image: x:1.0, uses: [db, cache]}
  migrate: {image: x:1.0, run: before-deploy, uses: [db]}
databases:
  db: {engine: postgres, version: "15"}
caches:
  cache: {}
buckets:
  files: {}
environments:
  dev: {}
  staging: {}
  prod: {}
"""

Resolve = Callable[[str, str], EnvSpec]


@pytest.fixture
def resolve(load_spec: Callable[[str], LoadedApp]) -> Resolve:
    return lambda text, env: resolve_environment(load_spec(text), env)


def decision(env: EnvSpec, topic: str):
    hits = [d for d in env.decisions if d.topic == topic]
    assert hits, f"no decision on {topic}: {[d.topic for d in env.decisions]}"
    return hits[-1]


@pytest.mark.parametrize(("name", "explicit", "profile"), [
    ("dev", None, "dev"), ("development", None, "dev"), ("preview", None, "dev"),
    ("staging", None, "staging"), ("qa", None, "staging"), ("uat", None, "staging"),
    ("prod", None, "prod"), ("production", None, "prod"), ("Live", None, "prod"),
    ("feature-x", "staging", "staging"), ("prod", "dev", "dev"),
])
def test_profile_for(name: str, explicit: str | None, profile: str) -> None:
    got, why = profile_for(name, explicit)
    assert got == profile
    assert why


def test_an_environment_of_unknown_profile_is_an_error() -> None:
    with pytest.raises(InputError) as info:
        profile_for("feature-x", None)
    assert "profile: dev|staging|prod" in info.value.diagnostics[0].hint


def test_unknown_profile_error_is_located(input_errors: Callable[..., tuple[Path, list]],
                                          locate: Callable[..., int]) -> None:
    text = """
        name: demo
        services:
          web: {image: x:1}
        environments:
          feature-x: {}
        """
    spec, diags = input_errors(text, "feature-x")
    assert diags[0].location is not None
    assert (diags[0].location.file, diags[0].location.line) == (str(spec), locate(text, "feature-x"))


@pytest.mark.parametrize(("env", "azs", "nat", "retention", "flow_logs"), [
    ("dev", 2, "single", 7, False),
    ("staging", 2, "single", 30, False),
    ("prod", 3, "per-az", 180, True),
])
def test_network_and_logs_per_profile(resolve: Resolve, env: str, azs: int, nat: str, retention: int,
                                      flow_logs: bool) -> None:
    e = resolve(APP, env)
    assert (e.azs, e.nat, e.log_retention, e.flow_logs) == (azs, nat, retention, flow_logs)
    assert decision(e, "network.nat").value == nat
    assert decision(e, "network.nat").reason.startswith(f"profile {env}:")
    assert decision(e, "logs.retention").value == str(retention)


def test_profile_defaults_for_data_and_services(resolve: Resolve) -> None:
    dev, staging, prod = (resolve(APP, e) for e in ("dev", "staging", "prod"))
    assert (dev.databases["db"].instance, dev.databases["db"].multi_az, dev.databases["db"].backup_days) == \
        ("db.t4g.micro", False, 1)
    assert staging.databases["db"].deletion_protection and not staging.databases["db"].multi_az
    p = prod.databases["db"]
    assert (p.instance, p.multi_az, p.backup_days, p.deletion_protection, p.performance_insights) == \
        ("db.r6g.large", True, 30, True, True)
    assert (dev.caches["cache"].nodes, dev.caches["cache"].failover) == (1, False)
    assert (prod.caches["cache"].nodes, prod.caches["cache"].failover) == (2, True)
    assert dev.services["web"].scaling is None and dev.services["web"].desired == 1
    sc = prod.services["web"].scaling
    assert sc is not None and (sc.min, sc.max, sc.cpu) == (2, 10, 70)
    assert prod.services["web"].desired == 2
    assert prod.services["migrate"].scaling is None and prod.services["migrate"].desired == 0
    assert (dev.waf, prod.waf) == (False, True)
    assert (dev.alarm_level, staging.alarm_level, prod.alarm_level) == ("none", "basic", "full")
    assert not dev.stateful_retained and staging.stateful_retained and prod.stateful_retained
    assert dev.buckets["files"].versioning is False and prod.buckets["files"].versioning is True


def test_spec_values_win_over_the_profile_and_say_so(resolve: Resolve) -> None:
    text = APP.replace("  prod: {}", "  prod:\n    network: {nat: single}\n    logs: {retention: 90}")
    e = resolve(text, "prod")
    assert (e.nat, e.log_retention) == ("single", 90)
    assert decision(e, "network.nat").reason == "set in the spec"


def test_every_decision_has_a_value_and_a_reason(resolve: Resolve) -> None:
    for env in ("dev", "staging", "prod"):
        e = resolve(APP, env)
        assert e.decisions[0].topic == "profile"
        for d in e.decisions:
            assert d.topic and d.value and d.reason, d


def test_engine_major_resolves_to_a_concrete_creatable_release(resolve: Resolve) -> None:
    e = resolve(APP, "dev")
    db = e.databases["db"]
    assert db.version.startswith("15.") and db.version.count(".") == 1
    assert db.version in creatable_versions("postgres")
    assert (db.major, db.parameter_family, db.port) == ("15", "postgres15", 5432)
    d = decision(e, "databases.db.version")
    assert d.value == db.version and "15" in d.reason


def test_engine_defaults_when_no_version_is_given(resolve: Resolve) -> None:
    e = resolve(APP.replace('{engine: postgres, version: "15"}', "{engine: mysql}"), "dev")
    db = e.databases["db"]
    assert db.version.startswith("8.0.") and db.parameter_family == "mysql8.0" and db.port == 3306


def test_engine_version_rds_cannot_create_is_a_located_error(input_errors: Callable[..., tuple[Path, list]],
                                                             locate: Callable[..., int]) -> None:
    text = APP.replace('version: "15"', 'version: "11"')
    spec, diags = input_errors(text, "dev")
    [diag] = diags
    assert diag.message == "postgres 11 cannot be created on RDS"
    assert diag.location.key == "databases.db.version"
    assert (diag.location.file, diag.location.line) == (str(spec), locate(text, 'version: "11"'))
    assert "available major versions: 12, 13" in diag.hint


def test_aurora_on_a_class_it_cannot_run_on(input_errors: Callable[..., tuple[Path, list]]) -> None:
    _, diags = input_errors(APP.replace("{engine: postgres, version: \"15\"}",
                                        "{engine: aurora-postgresql, instance: db.t4g.micro}"), "dev")
    assert "Aurora does not run on db.t4g.micro" in diags[0].message
    assert diags[0].location.key == "databases.db.instance"


FORBID = """
name: demo
forbid_env: [AUTH_BYPASS]
services:
  web:
    image: x:1
    env: {AUTH_BYPASS: "1", LOG_LEVEL: debug}
environments:
  dev: {}
  staging:
    forbid_env: [LOG_LEVEL]
  prod: {}
"""


def test_forbidden_env_in_prod_is_a_located_error(input_errors: Callable[..., tuple[Path, list]],
                                                  locate: Callable[..., int]) -> None:
    spec, diags = input_errors(FORBID, "prod")
    [diag] = diags
    assert diag.message == "AUTH_BYPASS must not be set in environment 'prod'"
    assert diag.location.key == "services.web.env.AUTH_BYPASS"
    assert (diag.location.file, diag.location.line) == (str(spec), locate(FORBID, "AUTH_BYPASS: \"1\""))


def test_forbid_env_applies_to_prod_only_unless_an_environment_says_so(
        resolve: Resolve, input_errors: Callable[..., tuple[Path, list]]) -> None:
    assert resolve(FORBID, "dev").services["web"].env["AUTH_BYPASS"] == "1"
    _, diags = input_errors(FORBID, "staging")
    assert [d.location.key for d in diags] == ["services.web.env.LOG_LEVEL"]


def test_forbidden_env_set_by_an_override_is_caught(input_errors: Callable[..., tuple[Path, list]],
                                                    locate: Callable[..., int]) -> None:
    text = FORBID.replace('env: {AUTH_BYPASS: "1", LOG_LEVEL: debug}', "env: {}") \
        .replace("  prod: {}", "  prod:\n    services:\n      web:\n        env: {AUTH_BYPASS: yes-please}")
    spec, diags = input_errors(text, "prod")
    assert diags[0].location.line == locate(text, "AUTH_BYPASS: yes")


GUARDED = """
name: demo
forbid_env: [AUTH_BYPASS, TENANT_OVERRIDE, ADMIN_TOKEN]
config:
  TENANT_OVERRIDE: acme
  LOG_MODE: json
secrets:
  ADMIN_TOKEN: {description: break-glass}
services:
  web:
    image: x:1
    config: [TENANT_OVERRIDE]
    secrets: [ADMIN_TOKEN]
    sidecars:
      agent:
        image: y:1
        env: {AUTH_BYPASS: "1"}
"""


def test_forbid_env_reaches_sidecars_config_and_secret_names(input_errors: Callable[..., tuple[Path, list]]) -> None:
    _, diags = input_errors(GUARDED, "prod")
    keys = sorted(d.location.key for d in diags)
    assert keys == ["config.TENANT_OVERRIDE", "services.web.config[0]", "services.web.secrets[0]",
                    "services.web.sidecars.agent.env.AUTH_BYPASS"], [d.render() for d in diags]


@pytest.mark.parametrize(("var", "value"), [("DEBUG", "true"), ("NODE_ENV", "development"),
                                            ("AWS_XRAY_DEBUG_MODE", "TRUE"), ("FLASK_DEBUG", "1")])
def test_debug_settings_are_refused_in_prod_only(var: str, value: str, resolve: Resolve,
                                                 input_errors: Callable[..., tuple[Path, list]]) -> None:
    text = f"""
name: demo
services:
  web:
    image: x:1
    sidecars:
      agent: {{image: y:1, env: {{{var}: "{value}"}}}}
"""
    _, diags = input_errors(text, "prod")
    assert [d.location.key for d in diags] == [f"services.web.sidecars.agent.env.{var}"]
    assert "debug mode in production" in diags[0].message
    assert resolve(text, "dev").services["web"].name == "web"


def test_debug_off_and_production_values_pass(resolve: Resolve) -> None:
    text = """
name: demo
services:
  web: {image: x:1, env: {DEBUG: "false", NODE_ENV: production, LOG_LEVEL: debug}}
"""
    assert resolve(text, "prod").services["web"].env["NODE_ENV"] == "production"


RESIDENCY = """
name: demo
region: {region}
residency: {residency}
services:
  web: {{image: x:1}}
"""


@pytest.mark.parametrize(("region", "residency"), [
    ("me-south-1", "uae"),                 # Bahrain is not the UAE
    ("eu-west-2", "eu"),                   # London is not in the EU
    ("eu-central-2", "eu"),                # nor is Zurich
    ("eu-central-1", "[eu-west-1, eu-west-3]"),
])
def test_region_outside_residency_is_a_located_error(input_errors: Callable[..., tuple[Path, list]],
                                                     locate: Callable[..., int], region: str,
                                                     residency: str) -> None:
    text = RESIDENCY.format(region=region, residency=residency)
    spec, diags = input_errors(text, "dev")
    [diag] = diags
    assert f"region {region} is outside the residency" in diag.message
    assert (diag.location.file, diag.location.line, diag.location.key) == (str(spec), locate(text, "region:"),
                                                                         "region")


@pytest.mark.parametrize(("region", "residency", "allowed"), [
    ("me-central-1", "uae", ["me-central-1"]),
    ("me-south-1", "gcc", ["me-central-1", "me-south-1"]),
    ("eu-west-1", "eu", ["eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"]),
])
def test_region_inside_residency(resolve: Resolve, region: str, residency: str, allowed: list[str]) -> None:
    e = resolve(RESIDENCY.format(region=region, residency=residency), "dev")
    assert e.region == region and e.residency == allowed


def test_environment_region_override_is_held_to_residency(input_errors: Callable[..., tuple[Path, list]],
                                                          locate: Callable[..., int]) -> None:
    text = RESIDENCY.format(region="me-central-1", residency="uae") + "environments:\n  prod: {region: me-south-1}\n"
    spec, diags = input_errors(text, "prod")
    assert diags[0].location.line == locate(text, "region: me-south-1")


def test_more_azs_than_the_region_has(input_errors: Callable[..., tuple[Path, list]]) -> None:
    _, diags = input_errors("name: demo\nregion: us-west-1\nnetwork: {azs: 3}\nservices:\n  web: {image: x:1}\n",
                            "dev")
    assert "us-west-1 has 2 AZs, not 3" in diags[0].message
    assert diags[0].location.key == "network.azs" and diags[0].location.line == 3


def test_explicit_size_is_rounded_to_a_valid_fargate_size(resolve: Resolve) -> None:
    e = resolve("name: demo\nservices:\n  web: {image: x:1, memory: 3000}\n", "dev")
    assert (e.services["web"].cpu, e.services["web"].memory) == (512, 3072)
    assert decision(e, "services.web.size").value == "512 cpu / 3072 MiB"


def test_warnings_for_unpinned_images_in_prod_and_alarms_nobody_reads(resolve: Resolve) -> None:
    text = "name: demo\nservices:\n  web: {image: nginx:latest, port: 80, route: /*}\n"
    prod = resolve(text, "prod")
    messages = [w.message for w in prod.warnings]
    assert any("not pinned" in m for m in messages)
    assert any("alarms have no recipient" in m for m in messages)
    dev = resolve(text, "dev")
    assert not any("not pinned" in w.message for w in dev.warnings)


def test_tags_name_app_and_environment(resolve: Resolve) -> None:
    e = resolve("name: demo\ntags: {team: core}\nservices:\n  web: {image: x:1}\n", "staging")
    assert e.tags == {"moorage:app": "demo", "moorage:environment": "staging", "moorage:deployment": "demo-staging",
                      "team": "core"}


def test_no_decision_reads_python_none() -> None:
    """A default of nothing (no autoscaling on a singleton or a dev service) is said in words."""
    from moorage.api import load_app

    root = Path(__file__).resolve().parents[2] / "examples"
    for spec in (root / "hello" / "moorage.yml", root / "smartboard" / "docker-compose.yml"):
        loaded = load_app(spec)
        for env in loaded.spec.environments:
            shown = [(d.topic, d.value) for d in resolve_environment(loaded, env).decisions if d.value == "None"]
            assert shown == [], (spec.parent.name, env, shown)


def test_secret_hints_name_moorages_own_command_not_a_plain_aws_one(resolve: Resolve) -> None:
    # resolve does not know the target: a plain `aws secretsmanager ...` pasted from a --local run would act on
    # the real account (and would put the value on the command line); `moorage secrets set` is aimed like the deploy
    text = APP + "secrets:\n  STRIPE_KEY: {generate: false, rotate_days: 90}\n"
    env = resolve(text, "staging")
    [warning] = [w for w in env.warnings if "STRIPE_KEY" in w.message]
    [decision] = [d for d in env.decisions if d.topic == "secrets.STRIPE_KEY.rotation"]
    for said in (warning.hint or "", decision.reason):
        assert "`moorage secrets set --env staging STRIPE_KEY`" in said and "--local" in said
        assert "aws secretsmanager" not in said and "--secret-string" not in said
    assert warning.location is not None and warning.location.line > 0


def test_the_rotation_decision_names_the_step_each_kind_of_secret_needs(resolve: Resolve) -> None:
    """A generated secret is rotated with `secrets rotate` (as its reminder says); a provider's value is set by
    hand; an existing secret is not moorage's to rotate, and the plan says nothing is scheduled for it."""
    env = resolve(APP + """secrets:
  TOKEN: {rotate_days: 30}
  API_KEY: {generate: false, rotate_days: 90}
  SHARED: {external: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared-AbCdEf", rotate_days: 30}
""", "prod")
    assert "moorage secrets rotate TOKEN --env prod --restart" in decision(env, "secrets.TOKEN.rotation").reason
    assert "issue a new value with the provider" in decision(env, "secrets.API_KEY.rotation").reason
    shared = decision(env, "secrets.SHARED.rotation")
    assert shared.value == "none by moorage (an existing secret)" and "no reminder" in shared.reason


def test_a_rotation_function_in_another_region_is_a_located_error(load_spec: Callable[[str], LoadedApp]) -> None:
    loaded = load_spec(APP + """secrets:
  TOKEN:
    rotate_days: 30
    rotation_function: arn:aws:lambda:us-east-1:123456789012:function:rotate-token
""")
    with pytest.raises(InputError) as caught:
        resolve_environment(loaded, "prod")
    [diag] = caught.value.diagnostics
    assert "us-east-1" in diag.message and "eu-west-1" in diag.message
    assert diag.location is not None and diag.location.line > 1
