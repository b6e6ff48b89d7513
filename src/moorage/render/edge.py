"""Edge stack: the ALB, its listeners, certificate, DNS record, WAF and access logs."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Ref, Sub, certificatemanager, route53, s3, wafv2
from troposphere import elasticloadbalancingv2 as elb

from moorage.data import load_data
from moorage.plan.model import EdgePlan
from moorage.render.context import StackContext
from moorage.render.network import sg_id


def render_edge(ctx: StackContext) -> None:
    """Fill the edge stack."""
    edge = ctx.plan.edge
    assert edge is not None
    attrs = {"routing.http.drop_invalid_header_fields.enabled": "true",
             "deletion_protection.enabled": str(edge.deletion_protection).lower(),
             "idle_timeout.timeout_seconds": str(edge.idle_timeout)}
    depends: list[str] = []
    if edge.access_logs:
        _access_log_bucket(ctx)
        attrs.update({"access_logs.s3.enabled": "true", "access_logs.s3.bucket": Ref("AccessLogBucket"),
                      "access_logs.s3.prefix": "alb"})
        depends.append("AccessLogBucketPolicy")
    ctx.add(elb.LoadBalancer(
        "LoadBalancer", Type="application", Scheme="internet-facing", IpAddressType="ipv4",
        Subnets=ctx.take("network", "PublicSubnets", as_list=True), SecurityGroups=[ctx.take("network", sg_id("alb"))],
        LoadBalancerAttributes=[elb.LoadBalancerAttributes(Key=k, Value=v) for k, v in sorted(attrs.items())],
        Tags=ctx.tags(), **({"DependsOn": depends} if depends else {})))
    not_found = elb.Action(Type="fixed-response", FixedResponseConfig=elb.FixedResponseConfig(
        StatusCode="404", ContentType="text/plain", MessageBody="not found"))
    if edge.https:
        cert = _certificate(ctx, edge)
        ctx.add(elb.Listener("HttpListener", LoadBalancerArn=Ref("LoadBalancer"), Port=80, Protocol="HTTP",
                             DefaultActions=[elb.Action(Type="redirect", RedirectConfig=elb.RedirectConfig(
                                 Protocol="HTTPS", Port="443", StatusCode="HTTP_301"))]))
        ctx.add(elb.Listener("HttpsListener", LoadBalancerArn=Ref("LoadBalancer"), Port=443, Protocol="HTTPS",
                             SslPolicy=edge.tls_policy, Certificates=[elb.Certificate(CertificateArn=cert)],
                             DefaultActions=[not_found]))
        listener, url = "HttpsListener", f"https://{edge.domain}"
    else:
        ctx.add(elb.Listener("HttpListener", LoadBalancerArn=Ref("LoadBalancer"), Port=80, Protocol="HTTP",
                             DefaultActions=[not_found]))
        listener, url = "HttpListener", None
    if edge.zone_id and edge.domain:
        ctx.add(route53.RecordSetType(
            "DnsRecord", HostedZoneId=edge.zone_id, Name=edge.domain, Type="A",
            AliasTarget=route53.AliasTarget(DNSName=GetAtt("LoadBalancer", "DNSName"),
                                            HostedZoneId=GetAtt("LoadBalancer", "CanonicalHostedZoneID"),
                                            EvaluateTargetHealth=True)))
    if edge.waf:
        _waf(ctx, edge)
    ctx.give("ListenerArn", Ref(listener), "listener the routes attach to")
    ctx.give("LoadBalancerArn", Ref("LoadBalancer"))
    ctx.give("LoadBalancerFullName", GetAtt("LoadBalancer", "LoadBalancerFullName"))
    ctx.give("LoadBalancerDnsName", GetAtt("LoadBalancer", "DNSName"))
    ctx.give("Url", url or Sub("http://${D}", D=GetAtt("LoadBalancer", "DNSName")), "the app's address")


def _certificate(ctx: StackContext, edge: EdgePlan) -> Any:
    if edge.certificate_arn:
        return edge.certificate_arn
    options: dict[str, Any] = {}
    if edge.zone_id:
        options["DomainValidationOptions"] = [certificatemanager.DomainValidationOption(
            DomainName=edge.domain, HostedZoneId=edge.zone_id)]
    ctx.add(certificatemanager.Certificate("Certificate", DomainName=edge.domain, ValidationMethod="DNS",
                                           Tags=ctx.tags(), **options))
    return Ref("Certificate")


def _waf(ctx: StackContext, edge: EdgePlan) -> None:
    metric = ctx.name("waf").replace("-", "")
    rules = [wafv2.WebACLRule(
        Name=group, Priority=i, OverrideAction=wafv2.OverrideAction(**{"None": {}}),
        Statement=wafv2.Statement(ManagedRuleGroupStatement=wafv2.ManagedRuleGroupStatement(
            VendorName="AWS", Name=group)),
        VisibilityConfig=wafv2.VisibilityConfig(SampledRequestsEnabled=True, CloudWatchMetricsEnabled=True,
                                                MetricName=f"{metric}{group}"))
        for i, group in enumerate(edge.waf_rule_groups)]
    ctx.add(wafv2.WebACL(
        "WebAcl", Name=ctx.name("web"), Scope="REGIONAL", DefaultAction=wafv2.DefaultAction(Allow=wafv2.AllowAction()),
        Rules=rules, VisibilityConfig=wafv2.VisibilityConfig(
            SampledRequestsEnabled=True, CloudWatchMetricsEnabled=True, MetricName=metric),
        Tags=ctx.tags()))
    ctx.add(wafv2.WebACLAssociation("WebAclAssociation", ResourceArn=Ref("LoadBalancer"),
                                    WebACLArn=GetAtt("WebAcl", "Arn")))


def _access_log_bucket(ctx: StackContext) -> None:
    retain = ctx.plan.env.profile != "dev"
    ctx.add(s3.Bucket(
        "AccessLogBucket",
        BucketEncryption=s3.BucketEncryption(ServerSideEncryptionConfiguration=[s3.ServerSideEncryptionRule(
            ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256"))]),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True, IgnorePublicAcls=True, BlockPublicPolicy=True, RestrictPublicBuckets=True),
        OwnershipControls=s3.OwnershipControls(Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]),
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        LifecycleConfiguration=s3.LifecycleConfiguration(Rules=[s3.LifecycleRule(
            Id="expire-logs", Status="Enabled", ExpirationInDays=ctx.plan.env.log_retention,
            NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=7))]),
        Tags=ctx.tags(), DeletionPolicy="Retain" if retain else "Delete",
        UpdateReplacePolicy="Retain" if retain else "Delete"))
    elb_data = load_data("elb_accounts")
    account = elb_data["accounts"].get(ctx.plan.env.region)
    principal: dict[str, Any] = ({"AWS": f"arn:aws:iam::{account}:root"} if account
                                 else {"Service": elb_data["service_principal"]})
    ctx.add(s3.BucketPolicy("AccessLogBucketPolicy", Bucket=Ref("AccessLogBucket"), PolicyDocument={
        "Version": "2012-10-17", "Statement": [
            {"Sid": "AlbLogDelivery", "Effect": "Allow", "Principal": principal, "Action": "s3:PutObject",
             "Resource": Sub("${B}/alb/AWSLogs/${AWS::AccountId}/*", B=GetAtt("AccessLogBucket", "Arn"))},
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [GetAtt("AccessLogBucket", "Arn"), Sub("${B}/*", B=GetAtt("AccessLogBucket", "Arn"))],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
