"""Properties every rendered environment must have, checked on the templates themselves.

Parametrized over every example x environment and the kitchen spec's environments (``case``).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from moorage.plan.edge import route_order
from moorage.plan.naming import logical_id
from moorage.plan.security import proxy_sg, service_sg
from moorage.spec.models import SECRET_NAME_RE

if TYPE_CHECKING:
    from conftest import Case

RETENTION = {"dev": 7, "staging": 30, "prod": 180}
# Outputs of the data stack that are secret ARNs (connection URLs, credentials, app secrets).
SECRET_OUTPUT = re.compile(r"^(Db\w+(Url|Secret)|Cache\w+(Url|Token)|Secret\w+Arn)$")
OPEN = ("0.0.0.0/0", "::/0")


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template.get("Resources", {}).items() if r["Type"] == kind}


def everywhere(case: Case, kind: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(stack, logical id, resource) of every resource of ``kind`` in every template."""
    return [(stack, lid, r) for stack, t in case.templates.items() for lid, r in of_type(t, kind).items()]


def ref(value: Any) -> str | None:
    return value.get("Ref") if isinstance(value, dict) else None


def az_index(subnet: dict[str, Any]) -> int:
    select = subnet["Properties"]["AvailabilityZone"]["Fn::Select"]
    assert select[1] == {"Fn::GetAZs": ""}
    return int(select[0])


def param_source(case: Case, stack: str, parameter: str) -> dict[str, str]:
    entry = next(s for s in case.manifest["stacks"] if s["key"] == stack)
    return next(p["from"] for p in entry["parameters"] if p["name"] == parameter)


def ancestors(case: Case, key: str) -> set[str]:
    deps = {s["key"]: s["depends_on"] for s in case.manifest["stacks"]}
    seen: set[str] = set()
    todo = list(deps[key])
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo += deps[k]
    return seen


# --------------------------------------------------------------------------- network


def test_nat_gateways_one_per_az_in_prod_one_otherwise(case: Case) -> None:
    net = case.templates["network"]
    res = net["Resources"]
    azs = case.synth.plan.network.azs
    nats = of_type(net, "AWS::EC2::NatGateway")
    expected = azs if case.profile == "prod" else 1
    assert len(nats) == expected, f"{case.label}: {len(nats)} NAT gateways"
    nat_az = {lid: az_index(res[ref(n["Properties"]["SubnetId"])]) for lid, n in nats.items()}
    if case.profile == "prod":
        assert sorted(nat_az.values()) == list(range(azs)), "one NAT in each AZ"
    for lid, nat in nats.items():
        subnet = res[ref(nat["Properties"]["SubnetId"])]
        assert {"Key": "moorage:tier", "Value": "public"} in subnet["Properties"]["Tags"], f"{lid} not public"

    private_rts = 0
    for assoc in of_type(net, "AWS::EC2::SubnetRouteTableAssociation").values():
        subnet = res[ref(assoc["Properties"]["SubnetId"])]
        if {"Key": "moorage:tier", "Value": "private"} not in subnet["Properties"]["Tags"]:
            continue
        private_rts += 1
        rt = ref(assoc["Properties"]["RouteTableId"])
        routes = [r["Properties"] for r in of_type(net, "AWS::EC2::Route").values()
                  if ref(r["Properties"]["RouteTableId"]) == rt]
        assert [r["DestinationCidrBlock"] for r in routes] == ["0.0.0.0/0"], f"{rt}: {routes}"
        nat = ref(routes[0].get("NatGatewayId"))
        assert nat in nats, f"{rt} default route does not go through a NAT gateway"
        if case.profile == "prod":
            assert nat_az[nat] == az_index(subnet), f"{rt} (AZ {az_index(subnet)}) routes to {nat} in another AZ"
    assert private_rts == azs


def test_isolated_subnets_have_no_route_out(case: Case) -> None:
    net = case.templates["network"]
    res = net["Resources"]
    isolated_rts = set()
    for assoc in of_type(net, "AWS::EC2::SubnetRouteTableAssociation").values():
        subnet = res[ref(assoc["Properties"]["SubnetId"])]
        if {"Key": "moorage:tier", "Value": "isolated"} in subnet["Properties"]["Tags"]:
            assert subnet["Properties"]["MapPublicIpOnLaunch"] is False
            isolated_rts.add(ref(assoc["Properties"]["RouteTableId"]))
    assert isolated_rts
    for route in of_type(net, "AWS::EC2::Route").values():
        assert ref(route["Properties"]["RouteTableId"]) not in isolated_rts
    public_rt = {ref(r["Properties"]["RouteTableId"]) for r in of_type(net, "AWS::EC2::Route").values()
                 if "GatewayId" in r["Properties"]}
    assert not public_rt & isolated_rts


