"""`moorage prices refresh` against a recorded Price List API response (botocore Stubber: real request
validation against the `pricing` service model, answers in the exact GetProducts shape)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from moorage.cost.catalog import catalog_from_directory
from moorage.cost.refresh import (
    OFFER_URL,
    queries,
    refresh_catalog,
    refresh_region,
    refresh_region_from_offers,
    usage_suffix,
)

FIXTURE = Path(__file__).parent / "fixtures" / "pricing_get_products_us-east-1.json"
OFFERS = Path(__file__).parent / "fixtures" / "offers"
EMPTY_OFFER = b'{"formatVersion": "v1.0", "version": "0", "publicationDate": "2026-01-01T00:00:00Z", ' \
              b'"products": {}, "terms": {"OnDemand": {}}}'


class Opened:
    """What the opener was asked for (the URLs), answering from the recorded slices."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, url: str):  # type: ignore[no-untyped-def]
        import io

        self.urls.append(url)
        service, region = url.split("/aws/")[1].split("/current/")[0], url.split("/current/")[1].split("/")[0]
        path = OFFERS / f"{service}-{region}.json"
        return path.open("rb") if path.exists() else io.BytesIO(EMPTY_OFFER)


def stubbed_client(region: str) -> tuple[object, Stubber]:
    recorded = json.loads(FIXTURE.read_text(encoding="utf-8"))
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
    stub = Stubber(client)
    for query in queries():
        family = dict(query.filters).get("productFamily", "")
        pages = recorded.get(f"{query.service}|{family}") if region == "us-east-1" else None
        token = None
        for page in pages or [{"FormatVersion": "aws_v1", "PriceList": []}]:
            params = {"ServiceCode": query.service, "FormatVersion": "aws_v1",
                      "Filters": [{"Type": "TERM_MATCH", "Field": f, "Value": v}
                                  for f, v in (("regionCode", region), *query.filters)]}
            if token:
                params["NextToken"] = token
            stub.add_response("get_products", page, params)
            token = page.get("NextToken")
    stub.activate()
    return client, stub


def test_usage_suffix() -> None:
    assert usage_suffix("USE1-Fargate-GB-Hours") == "Fargate-GB-Hours"
    assert usage_suffix("EU-Fargate-GB-Hours") == "Fargate-GB-Hours"
    assert usage_suffix("Fargate-GB-Hours") == "Fargate-GB-Hours"
    assert usage_suffix("MEC1-SpotUsage:Fargate-vCPU-Hours:perCPU") == "SpotUsage:Fargate-vCPU-Hours:perCPU"


def test_refresh_reads_recorded_price_list() -> None:
    client, stub = stubbed_client("us-east-1")
    rates = refresh_region(client, "us-east-1", today=date(2026, 11, 22))
    stub.assert_no_pending_responses()  # every query ran, pages followed through NextToken
    assert rates["fargate.vcpu_hour.x86"]["price"] == pytest.approx(0.04048)
    assert rates["fargate.vcpu_hour.arm"]["price"] == pytest.approx(0.03238)  # from the second page
    assert rates["fargate.spot.vcpu_hour.x86"]["price"] == pytest.approx(0.0127)
    assert rates["vpc.nat_gb"] == {"price": 0.045, "unit": "GB", "taken": "2025-11-04",
                                   "source": "AWS Price List API AmazonEC2 SKU Y3RWQDFPDDCNVDYA rate "
                                             "Y3RWQDFPDDCNVDYA.JRTCKXETXF.6YS6EN2CT7"}
    assert rates["rds.instance_hour.postgres.db.t4g.micro.multi"]["price"] == pytest.approx(0.032)
    # Aurora Standard only (the I/O-Optimized SKU is skipped); license-included engines are not read
    assert rates["rds.instance_hour.aurora-postgresql.db.r6g.large"]["price"] == pytest.approx(0.26)
    assert not [k for k in rates if "oracle" in k.lower()]
    # the first tier of a tiered price; per-request prices scaled to the catalog unit
    assert rates["s3.standard_gb_month"]["price"] == pytest.approx(0.023)
    assert rates["s3.put_1k"]["price"] == pytest.approx(0.005)
    assert "fargate.windows" not in " ".join(rates)


def test_refresh_writes_a_catalog_the_estimate_reads(tmp_path: Path) -> None:
    client, _ = stubbed_client("us-east-1")
    counts = refresh_catalog(["us-east-1"], client=client, output=tmp_path, today=date(2026, 11, 22), source="api")
    assert counts == {"us-east-1": (11, "the AWS Price List API")}
    cat = catalog_from_directory(tmp_path)
    rate = cat.lookup("us-east-1", "rds.instance_hour.postgres.db.t4g.micro.single").rate
    assert rate is not None and rate.source.startswith("AWS Price List API AmazonRDS SKU QZ3BDWNQ9QEXXCJ6")
    assert rate.taken == "2025-11-04"
    # packaged rates the refresh did not answer are still there
    assert cat.lookup("us-east-1", "elb.alb_hour").rate is not None


def test_region_the_api_does_not_answer_gets_no_rates(tmp_path: Path) -> None:
    client, stub = stubbed_client("me-central-1")
    assert refresh_catalog(["me-central-1"], client=client, output=tmp_path, source="api") == {
        "me-central-1": (0, "the AWS Price List API")}
    stub.assert_no_pending_responses()


