"""Edge stack: the ALB, its listeners, certificate, DNS record, WAF and access logs."""

from __future__ import annotations

from typing import Any

from troposphere import GetAtt, Ref, Sub, certificatemanager, cloudfront, route53, s3, wafv2
from troposphere import elasticloadbalancingv2 as elb

from moorage.data import load_data
from moorage.plan.model import EdgePlan
from moorage.render.context import StackContext
from moorage.render.network import group_ref
from moorage.render.scanners import scanner_skips


def render_edge(ctx: StackContext) -> None:
    """Fill an edge stack (``edge``, or ``edge-2`` ... past 100 routes)."""
    edge = ctx.plan.edge_of(ctx.stack.key)
    attrs = {"routing.http.drop_invalid_header_fields.enabled": "true",
             "deletion_protection.enabled": str(edge.deletion_protection).lower(),
             "idle_timeout.timeout_seconds": str(edge.idle_timeout)}
    depends: list[str] = []
    if edge.access_logs and edge.logs_in_data:
        attrs.update({"access_logs.s3.enabled": "true", "access_logs.s3.prefix": "alb",
                      "access_logs.s3.bucket": ctx.take("data", "LogBucket")})
    elif edge.access_logs:
        _access_log_bucket(ctx)
        attrs.update({"access_logs.s3.enabled": "true", "access_logs.s3.bucket": Ref("AccessLogBucket"),
                      "access_logs.s3.prefix": "alb"})
        depends.append("AccessLogBucketPolicy")
    ctx.add(elb.LoadBalancer(
        "LoadBalancer", Type="application", Scheme="internet-facing", IpAddressType="ipv4",
        Subnets=ctx.take("network", "PublicSubnets", as_list=True),
        SecurityGroups=[group_ref(ctx, edge.security_group)],
        LoadBalancerAttributes=[elb.LoadBalancerAttributes(Key=k, Value=v) for k, v in sorted(attrs.items())],
        Tags=ctx.tags(), **({"DependsOn": depends} if depends else {})))
    not_found = elb.Action(Type="fixed-response", FixedResponseConfig=elb.FixedResponseConfig(
        StatusCode="404", ContentType="text/plain", MessageBody="not found"))
    if edge.https:
        cert = _certificate(ctx, edge)
        if edge.http_listener:
            ctx.add(elb.Listener("HttpListener", LoadBalancerArn=Ref("LoadBalancer"), Port=80, Protocol="HTTP",
                                 DefaultActions=[elb.Action(Type="redirect", RedirectConfig=elb.RedirectConfig(
                                     Protocol="HTTPS", Port="443", StatusCode="HTTP_301"))]))
        ctx.add(elb.Listener("HttpsListener", LoadBalancerArn=Ref("LoadBalancer"), Port=443, Protocol="HTTPS",
                             SslPolicy=edge.tls_policy, Certificates=[elb.Certificate(CertificateArn=cert)],
                             DefaultActions=[not_found]))
        listener, url = "HttpsListener", f"https://{edge.domain}"
    else:
        ctx.add(elb.Listener("HttpListener", LoadBalancerArn=Ref("LoadBalancer"), Port=80, Protocol="HTTP",
                             DefaultActions=[not_found], Metadata=scanner_skips("http-listener")))
        listener, url = "HttpListener", None
    if edge.zone_id and edge.domain:
        ctx.add(route53.RecordSetType(
            # With CloudFront in front, the ALB answers at origin.<domain> and the public name is the CDN's.
            "DnsRecord", HostedZoneId=edge.zone_id, Name=origin_name(edge) if edge.cdn_price_class else edge.domain,
            Type="A",
            AliasTarget=route53.AliasTarget(DNSName=GetAtt("LoadBalancer", "DNSName"),
                                            HostedZoneId=GetAtt("LoadBalancer", "CanonicalHostedZoneID"),
                                            EvaluateTargetHealth=True)))
        if edge.preview_hosts:
            ctx.add(route53.RecordSetType(
                "PreviewDnsRecord", HostedZoneId=edge.zone_id, Name=edge.preview_hosts, Type="A",
                AliasTarget=route53.AliasTarget(DNSName=GetAtt("LoadBalancer", "DNSName"),
                                                HostedZoneId=GetAtt("LoadBalancer", "CanonicalHostedZoneID"),
                                                EvaluateTargetHealth=False)))
    if edge.health_path and edge.domain:
        ctx.add(route53.HealthCheck(
            "HealthCheck", HealthCheckConfig=route53.HealthCheckConfig(
                Type="HTTPS", FullyQualifiedDomainName=edge.domain, Port=443, ResourcePath=edge.health_path,
                RequestInterval=30, FailureThreshold=3, EnableSNI=True),
            HealthCheckTags=ctx.tags()))
        ctx.give("HealthCheckId", Ref("HealthCheck"), "Route 53 health check of the public name")
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
    names = [edge.domain or ""] + ([origin_name(edge)] if edge.cdn_price_class else []) + (
        [edge.preview_hosts] if edge.preview_hosts else [])
    if edge.zone_id:
        options["DomainValidationOptions"] = [certificatemanager.DomainValidationOption(
            DomainName=n, HostedZoneId=edge.zone_id) for n in names]
    if len(names) > 1:
        options["SubjectAlternativeNames"] = names[1:]
    ctx.add(certificatemanager.Certificate("Certificate", DomainName=edge.domain, ValidationMethod="DNS",
                                           Tags=ctx.tags(), **options))
    return Ref("Certificate")


