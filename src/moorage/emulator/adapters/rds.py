"""RDS: instances, Aurora clusters, subnet and cluster parameter groups (through the RDS API)."""

from __future__ import annotations

from typing import Any

from moorage.emulator.adapters.base import ApiResource, short_name, tags
from moorage.emulator.shapes import api_kwargs

_RENAMES = {"VPCSecurityGroups": "VpcSecurityGroupIds"}
# Properties CloudFormation accepts that the create call does not (or that moto rejects).
_SKIP = {"DeletionPolicy", "UpdateReplacePolicy"}


def _final_snapshot(policy: str | None, identifier: str) -> dict[str, Any]:
    if policy == "Snapshot":
        return {"FinalDBSnapshotIdentifier": f"{identifier}-final", "SkipFinalSnapshot": False}
    return {"SkipFinalSnapshot": True}


class DBSubnetGroup(ApiResource):
    """``AWS::RDS::DBSubnetGroup``: Ref is the group name."""

    TYPE = "AWS::RDS::DBSubnetGroup"
    SERVICE = "rds"
    NAME_PROPERTY = "DBSubnetGroupName"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        group = short_name(name, 255, lower=True)
        client.create_db_subnet_group(DBSubnetGroupName=group,
                                      DBSubnetGroupDescription=str(props.get("DBSubnetGroupDescription", group)),
                                      SubnetIds=list(props.get("SubnetIds", [])), Tags=tags(props))
        return group, {}

    def remove(self, client: Any) -> None:
        client.delete_db_subnet_group(DBSubnetGroupName=self.physical_id)


class DBParameterGroup(ApiResource):
    """``AWS::RDS::DBParameterGroup``: Ref is the group name (moto's native Ref returns an object)."""

    TYPE = "AWS::RDS::DBParameterGroup"
    SERVICE = "rds"
    NAME_PROPERTY = "DBParameterGroupName"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        group = short_name(name, 255, lower=True)
        client.create_db_parameter_group(DBParameterGroupName=group, DBParameterGroupFamily=str(props["Family"]),
                                         Description=str(props.get("Description", group)), Tags=tags(props))
        cls._apply(client, group, props)
        return group, {}

    @staticmethod
    def _apply(client: Any, group: str, props: dict[str, Any]) -> None:
        params = [{"ParameterName": k, "ParameterValue": str(v), "ApplyMethod": "pending-reboot"}
                  for k, v in (props.get("Parameters") or {}).items()]
        if params:
            client.modify_db_parameter_group(DBParameterGroupName=group, Parameters=params)

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if props.get("Family") != old.props.get("Family"):
            return None
        cls._apply(client, old.physical_id, props)
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_db_parameter_group(DBParameterGroupName=self.physical_id)


class DBInstance(ApiResource):
    """``AWS::RDS::DBInstance``: Ref is the identifier; honours DeletionPolicy Snapshot on delete."""

    TYPE = "AWS::RDS::DBInstance"
    SERVICE = "rds"
    NAME_PROPERTY = "DBInstanceIdentifier"
    deletion_policy: str | None = None

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        identifier = short_name(name, 63, lower=True)
        clean = {k: v for k, v in props.items() if k not in _SKIP}
        kwargs = api_kwargs(client, "CreateDBInstance", clean, _RENAMES,
                            extra={"DBInstanceIdentifier": identifier, "Tags": tags(props)})
        db = client.create_db_instance(**kwargs)["DBInstance"]
        endpoint = db.get("Endpoint") or {}
        port = str(endpoint.get("Port") or props.get("Port") or 5432)
        return identifier, {"Endpoint.Address": endpoint.get("Address", f"{identifier}.local"), "Endpoint.Port": port,
                            "DBInstanceArn": db.get("DBInstanceArn", ""), "DbiResourceId": db.get("DbiResourceId", "")}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        clean = {k: v for k, v in props.items() if k not in _SKIP | {"DBInstanceIdentifier", "Tags", "DBName",
                                                                     "MasterUsername", "StorageEncrypted"}}
        kwargs = api_kwargs(client, "ModifyDBInstance", clean, _RENAMES,
                            extra={"DBInstanceIdentifier": old.physical_id, "ApplyImmediately": True})
        client.modify_db_instance(**kwargs)
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_db_instance(DBInstanceIdentifier=self.physical_id,
                                  **_final_snapshot(self.deletion_policy, self.physical_id))


class DBCluster(ApiResource):
    """``AWS::RDS::DBCluster`` (Aurora): Ref is the cluster identifier."""

    TYPE = "AWS::RDS::DBCluster"
    SERVICE = "rds"
    NAME_PROPERTY = "DBClusterIdentifier"
    deletion_policy: str | None = None

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        identifier = short_name(name, 63, lower=True)
        clean = {k: v for k, v in props.items() if k not in _SKIP}
        kwargs = api_kwargs(client, "CreateDBCluster", clean, {"VpcSecurityGroupIds": "VpcSecurityGroupIds"},
                            extra={"DBClusterIdentifier": identifier, "Tags": tags(props)})
        db = client.create_db_cluster(**kwargs)["DBCluster"]
        port = str(db.get("Port") or props.get("Port") or 5432)
        return identifier, {"Endpoint.Address": db.get("Endpoint", f"{identifier}.cluster.local"),
                            "Endpoint.Port": port, "ReadEndpoint.Address": db.get("ReaderEndpoint", ""),
                            "DBClusterArn": db.get("DBClusterArn", ""),
                            "DBClusterResourceId": db.get("DbClusterResourceId", "")}

    def remove(self, client: Any) -> None:
        client.delete_db_cluster(DBClusterIdentifier=self.physical_id,
                                 **_final_snapshot(self.deletion_policy, self.physical_id))


class DBClusterParameterGroup(ApiResource):
    """``AWS::RDS::DBClusterParameterGroup``: Ref is the group name."""

    TYPE = "AWS::RDS::DBClusterParameterGroup"
    SERVICE = "rds"
    NAME_PROPERTY = "DBClusterParameterGroupName"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        group = short_name(name, 255, lower=True)
        client.create_db_cluster_parameter_group(DBClusterParameterGroupName=group,
                                                 DBParameterGroupFamily=str(props["Family"]),
                                                 Description=str(props.get("Description", group)), Tags=tags(props))
        params = [{"ParameterName": k, "ParameterValue": str(v), "ApplyMethod": "pending-reboot"}
                  for k, v in (props.get("Parameters") or {}).items()]
        if params:
            client.modify_db_cluster_parameter_group(DBClusterParameterGroupName=group, Parameters=params)
        return group, {}

    def remove(self, client: Any) -> None:
        client.delete_db_cluster_parameter_group(DBClusterParameterGroupName=self.physical_id)