def test_offer_files_are_streamed_region_scoped_and_only_used_skus_are_kept() -> None:
    opened = Opened()
    rates = refresh_region_from_offers("eu-west-1", opened)
    # one region-scoped file per service moorage reads, over public HTTPS (no credentials involved)
    services = sorted({q.service for q in queries()})
    assert opened.urls == [OFFER_URL.format(service=s, region="eu-west-1") for s in services]
    assert all(u.startswith("https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/") for u in opened.urls)
    assert rates["vpc.nat_hour"] == {
        "price": 0.048, "unit": "hour", "taken": "2026-09-04",
        "source": "AWS Price List: AmazonEC2 offer 20260904231117, eu-west-1, SKU KFNSSCHWD43WZK2R rate "
                  "KFNSSCHWD43WZK2R.JRTCKXETXF.6YS6EN2CT7"}
    assert rates["rds.instance_hour.postgres.db.r6g.large.multi"]["price"] == pytest.approx(0.504)
    assert rates["fargate.vcpu_hour.x86"]["price"] == pytest.approx(0.04048)
    assert rates["s3.standard_gb_month"]["price"] == pytest.approx(0.023)  # the first tier, whatever the order
    # the EC2 instance and the license-included Oracle SKU are not kept
    assert not [k for k in rates if "m5" in k or "oracle" in k.lower()]
    # the same rates as the packaged catalog's, which cites the same SKUs
    from moorage.cost import packaged_catalog

    packaged = packaged_catalog().regions["eu-west-1"]
    for key in ("vpc.nat_hour", "rds.instance_hour.postgres.db.t4g.micro.single", "fargate.gb_hour.x86"):
        assert rates[key]["price"] == pytest.approx(packaged[key].price)


def test_refresh_from_offers_writes_the_same_bytes_every_time(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    counts = refresh_catalog(["eu-west-1"], output=first, source="offers", opener=Opened())
    refresh_catalog(["eu-west-1"], output=second, source="offers", opener=Opened())
    assert counts["eu-west-1"][0] == 8 and "bulk offer files" in counts["eu-west-1"][1]
    assert (first / "eu-west-1.yaml").read_bytes() == (second / "eu-west-1.yaml").read_bytes()
    cat = catalog_from_directory(first)
    assert cat.lookup("eu-west-1", "vpc.nat_hour").rate is not None


def test_auto_falls_back_to_the_api_when_the_offer_files_cannot_be_read(tmp_path: Path) -> None:
    def offline(url: str):  # type: ignore[no-untyped-def]
        raise OSError("network unreachable")

    client, stub = stubbed_client("us-east-1")
    counts = refresh_catalog(["us-east-1"], client=client, output=tmp_path, source="auto", opener=offline)
    assert counts == {"us-east-1": (11, "the AWS Price List API")}
    stub.assert_no_pending_responses()
    with pytest.raises(OSError):
        refresh_catalog(["us-east-1"], output=tmp_path, source="offers", opener=offline)


def test_the_meters_priced_since_round_two_are_read_by_their_usage_type_and_operation() -> None:
    """Attribute sets as the offer files carry them (usage types and operations named in the catalog's sources)."""
    def match(service: str, family: str, **attrs: str) -> tuple[str, str, float] | None:
        found = [q.extract(attrs) for q in queries() if q.service == service
                 and all((family if f == "productFamily" else attrs.get(f)) == v for f, v in q.filters)]
        return next((m for m in found if m), None)

    def key(service: str, family: str, **attrs: str) -> str | None:
        found = match(service, family, **attrs)
        return found[0] if found else None

    assert match("AmazonS3", "API Request", usagetype="EU-Requests-Tier3", operation="S3-GlacierTransition") == (
        "s3.lifecycle_transition_1k.glacier", "1,000 transition requests", 1000.0)
    assert match("AmazonS3", "API Request", usagetype="EUW2-Requests-Tier3", operation="S3-GDATransition") == (
        "s3.lifecycle_transition_1k.deep_archive", "1,000 transition requests", 1000.0)
    # the same usage type priced for restores is not a transition
    assert match("AmazonS3", "API Request", usagetype="EU-Requests-Tier3", operation="RestoreObject") is None
    assert key("AmazonS3", "Fee", usagetype="EU-Monitoring-Automation-INT") == "s3.intelligent_tiering_monitoring_1k"
    assert match("AmazonRDS", "System Operation", usagetype="EU-Aurora:StorageIOUsage") == (
        "aurora.io_million", "million requests", 1e6)
    assert match("AmazonRDS", "System Operation", usagetype="EU-Aurora:StorageIOUsage-LimitlessPreview") is None
    assert key("AmazonRDS", "Database Storage", usagetype="EU-Aurora:StorageUsage",
               volumeType="General Purpose-Aurora") == "aurora.storage_gb_month.standard"
    assert key("AmazonRDS", "Storage Snapshot", usagetype="EU-Aurora:BackupUsage") == "aurora.backup_gb_month"
    assert key("AmazonElastiCache", "Storage Snapshot", usagetype="EUW2-BackupUsage") == "elasticache.backup_gb_month"
    assert key("AmazonCloudWatch", "Data Payload", usagetype="EUW2-VendedLog-Bytes") == "logs.vended_ingest_gb"
    assert match("awskms", "Encryption Key", usagetype="eu-west-2-KMS-Requests", regionCode="eu-west-2") == (
        "kms.requests_10k", "10,000 requests", 10000.0)
    assert match("awskms", "Encryption Key", usagetype="eu-west-2-KMS-Requests-Asymmetric",
                 regionCode="eu-west-2") is None
