"""RDS: instances, Aurora clusters, subnet and cluster parameter groups (through the RDS API)."""

from __future__ import annotations

import time
from typing import Any, ClassVar

from moorage.emulator import runtime
from moorage.emulator.adapters.base import ApiResource, NamedGroup, changed, short_name, tags, without
from moorage.emulator.native import create_only
from moorage.emulator.shapes import api_kwargs

# Properties CloudFormation accepts that the create call does not (or that moto rejects).
_SKIP = {"DeletionPolicy", "UpdateReplacePolicy"}


def _final_snapshot(policy: str | None, identifier: str) -> dict[str, Any]:
    if policy == "Snapshot":
        # Unique per deletion, as CloudFormation's are: a database deployed and destroyed again
        # must not collide with the snapshot of its previous life.
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime()) + f"{time.time_ns() % 1_000_000:06d}"
        return {"FinalDBSnapshotIdentifier": f"{identifier}-final-{stamp}", "SkipFinalSnapshot": False}
    return {"SkipFinalSnapshot": True}


def _master_secret(db: dict[str, Any]) -> dict[str, Any]:
    """``MasterUserSecret.SecretArn`` of a database with ``ManageMasterUserPassword``."""
    secret = db.get("MasterUserSecret") or {}
    return {"MasterUserSecret.SecretArn": secret["SecretArn"]} if secret.get("SecretArn") else {}


class DBSubnetGroup(NamedGroup):
    """``AWS::RDS::DBSubnetGroup``: Ref is the group name."""

    TYPE = "AWS::RDS::DBSubnetGroup"
    SERVICE = "rds"
    NAME_PROPERTY = "DBSubnetGroupName"
    CREATE, DELETE, ID = "create_db_subnet_group", "delete_db_subnet_group", "DBSubnetGroupName"
    DESCRIPTION = ("DBSubnetGroupDescription", "DBSubnetGroupDescription")
    COPIED = {"SubnetIds": "SubnetIds"}


class DBParameterGroup(NamedGroup):
    """``AWS::RDS::DBParameterGroup``: Ref is the group name (moto's native Ref returns an object)."""

    TYPE = "AWS::RDS::DBParameterGroup"
    SERVICE = "rds"
    NAME_PROPERTY = "DBParameterGroupName"
    CREATE, DELETE, ID = "create_db_parameter_group", "delete_db_parameter_group", "DBParameterGroupName"
    COPIED = {"DBParameterGroupFamily": "Family"}
    APPLY = "modify_db_parameter_group"


class DBClusterParameterGroup(NamedGroup):
    """``AWS::RDS::DBClusterParameterGroup``: Ref is the group name."""

    TYPE = "AWS::RDS::DBClusterParameterGroup"
    SERVICE = "rds"
    NAME_PROPERTY = "DBClusterParameterGroupName"
    CREATE, ID = "create_db_cluster_parameter_group", "DBClusterParameterGroupName"
    DELETE = "delete_db_cluster_parameter_group"
    COPIED = {"DBParameterGroupFamily": "Family"}
    APPLY = "modify_db_cluster_parameter_group"


