"""A plan as plain data: what `moorage plan --json` prints."""

from __future__ import annotations

from typing import Any

from moorage.plan.model import Plan


def plan_summary(p: Plan) -> dict[str, Any]:
    """A JSON-able summary of a plan."""
    return {
        "app": p.app, "environment": p.env.env, "profile": p.env.profile, "region": p.env.region,
        "stacks": [{"name": s.name, "purpose": s.purpose, "depends_on": s.depends_on} for s in p.stacks],
        "services": {n: {"kind": s.spec.kind, "cpu": s.spec.cpu, "memory": s.spec.memory, "tasks": s.spec.desired,
                         "route": s.route.path if s.route else None, "uses": s.spec.uses}
                     for n, s in p.services.items()},
        "decisions": [{"topic": d.topic, "value": d.value, "reason": d.reason} for d in p.decisions],
        "warnings": [d.render() for d in p.warnings],
    }
