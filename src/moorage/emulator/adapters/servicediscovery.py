"""Cloud Map: private DNS namespaces and services."""

from __future__ import annotations

from typing import Any

from moorage.emulator.adapters.base import ApiResource, tags, without


def _retag(client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
    """A tags-only change, in place (Cloud Map tags a namespace or service without recreating it, so its id
    stays); None for any other change (replace)."""
    if without(props, "Tags") != without(old.props, "Tags"):
        return None
    arn, new = old.attributes["Arn"], tags(props)
    gone = sorted({t["Key"] for t in tags(old.props)} - {t["Key"] for t in new})
    if gone:
        client.untag_resource(ResourceARN=arn, TagKeys=gone)
    if new:
        client.tag_resource(ResourceARN=arn, Tags=new)
    return old.attributes


class PrivateDnsNamespace(ApiResource):
    """``AWS::ServiceDiscovery::PrivateDnsNamespace``: Ref is the namespace id."""

    TYPE = "AWS::ServiceDiscovery::PrivateDnsNamespace"
    SERVICE = "servicediscovery"
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        kwargs: dict[str, Any] = {"Name": name, "Vpc": str(props["Vpc"]), "Tags": tags(props)}
        if props.get("Description"):
            kwargs["Description"] = props["Description"]
        op = client.create_private_dns_namespace(**kwargs)["OperationId"]
        ns_id = client.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
        ns = client.get_namespace(Id=ns_id)["Namespace"]
        zone = ns.get("Properties", {}).get("DnsProperties", {}).get("HostedZoneId", "")
        return ns_id, {"Id": ns_id, "Arn": ns["Arn"], "HostedZoneId": zone}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        return _retag(client, old, props)

    def remove(self, client: Any) -> None:
        client.delete_namespace(Id=self.physical_id)


class DiscoveryService(ApiResource):
    """``AWS::ServiceDiscovery::Service``: Ref is the service id."""

    TYPE = "AWS::ServiceDiscovery::Service"
    SERVICE = "servicediscovery"
    NAME_PROPERTY = "Name"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        kwargs: dict[str, Any] = {"Name": name, "Tags": tags(props)}
        for key in ("NamespaceId", "Description", "DnsConfig", "HealthCheckConfig", "HealthCheckCustomConfig"):
            if key in props:
                kwargs[key] = props[key]
        if "HealthCheckCustomConfig" in kwargs:
            kwargs["HealthCheckCustomConfig"] = {k: int(v) for k, v in kwargs["HealthCheckCustomConfig"].items()}
        if "DnsConfig" in kwargs:
            dns = dict(kwargs["DnsConfig"])
            dns["DnsRecords"] = [{"Type": r["Type"], "TTL": int(r["TTL"])} for r in dns.get("DnsRecords", [])]
            kwargs["DnsConfig"] = dns
        service = client.create_service(**kwargs)["Service"]
        return service["Id"], {"Id": service["Id"], "Arn": service["Arn"], "Name": service["Name"]}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        return _retag(client, old, props)

    def remove(self, client: Any) -> None:
        client.delete_service(Id=self.physical_id)
