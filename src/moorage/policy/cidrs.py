"""Networks written in templates, compared as networks (``ipaddress``), never as strings.

``0.0.0.0/0``, ``::0/0``, ``0::/0`` and ``1.2.3.4/0`` are the same network; ``0.0.0.0/1`` is half the
internet. A CIDR is *broad public* when it holds at least one address outside the private and local
ranges and its prefix is at most ``broad_public_prefix`` (policy_facts.yaml: /8 for IPv4, /16 for IPv6).
"""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import Any

from moorage.policy.checks import facts

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def network_of(value: Any) -> Network | None:
    """The network a CIDR string names (host bits ignored), or None when ``value`` is not a CIDR."""
    if not isinstance(value, str) or "/" not in value:
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


@cache
def _private() -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(c) for c in facts()["private_networks"])


def public(network: Network) -> bool:
    """True when ``network`` holds an address outside every private, shared and local range."""
    return not any(network.version == p.version and network.subnet_of(p)  # type: ignore[arg-type]
                   for p in _private())


def whole_internet(value: Any) -> bool:
    """True for a CIDR of prefix 0 (every address of its family), however it is spelled."""
    net = network_of(value)
    return net is not None and net.prefixlen == 0


def broad_public(value: Any) -> bool:
    """True for a CIDR that covers the internet or a large public range (see the module docstring)."""
    net = network_of(value)
    if net is None:
        return False
    limit = int(facts()["broad_public_prefix"][f"ipv{net.version}"])
    return net.prefixlen <= limit and public(net)
