"""Secrets Manager: secrets (with generated values) and the RDS/Aurora target attachment."""

from __future__ import annotations

import json
import re
from typing import Any

from moorage.emulator import runtime
from moorage.emulator.adapters.base import ApiResource, tags


def _generate(client: Any, spec: dict[str, Any]) -> str:
    kwargs = {"PasswordLength": int(spec.get("PasswordLength", 32))}
    for key in ("ExcludeCharacters",):
        if key in spec:
            kwargs[key] = spec[key]
    for key in ("ExcludeNumbers", "ExcludePunctuation", "ExcludeUppercase", "ExcludeLowercase", "IncludeSpace",
                "RequireEachIncludedType"):
        if key in spec:
            kwargs[key] = str(spec[key]).lower() == "true"
    password: str = client.get_random_password(**kwargs)["RandomPassword"]
    if "GenerateStringKey" in spec:
        data = json.loads(spec.get("SecretStringTemplate") or "{}")
        data[spec["GenerateStringKey"]] = password
        return json.dumps(data)
    return password


class Secret(ApiResource):
    """``AWS::SecretsManager::Secret``: Ref is the ARN; a generated value is generated once, and again when
    its generation template changes."""

    TYPE = "AWS::SecretsManager::Secret"
    SERVICE = "secretsmanager"
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        if "SecretString" in props:
            value = str(props["SecretString"])
        else:
            value = _generate(client, props.get("GenerateSecretString") or {})
        kwargs: dict[str, Any] = {"Name": name, "SecretString": value, "Tags": tags(props)}
        if props.get("Description"):
            kwargs["Description"] = props["Description"]
        if props.get("KmsKeyId"):
            kwargs["KmsKeyId"] = props["KmsKeyId"]
        arn: str = client.create_secret(**kwargs)["ARN"]
        return arn, {"Id": arn}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if props.get("Name", old.name) != old.name:
            return None
        kwargs: dict[str, Any] = {"SecretId": old.physical_id, "Description": props.get("Description", "")}
        if "SecretString" in props:
            kwargs["SecretString"] = str(props["SecretString"])
        elif props.get("GenerateSecretString") != old.props.get("GenerateSecretString"):
            # As on AWS: a changed generation template generates a new value. Whatever was created with
            # the old one (a database's master user, a cache's token) keeps it.
            kwargs["SecretString"] = _generate(client, props.get("GenerateSecretString") or {})
        client.update_secret(**kwargs)
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_secret(SecretId=self.physical_id, ForceDeleteWithoutRecovery=True)


class SecretTargetAttachment(ApiResource):
    """``AWS::SecretsManager::SecretTargetAttachment``: adds the database's host and port to the secret."""

    TYPE = "AWS::SecretsManager::SecretTargetAttachment"
    SERVICE = "secretsmanager"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        secret_id = str(props["SecretId"])
        value = json.loads(client.get_secret_value(SecretId=secret_id)["SecretString"])
        rds = runtime.client("rds", region)
        target = str(props["TargetId"])
        if props.get("TargetType") == "AWS::RDS::DBCluster":
            db = rds.describe_db_clusters(DBClusterIdentifier=target)["DBClusters"][0]
            value.update(host=db.get("Endpoint"), port=db.get("Port"), engine=db.get("Engine"),
                         dbClusterIdentifier=target)
        else:
            db = rds.describe_db_instances(DBInstanceIdentifier=target)["DBInstances"][0]
            endpoint = db.get("Endpoint") or {}
            value.update(host=endpoint.get("Address"), port=endpoint.get("Port"), engine=db.get("Engine"),
                         dbInstanceIdentifier=target)
        client.put_secret_value(SecretId=secret_id, SecretString=json.dumps(value))
        return secret_id, {}

    def remove(self, client: Any) -> None:
        """Detaching leaves the secret as it is."""


class RotationSchedule(ApiResource):
    """``AWS::SecretsManager::RotationSchedule``: Ref is the secret's ARN. The rotation is configured on the
    secret (``describe_secret`` shows it) without invoking the rotation function: the emulator runs no code."""

    TYPE = "AWS::SecretsManager::RotationSchedule"
    SERVICE = "secretsmanager"
    PUT_KEYS = ("SecretId",)

    @staticmethod
    def _configure(region: str, arn: str, props: dict[str, Any] | None) -> None:
        """Set (or with ``props`` None, clear) the rotation of the secret ``arn`` in moto's backend."""
        from moto.secretsmanager.models import secretsmanager_backends

        secret: Any = secretsmanager_backends[runtime.ACCOUNT_ID][region].secrets[arn]
        rules = (props or {}).get("RotationRules") or {}
        secret.rotation_requested = True
        secret.rotation_enabled = props is not None
        secret.rotation_lambda_arn = str((props or {}).get("RotationLambdaARN") or "")
        days = re.fullmatch(r"rate\((\d+) days?\)", str(rules.get("ScheduleExpression") or ""))
        secret.auto_rotate_after_days = int(rules.get("AutomaticallyAfterDays") or (days.group(1) if days else 0))

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        arn: str = client.describe_secret(SecretId=str(props["SecretId"]))["ARN"]
        cls._configure(region, arn, props)
        return arn, {}

    def remove(self, client: Any) -> None:
        self._configure(self.region, self.physical_id, None)
