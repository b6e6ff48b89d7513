"""EC2 security group egress rules and S3 bucket policies: two small resources moto lacks."""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any, ClassVar

from moorage.emulator import runtime
from moorage.emulator.adapters.base import ApiResource, without
from moorage.emulator.shapes import api_kwargs


def _permission(props: dict[str, Any]) -> dict[str, Any]:
    perm: dict[str, Any] = {"IpProtocol": str(props.get("IpProtocol", "-1"))}
    if "FromPort" in props:
        perm["FromPort"] = int(props["FromPort"])
    if "ToPort" in props:
        perm["ToPort"] = int(props["ToPort"])
    desc = {"Description": props["Description"]} if props.get("Description") else {}
    if "CidrIp" in props:
        perm["IpRanges"] = [{"CidrIp": props["CidrIp"], **desc}]
    if "CidrIpv6" in props:
        perm["Ipv6Ranges"] = [{"CidrIpv6": props["CidrIpv6"], **desc}]
    if "DestinationSecurityGroupId" in props:
        perm["UserIdGroupPairs"] = [{"GroupId": props["DestinationSecurityGroupId"], **desc}]
    if "DestinationPrefixListId" in props:
        perm["PrefixListIds"] = [{"PrefixListId": props["DestinationPrefixListId"], **desc}]
    return perm


class SecurityGroupEgress(ApiResource):
    """``AWS::EC2::SecurityGroupEgress``: one outbound rule; Ref and attribute Id are the rule's id."""

    TYPE = "AWS::EC2::SecurityGroupEgress"
    SERVICE = "ec2"
    DIRECTION: ClassVar[str] = "egress"

    @classmethod
    def _permission(cls, props: dict[str, Any]) -> dict[str, Any]:
        return _permission(props)

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        authorize = getattr(client, f"authorize_security_group_{cls.DIRECTION}")
        out = authorize(GroupId=str(props["GroupId"]), IpPermissions=[cls._permission(props)])
        rule_id = str((out.get("SecurityGroupRules") or [{}])[0].get("SecurityGroupRuleId") or name)
        return rule_id, {"Id": rule_id}

    def remove(self, client: Any) -> None:
        revoke = getattr(client, f"revoke_security_group_{self.DIRECTION}")
        revoke(GroupId=str(self.props["GroupId"]), IpPermissions=[self._permission(self.props)])


class SecurityGroupIngress(SecurityGroupEgress):
    """``AWS::EC2::SecurityGroupIngress``: one inbound rule (moto's native model cannot delete it)."""

    TYPE = "AWS::EC2::SecurityGroupIngress"
    DIRECTION = "ingress"

    @classmethod
    def _permission(cls, props: dict[str, Any]) -> dict[str, Any]:
        source = dict(props)
        if "SourceSecurityGroupId" in source:
            source["DestinationSecurityGroupId"] = source.pop("SourceSecurityGroupId")
        if "SourcePrefixListId" in source:
            source["DestinationPrefixListId"] = source.pop("SourcePrefixListId")
        return _permission(source)


class BucketPolicy(ApiResource):
    """``AWS::S3::BucketPolicy``: Ref is the bucket name."""

    TYPE = "AWS::S3::BucketPolicy"
    SERVICE = "s3"
    PUT_KEYS = ("Bucket",)

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        document = props["PolicyDocument"]
        client.put_bucket_policy(Bucket=str(props["Bucket"]),
                                 Policy=document if isinstance(document, str) else json.dumps(document))
        return str(props["Bucket"]), {}

    def remove(self, client: Any) -> None:
        client.delete_bucket_policy(Bucket=self.physical_id)


class QueuePolicy(ApiResource):
    """``AWS::SQS::QueuePolicy``: the policy set as each queue's Policy attribute; Ref is a generated id."""

    TYPE = "AWS::SQS::QueuePolicy"
    SERVICE = "sqs"
    PUT_KEYS = ("Queues",)

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        document = props["PolicyDocument"]
        text = document if isinstance(document, str) else json.dumps(document)
        queues = [str(q) for q in props["Queues"]]
        for url in queues:
            client.set_queue_attributes(QueueUrl=url, Attributes={"Policy": text})
        return "|".join(queues), {}

    def remove(self, client: Any) -> None:
        for url in self.physical_id.split("|"):
            with contextlib.suppress(client.exceptions.QueueDoesNotExist):  # gone with its stack already
                client.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})


