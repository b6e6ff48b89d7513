"""The app's environments as deployed: region, state, last release, URL and monthly estimate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moorage.deploy.previews import Preview
    from moorage.deploy.session import Target
    from moorage.render import Synth


@dataclass(frozen=True)
class EnvSummary:
    """One environment of the spec, as the target reports it."""

    name: str
    profile: str
    region: str
    status: str  # deployed | not deployed | partial (k of n stacks) | failing: STACK STATUS
    last_release: str | None  # newest stack update time, with its commit when recorded
    url: str | None
    monthly_low: float  # sourced items only, autoscaled services at their minimum (JSON also: monthly_priced_low)
    monthly_high: float  # sourced items only, autoscaled services at their maximum (JSON also: monthly_priced_high)
    unpriced: int
    monthly_upper: float  # the bound `plan`, `cost` and the guide give: sourced + unpriced items at proxy prices
    monthly_upper_autoscaled: float  # that bound with every autoscaled service at its maximum ("autoscaling up to")
    estimate: str  # the phrase `plan` and the guide show (cost.report.estimate_phrase)
    preview_of: str | None = None  # a preview environment: its base
    expires: str | None = None  # a preview's expiry (UTC)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form. ``monthly_low``/``monthly_high`` (priced items only, so ``monthly_high`` can be below
        ``monthly_upper``) stay for compatibility; ``monthly_priced_low``/``monthly_priced_high`` say what they are."""
        return {**self.__dict__, "monthly_priced_low": self.monthly_low, "monthly_priced_high": self.monthly_high}


def _estimate(synth: Synth, strays: int = 0) -> tuple[float, float, int, float, float, str]:
    """(low, high, unpriced, upper, upper with autoscaling at its maximum, phrase) of ``synth``'s estimate: the
    report `plan` and the guide read."""
    from moorage.cfn import template_set_of
    from moorage.cost import estimate_template_set
    from moorage.cost.report import estimate_phrase

    report = estimate_template_set(template_set_of(synth))
    phrase = estimate_phrase(report) + (f"; {strays} stack(s) not in the plan, unpriced" if strays else "")
    return (round(report.low, 2), round(report.high, 2), len(report.unknown) + strays, round(report.upper, 2),
            round(report.upper_high, 2), phrase)


def environment_summary(target: Target | None, synth: Synth) -> EnvSummary:
    """Read ``synth``'s stacks on ``target`` (None: nothing is deployed anywhere reachable)."""
    from moorage.deploy.status import environment_status

    manifest = synth.manifest
    status, last, url = "not deployed", None, None
    if target is not None:
        st = environment_status(target, manifest)
        present = [s for s in st.stacks if s["status"] != "NOT_DEPLOYED"]
        failing = [s for s in present if s["status"].endswith(("FAILED", "ROLLBACK_COMPLETE"))
                   and s["status"] != "UPDATE_ROLLBACK_COMPLETE"]
        if failing:
            status = f"failing: {failing[0]['name']} {failing[0]['status']}"
        elif present and len(present) < len(st.stacks):
            status = f"partial ({len(present)} of {len(st.stacks)} stacks)"
        elif present:
            status = "deployed"
        last = _last_release(present)
        url = st.url
    return EnvSummary(manifest["environment"], manifest["profile"], manifest["region"], status, last, url,
                      *_estimate(synth))


def _last_release(stacks: list[dict[str, Any]]) -> str | None:
    """The newest stack update time among deployed ``stacks``, with its commit when recorded."""
    newest = max(stacks, key=lambda s: s["updated"] or "", default=None)
    if not newest or not newest["updated"]:
        return None
    return newest["updated"][:19].replace("T", " ") + (f" ({newest['commit'][:12]})" if newest.get("commit") else "")


def preview_summary(synth: Synth, preview: Preview, base_url: str | None, target: Target | None = None) -> EnvSummary:
    """A deployed preview (``synth`` plans it), with its expiry, its URL on its base, its own estimate and (read
    on ``target``) its last release."""
    from moorage.deploy.previews import preview_url
    from moorage.deploy.status import environment_status

    failing = [f"{n} {s}" for n, s in zip(preview.stacks, preview.statuses, strict=True)
               if s.endswith(("FAILED", "ROLLBACK_COMPLETE")) and s != "UPDATE_ROLLBACK_COMPLETE"]
    status = f"failing: {failing[0]}" if failing else ("expired" if preview.expired() else "deployed")
    # a stack the plan no longer has (its own data after previews.data became shared) runs on, unpriced here
    planned = {s["name"] for s in synth.manifest["stacks"]}
    strays = [n for n in preview.stacks if n not in planned]
    if strays:
        status += f" + {', '.join(strays)} (not in the plan: the next deploy deletes it)"
    url = preview_url(synth.manifest, {"edge": {"Url": base_url}}) if base_url else None
    last = None
    if target is not None:
        last = _last_release([s for s in environment_status(target, synth.manifest).stacks
                              if s["status"] != "NOT_DEPLOYED"])
    return EnvSummary(preview.name, "preview", synth.manifest["region"], status, last, url,
                      *_estimate(synth, len(strays)), preview.base, preview.expires)


def console_url(region: str, cluster: str | None, prefix: str) -> str:
    """The AWS console page of an environment: its ECS cluster, else its CloudFormation stacks."""
    host = f"https://{region}.console.aws.amazon.com"
    if cluster:
        return f"{host}/ecs/v2/clusters/{cluster}/services?region={region}"
    return f"{host}/cloudformation/home?region={region}#/stacks?filteringText={prefix}"
