"""Storage: S3 buckets (storage and requests), EFS file systems, ECR repositories."""

from __future__ import annotations

from moorage.cost.context import PricingContext, Resource
from moorage.cost.model import LineItem


def price_bucket(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """An S3 bucket: GB stored (priced as Standard) and requests, from usage."""
    gb, a1 = ctx.use("s3_gb", res)
    puts, a2 = ctx.use("s3_put_k", res)
    gets, a3 = ctx.use("s3_get_k", res)
    rules = ((res.prop("LifecycleConfiguration") or {}).get("Rules") or [])
    moves = any(r.get("Transitions") or r.get("Transition") for r in rules if isinstance(r, dict))
    note = "priced as S3 Standard; lifecycle transitions to cheaper classes are not modelled" if moves else ""
    return [ctx.charge(res, "S3 Standard storage", gb, "GB-month", "s3.standard_gb_month", assumption=a1,
                       note=note),
            ctx.charge(res, "S3 PUT/COPY/POST/LIST requests", puts, "1,000 requests", "s3.put_1k", assumption=a2),
            ctx.charge(res, "S3 GET/SELECT requests", gets, "1,000 requests", "s3.get_1k", assumption=a3)]


def price_file_system(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """An EFS file system: GB stored (Standard) and, with elastic throughput, GB read and written."""
    gb, a1 = ctx.use("efs_gb", res)
    items = [ctx.charge(res, "EFS Standard storage", gb, "GB-month", "efs.standard_gb_month", assumption=a1)]
    mode = str(res.prop("ThroughputMode", "bursting") or "bursting")
    if mode == "elastic":
        read, a2 = ctx.use("efs_read_gb", res)
        write, a3 = ctx.use("efs_write_gb", res)
        items += [ctx.charge(res, "EFS elastic throughput: reads", read, "GB", "efs.elastic_read_gb", assumption=a2),
                  ctx.charge(res, "EFS elastic throughput: writes", write, "GB", "efs.elastic_write_gb",
                             assumption=a3)]
    elif mode == "provisioned":
        mibps = res.number("ProvisionedThroughputInMibps")
        if mibps is None:
            items.append(ctx.unknown(res, "EFS provisioned throughput", "ProvisionedThroughputInMibps not a literal"))
        else:
            items.append(ctx.charge(res, "EFS provisioned throughput", mibps, "MiBps-month",
                                    "efs.provisioned_mibps_month"))
    return items


def price_repository(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """An ECR repository: GB of images stored (grows without bound when there is no lifecycle policy)."""
    gb, assumed = ctx.use("ecr_gb", res)
    note = "" if res.props.get("LifecyclePolicy") else "no lifecycle policy: storage grows with every push"
    return [ctx.charge(res, "ECR image storage", gb, "GB-month", "ecr.storage_gb_month", assumption=assumed,
                       note=note)]
