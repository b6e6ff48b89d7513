"""Rotation decisions: the schedule of each RDS-managed password, the state machine that rotates each cache's
AUTH token, and the reminders for what nothing rotates (app secrets with ``rotate_days``). Redeploys after RDS
rotates a password are ``release.rotation_restarts``."""

from __future__ import annotations

from moorage.plan.bootstrap import bootstrap_job_name
from moorage.plan.model import (
    CachePlan,
    DatabasePlan,
    PasswordRotationPlan,
    ReminderPlan,
    RestartPlan,
    TokenRotationPlan,
)
from moorage.resolve.environment import Decision, EnvSpec


def long_running_readers(env: EnvSpec, name: str) -> list[str]:
    """The services that use database or cache ``name`` and keep tasks running: ECS injects a secret when a task
    starts, so these are the ones to redeploy after it changes (a job reads the current value when it runs)."""
    return sorted(s.name for s in env.services.values() if name in s.uses and s.kind in ("web", "service", "worker"))


# Distinct services the rotation stack redeploys: each is one parameter (CloudFormation allows 200 a stack) and a
# few states. Past it, a cache token gets a reminder and a generated password no rotation, and the plan says why.
READERS_AT_MOST = 100


def _fits(readers: list[str], redeployed: set[str]) -> bool:
    """True (and ``redeployed`` grows) when the rotation stack can also redeploy ``readers``."""
    if len(redeployed | set(readers)) > READERS_AT_MOST:
        return False
    redeployed.update(readers)
    return True


def token_rotations(env: EnvSpec, caches: dict[str, CachePlan], decisions: list[Decision],
                    redeployed: set[str]) -> tuple[list[TokenRotationPlan], list[ReminderPlan]]:
    """A state machine per cache with ``rotate_days``: ElastiCache keeps two AUTH tokens while the readers roll
    (ROTATE), then drops the old one (SET), so no task ever holds a token the cache refuses. A cache read by more
    services than the rotation stack can redeploy (``READERS_AT_MOST``) gets a reminder instead."""
    out, reminders = [], []
    for name, cache in sorted(caches.items()):
        days = env.caches[name].rotate_days
        if not days:
            continue
        readers = long_running_readers(env, name)
        if not _fits(readers, redeployed):
            reminders.append(ReminderPlan(
                f"cache-{name}", days,
                f"{env.app}/{env.env}: rotate the AUTH token of cache {name} (every {days} days): set a new token "
                "with modify-replication-group --auth-token-update-strategy ROTATE, store it in the token and URL "
                "secrets, redeploy its readers, then SET it."))
            decisions.append(Decision(f"caches.{name}.rotation", f"reminder every {days} days",
                                      f"{len(readers)} readers: more services than one rotation stack redeploys "
                                      f"({READERS_AT_MOST} at most)"))
            continue
        out.append(TokenRotationPlan(name, cache.identifier, days, readers))
        decisions.append(Decision(
            f"caches.{name}.rotation", f"every {days} days",
            "a state machine adds a new AUTH token (ROTATE), stores it, redeploys "
            + (", ".join(readers) if readers else "no service (none reads it)")
            + " and then drops the old token (SET)"))
    return out, reminders


def rotation_days(env: EnvSpec, name: str, decisions: list[Decision]) -> int | None:
    """Days between rotations of database ``name``'s password when a schedule is set on its secret, else None.

    Only an RDS-managed password gets a schedule: RDS rotates it itself and services read its parts at task start.
    A generated password the spec gives ``rotate_days`` is rotated by a state machine (:func:`password_rotations`).
    """
    db = env.databases[name]
    if not db.rotate_days:
        return None
    if db.managed_password:
        decisions.append(Decision(f"databases.{name}.rotation_schedule", f"every {db.rotate_days} days",
                                  "a rotation schedule on the secret RDS manages (RDS runs the rotation)"))
        return db.rotate_days
    if not db.rotate_generated:
        decisions.append(Decision(
            f"databases.{name}.rotation_schedule", "none (generated password)",
            "a generated password rotates only when the spec sets rotate_days: each rotation fails the connections "
            "old tasks open before they are replaced (or use `password: managed`)"))
    return None


def password_rotations(env: EnvSpec, databases: dict[str, DatabasePlan], decisions: list[Decision],
                       redeployed: set[str]) -> list[PasswordRotationPlan]:
    """A state machine per generated password the spec gives ``rotate_days``. Per-service users (``schemas``)
    rotate with it: new passwords in their secrets, one run of the bootstrap job (which sets every user's
    password from its secret), their URLs rewritten and their services redeployed too. Past ``READERS_AT_MOST``
    services to redeploy, the password does not rotate."""
    out = []
    for name, plan in sorted(databases.items()):
        db = env.databases[name]
        if db.managed_password or not db.rotate_generated or not db.rotate_days:
            continue
        readers = long_running_readers(env, name)  # the users' services too: their passwords change as well
        if not _fits(readers, redeployed):
            decisions.append(Decision(f"databases.{name}.rotation_schedule", "none (too many readers)",
                                      f"{len(readers)} readers: more services than one rotation stack redeploys "
                                      f"({READERS_AT_MOST} at most)"))
            continue
        job = bootstrap_job_name(name) if plan.users else None
        out.append(PasswordRotationPlan(name, plan.identifier, db.aurora, db.rotate_days, readers, job))
        users = ", ".join(u.user for u in plan.users)
        decisions.append(Decision(
            f"databases.{name}.rotation_schedule", f"every {db.rotate_days} days",
            "a state machine sets a new master password, stores it and the URL, "
            + (f"stores new passwords for users {users}, runs job {job} once to set them, rewrites their URLs, "
               if plan.users else "")
            + "and redeploys " + (", ".join(readers) if readers else "no service (none reads it)")))
    return out


def rotation_reminders(env: EnvSpec, decisions: list[Decision]) -> list[ReminderPlan]:
    """A reminder every N days for each app secret with a rotation period and no rotation function: a person
    must rotate it, and the warning alarm destination is told when it is time."""
    out = []
    run = f"moorage secrets rotate NAME --env {env.env} --restart"
    for name, secret in sorted(env.secrets.items()):
        if secret.rotate_days and not secret.external and not secret.rotation_function:
            how = run.replace("NAME", name) if secret.generate else \
                f"moorage secrets set {name} --env {env.env} --restart (after issuing a new value with its provider)"
            out.append(ReminderPlan(
                f"secret-{name}", secret.rotate_days,
                f"{env.app}/{env.env}: rotate secret {name} (every {secret.rotate_days} days): {how}"))
            decisions.append(Decision(f"secrets.{name}.reminder", f"every {secret.rotate_days} days",
                                      "a scheduled message to the warning alarm destination"))
    return out


def secret_restarts(env: EnvSpec, decisions: list[Decision]) -> list[RestartPlan]:
    """For each app secret the user's function rotates, the long-running services that read it: redeployed
    when the rotation succeeds, as after RDS rotates a password."""
    out = []
    for name, secret in sorted(env.secrets.items()):
        if not (secret.rotation_function and secret.rotate_days):
            continue
        readers = sorted(s.name for s in env.services.values()
                         if name in s.secret_env.values() and s.kind in ("web", "service", "worker"))
        if readers:
            out.append(RestartPlan(name, readers, "secret"))
            decisions.append(Decision(f"secrets.{name}.restart", "redeploy " + ", ".join(readers)
                                      + " when the rotation succeeds",
                                      "tasks read the secret once, at start: RotationSucceeded starts a forced "
                                      "new deployment of each"))
    return out
