"""One template's sections read one way: its resources and its output values.

Cost, policy, the guide and deploy read a single template (one stack, or a template CloudFormation
returns) through these instead of indexing ``Resources`` / ``Outputs`` themselves, so a malformed entry
(not a mapping, Properties missing) is skipped in one place. Across stacks, use :class:`~moorage.cfn.SetIndex`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from moorage.cfn.values import dig


class TemplateResource(NamedTuple):
    """One entry of a template's Resources."""

    lid: str  # logical id
    type: str  # "" when the entry has no Type
    props: Mapping[str, Any]  # Properties ({} when absent or not a mapping)
    body: Mapping[str, Any]  # the whole entry: Type, Properties, DeletionPolicy, Metadata, ...


def _section(template: Any, name: str) -> Mapping[str, Any]:
    body = template.get(name) if isinstance(template, Mapping) else None
    return body if isinstance(body, Mapping) else {}


def _entry(lid: Any, body: Mapping[str, Any]) -> TemplateResource:
    props = body.get("Properties")
    return TemplateResource(str(lid), str(body.get("Type", "")), props if isinstance(props, Mapping) else {}, body)


def resources_of(template: Any) -> Iterator[TemplateResource]:
    """The resources of ``template`` in template order (entries that are not mappings skipped)."""
    for lid, body in _section(template, "Resources").items():
        if isinstance(body, Mapping):
            yield _entry(lid, body)


def resources_of_type(template: Any, *types: str) -> Iterator[TemplateResource]:
    """The resources of ``template`` whose Type is one of ``types``, in template order."""
    return (r for r in resources_of(template) if r.type in types)


def resource(template: Any, lid: str) -> TemplateResource | None:
    """The resource ``lid`` of ``template`` (None when absent or not a mapping)."""
    body = _section(template, "Resources").get(lid)
    return _entry(lid, body) if isinstance(body, Mapping) else None


def resource_bodies(template: Any) -> dict[str, Mapping[str, Any]]:
    """Logical id -> the resource's whole entry, for comparing two templates resource by resource."""
    return {r.lid: r.body for r in resources_of(template)}


def output_value(template: Any, name: str) -> Any:
    """The Value of output ``name`` as written (None when the output is absent)."""
    return dig(_section(template, "Outputs"), name, "Value")


FROM_STACK = re.compile(r"^from stack ([\w.-]+): output (\w+)")  # how moorage describes a stack input


def parameter_source(template: Any, name: str) -> tuple[str, str] | None:
    """(stack, output) that moorage feeds parameter ``name`` of ``template`` from (its description says so)."""
    entry = _section(template, "Parameters").get(name)
    described = FROM_STACK.match(str(entry.get("Description", "")) if isinstance(entry, Mapping) else "")
    return (described[1], described[2]) if described else None
