"""ElastiCache: subnet groups and Redis/Valkey replication groups."""

from __future__ import annotations

from typing import Any

from moorage.emulator import runtime
from moorage.emulator.adapters.base import ApiResource, NamedGroup, short_name, tags
from moorage.emulator.shapes import api_kwargs


class CacheSubnetGroup(NamedGroup):
    """``AWS::ElastiCache::SubnetGroup``: Ref is the group name."""

    TYPE = "AWS::ElastiCache::SubnetGroup"
    SERVICE = "elasticache"
    NAME_PROPERTY = "CacheSubnetGroupName"
    CREATE, ID = "create_cache_subnet_group", "CacheSubnetGroupName"
    DESCRIPTION = ("CacheSubnetGroupDescription", "Description")
    COPIED = {"SubnetIds": "SubnetIds"}

    def remove(self, client: Any) -> None:
        # moto has no DeleteCacheSubnetGroup: remove it from the backend directly.
        from moto.elasticache.models import elasticache_backends

        backend = elasticache_backends[runtime.ACCOUNT_ID][self.region]
        backend.cache_subnet_groups.pop(self.physical_id, None)


class ReplicationGroup(ApiResource):
    """``AWS::ElastiCache::ReplicationGroup``: Ref is the group id; endpoints as attributes."""

    TYPE = "AWS::ElastiCache::ReplicationGroup"
    SERVICE = "elasticache"
    NAME_PROPERTY = "ReplicationGroupId"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        group_id = short_name(name, 40, lower=True)
        kwargs = api_kwargs(client, "CreateReplicationGroup", props,
                            extra={"ReplicationGroupId": group_id, "Tags": tags(props)})
        client.create_replication_group(**kwargs)
        port = int(props.get("Port", 6379))
        host = f"master.{group_id}.abc123.{region}.cache.amazonaws.com"
        groups = client.describe_replication_groups(ReplicationGroupId=group_id)["ReplicationGroups"]
        for node_group in groups[0].get("NodeGroups", []) if groups else []:
            endpoint = node_group.get("PrimaryEndpoint") or {}
            host = endpoint.get("Address") or host
            port = int(endpoint.get("Port") or port)
        attrs = {"PrimaryEndPoint.Address": host, "PrimaryEndPoint.Port": str(port),
                 "ReaderEndPoint.Address": host.replace("master.", "replica.", 1), "ReaderEndPoint.Port": str(port),
                 "ConfigurationEndPoint.Address": host, "ConfigurationEndPoint.Port": str(port)}
        return group_id, attrs

    def remove(self, client: Any) -> None:
        from moto.elasticache.models import elasticache_backends

        client.delete_replication_group(ReplicationGroupId=self.physical_id)
        # moto leaves the group "deleting" forever; AWS finishes the deletion.
        backend = elasticache_backends[runtime.ACCOUNT_ID][self.region]
        group = backend.replication_groups.pop(self.physical_id, None)
        for member in getattr(group, "member_clusters", []) or []:
            backend.cache_clusters.pop(member, None)
