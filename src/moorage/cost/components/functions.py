"""Lambda functions: moorage's own smoke hook (free in practice), any other function unknown with the reason."""

from __future__ import annotations

from moorage.cost.context import PricingContext, Resource
from moorage.cost.model import LineItem

SMOKE_ID = "SmokeFunction"  # render/release.py names moorage's smoke hook so


def _is_smoke_hook(res: Resource) -> bool:
    """True for the smoke check moorage renders: its logical id, one reserved execution and its SMOKE_URL."""
    env = res.props.get("Environment")
    variables = env.get("Variables") if isinstance(env, dict) else None
    return (res.lid == SMOKE_ID and res.number("ReservedConcurrentExecutions") == 1
            and isinstance(variables, dict) and "SMOKE_URL" in variables)


def price_function(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """A Lambda function: requests and GB-seconds depend on traffic the template does not state."""
    if _is_smoke_hook(res):
        timeout = res.number("Timeout", 3.0) or 3.0
        memory = res.number("MemorySize", 128.0) or 128.0
        return [ctx.free(res, f"moorage's smoke hook: {memory:g} MB for at most {timeout:g} s once per release, "
                              "fractions of a cent (charged per request and GB-second)")]
    memory = res.number("MemorySize", 128.0) or 128.0
    return [ctx.unknown(res, f"requests and compute ({memory:g} MB)",
                        "charged per request and per GB-second of run time; how often and how long this function "
                        "runs is not in the template and there is no usage figure for it, so it is in no total")]


PRICERS = {"AWS::Lambda::Function": price_function}
