"""The VPC: subnets per tier and AZ, NAT gateways, flow logs."""

from __future__ import annotations

from moorage.plan.model import NetworkPlan, Subnet
from moorage.resolve.environment import EnvSpec


def subnet_layout(cidr: str, azs: int) -> list[Subnet]:
    """Deterministic subnets in a /16: public /24s, private /20s (tasks), isolated /24s (data)."""
    base = ".".join(cidr.split(".")[:2])
    out = [Subnet("public", az, f"{base}.{az}.0/24") for az in range(azs)]
    out += [Subnet("private", az, f"{base}.{16 * (az + 1)}.0/20") for az in range(azs)]
    out += [Subnet("isolated", az, f"{base}.{64 + az}.0/24") for az in range(azs)]
    return out


def network_plan(env: EnvSpec) -> NetworkPlan:
    """The network for ``env``."""
    nats = {"none": 0, "single": 1, "per-az": env.azs}[env.nat]
    return NetworkPlan(
        cidr=env.cidr, azs=env.azs, subnets=subnet_layout(env.cidr, env.azs), nat_gateways=nats,
        flow_logs=env.flow_logs, flow_log_retention=env.log_retention,
    )
