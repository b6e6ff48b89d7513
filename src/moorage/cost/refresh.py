"""Rebuild the price catalog from the AWS Price List.

Two sources, tried in this order: the public bulk offer files (one region-scoped JSON file per service, served
over HTTPS without credentials, read as a stream so only the SKUs moorage uses are kept), then the Price List API
(boto3 ``pricing`` client; needs AWS credentials). Each extractor turns a Price List product into a catalog rate;
the source of every refreshed rate is the product's SKU and offer version, its date the offer's publication date.
Rates neither source answers stay out: ``moorage cost`` then reports them as unknown (bounded by the declared
proxy) rather than keeping a stale guess. Output files are deterministic: sorted, dated by the offers, not the run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

DEFAULT_REGIONS = ("us-east-1", "eu-west-1", "eu-west-2", "eu-central-1", "me-south-1", "me-central-1", "ap-south-1")
PRICING_ENDPOINT_REGION = "us-east-1"  # the Price List API answers from us-east-1 (and ap-south-1)

RDS_ENGINES = {"PostgreSQL": "postgres", "MySQL": "mysql", "MariaDB": "mariadb",
               "Aurora PostgreSQL": "aurora-postgresql", "Aurora MySQL": "aurora-mysql"}
RDS_VOLUMES = {"General Purpose-GP3": "gp3", "General Purpose": "gp2", "Provisioned IOPS": "io1",
               "Provisioned IOPS-IO2": "io2"}
CACHE_ENGINES = {"Redis": "redis", "Valkey": "valkey", "Memcached": "memcached"}
AZ = {"Single-AZ": "single", "Multi-AZ": "multi"}

# A match: (catalog key, unit, factor applied to the API's per-unit price).
Match = tuple[str, str, float]
Extractor = Callable[[dict[str, str]], Match | None]


def usage_suffix(usagetype: str) -> str:
    """``USE1-Fargate-GB-Hours`` -> ``Fargate-GB-Hours`` (us-east-1 usage types carry no prefix)."""
    found = re.match(r"^[A-Z]{2,4}[0-9]?-(.+)$", usagetype)
    return found.group(1) if found else usagetype


def _by_usage(table: dict[str, Match]) -> Extractor:
    def extract(attrs: dict[str, str]) -> Match | None:
        return table.get(usage_suffix(attrs.get("usagetype", "")))
    return extract


def _rds_instance(attrs: dict[str, str]) -> Match | None:
    engine = RDS_ENGINES.get(attrs.get("databaseEngine", ""))
    klass, az = attrs.get("instanceType", ""), AZ.get(attrs.get("deploymentOption", ""))
    if not engine or not klass or not az or "IO Optimization" in attrs.get("storage", ""):
        return None
    if attrs.get("licenseModel", "") not in ("", "No license required"):
        return None
    if engine.startswith("aurora"):
        return (f"rds.instance_hour.{engine}.{klass}", "hour", 1.0) if az == "single" else None
    return f"rds.instance_hour.{engine}.{klass}.{az}", "hour", 1.0


# Aurora's cluster-level meters, by usage type (the exact suffix: e.g. Aurora:StorageIOUsage-LimitlessPreview is $0)
AURORA_USAGE: dict[str, Match] = {
    "Aurora:StorageUsage": ("aurora.storage_gb_month.standard", "GB-month", 1.0),
    "Aurora:IO-OptimizedStorageUsage": ("aurora.storage_gb_month.iopt1", "GB-month", 1.0),
    "Aurora:StorageIOUsage": ("aurora.io_million", "million requests", 1e6),
    "Aurora:BackupUsage": ("aurora.backup_gb_month", "GB-month", 1.0),
}


def _rds_storage(attrs: dict[str, str]) -> Match | None:
    aurora = AURORA_USAGE.get(usage_suffix(attrs.get("usagetype", "")))
    if aurora is not None:
        return aurora
    volume, az = RDS_VOLUMES.get(attrs.get("volumeType", "")), AZ.get(attrs.get("deploymentOption", ""))
    if not volume or not az or attrs.get("databaseEngine", "Any") not in ("Any", "PostgreSQL", "MySQL"):
        return None
    return f"rds.storage_gb_month.{volume}.{az}", "GB-month", 1.0


def _cache_node(attrs: dict[str, str]) -> Match | None:
    engine, node = CACHE_ENGINES.get(attrs.get("cacheEngine", "")), attrs.get("instanceType", "")
    if not engine or not node:
        return None
    return f"elasticache.node_hour.{engine}.{node}", "node-hour", 1.0


# Lifecycle transitions share the Requests-Tier3 usage type with restores: the operation tells them apart.
S3_TRANSITIONS = {"S3-GlacierTransition": "glacier", "S3-GDATransition": "deep_archive"}


def _s3(attrs: dict[str, str]) -> Match | None:
    usage = usage_suffix(attrs.get("usagetype", ""))
    if attrs.get("volumeType") == "Standard" and usage == "TimedStorage-ByteHrs":
        return "s3.standard_gb_month", "GB-month", 1.0
    if usage == "Requests-Tier3" and attrs.get("operation", "") in S3_TRANSITIONS:
        return (f"s3.lifecycle_transition_1k.{S3_TRANSITIONS[attrs['operation']]}", "1,000 transition requests",
                1000.0)
    if usage == "Monitoring-Automation-INT":
        return "s3.intelligent_tiering_monitoring_1k", "1,000 objects-month", 1000.0
    group = attrs.get("group", "")
    if group == "S3-API-Tier1":
        return "s3.put_1k", "1,000 requests", 1000.0
    if group == "S3-API-Tier2":
        return "s3.get_1k", "1,000 requests", 1000.0
    return None


def _kms_requests(attrs: dict[str, str]) -> Match | None:
    # awskms prefixes its usage types with the region code (eu-west-2-KMS-Requests), not an abbreviation
    usage = attrs.get("usagetype", "")
    if usage == "KMS-Requests" or usage.endswith(f"{attrs.get('regionCode', '')}-KMS-Requests"):
        return "kms.requests_10k", "10,000 requests", 10000.0
    return None


@dataclass(frozen=True)
class Query:
    """One ``get_products`` query (paged) and how to read its products."""

    service: str
    filters: tuple[tuple[str, str], ...]
    extract: Extractor


def queries() -> list[Query]:
    """Every query a refresh runs per region (the region filter is added per region)."""
    fargate = {
        "Fargate-vCPU-Hours:perCPU": ("fargate.vcpu_hour.x86", "vCPU-hour", 1.0),
        "Fargate-GB-Hours": ("fargate.gb_hour.x86", "GB-hour", 1.0),
        "Fargate-ARM-vCPU-Hours:perCPU": ("fargate.vcpu_hour.arm", "vCPU-hour", 1.0),
        "Fargate-ARM-GB-Hours": ("fargate.gb_hour.arm", "GB-hour", 1.0),
        "SpotUsage:Fargate-vCPU-Hours:perCPU": ("fargate.spot.vcpu_hour.x86", "vCPU-hour", 1.0),
        "SpotUsage:Fargate-GB-Hours": ("fargate.spot.gb_hour.x86", "GB-hour", 1.0),
        "SpotUsage:Fargate-ARM-vCPU-Hours:perCPU": ("fargate.spot.vcpu_hour.arm", "vCPU-hour", 1.0),
        "SpotUsage:Fargate-ARM-GB-Hours": ("fargate.spot.gb_hour.arm", "GB-hour", 1.0),
        "Fargate-EphemeralStorage-GB-Hours": ("fargate.storage_gb_hour", "GB-hour", 1.0),
    }
    return [
        Query("AmazonECS", (), _by_usage(fargate)),
        Query("AWSELB", (("productFamily", "Load Balancer-Application"),), _by_usage({
            "LoadBalancerUsage": ("elb.alb_hour", "hour", 1.0), "LCUUsage": ("elb.alb_lcu_hour", "LCU-hour", 1.0)})),
        Query("AWSELB", (("productFamily", "Load Balancer-Network"),), _by_usage({
            "LoadBalancerUsage": ("elb.nlb_hour", "hour", 1.0), "LCUUsage": ("elb.nlb_lcu_hour", "LCU-hour", 1.0)})),
        Query("AmazonEC2", (("productFamily", "NAT Gateway"),), _by_usage({
            "NatGateway-Hours": ("vpc.nat_hour", "hour", 1.0), "NatGateway-Bytes": ("vpc.nat_gb", "GB", 1.0)})),
        Query("AmazonVPC", (), _by_usage({
            "PublicIPv4:InUseAddress": ("vpc.public_ipv4_hour", "IP-hour", 1.0),
            "VpcEndpoint-Hours": ("vpc.interface_endpoint_hour", "hour", 1.0),
            "VpcEndpoint-Bytes": ("vpc.interface_endpoint_gb", "GB", 1.0)})),
        Query("AmazonRDS", (("productFamily", "Database Instance"),), _rds_instance),
        Query("AmazonRDS", (("productFamily", "Database Storage"),), _rds_storage),
        Query("AmazonRDS", (("productFamily", "System Operation"),), _by_usage({
            "Aurora:StorageIOUsage": AURORA_USAGE["Aurora:StorageIOUsage"]})),
        Query("AmazonRDS", (("productFamily", "Storage Snapshot"),), _by_usage({
            "Aurora:BackupUsage": AURORA_USAGE["Aurora:BackupUsage"],
            "RDS:ChargedBackupUsage": ("rds.backup_gb_month", "GB-month", 1.0)})),
        Query("AmazonElastiCache", (("productFamily", "Cache Instance"),), _cache_node),
        Query("AmazonElastiCache", (("productFamily", "Storage Snapshot"),), _by_usage({
            "BackupUsage": ("elasticache.backup_gb_month", "GB-month", 1.0)})),
        Query("AmazonS3", (), _s3),
        Query("AmazonCloudWatch", (), _by_usage({
            "DataProcessing-Bytes": ("logs.ingest_gb", "GB", 1.0),
            "TimedStorage-ByteHrs": ("logs.storage_gb_month", "GB-month", 1.0),
            "CW:AlarmMonitorUsage": ("cloudwatch.alarm_month", "alarm metric-month", 1.0),
            "VendedLog-Bytes": ("logs.vended_ingest_gb", "GB", 1.0)})),
        Query("AWSSecretsManager", (), _by_usage({
            "AWSSecretsManager-Secrets": ("secretsmanager.secret_month", "secret-month", 1.0),
            "AWSSecretsManager-APIRequest": ("secretsmanager.api_10k", "10,000 calls", 10000.0)})),
        Query("AmazonECR", (), _by_usage({"TimedStorage-ByteHrs": ("ecr.storage_gb_month", "GB-month", 1.0)})),
        Query("awskms", (), _kms_requests),
    ]


def on_demand_price(item: dict[str, Any]) -> tuple[float, str] | None:
    """The first-tier On-Demand USD price of a Price List item, with its rate code."""
    terms = (item.get("terms") or {}).get("OnDemand") or {}
    dims = [d for term in terms.values() for d in (term.get("priceDimensions") or {}).values()]
    dims = [d for d in dims if "USD" in (d.get("pricePerUnit") or {})]
    if not dims:
        return None
    first = min(dims, key=lambda d: float(d.get("beginRange", "0") or 0))
    return float(first["pricePerUnit"]["USD"]), str(first.get("rateCode", ""))


def products(client: Any, service: str, filters: Iterable[tuple[str, str]]) -> Iterator[dict[str, Any]]:
    """Every product of ``service`` matching ``filters`` (TERM_MATCH), across pages."""
    paginator = client.get_paginator("get_products")
    pages = paginator.paginate(ServiceCode=service, FormatVersion="aws_v1",
                               Filters=[{"Type": "TERM_MATCH", "Field": f, "Value": v} for f, v in filters])
    for page in pages:
        for text in page.get("PriceList", []):
            yield json.loads(text) if isinstance(text, str) else text


def refresh_region(client: Any, region: str, today: date | None = None) -> dict[str, dict[str, Any]]:
    """Rates for ``region`` from the Price List API, as catalog entries."""
    rates: dict[str, dict[str, Any]] = {}
    for query in queries():
        for item in products(client, query.service, (("regionCode", region), *query.filters)):
            product = item.get("product") or {}
            found = query.extract(product.get("attributes") or {})
            priced = on_demand_price(item)
            if found is None or priced is None:
                continue
            key, unit, factor = found
            price, rate_code = priced
            if price <= 0 or key in rates:
                continue
            published = str(item.get("publicationDate", "") or "")[:10] or (today or date.today()).isoformat()
            rates[key] = {"price": round(price * factor, 10), "unit": unit,
                          "source": f"AWS Price List API {query.service} SKU {product.get('sku', '?')}"
                                    + (f" rate {rate_code}" if rate_code else ""),
                          "taken": published}
    return dict(sorted(rates.items()))


OFFER_URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{service}/current/{region}/index.json"
Opener = Callable[[str], BinaryIO]


def open_offer(url: str) -> BinaryIO:
    """The offer file at ``url`` as a binary stream (public HTTPS, no credentials)."""
    from urllib.request import urlopen

    return urlopen(url, timeout=60)  # noqa: S310 - a fixed https:// URL built from OFFER_URL


def _matches(product: dict[str, Any], filters: tuple[tuple[str, str], ...]) -> bool:
    attrs = product.get("attributes") or {}
    return all((product.get(f) if f == "productFamily" else attrs.get(f)) == v for f, v in filters)


def stream_offer(fp: BinaryIO) -> Iterator[tuple[str, str, Any]]:
    """Walk a bulk offer file once: ("meta", name, value), ("product", sku, product), ("term", sku, terms).

    Only one product or term object is held at a time, so a file of hundreds of MB streams in constant memory.
    """
    import ijson
    from ijson.common import ObjectBuilder

    kind = sku = target = ""
    builder: ObjectBuilder | None = None
    for prefix, event, value in ijson.parse(fp, use_float=True):
        if builder is not None:
            builder.event(event, value)
            if prefix == target and event == "end_map":
                yield kind, sku, builder.value
                builder = None
            continue
        if event == "map_key" and prefix in ("products", "terms.OnDemand"):
            kind, sku = ("product" if prefix == "products" else "term"), str(value)
            target = f"{prefix}.{sku}"
        elif event == "start_map" and target and prefix == target:
            builder = ObjectBuilder()
            builder.event(event, value)
        elif prefix in ("version", "publicationDate", "offerCode") and event == "string":
            yield "meta", prefix, value


def offer_rates(fp: BinaryIO, service: str, region: str) -> dict[str, dict[str, Any]]:
    """Catalog entries for ``region`` from one region-scoped bulk offer file of ``service``."""
    wanted: dict[str, Match] = {}
    found: dict[str, dict[str, Any]] = {}
    meta: dict[str, str] = {}
    service_queries = [q for q in queries() if q.service == service]
    for kind, sku, obj in stream_offer(fp):
        if kind == "meta":
            meta[sku] = str(obj)
        elif kind == "product" and (obj.get("attributes") or {}).get("regionCode", region) == region:
            for query in service_queries:
                match = query.extract(obj.get("attributes") or {}) if _matches(obj, query.filters) else None
                if match:
                    wanted[sku] = match
                    break
        elif kind == "term" and sku in wanted:
            priced = on_demand_price({"terms": {"OnDemand": obj}})
            key, unit, factor = wanted[sku]
            if priced is None or priced[0] <= 0 or key in found:
                continue
            price, rate_code = priced
            found[key] = {"price": round(price * factor, 10), "unit": unit,
                          "source": f"AWS Price List: {service} offer {meta.get('version', '?')}, {region}, SKU {sku}"
                                    + (f" rate {rate_code}" if rate_code else ""),
                          "taken": meta.get("publicationDate", "")[:10] or "unknown"}
    return found


def refresh_region_from_offers(region: str, opener: Opener = open_offer) -> dict[str, dict[str, Any]]:
    """Rates for ``region`` from the public bulk offer files of every service moorage reads."""
    rates: dict[str, dict[str, Any]] = {}
    for service in sorted({q.service for q in queries()}):
        with opener(OFFER_URL.format(service=service, region=region)) as fp:
            for key, entry in offer_rates(fp, service, region).items():
                rates.setdefault(key, entry)
    return dict(sorted(rates.items()))


def write_region(output: Path, region: str, rates: dict[str, dict[str, Any]], origin: str) -> Path:
    """Write one catalog file, byte for byte the same for the same rates (sorted keys, no run date)."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    path = output / f"{region}.yaml"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(f"# Rebuilt by `moorage prices refresh` from {origin}; each rate names its SKU and offer date.\n")
        yaml.dump({"region": region, "rates": {k: dict(sorted(v.items())) for k, v in sorted(rates.items())}}, fh)
    return path


def refresh_catalog(regions: Iterable[str] = DEFAULT_REGIONS, *, client: Any = None, output: Path,
                    today: date | None = None, source: str = "auto",
                    opener: Opener = open_offer) -> dict[str, tuple[int, str]]:
    """Write ``<output>/<region>.yaml`` for each region; returns (rates, origin) per region.

    ``source``: ``offers`` (public bulk offer files, no credentials), ``api`` (Price List API, credentials) or
    ``auto`` (offer files, and the API when they cannot be read).
    """
    output.mkdir(parents=True, exist_ok=True)
    counts: dict[str, tuple[int, str]] = {}
    for region in regions:
        rates: dict[str, dict[str, Any]] = {}
        origin = "the public AWS Price List bulk offer files"
        if source in ("offers", "auto"):
            try:
                rates = refresh_region_from_offers(region, opener)
            except OSError:
                if source == "offers":
                    raise
                rates = {}
        if not rates and source in ("api", "auto"):
            if client is None:
                import boto3

                client = boto3.client("pricing", region_name=PRICING_ENDPOINT_REGION)
            rates = refresh_region(client, region, today)
            origin = "the AWS Price List API"
        write_region(output, region, rates, origin)
        counts[region] = (len(rates), origin)
    return counts
