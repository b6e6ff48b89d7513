"""Storage: S3 buckets (storage and requests), EFS file systems, ECR repositories."""

from __future__ import annotations

from moorage.cfn.values import to_number
from moorage.cost.context import PricingContext, Resource
from moorage.cost.model import LineItem


def price_bucket(ctx: PricingContext, res: Resource) -> list[LineItem]:
    """An S3 bucket: GB stored (priced as Standard) and requests, from usage."""
    gb, a1 = ctx.use("s3_gb", res)
    puts, a2 = ctx.use("s3_put_k", res)
    gets, a3 = ctx.use("s3_get_k", res)
    rules = [r for r in ((res.prop("LifecycleConfiguration") or {}).get("Rules") or []) if isinstance(r, dict)]
    moves = any(r.get("Transitions") or r.get("Transition") for r in rules)
    note = ("priced as S3 Standard, an upper bound: the lifecycle rules move objects to cheaper classes whose "
            "rates are not in the catalog yet") if moves else ""
    items = [ctx.charge(res, "S3 Standard storage", gb, "GB-month", "s3.standard_gb_month", assumption=a1,
                        note=note),
             ctx.charge(res, "S3 PUT/COPY/POST/LIST requests", puts, "1,000 requests", "s3.put_1k", assumption=a2),
             ctx.charge(res, "S3 GET/SELECT requests", gets, "1,000 requests", "s3.get_1k", assumption=a3)]
    if str((res.prop("VersioningConfiguration") or {}).get("Status", "")) == "Enabled":
        items.append(_noncurrent_versions(ctx, res, gb, rules))
    return items + _transitions(ctx, res, rules)


def _transitions(ctx: PricingContext, res: Resource, rules: list[dict[str, object]]) -> list[LineItem]:
    """Lifecycle transitions are billed per request (one per object moved into each class), and objects in
    Intelligent-Tiering pay a monthly monitoring fee per object: the charges a hand-written table leaves out."""
    classes: dict[str, list[str]] = {}
    for i, rule in enumerate(rules):
        if str(rule.get("Status", "Enabled")) != "Enabled":
            continue
        moves = rule.get("Transitions") or ([rule["Transition"]] if rule.get("Transition") else [])
        for move in moves if isinstance(moves, list) else []:
            klass = move.get("StorageClass") if isinstance(move, dict) else None
            if isinstance(klass, str):
                classes.setdefault(klass, []).append(str(rule.get("Id") or f"rule {i + 1}"))
    if not classes and not res.prop("IntelligentTieringConfigurations"):
        return []
    items: list[LineItem] = []
    if classes:
        objects, assumed = ctx.use("s3_put_k", res)
        for klass, ids in sorted(classes.items()):
            items.append(ctx.charge(
                res, f"S3 lifecycle transitions into {klass}", objects, "1,000 requests",
                f"s3.lifecycle_transition_1k.{klass.lower()}", assumption=assumed,
                note=f"one transition request per object moved ({', '.join(ids)}); objects written a month taken "
                     f"as the bucket's PUT requests ({objects:g}k), an upper bound"))
    if "INTELLIGENT_TIERING" in classes or res.prop("IntelligentTieringConfigurations"):
        stored, assumed = ctx.use("s3_objects_k", res)
        items.append(ctx.charge(
            res, "S3 Intelligent-Tiering monitoring and automation", stored, "1,000 objects",
            "s3.intelligent_tiering_monitoring_1k", assumption=assumed,
            note=f"{stored:g}k objects stored; objects under 128 KB are not monitored and not charged "
                 "(an upper bound)"))
    return items


def _noncurrent_versions(ctx: PricingContext, res: Resource, gb: float, rules: list[dict[str, object]]) -> LineItem:
    """Versioning keeps every overwritten or deleted object as a noncurrent version until a rule expires it."""
    days = None
    for rule in rules:
        expiry = rule.get("NoncurrentVersionExpiration") or {}
        found = to_number(expiry.get("NoncurrentDays")) if isinstance(expiry, dict) else None
        found = found if found is not None else to_number(rule.get("NoncurrentVersionExpirationInDays"))
        if found is not None and str(rule.get("Status", "Enabled")) == "Enabled":
            days = found if days is None else min(days, found)
    change, assumed = ctx.use("s3_daily_overwrite_pct", res)
    kept = days if days is not None else 365.0
    why = (f"noncurrent versions expire after {kept:g} days (NoncurrentVersionExpiration)" if days is not None
           else "no rule expires noncurrent versions: shown after a year, and they keep growing")
    return ctx.charge(res, "S3 noncurrent versions (versioning enabled)", gb * change / 100.0 * kept, "GB-month",
                      "s3.standard_gb_month", assumption=assumed or days is None,
                      note=f"{gb:g} GB x {change:g}% overwritten or deleted a day x {kept:g} days; {why}")


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


# The resource types this module prices (collected by moorage.cost.components).
PRICERS = {
    "AWS::S3::Bucket": price_bucket,
    "AWS::EFS::FileSystem": price_file_system,
    "AWS::ECR::Repository": price_repository,
}
