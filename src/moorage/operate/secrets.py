"""The app's declared secrets in Secrets Manager: list (never values), set, rotate, and who must restart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from moorage.data import load_data
from moorage.errors import Diagnostic, InputError
from moorage.operate.deployed import Deployed, unknown_name

if TYPE_CHECKING:
    from moorage.plan import Plan
    from moorage.plan.model import SecretPlan

# what Secrets Manager leaves out of generated values (the same set the data stack's secrets use)
EXCLUDED = "\"'\\`$"


@dataclass(frozen=True)
class SecretInfo:
    """What may be said about one secret: never its value."""

    name: str
    secret_id: str
    exists: bool
    last_changed: datetime | None
    rotation: str
    services: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {"name": self.name, "secret_id": self.secret_id, "exists": self.exists,
                "last_changed": self.last_changed.isoformat() if self.last_changed else None,
                "rotation": self.rotation, "services": list(self.services)}


def declared_secret(plan: Plan, name: str) -> SecretPlan:
    """The secret the spec declares as ``name``; a 'did you mean' error otherwise."""
    if name in plan.secrets:
        return plan.secrets[name]
    raise InputError([unknown_name("secret", name, sorted(plan.secrets), "NAME")])


def readers(plan: Plan, name: str) -> tuple[str, ...]:
    """The services that read secret ``name`` (they pick a new value up when their tasks restart)."""
    return tuple(sorted(s for s, sp in plan.services.items()
                        if any(v.kind == "app-secret" and v.target == name for v in sp.secrets.values())))


def _secret_id(secret: SecretPlan) -> str:
    return secret.spec.external or secret.secret_name


def _rotation(secret: SecretPlan, described: dict[str, Any]) -> str:
    if described.get("RotationEnabled"):
        days = described.get("RotationRules", {}).get("AutomaticallyAfterDays")
        return f"automatic every {days} days" if days else "automatic"
    if secret.spec.rotate_days:
        how = "moorage secrets rotate" if secret.spec.generate else "moorage secrets set"
        return f"manual every {secret.spec.rotate_days} days, reminded ({how})"
    return "none"


def list_secrets(deployed: Deployed, plan: Plan) -> list[SecretInfo]:
    """Every declared secret with its last change and rotation, in spec order."""
    sm = deployed.client("secretsmanager")
    found = []
    for name, secret in plan.secrets.items():
        try:
            described = sm.describe_secret(SecretId=_secret_id(secret))
        except sm.exceptions.ResourceNotFoundException:
            found.append(SecretInfo(name, _secret_id(secret), False, None, _rotation(secret, {}),
                                    readers(plan, name)))
            continue
        changed = described.get("LastChangedDate") or described.get("CreatedDate")
        found.append(SecretInfo(name, _secret_id(secret), True, changed, _rotation(secret, described),
                                readers(plan, name)))
    return found


def _writable(deployed: Deployed, secret: SecretPlan, plan: Plan, verb: str) -> str:
    """The secret's id to write (``verb``: the command writing it, for the hint that says where to instead)."""
    if plan.preview is not None:
        # A preview's services read its base's app secrets: a write here would change the base's.
        base = plan.preview.base
        raise InputError([Diagnostic(
            "error", f"preview {deployed.environment} reads {base}'s secret {secret.spec.name}: writing it here "
            f"would change {base}'s", None,
            f"change it on {base} itself: {deployed.target.command(verb, base, secret.spec.name)}")])
    if secret.spec.external:
        raise InputError([Diagnostic(
            "error", f"secret {secret.spec.name} is external ({secret.spec.external}): moorage does not own it",
            None, "change it where it is managed, or drop `external` to let moorage create it")])
    sm = deployed.client("secretsmanager")
    try:
        sm.describe_secret(SecretId=secret.secret_name)
    except sm.exceptions.ResourceNotFoundException:
        from moorage.operate.deployed import not_deployed_error

        raise not_deployed_error(deployed) from None
    return secret.secret_name


def set_secret(deployed: Deployed, plan: Plan, name: str, value: str) -> tuple[str, ...]:
    """Write a new value of declared secret ``name``; returns the services that must restart to read it."""
    secret = declared_secret(plan, name)
    if not value:
        raise InputError([Diagnostic("error", f"empty value for secret {name}", None,
                                     "pipe the value on stdin (printf %s \"$VALUE\" | moorage secrets set ...) "
                                     "or type it at the hidden prompt")])
    limit = load_data("aws_limits")["secret_value_bytes"]
    if len(value.encode()) > limit:
        raise InputError([Diagnostic(
            "error", f"the value for secret {name} is {len(value.encode()):,} bytes; Secrets Manager holds at most "
            f"{limit:,}", None, "keep a large value (a certificate bundle, a key file) in a bucket and put its "
            "location, or a key that decrypts it, in the secret")])
    secret_id = _writable(deployed, secret, plan, "secrets set")
    deployed.client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=value)
    return readers(plan, name)


def rotate_secret(deployed: Deployed, plan: Plan, name: str) -> tuple[str, ...]:
    """Give generated secret ``name`` a new random value (same length); returns the services to restart."""
    secret = declared_secret(plan, name)
    if not secret.spec.generate:
        raise InputError([Diagnostic(
            "error", f"secret {name} holds a value you provide (generate: false): there is nothing to generate",
            None, f"set the new value: {deployed.command('secrets set', name)}")])
    secret_id = _writable(deployed, secret, plan, "secrets rotate")
    sm = deployed.client("secretsmanager")
    value = sm.get_random_password(PasswordLength=secret.spec.length, ExcludeCharacters=EXCLUDED)["RandomPassword"]
    sm.put_secret_value(SecretId=secret_id, SecretString=value)
    return readers(plan, name)


def restart_services(deployed: Deployed, names: tuple[str, ...]) -> list[str]:
    """Start a new deployment of each long-running service in ``names`` (new tasks read new secret values).

    Returns the services restarted; jobs and scheduled tasks read the value at their next run.
    """
    ecs = deployed.client("ecs")
    restarted = []
    for name in names:
        service = deployed.service(name)
        if service.ecs_service:
            ecs.update_service(cluster=deployed.require_cluster(), service=service.ecs_service,
                               forceNewDeployment=True)
            restarted.append(name)
    return restarted