# --------------------------------------------------------------------------- security groups


def test_nothing_but_the_load_balancer_is_open_to_the_internet(case: Case) -> None:
    for stack, lid, sg in everywhere(case, "AWS::EC2::SecurityGroup"):
        for rule in sg["Properties"].get("SecurityGroupIngress", []):
            if rule.get("CidrIp") in OPEN or rule.get("CidrIpv6") in OPEN:
                assert lid == logical_id("sg", "alb"), f"{stack}/{lid} is open to the internet: {rule}"
                assert rule["IpProtocol"] == "tcp" and rule["FromPort"] == rule["ToPort"] in (80, 443), rule
    for stack, lid, rule in everywhere(case, "AWS::EC2::SecurityGroupIngress"):
        p = rule["Properties"]
        assert "CidrIp" not in p and "CidrIpv6" not in p and "SourcePrefixListId" not in p, f"{stack}/{lid}: {p}"
        assert ref(p.get("SourceSecurityGroupId")), f"{stack}/{lid} has no source group"


def test_every_security_group_rule_is_described(case: Case) -> None:
    for stack, lid, sg in everywhere(case, "AWS::EC2::SecurityGroup"):
        assert sg["Properties"]["GroupDescription"]
        for key in ("SecurityGroupIngress", "SecurityGroupEgress"):
            for rule in sg["Properties"].get(key, []):
                assert rule.get("Description"), f"{stack}/{lid} {key} rule without Description: {rule}"
    for kind in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
        for stack, lid, rule in everywhere(case, kind):
            assert rule["Properties"].get("Description"), f"{stack}/{lid} has no Description"


def test_data_stores_are_reachable_only_from_the_services_that_use_them(case: Case) -> None:
    plan = case.synth.plan
    rules = [r["Properties"] for _, _, r in everywhere(case, "AWS::EC2::SecurityGroupIngress")]
    stores = {**{n: d.security_group for n, d in plan.databases.items()},
              **{n: c.security_group for n, c in plan.caches.items()}}
    for name, group in stores.items():
        sg = logical_id("sg", group)
        sources = {ref(r["SourceSecurityGroupId"]) for r in rules if ref(r["GroupId"]) == sg}
        users = {logical_id("sg", service_sg(s)) for s, svc in plan.services.items() if name in svc.spec.uses}
        if name in plan.databases and plan.databases[name].spec.proxy:
            # behind an RDS Proxy the users reach the proxy, and only the proxy reaches the database
            proxy = logical_id("sg", proxy_sg(name))
            assert sources == {proxy}, f"{case.label}: {name} is reachable from {sorted(sources)}, not only its proxy"
            sources = {ref(r["SourceSecurityGroupId"]) for r in rules if ref(r["GroupId"]) == proxy}
        assert sources == users, f"{case.label}: {name} is reachable from {sorted(sources)}, used by {sorted(users)}"
        inline = case.templates["network"]["Resources"][sg]["Properties"]["SecurityGroupIngress"]
        assert inline == [], f"{sg} has CIDR ingress"


# --------------------------------------------------------------------------- data


def test_databases_live_in_isolated_subnets_and_are_private(case: Case) -> None:
    if "data" not in case.templates:
        return
    data = case.templates["data"]
    for kind in ("AWS::RDS::DBSubnetGroup", "AWS::ElastiCache::SubnetGroup"):
        for lid, group in of_type(data, kind).items():
            param = ref(group["Properties"]["SubnetIds"])
            assert param_source(case, "data", param) == {"stack": "network", "output": "IsolatedSubnets"}, lid
    outputs = case.templates["network"]["Outputs"]["IsolatedSubnets"]["Value"]["Fn::Join"][1]
    assert [ref(o) for o in outputs] == [f"SubnetIsolated{i + 1}" for i in range(case.synth.plan.network.azs)]
    for lid, db in of_type(data, "AWS::RDS::DBInstance").items():
        assert db["Properties"]["PubliclyAccessible"] is False, lid
    for kind in ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"):
        for lid, db in of_type(data, kind).items():
            if "SourceDBInstanceIdentifier" in db["Properties"] or "DBClusterIdentifier" in db["Properties"] \
                    and kind == "AWS::RDS::DBInstance":
                continue
            assert ref(db["Properties"]["DBSubnetGroupName"]) == "DbSubnetGroup", lid


