"""ECS task definitions, services and capacity provider associations, with every property moto's
native models drop (load balancers, network configuration, secrets, roles, sizes)."""

from __future__ import annotations

from typing import Any

from moorage.emulator.adapters.base import ApiResource
from moorage.emulator.shapes import api_kwargs


def _ecs_tags(props: dict[str, Any]) -> list[dict[str, str]]:
    return [{"key": t["Key"], "value": str(t["Value"])} for t in props.get("Tags", [])]


class TaskDefinition(ApiResource):
    """``AWS::ECS::TaskDefinition``: Ref is the revision ARN; a change registers a new revision."""

    TYPE = "AWS::ECS::TaskDefinition"
    SERVICE = "ecs"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        family = str(props.get("Family") or name)
        clean = {k: v for k, v in props.items() if k != "Tags"}
        kwargs = api_kwargs(client, "RegisterTaskDefinition", clean, extra={"family": family})
        if props.get("Tags"):
            kwargs["tags"] = _ecs_tags(props)
        arn: str = client.register_task_definition(**kwargs)["taskDefinition"]["taskDefinitionArn"]
        return arn, {"TaskDefinitionArn": arn}

    def remove(self, client: Any) -> None:
        client.deregister_task_definition(taskDefinition=self.physical_id)


class EcsService(ApiResource):
    """``AWS::ECS::Service``: Ref is the service ARN; updates go through UpdateService."""

    TYPE = "AWS::ECS::Service"
    SERVICE = "ecs"
    NAME_PROPERTY = "ServiceName"
    cluster: str = ""

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        service_name = str(props.get("ServiceName") or name)
        clean = {k: v for k, v in props.items() if k not in ("Tags", "ServiceName")}
        kwargs = api_kwargs(client, "CreateService", clean, extra={"serviceName": service_name})
        if props.get("Tags"):
            kwargs["tags"] = _ecs_tags(props)
        service = client.create_service(**kwargs)["service"]
        return service["serviceArn"], {"Name": service["serviceName"], "ServiceArn": service["serviceArn"],
                                       "Cluster": str(props.get("Cluster", "default"))}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        for key in ("Cluster", "ServiceName", "LaunchType"):
            if props.get(key) != old.props.get(key):
                return None
        kwargs: dict[str, Any] = {"cluster": str(props.get("Cluster", "default")), "service": old.attributes["Name"],
                                  "taskDefinition": str(props["TaskDefinition"])}
        if "DesiredCount" in props:
            kwargs["desiredCount"] = int(props["DesiredCount"])
        client.update_service(**kwargs)
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_service(cluster=self.attributes["Cluster"], service=self.attributes["Name"], force=True)


class CapacityProviderAssociations(ApiResource):
    """``AWS::ECS::ClusterCapacityProviderAssociations``: Ref is the cluster name."""

    TYPE = "AWS::ECS::ClusterCapacityProviderAssociations"
    SERVICE = "ecs"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        kwargs = api_kwargs(client, "PutClusterCapacityProviders", props)
        client.put_cluster_capacity_providers(**kwargs)
        return str(props["Cluster"]), {}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if props.get("Cluster") != old.props.get("Cluster"):
            return None
        client.put_cluster_capacity_providers(**api_kwargs(client, "PutClusterCapacityProviders", props))
        return old.attributes

    def remove(self, client: Any) -> None:
        client.put_cluster_capacity_providers(cluster=self.physical_id, capacityProviders=[],
                                              defaultCapacityProviderStrategy=[])
