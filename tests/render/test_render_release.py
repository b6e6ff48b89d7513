"""Release strategies: each one's templates hold exactly what it needs (target groups, listener rules, alarms,
hook), pass cfn-lint and the policy rules, for a test app and for every example."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from moorage import api
from moorage.cfn.sets import template_set_of
from moorage.policy import run_checks
from moorage.render import Synth
from moorage.validate.lint import lint_template

STRATEGIES = ("rolling", "blue-green", "canary", "linear")
ECS_NAMES = {"rolling": "ROLLING", "blue-green": "BLUE_GREEN", "canary": "CANARY", "linear": "LINEAR"}

APP = """\
name: shop
region: eu-west-1
domain: {name: shop.example.com, zone_id: Z0123456789ABCDEFGHIJ}
alarms: {email: ops@shop.example.com}
deploy:
  strategy: STRATEGY
  canary: {percent: 20, bake_minutes: 7}
  linear: {percent: 25, step_minutes: 3}
  rollback_on: [5xx, latency, unhealthy]
  smoke: /health/ready
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health}
  api: {image: ghcr.io/acme/api:1.0.0, port: 4000, route: "/api/*", health: /api/health}
  worker: {image: ghcr.io/acme/worker:1.0.0}
  migrate: {image: ghcr.io/acme/api:1.0.0, command: [migrate], run: before-deploy}
environments:
  staging: {}
  prod: {}
  dev: {deploy: {strategy: rolling}}
