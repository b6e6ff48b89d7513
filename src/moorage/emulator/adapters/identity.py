"""KMS keys and aliases, SSM parameters, Cognito user pools, their clients and domains."""

from __future__ import annotations

import json
from typing import Any

from moorage.emulator.adapters.base import ApiResource, changed, short_name, tags, without
from moorage.emulator.shapes import api_kwargs


def _document(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class KmsKey(ApiResource):
    """``AWS::KMS::Key``: Ref is the key id; attributes Arn and KeyId. Deletion schedules it (7-30 days)."""

    TYPE = "AWS::KMS::Key"
    SERVICE = "kms"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        kwargs: dict[str, Any] = {"KeyUsage": str(props.get("KeyUsage", "ENCRYPT_DECRYPT")),
                                  "KeySpec": str(props.get("KeySpec", "SYMMETRIC_DEFAULT")),
                                  "Description": str(props.get("Description", "")),
                                  "MultiRegion": str(props.get("MultiRegion", False)).lower() == "true",
                                  "Tags": [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in tags(props)]}
        if props.get("KeyPolicy"):
            kwargs["Policy"] = _document(props["KeyPolicy"])
        key = client.create_key(**kwargs)["KeyMetadata"]
        cls._settings(client, key["KeyId"], props)
        return str(key["KeyId"]), {"Arn": key["Arn"], "KeyId": key["KeyId"]}

    @staticmethod
    def _settings(client: Any, key_id: str, props: dict[str, Any]) -> None:
        if str(props.get("EnableKeyRotation", False)).lower() == "true":
            client.enable_key_rotation(KeyId=key_id)
        else:
            client.disable_key_rotation(KeyId=key_id)
        if str(props.get("Enabled", True)).lower() == "false":
            client.disable_key(KeyId=key_id)
        else:
            client.enable_key(KeyId=key_id)

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if changed(old, props, "KeyUsage", "KeySpec", "MultiRegion"):
            return None
        client.update_key_description(KeyId=old.physical_id, Description=str(props.get("Description", "")))
        if props.get("KeyPolicy"):
            client.put_key_policy(KeyId=old.physical_id, PolicyName="default", Policy=_document(props["KeyPolicy"]))
        cls._settings(client, old.physical_id, props)
        return old.attributes

    def remove(self, client: Any) -> None:
        client.schedule_key_deletion(KeyId=self.physical_id,
                                     PendingWindowInDays=int(self.props.get("PendingWindowInDays", 30)))


class KmsAlias(ApiResource):
    """``AWS::KMS::Alias``: Ref is the alias name."""

    TYPE = "AWS::KMS::Alias"
    SERVICE = "kms"
    NAME_PROPERTY = "AliasName"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        client.create_alias(AliasName=name, TargetKeyId=str(props["TargetKeyId"]))
        return name, {}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if changed(old, props, "AliasName"):
            return None
        client.update_alias(AliasName=old.physical_id, TargetKeyId=str(props["TargetKeyId"]))
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_alias(AliasName=self.physical_id)


class SsmParameter(ApiResource):
    """``AWS::SSM::Parameter``: Ref is the parameter name; attributes Type and Value."""

    TYPE = "AWS::SSM::Parameter"
    SERVICE = "ssm"
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        param = name if "Name" in props else short_name(f"CFN-{name}", 2048)
        tag_map = props.get("Tags") or {}
        extra: dict[str, Any] = {"Name": param}
        if tag_map:  # a JSON object in CloudFormation, a tag list in the API
            extra["Tags"] = [{"Key": k, "Value": str(v)} for k, v in tag_map.items()]
        client.put_parameter(**api_kwargs(client, "PutParameter", without(props, "Tags", "Name"), extra=extra))
        return param, {"Type": str(props["Type"]), "Value": str(props["Value"])}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if changed(old, props, "Name"):
            return None
        client.put_parameter(**api_kwargs(client, "PutParameter", without(props, "Tags", "Name"),
                                          extra={"Name": old.physical_id, "Overwrite": True}))
        return {"Type": str(props["Type"]), "Value": str(props["Value"])}

    def remove(self, client: Any) -> None:
        client.delete_parameter(Name=self.physical_id)


class UserPool(ApiResource):
    """``AWS::Cognito::UserPool``: Ref is the pool id; attributes Arn, ProviderName, ProviderURL, UserPoolId."""

    TYPE = "AWS::Cognito::UserPool"
    SERVICE = "cognito-idp"
    NAME_PROPERTY = "UserPoolName"
    _CREATE_ONLY = ("UserPoolName", "Schema", "UsernameAttributes", "AliasAttributes", "UsernameConfiguration")

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        kwargs = api_kwargs(client, "CreateUserPool", without(props, "UserPoolName"), extra={"PoolName": name})
        pool = client.create_user_pool(**kwargs)["UserPool"]
        provider = f"cognito-idp.{region}.amazonaws.com/{pool['Id']}"
        return str(pool["Id"]), {"Arn": pool["Arn"], "UserPoolId": pool["Id"], "ProviderName": provider,
                                 "ProviderURL": f"https://{provider}"}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if changed(old, props, *cls._CREATE_ONLY):
            return None
        client.update_user_pool(**api_kwargs(client, "UpdateUserPool", without(props, *cls._CREATE_ONLY),
                                             extra={"UserPoolId": old.physical_id}))
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_user_pool(UserPoolId=self.physical_id)


class UserPoolClient(ApiResource):
    """``AWS::Cognito::UserPoolClient``: Ref is the client id; attributes ClientId, ClientSecret, Name."""

    TYPE = "AWS::Cognito::UserPoolClient"
    SERVICE = "cognito-idp"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        kwargs = api_kwargs(client, "CreateUserPoolClient", props,
                            extra={"ClientName": str(props.get("ClientName") or short_name(name, 128))})
        app = client.create_user_pool_client(**kwargs)["UserPoolClient"]
        return str(app["ClientId"]), {"ClientId": app["ClientId"], "ClientSecret": app.get("ClientSecret", ""),
                                      "Name": app["ClientName"]}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if changed(old, props, "UserPoolId", "GenerateSecret"):
            return None
        kwargs = api_kwargs(client, "UpdateUserPoolClient", without(props, "GenerateSecret"),
                            extra={"ClientId": old.physical_id, "ClientName": old.attributes["Name"]})
        client.update_user_pool_client(**kwargs)
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_user_pool_client(UserPoolId=str(self.props["UserPoolId"]), ClientId=self.physical_id)


class UserPoolDomain(ApiResource):
    """``AWS::Cognito::UserPoolDomain``: Ref is the domain; attribute CloudFrontDistribution."""

    TYPE = "AWS::Cognito::UserPoolDomain"
    SERVICE = "cognito-idp"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        domain = str(props["Domain"])
        out = client.create_user_pool_domain(**api_kwargs(client, "CreateUserPoolDomain", props))
        target = out.get("CloudFrontDomain") or client.describe_user_pool_domain(Domain=domain)[
            "DomainDescription"].get("CloudFrontDistribution", "")
        return domain, {"CloudFrontDistribution": target or f"{domain}.auth.{region}.amazoncognito.com"}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if changed(old, props, "Domain", "UserPoolId"):
            return None
        client.update_user_pool_domain(**api_kwargs(client, "UpdateUserPoolDomain", props))
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_user_pool_domain(Domain=self.physical_id, UserPoolId=str(self.props["UserPoolId"]))
