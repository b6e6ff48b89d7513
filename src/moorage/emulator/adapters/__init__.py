"""Adapters: CloudFormation types moto's engine lacks (or models too thinly), created through the
emulator's own AWS API so that ``describe_*`` calls find them."""

from __future__ import annotations

from moorage.emulator.adapters.base import ApiResource
from moorage.emulator.adapters.cloudwatch import Alarm
from moorage.emulator.adapters.ecs import CapacityProviderAssociations, EcsService, TaskDefinition
from moorage.emulator.adapters.edge import (
    Budget,
    Certificate,
    ScalableTarget,
    ScalingPolicy,
    Subscription,
    WebACL,
    WebACLAssociation,
)
from moorage.emulator.adapters.elasticache import CacheSubnetGroup, ReplicationGroup
from moorage.emulator.adapters.network import BucketPolicy, RecordSet, SecurityGroupEgress, SecurityGroupIngress
from moorage.emulator.adapters.rds import (
    DBCluster,
    DBClusterParameterGroup,
    DBInstance,
    DBParameterGroup,
    DBSubnetGroup,
)
from moorage.emulator.adapters.secrets import Secret, SecretTargetAttachment
from moorage.emulator.adapters.servicediscovery import DiscoveryService, PrivateDnsNamespace

ADAPTERS: dict[str, type[ApiResource]] = {cls.TYPE: cls for cls in (
    Alarm, CapacityProviderAssociations, EcsService, TaskDefinition, Budget, Certificate, ScalableTarget,
    ScalingPolicy, Subscription, WebACL, WebACLAssociation, CacheSubnetGroup, ReplicationGroup, BucketPolicy,
    SecurityGroupEgress, SecurityGroupIngress, RecordSet, DBCluster, DBClusterParameterGroup, DBInstance,
    DBParameterGroup, DBSubnetGroup, Secret, SecretTargetAttachment, DiscoveryService, PrivateDnsNamespace,
)}

__all__ = ["ADAPTERS", "ApiResource"]
