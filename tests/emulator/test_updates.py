"""Updates the emulator applies in place, as CloudFormation does (not by replacing the resource)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from moorage import api

REPO = Path(__file__).resolve().parents[2]


def test_a_tags_only_change_updates_security_groups_in_place(tmp_path: Path, run_deploy: Any, aws: Any) -> None:
    """moto's own update deletes a security group and creates another: the rule resources that point at the
    old group then fail (UPDATE_ROLLBACK_FAILED). A tag change must keep every group and its rules."""
    spec = tmp_path / "moorage.yml"
    text = (REPO / "examples" / "hello" / "moorage.yml").read_text(encoding="utf-8")
    spec.write_text(text, encoding="utf-8")
    first = api.synth_environment(api.load_app(spec), "dev")
    result, _ = run_deploy(first)
    assert result.ok, result.to_json()
    region = first.manifest["region"]
    ec2 = aws("ec2", region)

    def groups() -> dict[str, dict[str, Any]]:
        found = ec2.describe_security_groups()["SecurityGroups"]
        return {g["GroupId"]: g for g in found if any(t["Key"] == "moorage:app" for t in g.get("Tags", []))}

    before = groups()
    cloud_map = aws("servicediscovery", region)
    namespaces = sorted(n["Id"] for n in cloud_map.list_namespaces()["Namespaces"])
    spec.write_text(text.replace("region: eu-west-1\n", "region: eu-west-1\ntags: {team: payments}\n"),
                    encoding="utf-8")
    second = api.synth_environment(api.load_app(spec), "dev")
    result, _ = run_deploy(second)
    assert result.ok, (result.to_json(), [c.to_json() for o in result.outcomes.values() for c in o.changes])
    # the Cloud Map namespace is tagged in place: its id (which the service discovery entries carry) stays
    assert sorted(n["Id"] for n in cloud_map.list_namespaces()["Namespaces"]) == namespaces
    statuses = {s["StackName"]: s["StackStatus"] for s in aws("cloudformation", region).describe_stacks()["Stacks"]}
    assert set(statuses.values()) == {"UPDATE_COMPLETE"}, statuses
    after = groups()
    assert set(after) == set(before), "a tag change must not replace a security group"
    for gid, group in after.items():
        tags = {t["Key"]: t["Value"] for t in group["Tags"]}
        assert tags.get("team") == "payments", group["GroupName"]
        assert group["IpPermissions"] == before[gid]["IpPermissions"]
        assert group["IpPermissionsEgress"] == before[gid]["IpPermissionsEgress"]


def test_an_inline_rule_change_keeps_the_group(tmp_path: Path, run_deploy: Any, aws: Any) -> None:
    """A domain adds HTTPS 443 to the load balancer's group (an inline rule): same group, one more rule."""
    spec = tmp_path / "moorage.yml"
    text = (REPO / "examples" / "hello" / "moorage.yml").read_text(encoding="utf-8")
    spec.write_text(text, encoding="utf-8")
    first = api.synth_environment(api.load_app(spec), "dev")
    assert run_deploy(first)[0].ok
    region = first.manifest["region"]
    ec2 = aws("ec2", region)

    def alb_group() -> dict[str, Any]:
        [group] = [g for g in ec2.describe_security_groups()["SecurityGroups"]
                   if "load balancer" in g.get("Description", "")]
        return group

    before = alb_group()
    assert {p.get("FromPort") for p in before["IpPermissions"]} == {80}
    spec.write_text(text.replace("region: eu-west-1\n", "region: eu-west-1\ndomain: {name: hello.example.com, "
                                 "zone_id: Z0123456789ABCDEFGHIJ}\n"), encoding="utf-8")
    result, _ = run_deploy(api.synth_environment(api.load_app(spec), "dev"))
    assert result.ok, result.to_json()
    after = alb_group()
    assert after["GroupId"] == before["GroupId"]
    assert {p.get("FromPort") for p in after["IpPermissions"]} == {80, 443}


def _target_groups(aws: Any, region: str) -> dict[str, int]:
    elb = aws("elbv2", region)
    return {g["TargetGroupArn"]: g["Port"] for g in elb.describe_target_groups()["TargetGroups"]}


def _forwarded(aws: Any, region: str) -> set[str]:
    elb = aws("elbv2", region)
    arns = set()
    for lb in elb.describe_load_balancers()["LoadBalancers"]:
        for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
            for rule in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]:
                arns |= {a["TargetGroupArn"] for a in rule["Actions"] if a.get("TargetGroupArn")}
    return arns