class _Database(ApiResource):
    """An instance or an Aurora cluster: created and modified from its properties through the API of
    its ``KIND``; deletion honours DeletionPolicy Snapshot."""

    SERVICE = "rds"
    KIND: ClassVar[str] = ""  # the API's noun: DBInstance, DBCluster
    METHOD: ClassVar[str] = ""  # the same in boto3's method names: db_instance, db_cluster
    RENAMES: ClassVar[dict[str, str]] = {}
    deletion_policy: str | None = None

    @classmethod
    def _attributes(cls, db: dict[str, Any], identifier: str, props: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        identifier = short_name(name, 63, lower=True)
        # A read replica (SourceDBInstanceIdentifier) is created by its own API call.
        method = f"create_{cls.METHOD}" + ("_read_replica" if props.get("SourceDBInstanceIdentifier") else "")
        if props.get("DBSnapshotIdentifier") and cls.KIND == "DBInstance":
            method = "restore_db_instance_from_db_snapshot"  # as CloudFormation does for DBSnapshotIdentifier
        operation = client.meta.method_to_api_mapping[method]
        extra: dict[str, Any] = {cls.NAME_PROPERTY: identifier, "Tags": tags(props)}
        if (props.get("MasterUserSecret") or {}).get("KmsKeyId"):
            extra["MasterUserSecretKmsKeyId"] = str(props["MasterUserSecret"]["KmsKeyId"])
        kwargs = api_kwargs(client, operation, without(props, *_SKIP), cls.RENAMES, extra=extra)
        db = getattr(client, method)(**kwargs)[cls.KIND]
        if method == "restore_db_instance_from_db_snapshot":
            # The restore takes the snapshot's settings; CloudFormation then applies the template's (deletion
            # protection, the new master password ...), as a modification.
            fixed = {path[0] for path in create_only(cls.TYPE)} | {"Tags", "MasterUsername"}
            client.modify_db_instance(**api_kwargs(client, "ModifyDBInstance", without(props, *_SKIP, *fixed),
                                                   cls.RENAMES, extra={cls.NAME_PROPERTY: identifier,
                                                                       "ApplyImmediately": True}))
            db = client.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
        return identifier, cls._attributes(db, identifier, props)

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        fixed = {path[0] for path in create_only(cls.TYPE)} | {"Tags", "MasterUsername"}
        kwargs = api_kwargs(client, f"Modify{cls.KIND}", without(props, *_SKIP, *fixed), cls.RENAMES,
                            extra={cls.NAME_PROPERTY: old.physical_id, "ApplyImmediately": True})
        getattr(client, f"modify_{cls.METHOD}")(**kwargs)
        return old.attributes

    def remove(self, client: Any) -> None:
        getattr(client, f"delete_{self.METHOD}")(**{self.NAME_PROPERTY: self.physical_id},
                                                 **_final_snapshot(self.deletion_policy, self.physical_id))


class DBInstance(_Database):
    """``AWS::RDS::DBInstance``: Ref is the identifier."""

    TYPE = "AWS::RDS::DBInstance"
    NAME_PROPERTY = "DBInstanceIdentifier"
    KIND, METHOD = "DBInstance", "db_instance"
    RENAMES = {"VPCSecurityGroups": "VpcSecurityGroupIds"}

    @classmethod
    def _attributes(cls, db: dict[str, Any], identifier: str, props: dict[str, Any]) -> dict[str, Any]:
        endpoint = db.get("Endpoint") or {}
        port = str(endpoint.get("Port") or props.get("Port") or 5432)
        return {"Endpoint.Address": endpoint.get("Address", f"{identifier}.local"), "Endpoint.Port": port,
                "DBInstanceArn": db.get("DBInstanceArn", ""), "DbiResourceId": db.get("DbiResourceId", ""),
                **_master_secret(db)}


class DBCluster(_Database):
    """``AWS::RDS::DBCluster`` (Aurora): Ref is the cluster identifier."""

    TYPE = "AWS::RDS::DBCluster"
    NAME_PROPERTY = "DBClusterIdentifier"
    KIND, METHOD = "DBCluster", "db_cluster"

    @classmethod
    def _attributes(cls, db: dict[str, Any], identifier: str, props: dict[str, Any]) -> dict[str, Any]:
        port = str(db.get("Port") or props.get("Port") or 5432)
        return {"Endpoint.Address": db.get("Endpoint", f"{identifier}.cluster.local"), "Endpoint.Port": port,
                "ReadEndpoint.Address": db.get("ReaderEndpoint", ""), "DBClusterArn": db.get("DBClusterArn", ""),
                "DBClusterResourceId": db.get("DbClusterResourceId", ""), **_master_secret(db)}

    def remove(self, client: Any) -> None:
        super().remove(client)
        # AWS deletes a cluster's automated backups with it (as moto does for instances, not for clusters):
        # kept, moto's one named ``rds:<cluster>-<minute>`` makes a cluster created again within the same
        # minute (deploy, destroy, deploy) fail with DBClusterSnapshotAlreadyExistsFault.
        from moto.rds.models import rds_backends

        backend = rds_backends[runtime.ACCOUNT_ID][self.region]
        for key, snapshot in list(backend.cluster_snapshots.items()):
            if snapshot.snapshot_type == "automated" and snapshot.cluster.db_cluster_identifier == self.physical_id:
                del backend.cluster_snapshots[key]


class DBProxy(ApiResource):
    """``AWS::RDS::DBProxy``: Ref is the proxy name; attributes DBProxyArn, Endpoint and VpcId."""

    TYPE = "AWS::RDS::DBProxy"
    SERVICE = "rds"
    NAME_PROPERTY = "DBProxyName"

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        proxy_name = short_name(name, 63, lower=True)
        kwargs = api_kwargs(client, "CreateDBProxy", props, extra={"DBProxyName": proxy_name, "Tags": tags(props)})
        proxy = client.create_db_proxy(**kwargs)["DBProxy"]
        return proxy_name, {"DBProxyArn": proxy["DBProxyArn"], "Endpoint": proxy.get("Endpoint", ""),
                            "VpcId": proxy.get("VpcId", "")}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        if changed(old, props, *(path[0] for path in create_only(cls.TYPE))):
            return None
        # moto has no ModifyDBProxy: set what it changes on moto's proxy.
        from moto.rds.models import rds_backends

        proxy = rds_backends[runtime.ACCOUNT_ID][old.region].db_proxies[old.physical_id]
        kwargs = api_kwargs(client, "CreateDBProxy", props)
        proxy.auth, proxy.role_arn = kwargs.get("Auth", proxy.auth), kwargs.get("RoleArn", proxy.role_arn)
        proxy.vpc_security_group_ids = kwargs.get("VpcSecurityGroupIds", proxy.vpc_security_group_ids)
        proxy.require_tls = kwargs.get("RequireTLS", False)
        proxy.idle_client_timeout = kwargs.get("IdleClientTimeout", 1800)
        proxy.debug_logging = kwargs.get("DebugLogging", False)
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_db_proxy(DBProxyName=self.physical_id)


class DBProxyTargetGroup(ApiResource):
    """``AWS::RDS::DBProxyTargetGroup``: Ref is the target group's ARN; registers the proxy's database."""

    TYPE = "AWS::RDS::DBProxyTargetGroup"
    SERVICE = "rds"
    _TARGETS = ("DBInstanceIdentifiers", "DBClusterIdentifiers")

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        proxy, group = str(props["DBProxyName"]), str(props.get("TargetGroupName", "default"))
        targets = {k: [str(v) for v in props[k]] for k in cls._TARGETS if props.get(k)}
        if targets:
            client.register_db_proxy_targets(DBProxyName=proxy, TargetGroupName=group, **targets)
        if props.get("ConnectionPoolConfigurationInfo"):
            client.modify_db_proxy_target_group(**api_kwargs(
                client, "ModifyDBProxyTargetGroup", {"ConnectionPoolConfig": props["ConnectionPoolConfigurationInfo"]},
                extra={"DBProxyName": proxy, "TargetGroupName": group}))
        arn = client.describe_db_proxy_target_groups(DBProxyName=proxy, TargetGroupName=group)["TargetGroups"][0][
            "TargetGroupArn"]
        return str(arn), {"TargetGroupArn": arn}

    def remove(self, client: Any) -> None:
        targets = {k: [str(v) for v in self.props[k]] for k in self._TARGETS if self.props.get(k)}
        if targets:
            client.deregister_db_proxy_targets(DBProxyName=str(self.props["DBProxyName"]),
                                               TargetGroupName=str(self.props.get("TargetGroupName", "default")),
                                               **targets)
