"""VPC flow logs go to a group encrypted with the environment's own key when it has one."""

from __future__ import annotations

from collections.abc import Callable

from moorage.render import Synth

SPEC = """
name: fl
region: eu-west-1
encryption: {key: customer}
services:
  web: {image: ghcr.io/x/web:1.0.0, port: 80, route: "/*"}
"""


def test_flow_log_group_uses_the_customer_key_and_the_key_deploys_first(
        synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(SPEC, "prod")
    group = synth.templates["network"]["Resources"]["FlowLogGroup"]["Properties"]
    assert group["KmsKeyId"] == {"Ref": "KeyArn"}
    params = {p["name"]: p["from"] for s in synth.manifest["stacks"] if s["key"] == "network" for p in s["parameters"]}
    assert params["KeyArn"] == {"stack": "keys", "output": "KeyArn"}
    assert synth.manifest["waves"][0][0] == "keys" and "network" in synth.manifest["waves"][1]


def test_without_a_customer_key_the_network_comes_first(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(SPEC.replace("encryption: {key: customer}\n", "encryption: {key: aws}\n"), "prod")
    assert "KmsKeyId" not in synth.templates["network"]["Resources"]["FlowLogGroup"]["Properties"]
    assert "network" in synth.manifest["waves"][0]


def test_prod_uses_a_customer_key_unless_the_spec_opts_out(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(SPEC.replace("encryption: {key: customer}\n", ""), "prod")
    assert synth.templates["network"]["Resources"]["FlowLogGroup"]["Properties"]["KmsKeyId"] == {"Ref": "KeyArn"}
    assert synth.manifest["waves"][0][0] == "keys"
    dev = synth_spec(SPEC.replace("encryption: {key: customer}\n", ""), "dev")
    assert "keys" not in dev.templates