def test_data_is_encrypted_at_rest_and_in_transit(case: Case) -> None:
    for _stack, lid, db in everywhere(case, "AWS::RDS::DBCluster"):
        assert db["Properties"]["StorageEncrypted"] is True, lid
    for _stack, lid, db in everywhere(case, "AWS::RDS::DBInstance"):
        p = db["Properties"]
        if "DBClusterIdentifier" not in p and "SourceDBInstanceIdentifier" not in p:
            assert p["StorageEncrypted"] is True, lid
    for _stack, lid, rg in everywhere(case, "AWS::ElastiCache::ReplicationGroup"):
        assert rg["Properties"]["AtRestEncryptionEnabled"] is True, lid
        assert rg["Properties"]["TransitEncryptionEnabled"] is True, lid
    for _stack, lid, bucket in everywhere(case, "AWS::S3::Bucket"):
        rules = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rules and rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms"), lid
        block = bucket["Properties"]["PublicAccessBlockConfiguration"]
        assert block["BlockPublicAcls"] and block["IgnorePublicAcls"], lid
    for _stack, lid, fs in everywhere(case, "AWS::EFS::FileSystem"):
        assert fs["Properties"]["Encrypted"] is True, lid
    for _stack, lid, policy in everywhere(case, "AWS::S3::BucketPolicy"):
        denies = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies), lid


def _stateful(case: Case) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for kind in ("AWS::RDS::DBCluster", "AWS::ElastiCache::ReplicationGroup", "AWS::S3::Bucket",
                 "AWS::EFS::FileSystem", "AWS::Logs::LogGroup"):
        out += everywhere(case, kind)
    out += [(s, lid, r) for s, lid, r in everywhere(case, "AWS::RDS::DBInstance")
            if "DBClusterIdentifier" not in r["Properties"] and "SourceDBInstanceIdentifier" not in r["Properties"]]
    out += [(s, lid, r) for s, lid, r in everywhere(case, "AWS::SecretsManager::Secret")
            if "GenerateSecretString" in r["Properties"]]
    return out


def test_stateful_resources_survive_deletion_outside_dev(case: Case) -> None:
    stateful = _stateful(case)
    assert stateful
    for stack, lid, r in stateful:
        policies = (r.get("DeletionPolicy"), r.get("UpdateReplacePolicy"))
        if case.profile == "dev":
            assert policies == ("Delete", "Delete"), f"{case.label}: {stack}/{lid} {policies}"
        else:
            assert policies[0] in ("Snapshot", "Retain") and policies[1] == policies[0], \
                f"{case.label}: {stack}/{lid} would be lost on delete: {policies}"
    if case.profile != "dev":  # databases keep a final snapshot rather than the whole instance
        for _stack, lid, r in everywhere(case, "AWS::RDS::DBCluster"):
            assert r["DeletionPolicy"] == "Snapshot", lid


# --------------------------------------------------------------------------- secrets


def test_task_definitions_take_secrets_by_reference_only(case: Case) -> None:
    for stack, _lid, td in everywhere(case, "AWS::ECS::TaskDefinition"):
        service = case.synth.plan.services[stack.removeprefix("svc-")]
        main = td["Properties"]["ContainerDefinitions"][0]
        env = {e["Name"]: e["Value"] for e in main.get("Environment", [])}
        secrets = {s["Name"]: s["ValueFrom"] for s in main.get("Secrets", [])}
        assert set(secrets) == set(service.secrets), f"{stack}: {sorted(secrets)} != {sorted(service.secrets)}"
        assert not set(secrets) & set(env), f"{stack}: set both ways: {set(secrets) & set(env)}"
        for name, value in env.items():
            assert not SECRET_NAME_RE.search(name), f"{stack}: credential-named {name} in Environment"
            assert "resolve:secretsmanager" not in json.dumps(value), f"{stack}: {name} resolves a secret in plain env"
            if ref(value):
                source = param_source(case, stack, ref(value))
                assert not SECRET_OUTPUT.match(source.get("output", "")), f"{stack}: {name} holds {source}"
        for name, value in secrets.items():
            if isinstance(value, str):
                assert value.startswith("arn:aws"), f"{stack}: {name} valueFrom {value!r} is not an ARN"
                continue
            if isinstance(value.get("Fn::Sub"), str):  # a `config:` value: this environment's SSM parameter
                assert ":ssm:" in value["Fn::Sub"] and case.synth.plan.parameters[name] in value["Fn::Sub"], value
                continue
            param = ref(value) or ref(value["Fn::Sub"][1]["S"])
            source = param_source(case, stack, param)
            assert source["stack"] == "data" and SECRET_OUTPUT.match(source["output"]), source
        for sidecar in td["Properties"]["ContainerDefinitions"][1:]:
            for e in sidecar.get("Environment", []):
                assert not SECRET_NAME_RE.search(e["Name"]), f"{stack}: sidecar {e['Name']}"