class RecordSet(ApiResource):
    """``AWS::Route53::RecordSet``: a zone id unknown to the emulator gets a stand-in zone under that id."""

    TYPE = "AWS::Route53::RecordSet"
    SERVICE = "route53"
    PUT_KEYS = ("Name", "Type", "HostedZoneId")

    @staticmethod
    def _zone(client: Any, zone_id: str, record_name: str) -> str:
        """``zone_id`` if the emulator has it, else a stand-in public zone for the record's domain."""
        try:
            client.get_hosted_zone(Id=zone_id)
            return zone_id
        except client.exceptions.NoSuchHostedZone:
            pass
        parts = record_name.rstrip(".").split(".")
        domain = ".".join(parts[1:] if len(parts) > 2 else parts) + "."
        for zone in client.list_hosted_zones_by_name(DNSName=domain).get("HostedZones", []):
            if zone["Name"] == domain:
                return str(zone["Id"]).split("/")[-1]
        created = client.create_hosted_zone(Name=domain, CallerReference=f"moorage-{zone_id}",
                                            HostedZoneConfig={"Comment": f"moorage local stand-in for {zone_id}"})
        return str(created["HostedZone"]["Id"]).split("/")[-1]

    @staticmethod
    def _record(props: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {"Name": str(props["Name"]), "Type": str(props["Type"])}
        if "AliasTarget" in props:
            alias = props["AliasTarget"]
            record["AliasTarget"] = {"HostedZoneId": str(alias["HostedZoneId"]), "DNSName": str(alias["DNSName"]),
                                     "EvaluateTargetHealth": bool(alias.get("EvaluateTargetHealth", False))}
        else:
            record["TTL"] = int(props.get("TTL", 300))
            record["ResourceRecords"] = [{"Value": str(v)} for v in props.get("ResourceRecords", [])]
        return record

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        zone_id = cls._zone(client, str(props["HostedZoneId"]).split("/")[-1], str(props["Name"]))
        client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
            {"Action": "UPSERT", "ResourceRecordSet": cls._record(props)}]})
        return str(props["Name"]), {"_zone": zone_id}

    def remove(self, client: Any) -> None:
        zone_id = self.attributes.get("_zone") or str(self.props["HostedZoneId"]).split("/")[-1]
        client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": [
            {"Action": "DELETE", "ResourceRecordSet": self._record(self.props)}]})


class HealthCheck(ApiResource):
    """``AWS::Route53::HealthCheck``: Ref is the health check id; attribute HealthCheckId."""

    TYPE = "AWS::Route53::HealthCheck"
    SERVICE = "route53"
    _CREATE_ONLY = ("Type", "RequestInterval", "MeasureLatency")

    @classmethod
    def create(cls, client: Any, props: dict[str, Any], name: str, region: str) -> tuple[str, dict[str, Any]]:
        kwargs = api_kwargs(client, "CreateHealthCheck", {"HealthCheckConfig": props["HealthCheckConfig"]},
                            extra={"CallerReference": f"{name}-{uuid.uuid4().hex[:12]}"})
        check_id = str(client.create_health_check(**kwargs)["HealthCheck"]["Id"])
        if props.get("HealthCheckTags"):
            client.change_tags_for_resource(ResourceType="healthcheck", ResourceId=check_id, AddTags=[
                {"Key": t["Key"], "Value": str(t["Value"])} for t in props["HealthCheckTags"]])
        return check_id, {"HealthCheckId": check_id}

    @classmethod
    def modify(cls, client: Any, old: ApiResource, props: dict[str, Any]) -> dict[str, Any] | None:
        new, before = props["HealthCheckConfig"], old.props["HealthCheckConfig"]
        if any(new.get(k) != before.get(k) for k in cls._CREATE_ONLY):
            return None
        client.update_health_check(**api_kwargs(client, "UpdateHealthCheck", without(new, *cls._CREATE_ONLY),
                                                extra={"HealthCheckId": old.physical_id}))
        return old.attributes

    def remove(self, client: Any) -> None:
        client.delete_health_check(HealthCheckId=self.physical_id)


def update_security_group(res: Any, region: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """``AWS::EC2::SecurityGroup`` update: tags and inline rules change in place, as on AWS: moto's own update
    deletes the group and creates another (a new id), which strands every rule resource that points at the old one."""
    from botocore.exceptions import ClientError

    ec2 = runtime.client("ec2", region)
    old_tags = {t["Key"]: str(t["Value"]) for t in old.get("Tags") or []}
    new_tags = {t["Key"]: str(t["Value"]) for t in new.get("Tags") or []}
    gone = [{"Key": k} for k in old_tags if k not in new_tags]
    if gone:
        ec2.delete_tags(Resources=[res.id], Tags=gone)
    if new_tags != old_tags:
        ec2.create_tags(Resources=[res.id], Tags=[{"Key": k, "Value": v} for k, v in new_tags.items()])
    for key, adapter in (("SecurityGroupIngress", SecurityGroupIngress), ("SecurityGroupEgress", SecurityGroupEgress)):
        before = [adapter._permission(r) for r in old.get(key) or []]
        after = [adapter._permission(r) for r in new.get(key) or []]
        for verb, perms in (("revoke", [p for p in before if p not in after]),
                            ("authorize", [p for p in after if p not in before])):
            for perm in perms:
                try:
                    getattr(ec2, f"{verb}_security_group_{adapter.DIRECTION}")(GroupId=res.id, IpPermissions=[perm])
                except ClientError as exc:  # the rule was never there (or already is): the outcome is the same
                    if exc.response["Error"]["Code"] not in ("InvalidPermission.NotFound",
                                                             "InvalidPermission.Duplicate"):
                        raise
