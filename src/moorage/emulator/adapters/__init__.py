"""Adapters: CloudFormation types moto's engine lacks (or models too thinly), created through the
emulator's own AWS API so that ``describe_*`` calls find them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moorage.emulator.adapters.base import ApiResource
from moorage.emulator.adapters.cdn import (
    CachePolicy,
    Distribution,
    OriginAccessControl,
    OriginRequestPolicy,
    ResponseHeadersPolicy,
)
from moorage.emulator.adapters.cloudwatch import Alarm
from moorage.emulator.adapters.ecs import CapacityProviderAssociations, Cluster, EcsService, TaskDefinition
from moorage.emulator.adapters.edge import (
    Budget,
    Certificate,
    LoggingConfiguration,
    ScalableTarget,
    ScalingPolicy,
    Subscription,
    WebACL,
    WebACLAssociation,
)
from moorage.emulator.adapters.elasticache import CacheSubnetGroup, ReplicationGroup
from moorage.emulator.adapters.identity import KmsAlias, KmsKey, SsmParameter, UserPool, UserPoolClient, UserPoolDomain
from moorage.emulator.adapters.network import (
    BucketPolicy,
    HealthCheck,
    QueuePolicy,
    RecordSet,
    SecurityGroupEgress,
    SecurityGroupIngress,
    update_security_group,
)
from moorage.emulator.adapters.rds import (
    DBCluster,
    DBClusterParameterGroup,
    DBInstance,
    DBParameterGroup,
    DBProxy,
    DBProxyTargetGroup,
    DBSubnetGroup,
)
from moorage.emulator.adapters.secrets import RotationSchedule, Secret, SecretTargetAttachment
from moorage.emulator.adapters.servicediscovery import DiscoveryService, PrivateDnsNamespace
from moorage.emulator.adapters.storage import AccessPoint, Bucket, LogGroup, Repository

ADAPTERS: dict[str, type[ApiResource]] = {cls.TYPE: cls for cls in (
    AccessPoint, Alarm, Bucket, BucketPolicy, Budget, CachePolicy, CacheSubnetGroup, CapacityProviderAssociations,
    Certificate, Cluster, DBCluster, DBClusterParameterGroup, DBInstance, DBParameterGroup, DBProxy,
    DBProxyTargetGroup, DBSubnetGroup, DiscoveryService, Distribution, EcsService, HealthCheck, KmsAlias, KmsKey,
    LogGroup, LoggingConfiguration, OriginAccessControl, OriginRequestPolicy, PrivateDnsNamespace, QueuePolicy,
    RecordSet, ReplicationGroup, Repository, ResponseHeadersPolicy, RotationSchedule, ScalableTarget, ScalingPolicy,
    Secret,
    SecretTargetAttachment, SecurityGroupEgress, SecurityGroupIngress, SsmParameter, Subscription, TaskDefinition,
    UserPool, UserPoolClient, UserPoolDomain, WebACL, WebACLAssociation,
)}

# Types whose moto update replaces the resource although CloudFormation updates it in place.
NATIVE_UPDATERS: dict[str, Callable[[Any, str, dict[str, Any], dict[str, Any]], None]] = {
    "AWS::EC2::SecurityGroup": update_security_group,
}

__all__ = ["ADAPTERS", "NATIVE_UPDATERS", "ApiResource"]
