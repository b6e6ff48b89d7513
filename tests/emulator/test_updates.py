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
    spec.write_text(text.replace("region: eu-west-1\n", "region: eu-west-1\ntags: {team: payments}\n"),
                    encoding="utf-8")
    second = api.synth_environment(api.load_app(spec), "dev")
    result, _ = run_deploy(second)
    assert result.ok, result.to_json()
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
