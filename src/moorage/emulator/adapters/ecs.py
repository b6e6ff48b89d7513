"""ECS task definitions, services and capacity provider associations, with every property moto's
native models drop (load balancers, network configuration, secrets, roles, sizes)."""

from __future__ import annotations

from typing import Any

from moorage.emulator import runtime
from moorage.emulator.adapters.base import ApiResource, changed, without
from moorage.emulator.shapes import api_kwargs


def _ecs_tags(props: dict[str, Any]) -> list[dict[str, str]]:
    return [{"key": t["Key"], "value": str(t["Value"])} for t in props.get("Tags", [])]


#: CreateService members moto accepts but drops; recorded on its service object so describe_services shows them.
_DROPPED = ("enableExecuteCommand", "enableECSManagedTags", "deploymentConfiguration",
            "healthCheckGracePeriodSeconds", "capacityProviderStrategy")


def _service_extras(client: Any, region: str, cluster: str, name: str, props: dict[str, Any]) -> None:
    """Record what moto's ECS API drops (``_DROPPED``) on its service object."""
    from moto.core.utils import camelcase_to_underscores
    from moto.ecs.models import ecs_backends

    backend = ecs_backends[runtime.ACCOUNT_ID][region]
    services: list[Any] = backend.describe_services(cluster, [name])[0]
    given = api_kwargs(client, "CreateService", props)
    for member in _DROPPED:
        default = False if member.startswith("enable") else None
        setattr(services[0], camelcase_to_underscores(member), given.get(member, default))


class Cluster(ApiResource):
    """``AWS::ECS::Cluster``: Ref is the name; attribute Arn. Settings (Container Insights) and the
    execute-command configuration are applied, which moto's native model drops."""

    TYPE = "AWS::ECS::Cluster"
    SERVICE = "ecs"
    NAME_PROPERTY = "ClusterName"
    _RENAMES = {"ClusterSettings": "settings"}

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        kwargs = api_kwargs(client, "CreateCluster", without(props, "Tags", "ClusterName"), cls._RENAMES,
                            extra={"clusterName": name})
        if props.get("Tags"):
            kwargs["tags"] = _ecs_tags(props)
        cluster = client.create_cluster(**kwargs)["cluster"]
        return str(cluster["clusterName"]), {"Arn": cluster["clusterArn"]}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if changed(old, props, "ClusterName"):
            return None
        kwargs = api_kwargs(client, "UpdateCluster", without(props, "Tags", "ClusterName", "CapacityProviders",
                                                              "DefaultCapacityProviderStrategy"),
                            cls._RENAMES, extra={"cluster": old.physical_id})
        if len(kwargs) > 1:
            client.update_cluster(**kwargs)
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_cluster(cluster=self.physical_id)


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
        _service_extras(client, region, service["clusterArn"], service["serviceName"], props)
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
        if "EnableExecuteCommand" in props:
            kwargs["enableExecuteCommand"] = str(props["EnableExecuteCommand"]).lower() == "true"
        if props.get("LoadBalancers") != old.props.get("LoadBalancers"):  # a new port or target group
            kwargs.update(api_kwargs(client, "UpdateService", {"LoadBalancers": props.get("LoadBalancers") or []}))
        client.update_service(**kwargs)
        _service_extras(client, old.region, kwargs["cluster"], old.attributes["Name"], props)
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
