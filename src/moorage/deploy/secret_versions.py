"""Secrets whose previous value services read (``previous: true``): before any task starts, each gets a previous
version, or ECS could not resolve ``...::AWSPREVIOUS:`` and no task would start. The value is copied inside
Secrets Manager's API calls; it is never printed or stored."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from moorage.deploy.session import Target


def ensure_previous(target: Target, region: str, name: str) -> bool:
    """Give secret ``name`` an AWSPREVIOUS version (the current value again) when it has none; True if it did."""
    sm: Any = target.client("secretsmanager", region)
    stages = sm.describe_secret(SecretId=name).get("VersionIdsToStages", {})
    if any("AWSPREVIOUS" in s for s in stages.values()):
        return False
    current = sm.get_secret_value(SecretId=name, VersionStage="AWSCURRENT")
    value = {"SecretString": current["SecretString"]} if "SecretString" in current \
        else {"SecretBinary": current["SecretBinary"]}
    try:
        sm.put_secret_value(SecretId=name, **value)  # a new current version; the old one becomes AWSPREVIOUS
    except ClientError as exc:
        raise RuntimeError(f"secret {name}: could not give it a previous version: "
                           f"{exc.response['Error'].get('Code')}") from None
    return True