def origin_name(edge: EdgePlan) -> str:
    """The name CloudFront reaches the load balancer at (covered by the load balancer's certificate)."""
    return f"origin.{edge.domain}"


# AWS managed CloudFront policies (ids are fixed by AWS).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"  # the hosted zone of every CloudFront alias target


def render_cdn(ctx: StackContext) -> None:
    """Fill the cdn stack (us-east-1): certificate, distribution in front of the ALB, the public DNS name."""
    edge = ctx.plan.edge
    assert edge is not None and edge.domain and edge.zone_id and edge.cdn_price_class
    ctx.add(certificatemanager.Certificate(
        "Certificate", DomainName=edge.domain, ValidationMethod="DNS", Tags=ctx.tags(),
        DomainValidationOptions=[certificatemanager.DomainValidationOption(
            DomainName=edge.domain, HostedZoneId=edge.zone_id)]))
    dynamic = cloudfront.DefaultCacheBehavior(
        TargetOriginId="alb", ViewerProtocolPolicy="redirect-to-https", CachePolicyId=CACHING_DISABLED,
        OriginRequestPolicyId=ALL_VIEWER, Compress=True,
        AllowedMethods=["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"], CachedMethods=["GET", "HEAD"])
    static = [cloudfront.CacheBehavior(
        PathPattern=path, TargetOriginId="alb", ViewerProtocolPolicy="redirect-to-https",
        CachePolicyId=CACHING_OPTIMIZED, Compress=True, AllowedMethods=["GET", "HEAD"], CachedMethods=["GET", "HEAD"])
        for path in edge.cdn_static]
    if edge.waf:  # the cdn stack is in us-east-1, where CLOUDFRONT-scope web ACLs live
        _web_acl(ctx, edge, "CdnWebAcl", "CLOUDFRONT")
    ctx.add(cloudfront.Distribution("Distribution", Metadata=scanner_skips(
                                        "distribution" if edge.waf else "distribution-without-waf"),
                                    DistributionConfig=cloudfront.DistributionConfig(
        **({"WebACLId": GetAtt("CdnWebAcl", "Arn")} if edge.waf else {}),
        Enabled=True, Comment=f"{ctx.plan.prefix}: in front of the load balancer", Aliases=[edge.domain],
        PriceClass=edge.cdn_price_class, HttpVersion="http2and3", IPV6Enabled=False,
        ViewerCertificate=cloudfront.ViewerCertificate(AcmCertificateArn=Ref("Certificate"),
                                                       SslSupportMethod="sni-only",
                                                       MinimumProtocolVersion="TLSv1.2_2021"),
        Origins=[cloudfront.Origin(
            Id="alb", DomainName=origin_name(edge), CustomOriginConfig=cloudfront.CustomOriginConfig(
                OriginProtocolPolicy="https-only", HTTPSPort=443, OriginSSLProtocols=["TLSv1.2"],
                OriginReadTimeout=60, OriginKeepaliveTimeout=5))],
        DefaultCacheBehavior=dynamic, **({"CacheBehaviors": static} if static else {})), Tags=ctx.tags()))
    ctx.add(route53.RecordSetType(
        "DnsRecord", HostedZoneId=edge.zone_id, Name=edge.domain, Type="A",
        AliasTarget=route53.AliasTarget(DNSName=GetAtt("Distribution", "DomainName"), HostedZoneId=CLOUDFRONT_ZONE,
                                        EvaluateTargetHealth=False)))
    ctx.give("DistributionId", Ref("Distribution"))
    ctx.give("DistributionDomainName", GetAtt("Distribution", "DomainName"))
    ctx.give("Url", f"https://{edge.domain}", "the app's address")


