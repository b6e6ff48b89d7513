"""Rotation decisions: the schedule of each RDS-managed password, and the reminders for what no function rotates
(cache AUTH tokens, app secrets with ``rotate_days``). Redeploys after a rotation are ``release.rotation_restarts``."""

from __future__ import annotations

from moorage.plan.model import ReminderPlan
from moorage.resolve.environment import Decision, EnvSpec


def rotation_days(env: EnvSpec, name: str, decisions: list[Decision]) -> int | None:
    """Days between rotations of database ``name``'s password when a schedule is set on its secret, else None.

    Only an RDS-managed password gets a schedule: RDS rotates it itself and services read its parts at task start.
    A generated password is built into DATABASE_URL at deploy time, so a rotation would leave that URL stale.
    """
    db = env.databases[name]
    if not db.rotate_days:
        return None
    if db.managed_password:
        decisions.append(Decision(f"databases.{name}.rotation_schedule", f"every {db.rotate_days} days",
                                  "a rotation schedule on the secret RDS manages (RDS runs the rotation)"))
        return db.rotate_days
    decisions.append(Decision(
        f"databases.{name}.rotation_schedule", "none (generated password)",
        f"rotate_days {db.rotate_days} needs `password: managed`: a generated password is written into "
        "DATABASE_URL at deploy time, and a rotation would leave that URL stale"))
    return None


def rotation_reminders(env: EnvSpec, decisions: list[Decision]) -> list[ReminderPlan]:
    """A reminder every N days for each cache AUTH token and app secret with a rotation period: no function
    rotates them, so a person must, and the warning alarm destination is told when it is time."""
    out = []
    run = f"moorage secrets rotate NAME --env {env.env} --restart"
    for name, cache in sorted(env.caches.items()):
        if cache.rotate_days:
            out.append(ReminderPlan(
                f"cache-{name}", cache.rotate_days,
                f"{env.app}/{env.env}: rotate the AUTH token of cache {name} (every {cache.rotate_days} days). "
                "moorage does not rotate ElastiCache AUTH tokens: set a new token with modify-replication-group "
                "--auth-token-update-strategy ROTATE, store it in the secret, then redeploy its readers."))
            decisions.append(Decision(f"caches.{name}.rotation", f"reminder every {cache.rotate_days} days",
                                      "no rotation function for ElastiCache AUTH tokens: a scheduled message to "
                                      "the warning alarm destination"))
    for name, secret in sorted(env.secrets.items()):
        if secret.rotate_days and not secret.external:
            how = run.replace("NAME", name) if secret.generate else \
                f"moorage secrets set {name} --env {env.env} --restart (after issuing a new value with its provider)"
            out.append(ReminderPlan(
                f"secret-{name}", secret.rotate_days,
                f"{env.app}/{env.env}: rotate secret {name} (every {secret.rotate_days} days): {how}"))
            decisions.append(Decision(f"secrets.{name}.reminder", f"every {secret.rotate_days} days",
                                      "a scheduled message to the warning alarm destination"))
    return out