def test_a_port_change_replaces_the_target_group_after_the_listener_moves(tmp_path: Path, run_deploy: Any,
                                                                         aws: Any) -> None:
    """A new port needs a new target group: CloudFormation creates it, points the listener rule and the service
    at it, and deletes the old one last. Deleting the old one first failed (it is in use by the rule) and left
    the stack UPDATE_ROLLBACK_FAILED."""
    spec = tmp_path / "moorage.yml"
    text = (REPO / "examples" / "hello" / "moorage.yml").read_text(encoding="utf-8")
    spec.write_text(text, encoding="utf-8")
    first = api.synth_environment(api.load_app(spec), "dev")
    assert run_deploy(first)[0].ok
    region = first.manifest["region"]
    [old] = _target_groups(aws, region)
    spec.write_text(text.replace("port: 80\n", "port: 8080\n"), encoding="utf-8")
    second = api.synth_environment(api.load_app(spec), "dev")
    result, _ = run_deploy(second)
    assert result.ok, result.to_json()
    assert result.outcomes["svc-web"].status == "UPDATE_COMPLETE"
    groups = _target_groups(aws, region)
    assert old not in groups and list(groups.values()) == [8080]
    assert _forwarded(aws, region) == set(groups)
    ecs = aws("ecs", region)
    [service] = ecs.describe_services(cluster=result.outputs["platform"]["ClusterName"],
                                      services=[result.outputs["svc-web"]["ServiceName"]])["services"]
    assert [lb["containerPort"] for lb in service["loadBalancers"]] == [8080]
    assert {lb["targetGroupArn"] for lb in service["loadBalancers"]} == set(groups)


def test_a_failed_update_after_a_replacement_rolls_back_to_one_target_group(tmp_path: Path, run_deploy: Any,
                                                                            aws: Any) -> None:
    spec = tmp_path / "moorage.yml"
    text = (REPO / "examples" / "hello" / "moorage.yml").read_text(encoding="utf-8")
    spec.write_text(text, encoding="utf-8")
    first = api.synth_environment(api.load_app(spec), "dev")
    assert run_deploy(first)[0].ok
    region = first.manifest["region"]
    [old] = _target_groups(aws, region)
    spec.write_text(text.replace("port: 80\n", "port: 8080\n"), encoding="utf-8")
    broken = api.synth_environment(api.load_app(spec), "dev")
    # a resource that fails after the target group was replaced and the listener rule moved to the new one
    broken.templates["svc-web"]["Resources"]["Broken"] = {
        "Type": "AWS::EC2::Subnet", "DependsOn": ["ListenerRule", "Service"],
        "Properties": {"VpcId": "vpc-00000000000000000", "CidrBlock": "10.200.0.0/24"}}
    result, _ = run_deploy(broken)
    assert not result.ok and result.outcomes["svc-web"].status == "UPDATE_ROLLBACK_COMPLETE", result.to_json()
    groups = _target_groups(aws, region)
    assert list(groups.values()) == [80], "the rollback leaves one target group on the old port, none orphaned"
    assert _forwarded(aws, region) == set(groups)
    again, _ = run_deploy(first)  # the service stack is back on the first template (the network stack moved on)
    assert again.ok and again.outcomes["svc-web"].action == "unchanged"


def test_an_update_sets_the_stacks_last_updated_time(stacks: Any) -> None:
    """`status` shows a stack's LastUpdatedTime as its last deploy (CreationTime only when never updated)."""
    import time

    from moorage.deploy.stacks import read_stack

    def template(value: str) -> dict[str, Any]:
        return {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": value}}}}

    stacks.deploy("updated-at", template("one"))
    created = read_stack(stacks.cfn, "updated-at")
    assert created is not None and created.updated is not None
    time.sleep(1.1)  # the API's times have a resolution of a second at worst
    stacks.deploy("updated-at", template("two"))
    [raw] = stacks.cfn.describe_stacks(StackName="updated-at")["Stacks"]
    assert raw["LastUpdatedTime"] > raw["CreationTime"]
    updated = read_stack(stacks.cfn, "updated-at")
    assert updated is not None and updated.updated == raw["LastUpdatedTime"] and updated.updated > created.updated
    stacks.delete("updated-at")