def test_no_secret_value_in_any_template_or_manifest(case: Case) -> None:
    texts = {k: case.synth.template_text(k) for k in case.templates}
    texts["manifest"] = json.dumps(case.manifest, sort_keys=True)
    userinfo = re.compile(r"://([^/\s:@\"{}]*):([^@\s\"]*)@")
    for name, text in texts.items():
        for user, password in userinfo.findall(text):
            # {} only as a rotation state machine's States.Format placeholder (the new value, at run time)
            assert password.startswith("{{resolve:secretsmanager:") or password == "{}" and "States.Format(" in text, \
                f"{name}: literal password in a URL"
            assert not user or user.startswith("{{resolve:secretsmanager:"), f"{name}: literal user in a URL"
    for stack, lid, secret in everywhere(case, "AWS::SecretsManager::Secret"):
        p = secret["Properties"]
        assert ("GenerateSecretString" in p) != ("SecretString" in p), lid
        if "SecretString" in p:  # built at deploy time from other secrets, never a literal
            body = p["SecretString"]["Fn::Sub"][0]
            assert "{{resolve:secretsmanager:" in body, f"{stack}/{lid}: SecretString is a literal"
    for kind, keys in (("AWS::RDS::DBCluster", ("MasterUsername", "MasterUserPassword")),
                       ("AWS::RDS::DBInstance", ("MasterUserPassword",)),
                       ("AWS::ElastiCache::ReplicationGroup", ("AuthToken",))):
        for stack, lid, r in everywhere(case, kind):
            for key in keys:
                if key in r["Properties"]:
                    body = r["Properties"][key]["Fn::Sub"][0]
                    assert re.fullmatch(r"\{\{resolve:secretsmanager:\$\{S\}:SecretString:\w+\}\}", body), \
                        f"{stack}/{lid}.{key}: {body}"
    for stack, t in case.templates.items():
        for name, p in t.get("Parameters", {}).items():
            assert "Default" not in p, f"{stack}: parameter {name} carries a default value"


# --------------------------------------------------------------------------- services


def test_listener_rules_most_specific_first(case: Case) -> None:
    rules = []
    priorities = []
    for _stack, _lid, rule in everywhere(case, "AWS::ElasticLoadBalancingV2::ListenerRule"):
        priorities.append(rule["Properties"]["Priority"])
        if len(rule["Properties"]["Conditions"]) > 1:
            continue  # a release's test rule: the same path plus a header, just before the production rule
        [cond] = rule["Properties"]["Conditions"]
        [path] = cond["PathPatternConfig"]["Values"]
        rules.append((rule["Properties"]["Priority"], path))
    assert len(set(priorities)) == len(priorities), "priorities must be unique"
    by_priority = [path for _, path in sorted(rules)]
    assert by_priority == sorted(by_priority, key=route_order)
    if len(rules) > 1 and "/*" in by_priority:
        assert by_priority[-1] == "/*"


def test_services_with_a_port_register_in_cloud_map(case: Case) -> None:
    for name, sp in case.synth.plan.services.items():
        t = case.templates[sp.stack]
        discovery = of_type(t, "AWS::ServiceDiscovery::Service")
        ecs = of_type(t, "AWS::ECS::Service")
        if sp.spec.kind in ("job", "scheduled"):
            assert not ecs and not discovery
            continue
        [service] = ecs.values()
        if sp.spec.port:
            [d] = discovery.values()
            assert d["Properties"]["Name"] == name
            assert param_source(case, sp.stack, ref(d["Properties"]["NamespaceId"])) == \
                {"stack": "platform", "output": "NamespaceId"}
            assert service["Properties"]["ServiceRegistries"] == [
                {"RegistryArn": {"Fn::GetAtt": ["Discovery", "Arn"]}}]
        else:
            assert not discovery and "ServiceRegistries" not in service["Properties"]
        network = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]
        assert network["AssignPublicIp"] == "DISABLED"
        assert param_source(case, sp.stack, ref(network["Subnets"])) == {"stack": "network",
                                                                          "output": "PrivateSubnets"}