"""


def _synth(tmp_path: Path, strategy: str, env: str = "prod", text: str = APP) -> Synth:
    spec = tmp_path / strategy / "moorage.yml"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(text.replace("STRATEGY", strategy), encoding="utf-8")
    return api.synth_environment(api.load_app(spec), env)


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def _ref(value: Any) -> str:
    return value.get("Ref") or value["Fn::GetAtt"][0]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_strategy_templates_hold_what_it_needs(tmp_path: Path, strategy: str) -> None:
    synth = _synth(tmp_path, strategy)
    web = synth.templates["svc-web"]
    service = web["Resources"]["Service"]["Properties"]
    config = service["DeploymentConfiguration"]
    groups = _of_type(web, "AWS::ElasticLoadBalancingV2::TargetGroup")
    rules = _of_type(web, "AWS::ElasticLoadBalancingV2::ListenerRule")
    alarms = _of_type(web, "AWS::CloudWatch::Alarm")
    functions = _of_type(web, "AWS::Lambda::Function")
    assert config["Strategy"] == ECS_NAMES[strategy]
    # rollback_on: three named alarms, and ECS rolls back on them
    names = sorted(a["Properties"]["AlarmName"] for a in alarms.values() if "AlarmName" in a["Properties"])
    assert names == [f"shop-prod-web-rollback-{s}" for s in ("5xx", "latency", "unhealthy")]
    assert config["Alarms"] == {"AlarmNames": sorted(config["Alarms"]["AlarmNames"], key=lambda n: (
        ["5xx", "latency", "unhealthy"].index(n.rsplit("-", 1)[1]))), "Enable": True, "Rollback": True}
    assert sorted(config["Alarms"]["AlarmNames"]) == names
    five = next(a["Properties"] for a in alarms.values() if a["Properties"].get("AlarmName", "").endswith("-5xx"))
    assert (five["Threshold"], five["EvaluationPeriods"], five["ComparisonOperator"]) == (
        5, 2, "GreaterThanOrEqualToThreshold")
    if strategy == "rolling":
        assert sorted(groups) == ["TargetGroup"]
        assert sorted(rules) == ["ListenerRule"]
        assert rules["ListenerRule"]["Properties"]["Actions"] == [{"Type": "forward",
                                                                   "TargetGroupArn": {"Ref": "TargetGroup"}}]
        assert config["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
        assert "AdvancedConfiguration" not in service["LoadBalancers"][0]
        assert not functions and "LifecycleHooks" not in config and "BakeTimeInMinutes" not in config
        rollback = next(a for a in alarms.values() if a["Properties"].get("AlarmName", "").endswith("-5xx"))
        assert rollback["Properties"]["MetricName"] == "HTTPCode_Target_5XX_Count"
        return
    # two target groups, identical but for their name
    assert sorted(groups) == ["AlternateTargetGroup", "TargetGroup"]
    assert groups["TargetGroup"]["Properties"] == groups["AlternateTargetGroup"]["Properties"]
    # production rule at the route's priority, test rule (route + header) just before it, both weighted 1/0
    assert sorted(rules) == ["ListenerRule", "TestListenerRule"]
    prod, test = rules["ListenerRule"]["Properties"], rules["TestListenerRule"]["Properties"]
    weighted = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": {"Ref": "TargetGroup"}, "Weight": 1},
        {"TargetGroupArn": {"Ref": "AlternateTargetGroup"}, "Weight": 0}]}}]
    assert prod["Actions"] == weighted and test["Actions"] == weighted
    assert prod["Conditions"] == [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}]
    assert test["Conditions"] == prod["Conditions"] + [{"Field": "http-header", "HttpHeaderConfig": {
        "HttpHeaderName": "X-Moorage-Test", "Values": ["web"]}}]
    assert test["Priority"] == prod["Priority"] - 5
    api_rules = _of_type(synth.templates["svc-api"], "AWS::ElasticLoadBalancingV2::ListenerRule")
    priorities = [r["Properties"]["Priority"] for t in ("svc-web", "svc-api") for r in
                  _of_type(synth.templates[t], "AWS::ElasticLoadBalancingV2::ListenerRule").values()]
    assert len(set(priorities)) == 4, "listener rule priorities are unique on the listener"
    assert api_rules["TestListenerRule"]["Properties"]["Priority"] < prod["Priority"], \
        "the more specific route's rules come first"
    # the ECS service names the alternate group, both rules and the infrastructure role
    advanced = service["LoadBalancers"][0]["AdvancedConfiguration"]
    assert {k: _ref(v) for k, v in advanced.items()} == {
        "AlternateTargetGroupArn": "AlternateTargetGroup", "ProductionListenerRule": "ListenerRule",
        "TestListenerRule": "TestListenerRule", "RoleArn": "TrafficRole"}
    role = web["Resources"]["TrafficRole"]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ecs.amazonaws.com"}
    assert "AmazonECSInfrastructureRolePolicyForLoadBalancers" in json.dumps(role["ManagedPolicyArns"])
    assert "DeploymentCircuitBreaker" not in config
    assert config["BakeTimeInMinutes"] == 15
    if strategy == "canary":
        assert config["CanaryConfiguration"] == {"CanaryPercent": 20, "CanaryBakeTimeInMinutes": 7}
    else:
        assert "CanaryConfiguration" not in config
    if strategy == "linear":
        assert config["LinearConfiguration"] == {"StepPercent": 25, "StepBakeTimeInMinutes": 3}
    else:
        assert "LinearConfiguration" not in config
    # rollback alarms watch both target groups at once
    for alarm in (a["Properties"] for a in alarms.values() if "AlarmName" in a["Properties"]):
        groups_watched = {d["Value"]["Fn::GetAtt"][0] for q in alarm["Metrics"] if "MetricStat" in q
                          for d in q["MetricStat"]["Metric"]["Dimensions"] if d["Name"] == "TargetGroup"}
        assert groups_watched == {"TargetGroup", "AlternateTargetGroup"}
        assert [q["Expression"] for q in alarm["Metrics"] if q.get("ReturnData")][0].endswith("([primary, alternate])")
    # the service's own target-group alarms watch both groups too: the idle one has no healthy host after a swap
    healthy = web["Resources"]["AlarmHealthy"]["Properties"]
    assert "Dimensions" not in healthy
    assert {d["Value"]["Fn::GetAtt"][0] for q in healthy["Metrics"] if "MetricStat" in q
            for d in q["MetricStat"]["Metric"]["Dimensions"] if d["Name"] == "TargetGroup"} == {
        "TargetGroup", "AlternateTargetGroup"}
    assert next(q["Expression"] for q in healthy["Metrics"] if q.get("ReturnData")) == "SUM([primary, alternate])"
    # smoke: a pre-traffic hook, inline code, its own log group, least privilege
    hook = config["LifecycleHooks"]
    assert hook == [{"HookTargetArn": {"Fn::GetAtt": ["SmokeFunction", "Arn"]},
                     "RoleArn": {"Fn::GetAtt": ["HookRole", "Arn"]}, "TargetType": "AWS_LAMBDA",
                     "LifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]
    fn = functions["SmokeFunction"]["Properties"]
    assert "ZipFile" in fn["Code"] and "hookStatus" in fn["Code"]["ZipFile"]
    assert fn["Environment"]["Variables"]["TEST_HEADER"] == "X-Moorage-Test"
    assert fn["Environment"]["Variables"]["TEST_VALUE"] == "web"
    assert fn["Environment"]["Variables"]["SMOKE_URL"] == {"Fn::Join": ["", [{"Ref": "Url"}, "/health/ready"]]}
    assert fn["LoggingConfig"] == {"LogGroup": {"Ref": "SmokeLogGroup"}}
    log_group = web["Resources"]["SmokeLogGroup"]["Properties"]
    assert log_group["LogGroupName"] == f"/aws/lambda/{fn['FunctionName']}"
    assert log_group["RetentionInDays"] == synth.plan.env.log_retention
    smoke_policy = web["Resources"]["SmokeRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    by_sid = {s["Sid"]: s for s in smoke_policy}
    assert by_sid["OwnLogs"]["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert "SmokeLogGroup" not in json.dumps(by_sid["OwnLogs"]) and fn["FunctionName"] in json.dumps(by_sid["OwnLogs"])
    # in the private subnets: network interfaces in this account and region only; describing them needs "*"
    assert by_sid["SeeInterfaces"] == {"Sid": "SeeInterfaces", "Effect": "Allow",
                                       "Action": ["ec2:DescribeNetworkInterfaces"], "Resource": ["*"]}
    assert by_sid["VpcAccess"]["Resource"] != ["*"]
    assert set(by_sid) <= {"OwnLogs", "VpcAccess", "SeeInterfaces", "DecryptVariables"}
    assert fn["VpcConfig"]["SecurityGroupIds"] == [{"Ref": "SmokeSecurityGroup"}]
    egress = web["Resources"]["SmokeSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    assert sorted(r["FromPort"] for r in egress) == [80, 443]
    assert "SecurityGroupIngress" not in web["Resources"]["SmokeSecurityGroup"]["Properties"]
    invoke = web["Resources"]["HookRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert invoke == [{"Sid": "InvokeSmoke", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
                       "Resource": [{"Fn::GetAtt": ["SmokeFunction", "Arn"]}]}]


@pytest.mark.parametrize("strategy", ("blue-green", "canary", "linear"))
def test_unrouted_services_roll_and_jobs_have_no_service(tmp_path: Path, strategy: str) -> None:
    synth = _synth(tmp_path, strategy)
    worker = synth.templates["svc-worker"]["Resources"]["Service"]["Properties"]["DeploymentConfiguration"]
    assert worker["Strategy"] == "ROLLING" and worker["DeploymentCircuitBreaker"]["Rollback"] is True
    assert "Alarms" not in worker
    assert "Service" not in synth.templates["svc-migrate"]["Resources"]
    why = next(d for d in synth.plan.decisions if d.topic == "services.worker.deploy.strategy")
    assert why.value == "rolling" and "no route" in why.reason


def test_environment_override_wins_and_says_why(tmp_path: Path) -> None:
    dev = _synth(tmp_path, "canary", env="dev")
    config = dev.templates["svc-web"]["Resources"]["Service"]["Properties"]["DeploymentConfiguration"]
    assert config["Strategy"] == "ROLLING"
    assert "SmokeFunction" not in dev.templates["svc-web"]["Resources"]
    smoke = next(d for d in dev.plan.decisions if d.topic == "services.web.deploy.smoke")
    assert smoke.value == "not run" and "rolls" in smoke.reason
    test_rule = next(d for d in _synth(tmp_path, "canary").plan.decisions
                     if d.topic == "services.web.release.test_listener")
    assert "header" in test_rule.value and "no extra port" in test_rule.reason


def test_service_override(tmp_path: Path) -> None:
    text = APP.replace('  api: {image: ghcr.io/acme/api:1.0.0, port: 4000, route: "/api/*", health: /api/health}',
                       '  api: {image: ghcr.io/acme/api:1.0.0, port: 4000, route: "/api/*", health: /api/health,'
                       ' deploy: {strategy: rolling, rollback_on: [5xx]}}')
    synth = _synth(tmp_path, "blue-green", text=text)
    api_config = synth.templates["svc-api"]["Resources"]["Service"]["Properties"]["DeploymentConfiguration"]
    web_config = synth.templates["svc-web"]["Resources"]["Service"]["Properties"]["DeploymentConfiguration"]
    assert api_config["Strategy"] == "ROLLING" and api_config["Alarms"]["AlarmNames"] == ["shop-prod-api-rollback-5xx"]
    assert web_config["Strategy"] == "BLUE_GREEN"


def test_bad_deploy_settings_are_located_errors(tmp_path: Path) -> None:
    from moorage.errors import InputError

    spec = tmp_path / "moorage.yml"
    spec.write_text(APP.replace("STRATEGY", "rainbow"), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        api.load_app(spec)
    text = "\n".join(d.render() for d in exc.value.diagnostics)
    assert "deploy" in text and "strategy" in text and "moorage.yml:6" in text
    spec.write_text(APP.replace("STRATEGY", "canary").replace("percent: 20", "percent: 0"), encoding="utf-8")
    with pytest.raises(InputError):
        api.load_app(spec)


@pytest.mark.parametrize("strategy", ("blue-green", "canary", "linear"))
def test_strategy_lints_and_passes_policy(tmp_path: Path, strategy: str) -> None:
    for env in ("staging", "prod"):
        synth = _synth(tmp_path, strategy, env)
        _assert_clean(synth, f"{strategy}/{env}")


def _assert_clean(synth: Synth, label: str, stacks: list[str] | None = None, suppress: Any = ()) -> None:
    errors = []
    for key in stacks if stacks is not None else list(synth.templates):
        region = next(s["region"] for s in synth.manifest["stacks"] if s["key"] == key)
        errors += [f.render() for f in lint_template(synth.template_text(key), [region], f"{label}/{key}")]
    assert not errors, "cfn-lint:\n" + "\n".join(errors)
    report = run_checks([template_set_of(synth)], suppressions=suppress)  # the spec's accepted findings
    assert not report.errors
    high = report.failing("high")
    assert not high, [(f.rule, f.stack, f.resource, f.message) for f in high]
    releases = {f.rule for f in report.active if f.stack.startswith("svc-")} - {"MOO-ECS-003"}
    assert not releases, f"{label}: release resources raise findings: {releases}"


def _examples() -> list[Path]:
    root = Path(__file__).resolve().parents[2] / "examples"
    return sorted(p for p in root.glob("*/*.yml"))


@pytest.mark.parametrize("strategy", ("blue-green", "canary", "linear"))
@pytest.mark.parametrize("example", _examples(), ids=lambda p: p.parent.name)
def test_every_example_under_each_strategy(tmp_path: Path, example: Path, strategy: str) -> None:
    """Each example with its app-level strategy set to ``strategy`` (environment and service overrides removed):
    the service stacks lint clean and the policy rules pass (rolling is test_examples.py)."""
    loaded = api.load_app(example)
    yaml = YAML(typ="safe")
    data = loaded.data if isinstance(loaded.data, dict) else yaml.load(example.read_text(encoding="utf-8"))
    data = json.loads(json.dumps(data))
    data["deploy"] = {"strategy": strategy, "smoke": "/"}
    for env in (data.get("environments") or {}).values():
        if isinstance(env, dict):
            env.pop("deploy", None)
    for svc in data["services"].values():
        svc.pop("deploy", None)
    spec = tmp_path / "moorage.yml"
    spec.write_text(json.dumps(data), encoding="utf-8")
    changed = api.load_app(spec)
    for env in changed.spec.environments:
        synth = api.synth_environment(changed, env)
        routed = [f"svc-{n}" for n, s in synth.plan.services.items() if s.route]
        for key in routed:
            config = synth.templates[key]["Resources"]["Service"]["Properties"]["DeploymentConfiguration"]
            assert config["Strategy"] == ECS_NAMES[strategy]
            assert "AlternateTargetGroup" in synth.templates[key]["Resources"]
        _assert_clean(synth, f"{example.parent.name}/{env}/{strategy}", routed, changed.spec.suppress)
