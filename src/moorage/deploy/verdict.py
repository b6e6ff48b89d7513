"""What a deploy would refuse, read from a diff's result: ``diff`` exits 1 on it (so a review fails a change the
deploy would stop on)."""

from __future__ import annotations

from moorage.deploy.changes import blocking
from moorage.deploy.retained import refusal
from moorage.deploy.run import DeployRefused, DeployResult
from moorage.deploy.session import Target


def would_refuse(result: DeployResult, target: Target, allowed: set[str], allow_major: bool) -> str:
    """What a deploy with these ``--allow-*`` flags would refuse, as its refusal says it ("" when nothing): the
    stateful changes not allowed, a major upgrade without its flag, the kept resources a deploy would stop on.
    Each change a name allows gets its ``allowed`` reason (:func:`~moorage.deploy.changes.blocking`)."""
    dangerous = {o.name: bad for o in result.outcomes.values() if (bad := blocking(o.changes, allowed, allow_major))}
    text = DeployRefused(dangerous=dangerous).render() if dangerous else ""
    if result.leftovers:  # the diff's warning showed them already; counted here for the verdict
        text = "\n".join(t for t in (text, refusal(result.leftovers, target)) if t)
    return text
