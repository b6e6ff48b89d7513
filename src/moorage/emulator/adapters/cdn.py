"""CloudFront: distributions, origin access controls, and cache / origin request / response headers
policies (which moto's CloudFront API lacks: they get an id and are not listed)."""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any, ClassVar

from moorage.emulator.adapters.base import ApiResource
from moorage.emulator.shapes import api_kwargs


def _behavior(cfn: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's CachedMethods sits next to AllowedMethods; the API nests it inside."""
    out = dict(cfn)
    allowed = out.pop("AllowedMethods", None)
    cached = out.pop("CachedMethods", None)
    if allowed:
        out["AllowedMethods"] = {"Items": list(allowed),
                                 **({"CachedMethods": list(cached)} if cached else {"CachedMethods": ["GET", "HEAD"]})}
    return out


def _config(cfn: dict[str, Any], reference: str) -> dict[str, Any]:
    """A CloudFormation DistributionConfig as the API's (required members filled in as AWS defaults them)."""
    config = copy.deepcopy(cfn)
    config["CallerReference"] = reference
    config.setdefault("Comment", "")
    if "IPV6Enabled" in config:
        config["IsIPV6Enabled"] = config.pop("IPV6Enabled")
    for origin in config.get("Origins") or []:
        if "S3OriginConfig" in origin:
            origin["S3OriginConfig"] = {"OriginAccessIdentity": "", **origin["S3OriginConfig"]}
        if "CustomOriginConfig" in origin:
            origin["CustomOriginConfig"] = {"HTTPPort": 80, "HTTPSPort": 443, **origin["CustomOriginConfig"]}
    if "DefaultCacheBehavior" in config:
        config["DefaultCacheBehavior"] = _behavior(config["DefaultCacheBehavior"])
    config["CacheBehaviors"] = [_behavior(b) for b in config.get("CacheBehaviors") or []]
    if config.get("Logging"):
        config["Logging"] = {"Enabled": True, "IncludeCookies": False, "Prefix": "", **config["Logging"]}
    geo = (config.get("Restrictions") or {}).get("GeoRestriction")
    if geo is not None and "Locations" in geo:
        geo["Items"] = geo.pop("Locations")
    return config


class Distribution(ApiResource):
    """``AWS::CloudFront::Distribution``: Ref is the distribution id; attributes DomainName and Id."""

    TYPE = "AWS::CloudFront::Distribution"
    SERVICE = "cloudfront"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        config = _config(props["DistributionConfig"], f"{name}-{uuid.uuid4().hex[:12]}")
        kwargs = api_kwargs(client, "CreateDistribution", {"DistributionConfig": config})
        if props.get("Tags"):
            kwargs = {"DistributionConfigWithTags": {"DistributionConfig": kwargs["DistributionConfig"],
                                                     "Tags": {"Items": props["Tags"]}}}
            dist = client.create_distribution_with_tags(**kwargs)["Distribution"]
        else:
            dist = client.create_distribution(**kwargs)["Distribution"]
        return str(dist["Id"]), {"Id": dist["Id"], "DomainName": dist["DomainName"],
                                 "_reference": config["CallerReference"]}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        etag = client.get_distribution_config(Id=old.physical_id)["ETag"]
        config = _config(props["DistributionConfig"], str(old.attributes["_reference"]))
        client.update_distribution(Id=old.physical_id, IfMatch=etag,
                                   **api_kwargs(client, "UpdateDistribution", {"DistributionConfig": config}))
        return old.attributes

    def remove(self, client: Any) -> None:
        etag = client.get_distribution(Id=self.physical_id)["ETag"]
        client.delete_distribution(Id=self.physical_id, IfMatch=etag)


class OriginAccessControl(ApiResource):
    """``AWS::CloudFront::OriginAccessControl``: Ref is the id; attribute Id."""

    TYPE = "AWS::CloudFront::OriginAccessControl"
    SERVICE = "cloudfront"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        oac = client.create_origin_access_control(**api_kwargs(client, "CreateOriginAccessControl", props))[
            "OriginAccessControl"]
        return str(oac["Id"]), {"Id": oac["Id"]}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        etag = client.get_origin_access_control(Id=old.physical_id)["ETag"]
        client.update_origin_access_control(Id=old.physical_id, IfMatch=etag,
                                            **api_kwargs(client, "UpdateOriginAccessControl", props))
        return old.attributes

    def remove(self, client: Any) -> None:
        etag = client.get_origin_access_control(Id=self.physical_id)["ETag"]
        client.delete_origin_access_control(Id=self.physical_id, IfMatch=etag)


class CachePolicy(ApiResource):
    """``AWS::CloudFront::CachePolicy``: Ref is a generated id; attributes Id and LastModifiedTime.
    moto has no policy API, so nothing can list it: distributions accept the id unchecked."""

    TYPE: ClassVar[str] = "AWS::CloudFront::CachePolicy"
    SERVICE = "cloudfront"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        policy_id = str(uuid.uuid4())
        return policy_id, {"Id": policy_id, "LastModifiedTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        return old.attributes

    def remove(self, client: Any) -> None:
        """Nothing was created in moto."""


class OriginRequestPolicy(CachePolicy):
    """``AWS::CloudFront::OriginRequestPolicy``: as :class:`CachePolicy`."""

    TYPE = "AWS::CloudFront::OriginRequestPolicy"


class ResponseHeadersPolicy(CachePolicy):
    """``AWS::CloudFront::ResponseHeadersPolicy``: as :class:`CachePolicy`."""

    TYPE = "AWS::CloudFront::ResponseHeadersPolicy"
