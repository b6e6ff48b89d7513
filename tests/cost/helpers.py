"""Helpers for the cost tests: template sets built from a few resources, and catalogs built from dicts."""

from __future__ import annotations

from typing import Any

from moorage.cfn.sets import TemplateSet
from moorage.cost import Catalog, CostReport
from moorage.cost.catalog import Rate
from moorage.cost.model import LineItem


def template(resources: dict[str, dict[str, Any]], parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """A CloudFormation template from {logical id: {"Type": ..., "Properties": ...}}."""
    tpl: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    if parameters:
        tpl["Parameters"] = parameters
    return tpl


def tset(resources: dict[str, dict[str, Any]], *, region: str = "us-east-1", label: str = "test",
         profile: str | None = None, stack: str = "main", **more: dict[str, dict[str, Any]]) -> TemplateSet:
    """A template set of one stack (plus any other stacks given by name)."""
    templates = {stack: template(resources)}
    templates.update({name: template(body) for name, body in more.items()})
    return TemplateSet(label, region, templates, profile=profile)


def catalog(region: str = "us-east-1", **rates: float) -> Catalog:
    """A catalog with the given rates (key with dots written as double underscores)."""
    table = {k.replace("__", "."): Rate(k.replace("__", "."), v, "unit", "test", "2026-11", region)
             for k, v in rates.items()}
    return Catalog({region: table})


def items(report: CostReport, resource: str) -> list[LineItem]:
    """The line items of one resource."""
    return [i for i in report.items if i.resource == resource]


def item(report: CostReport, resource: str, component_start: str) -> LineItem:
    """The one item of ``resource`` whose component starts with ``component_start``."""
    found = [i for i in items(report, resource) if i.component.startswith(component_start)]
    assert len(found) == 1, [i.component for i in items(report, resource)]
    return found[0]


