"""RDS Proxy: services reach the proxy, only the proxy reaches the database, and the URL names the proxy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moorage.render import Synth
from moorage.validate.lint import lint_template

SPEC = """
name: px
region: eu-west-1
services:
  api: {image: ghcr.io/x/api:1.0.0, port: 8080, route: "/*", uses: [pg, aur]}
  jobs: {image: ghcr.io/x/api:1.0.0, uses: [pg]}
databases:
  pg: {engine: postgres, proxy: true}
  aur: {engine: aurora-mysql, proxy: true, password: managed}
  plain: {engine: postgres}
"""


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == kind}


def test_services_reach_the_proxy_and_only_the_proxy_reaches_the_database(
        synth_spec: Callable[[str, str], Synth]) -> None:
    groups = synth_spec(SPEC, "prod").plan.security_groups
    assert {r.peer for r in groups["proxy-pg"].ingress} == {"svc-api", "svc-jobs"}
    assert {r.peer for r in groups["db-pg"].ingress} == {"proxy-pg"}
    assert [(r.peer, r.port) for r in groups["proxy-pg"].egress] == [("db-pg", 5432)]
    assert {r.peer for r in groups["db-aur"].ingress} == {"proxy-aur"}
    assert {r.peer for r in groups["svc-api"].egress} >= {"proxy-pg", "proxy-aur"}
    assert "db-pg" not in {r.peer for r in groups["svc-api"].egress}


def test_proxy_requires_tls_reads_the_secret_and_fronts_its_database(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(SPEC, "prod")
    data = synth.templates["data"]
    proxies = _resources(data, "AWS::RDS::DBProxy")
    assert set(proxies) == {"DbPgProxy", "DbAurProxy"}
    pg = proxies["DbPgProxy"]
    assert pg["RequireTLS"] is True and pg["EngineFamily"] == "POSTGRESQL"
    assert pg["Auth"][0]["SecretArn"] == {"Ref": "DbPgSecret"}
    assert proxies["DbAurProxy"]["Auth"][0]["SecretArn"] == {"Fn::GetAtt": ["DbAur", "MasterUserSecret.SecretArn"]}
    targets = _resources(data, "AWS::RDS::DBProxyTargetGroup")
    assert targets["DbPgProxyTargets"]["DBInstanceIdentifiers"] == [{"Ref": "DbPg"}]
    assert targets["DbAurProxyTargets"]["DBClusterIdentifiers"] == [{"Ref": "DbAur"}]
    role = data["Resources"]["DbPgProxyRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert role[0] == {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": {"Ref": "DbPgSecret"}}
    # prod encrypts secrets with the environment's customer key: the proxy decrypts through Secrets Manager only
    assert role[1]["Action"] == "kms:Decrypt" and role[1]["Resource"] == {"Ref": "KeyArn"}
    assert "kms:ViaService" in role[1]["Condition"]["StringEquals"] and len(role) == 2
    # The host services get is the proxy's; the URL secret is built on it too.
    assert data["Outputs"]["DbPgHost"]["Value"] == {"Fn::GetAtt": ["DbPgProxy", "Endpoint"]}
    url = data["Resources"]["DbPgUrlSecret"]["Properties"]["SecretString"]["Fn::Sub"][1]["Host"]
    assert url == {"Fn::GetAtt": ["DbPgProxy", "Endpoint"]}
    assert data["Outputs"]["DbPlainHost"]["Value"] == {"Fn::GetAtt": ["DbPlain", "Endpoint.Address"]}
    assert not [f for f in lint_template(synth.template_text("data"), ["eu-west-1"]) if f.severity == "error"]
