"""A generated moorage.yml of N services, with databases, caches, buckets, routes and wiring in proportion.

Used by benchmarks/run.py and by the scale tests. Per block of 10 services: 6 routed web services
(one path each), 3 workers, 1 scheduled job; one database per 10 services, one cache per 20, one
bucket per 20; every service uses its block's database, every second one the cache, and each web
service calls the previous web service of its block.

Run: python benchmarks/generate.py N > moorage.yml
"""

from __future__ import annotations

import sys
from typing import Any

import yaml

ROUTED_PER_BLOCK = 6  # services 0-5 of each block of 10 are routed


def generated_spec(n: int, *, routed: int | None = None, built: int = 0, name: str = "scale",
                   env: str = "prod") -> dict[str, Any]:
    """The spec of an app with ``n`` services in environment ``env``; ``routed`` overrides how many get a route,
    and the first ``built`` services are built from source (an ECR repository each) instead of pulled."""
    services: dict[str, Any] = {}
    databases: dict[str, Any] = {}
    caches: dict[str, Any] = {}
    buckets: dict[str, Any] = {}
    routes = 0
    for i in range(n):
        block, pos = divmod(i, 10)
        db, cache, bucket = f"db{block}", f"cache{block // 2}", f"files{block // 2}"
        databases.setdefault(db, {"engine": "postgres", "version": "16"})
        uses = [db]
        if i % 2 == 0:
            caches.setdefault(cache, {"engine": "redis"})
            uses.append(cache)
        if pos == 7:
            buckets.setdefault(bucket, {})
            uses.append(bucket)
        svc: dict[str, Any] = {"build": f"./s{i}"} if i < built else {"image": "public.ecr.aws/nginx/nginx:1.27.3"}
        wants_route = pos < ROUTED_PER_BLOCK if routed is None else routes < routed
        if pos < ROUTED_PER_BLOCK or (routed is not None and wants_route):
            svc["port"] = 8080 if i % 3 else 3000
            if pos > 0 and f"s{i - 1}" in services and "port" in services[f"s{i - 1}"]:
                uses.append(f"s{i - 1}")
            if wants_route:
                svc["route"] = f"/s{i}/*"
                svc["health"] = "/health"
                routes += 1
        elif pos == 9:
            svc["schedule"] = "rate(1 hour)"
        svc["uses"] = uses
        services[f"s{i}"] = svc
    return {"name": name, "region": "eu-west-1", "services": services, "databases": databases,
            "caches": caches, "buckets": buckets, "environments": {env: {}}}


def generated_yaml(n: int, **kwargs: Any) -> str:
    """:func:`generated_spec` as moorage.yml text."""
    return yaml.safe_dump(generated_spec(n, **kwargs), sort_keys=False)


if __name__ == "__main__":
    sys.stdout.write(generated_yaml(int(sys.argv[1])))
