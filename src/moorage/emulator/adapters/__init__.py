"""Adapters: CloudFormation types moto's engine lacks (or models too thinly), created through the
emulator's own AWS API so that ``describe_*`` calls find them."""

from __future__ import annotations

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
    RecordSet,
    SecurityGroupEgress,
    SecurityGroupIngress,
)
from moorage.emulator.adapters.rds import (
    DBCluster,
    DBClusterParameterGroup,
    DBInstance,
    DBParameterGroup,
    DBSubnetGroup,
)
from moorage.emulator.adapters.secrets import RotationSchedule, Secret, SecretTargetAttachment
from moorage.emulator.adapters.servicediscovery import DiscoveryService, PrivateDnsNamespace
from moorage.emulator.adapters.storage import AccessPoint, Bucket, LogGroup, Repository

ADAPTERS: dict[str, type[ApiResource]] = {cls.TYPE: cls for cls in (
    Alarm, CapacityProviderAssociations, Cluster, EcsService, TaskDefinition, Budget, Certificate,
    LoggingConfiguration, ScalableTarget, ScalingPolicy, Subscription, WebACL, WebACLAssociation, CacheSubnetGroup,
    ReplicationGroup, BucketPolicy, HealthCheck, SecurityGroupEgress, SecurityGroupIngress, RecordSet, DBCluster,
    DBClusterParameterGroup, DBInstance, DBParameterGroup, DBSubnetGroup, RotationSchedule, Secret,
    SecretTargetAttachment, DiscoveryService, PrivateDnsNamespace, CachePolicy, Distribution, OriginAccessControl,
    OriginRequestPolicy, ResponseHeadersPolicy, KmsAlias, KmsKey, SsmParameter, UserPool, UserPoolClient,
    UserPoolDomain, AccessPoint, Bucket, LogGroup, Repository,
)}

__all__ = ["ADAPTERS", "ApiResource"]
