"""Cost: an itemized monthly estimate of any CloudFormation template set, from sourced per-region prices.

Cost reads CloudFormation (resource type + properties), so what is priced is exactly what is deployed.
"""

from moorage.cost.catalog import Catalog, Rate, catalog_from_directory, packaged_catalog
from moorage.cost.estimate import estimate_summary, estimate_template_set, monthly_total
from moorage.cost.model import CostReport, LineItem
from moorage.cost.usage import Usage, UsageFile, load_usage_file

__all__ = ["Catalog", "CostReport", "LineItem", "Rate", "Usage", "UsageFile", "catalog_from_directory",
           "estimate_summary", "estimate_template_set", "load_usage_file", "monthly_total", "packaged_catalog"]