def test_spot_services_use_fargate_spot_and_prod_keeps_a_fargate_base(case: Case) -> None:
    for sp in case.synth.plan.services.values():
        services = list(of_type(case.templates[sp.stack], "AWS::ECS::Service").values())
        if not services:
            continue
        p = services[0]["Properties"]
        if sp.spec.spot:
            assert "LaunchType" not in p
            strategy = {s["CapacityProvider"]: s for s in p["CapacityProviderStrategy"]}
            assert strategy["FARGATE_SPOT"]["Weight"] >= 1
            if case.profile == "prod":
                assert strategy["FARGATE"]["Base"] >= 1, "a Spot reclaim must not take the service to zero"
            else:
                assert "FARGATE" not in strategy
        else:
            assert p["LaunchType"] == "FARGATE" and "CapacityProviderStrategy" not in p


def test_scaling_follows_the_plan(case: Case) -> None:
    for sp in case.synth.plan.services.values():
        t = case.templates[sp.stack]
        targets = of_type(t, "AWS::ApplicationAutoScaling::ScalableTarget")
        sc = sp.spec.scaling
        if sc is None or sp.spec.kind in ("job", "scheduled"):
            assert not targets
            continue
        [target] = targets.values()
        assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (sc.min, sc.max)
        policy = of_type(t, "AWS::ApplicationAutoScaling::ScalingPolicy")["ScaleCpu"]["Properties"]
        assert policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == float(sc.cpu)
        [service] = of_type(t, "AWS::ECS::Service").values()
        assert sc.min <= service["Properties"]["DesiredCount"] <= sc.max
    if case.profile != "prod":
        assert not any(of_type(t, "AWS::ApplicationAutoScaling::ScalableTarget") for t in case.templates.values()
                       if case.label.startswith(("hello", "kitchen", "variants")))


def test_log_retention_per_profile(case: Case) -> None:
    groups = everywhere(case, "AWS::Logs::LogGroup")
    assert groups
    # the profile's, unless the spec sets logs.retention (cma keeps 30 days in prod, as its guide asks)
    decision = next(d for d in case.synth.plan.decisions if d.topic == "logs.retention")
    expected = int(decision.value) if decision.reason == "set in the spec" else RETENTION[case.profile]
    for stack, lid, group in groups:
        assert group["Properties"]["RetentionInDays"] == expected, f"{stack}/{lid}"
    flow = of_type(case.templates["network"], "AWS::EC2::FlowLog")
    assert bool(flow) is (case.profile == "prod")


# --------------------------------------------------------------------------- manifest


def test_manifest_waves_respect_depends_on(case: Case) -> None:
    waves = case.manifest["waves"]
    order = [k for wave in waves for k in wave]
    assert sorted(order) == sorted(case.templates), "every stack deploys exactly once"
    wave_of = {k: i for i, wave in enumerate(waves) for k in wave}
    for stack in case.manifest["stacks"]:
        for dep in stack["depends_on"]:
            assert wave_of[dep] < wave_of[stack["key"]], f"{stack['key']} deploys with or before {dep}"


def test_every_parameter_is_an_output_of_a_stack_it_depends_on(case: Case) -> None:
    for stack in case.manifest["stacks"]:
        key = stack["key"]
        template = case.templates[key]
        declared = set(template.get("Parameters", {}))
        assert declared == {p["name"] for p in stack["parameters"]}, f"{key}: unfilled parameters"
        before = ancestors(case, key)
        for p in stack["parameters"]:
            source = p["from"]
            if "build" in source:
                assert p["name"] == "Image", p
                continue
            assert source["stack"] in before, f"{key}.{p['name']} reads {source['stack']}, not a dependency"
            assert source["output"] in case.templates[source["stack"]].get("Outputs", {}), \
                f"{key}.{p['name']}: {source['stack']} has no output {source['output']}"
        assert stack["outputs"] == sorted(template.get("Outputs", {}))


def test_manifest_describes_the_environment(case: Case) -> None:
    m = case.manifest
    plan = case.synth.plan
    assert (m["app"], m["environment"], m["profile"], m["region"]) == (plan.app, case.env, case.profile,
                                                                     plan.env.region)
    for stack in m["stacks"]:
        assert stack["template"] == f"{stack['key']}.json"
        expected = plan.stack(stack["key"]).region or plan.env.region  # budget and cdn may sit in us-east-1
        assert stack["region"] == expected
        assert stack["resources"] == len(case.templates[stack["key"]]["Resources"])
    assert m["before_deploy_jobs"] == [n for n, s in plan.services.items() if s.spec.kind == "job"]
    assert m["tags"]["moorage:environment"] == case.env