def _web_acl(ctx: StackContext, edge: EdgePlan, lid: str, scope: str) -> None:
    """A web ACL of the AWS managed rule groups (REGIONAL for the ALB, CLOUDFRONT for the distribution)."""
    metric = ctx.name("waf" if scope == "REGIONAL" else "cdnwaf").replace("-", "")
    rules = [wafv2.WebACLRule(
        Name=group, Priority=i, OverrideAction=wafv2.OverrideAction(**{"None": {}}),
        Statement=wafv2.Statement(ManagedRuleGroupStatement=wafv2.ManagedRuleGroupStatement(
            VendorName="AWS", Name=group)),
        VisibilityConfig=wafv2.VisibilityConfig(SampledRequestsEnabled=True, CloudWatchMetricsEnabled=True,
                                                MetricName=f"{metric}{group}"))
        for i, group in enumerate(edge.waf_rule_groups)]
    ctx.add(wafv2.WebACL(
        lid, Name=ctx.name("web" if scope == "REGIONAL" else "cdn"), Scope=scope,
        DefaultAction=wafv2.DefaultAction(Allow=wafv2.AllowAction()), Rules=rules,
        VisibilityConfig=wafv2.VisibilityConfig(SampledRequestsEnabled=True, CloudWatchMetricsEnabled=True,
                                                MetricName=metric),
        Tags=ctx.tags()))


def _waf(ctx: StackContext, edge: EdgePlan) -> None:
    _web_acl(ctx, edge, "WebAcl", "REGIONAL")
    ctx.add(wafv2.WebACLAssociation("WebAclAssociation", ResourceArn=Ref("LoadBalancer"),
                                    WebACLArn=GetAtt("WebAcl", "Arn")))


def alb_log_delivery(region: str, bucket_arn: Any) -> dict[str, Any]:
    """The bucket-policy statement that lets the region's load balancers deliver access logs under alb/."""
    elb_data = load_data("elb_accounts")
    account = elb_data["accounts"].get(region)
    principal: dict[str, Any] = ({"AWS": f"arn:aws:iam::{account}:root"} if account
                                 else {"Service": elb_data["service_principal"]})
    return {"Sid": "AlbLogDelivery", "Effect": "Allow", "Principal": principal, "Action": "s3:PutObject",
            "Resource": Sub("${B}/alb/AWSLogs/${AWS::AccountId}/*", B=bucket_arn)}


def log_bucket(ctx: StackContext, lid: str, expire_days: int, **extra: Any) -> s3.Bucket:
    """A private log bucket: SSE-S3 (S3 server access logs and load balancer logs support no KMS key),
    versioned, objects expiring after ``expire_days``."""
    return s3.Bucket(
        lid, Metadata=scanner_skips("log-bucket"),
        BucketEncryption=s3.BucketEncryption(ServerSideEncryptionConfiguration=[s3.ServerSideEncryptionRule(
            ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256"))]),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True, IgnorePublicAcls=True, BlockPublicPolicy=True, RestrictPublicBuckets=True),
        OwnershipControls=s3.OwnershipControls(Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]),
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        LifecycleConfiguration=s3.LifecycleConfiguration(Rules=[s3.LifecycleRule(
            Id="expire-logs", Status="Enabled", ExpirationInDays=expire_days,
            NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=7),
            AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=7))]),
        Tags=ctx.tags(), **extra)


def _access_log_bucket(ctx: StackContext) -> None:
    keep = "Retain" if ctx.plan.keep_on_delete else "Delete"
    ctx.add(log_bucket(ctx, "AccessLogBucket", ctx.plan.env.log_retention, DeletionPolicy=keep,
                       UpdateReplacePolicy=keep))
    ctx.add(s3.BucketPolicy("AccessLogBucketPolicy", Bucket=Ref("AccessLogBucket"), PolicyDocument={
        "Version": "2012-10-17", "Statement": [
            alb_log_delivery(ctx.plan.env.region, GetAtt("AccessLogBucket", "Arn")),
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [GetAtt("AccessLogBucket", "Arn"), Sub("${B}/*", B=GetAtt("AccessLogBucket", "Arn"))],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
