"""How one service's releases roll out in one environment: strategy, traffic steps, bake, rollback alarms, smoke.

The app's ``deploy:`` (with the environment's override merged in by the loader) is the base; a service's own
``deploy:`` overrides the keys it sets. Every choice is reported through ``note(topic, value, reason)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moorage.data import load_data
from moorage.spec.models import CanarySettings, Deploy, LinearSettings, Strategy

Note = Callable[[str, str, str], None]


@dataclass
class ResolvedRelease:
    """A service's release settings, decided."""

    strategy: Strategy
    circuit_breaker: bool
    bake_minutes: int | None = None  # None: rolling, no bake
    canary: CanarySettings | None = None
    linear: LinearSettings | None = None
    rollback_on: list[str] = field(default_factory=list)
    smoke: str | None = None

    @property
    def shifts_traffic(self) -> bool:
        """True for blue-green, canary and linear: two target groups, a test rule and traffic shifting."""
        return self.strategy != "rolling"


def effective_deploy(app_deploy: Deploy, service_deploy: Deploy | None) -> Deploy:
    """The app's deploy settings with the keys the service sets taken from the service."""
    merged: dict[str, Any] = app_deploy.model_dump(exclude_unset=True)
    if service_deploy is not None:
        merged.update(service_deploy.model_dump(exclude_unset=True))
    return Deploy.model_validate(merged)


def resolve_release(name: str, kind: str, routed: bool, profile: str, app_deploy: Deploy,
                    service_deploy: Deploy | None, note: Note) -> ResolvedRelease | None:
    """The release settings of service ``name`` (None for jobs and scheduled tasks: ECS runs no service)."""
    if kind in ("job", "scheduled"):
        return None
    d = effective_deploy(app_deploy, service_deploy)
    defaults = load_data("releases")["profiles"][profile]
    topic = f"services.{name}.deploy"
    given = "set in the spec" if "strategy" in d.model_fields_set else "default"
    strategy: Strategy = d.strategy
    if strategy != "rolling" and not routed:
        note(f"{topic}.strategy", "rolling",
             f"{strategy} shifts load balancer traffic between two target groups; {name} has no route, so it "
             "rolls (circuit breaker on)")
        strategy = "rolling"
    else:
        note(f"{topic}.strategy", strategy, given)
    release = ResolvedRelease(strategy=strategy, circuit_breaker=d.circuit_breaker if strategy == "rolling" else False)
    if strategy == "canary":
        release.canary = d.canary or CanarySettings()
        note(f"{topic}.canary", f"{release.canary.percent:g}% for {release.canary.bake_minutes} min, then 100%",
             "set in the spec" if d.canary else "canary default (10% for 10 minutes)")
    if strategy == "linear":
        release.linear = d.linear or LinearSettings()
        note(f"{topic}.linear", f"+{release.linear.percent:g}% every {release.linear.step_minutes} min",
             "set in the spec" if d.linear else "linear default (10% steps, 6 minutes apart)")
    if release.shifts_traffic:
        release.bake_minutes = d.bake_minutes if d.bake_minutes is not None else int(defaults["bake_minutes"])
        note(f"{topic}.bake_minutes", str(release.bake_minutes),
             "set in the spec" if d.bake_minutes is not None
             else f"profile {profile}: the old version stays up this long after all traffic moved, for an "
                  "instant rollback")
    elif d.bake_minutes is not None:
        note(f"{topic}.bake_minutes", "none", "rolling replaces tasks in place: there is no old version to keep")
    if routed:
        signals = list(d.rollback_on) if d.rollback_on is not None else list(defaults["rollback_on"])
        release.rollback_on = sorted(set(signals), key=signals.index)
        note(f"{topic}.rollback_on", ", ".join(release.rollback_on) or "none",
             "set in the spec" if d.rollback_on is not None
             else f"profile {profile}: these alarms stop the release and put the previous version back")
    elif d.rollback_on:
        note(f"{topic}.rollback_on", "none", f"{name} has no route: no load balancer metrics to watch; the circuit "
             "breaker rolls back a release that never becomes healthy")
    if d.smoke:
        if release.shifts_traffic:
            release.smoke = d.smoke
            note(f"{topic}.smoke", d.smoke, "checked through the test listener rule before production traffic "
                 "moves; a bad status fails the hook and ECS rolls back")
        else:
            note(f"{topic}.smoke", "not run", "a smoke check needs the test listener rule of blue-green, canary "
                 "or linear; this service rolls")
    return release
