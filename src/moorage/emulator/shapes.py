"""CloudFormation properties -> AWS API arguments, guided by botocore's input shapes.

CloudFormation property names are the API's member names in PascalCase (ECS's API is camelCase):
matching names case-insensitively and coercing scalars to the shape's type turns most resource
properties into a valid API call without a hand-written mapping per property.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape


def _norm(name: str) -> str:
    return name.replace("_", "").lower()


def to_api(shape: Shape, value: Any) -> Any:
    """Convert one CloudFormation value to the API's representation of ``shape``."""
    if value is None:
        return None
    if isinstance(shape, StructureShape):
        counted = "Quantity" in shape.members and "Items" in shape.members
        if counted and isinstance(value, list):  # CloudFront's {Quantity, Items} where CloudFormation has a list
            value = {"Items": value}
        if not isinstance(value, dict):
            return value
        members = {_norm(n): (n, s) for n, s in shape.members.items()}
        out: dict[str, Any] = {}
        for key, val in value.items():
            found = members.get(_norm(key))
            if found is not None:
                converted = to_api(found[1], val)
                if converted is not None:
                    out[found[0]] = converted
        if counted and "Quantity" not in out:
            out["Quantity"] = len(out.get("Items") or [])
        return out
    if isinstance(shape, ListShape):
        items = value if isinstance(value, list) else [value]
        return [to_api(shape.member, v) for v in items]
    if isinstance(shape, MapShape):
        if isinstance(value, list):  # CloudFormation tag lists where the API wants a map
            return {t["Key"]: t["Value"] for t in value if isinstance(t, dict) and "Key" in t}
        return value
    return _scalar(shape.type_name, value)


def _scalar(kind: str, value: Any) -> Any:
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("double", "float"):
        return float(value)
    if kind == "boolean":
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if kind == "string":
        if isinstance(value, dict | list):
            return json.dumps(value)
        return str(value)
    return value


def api_kwargs(client: Any, operation: str, props: dict[str, Any], renames: dict[str, str] | None = None,
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Keyword arguments for ``client.<operation>`` from CloudFormation ``props``.

    ``renames`` maps CloudFormation names to API names where they differ (``VPCSecurityGroups`` ->
    ``VpcSecurityGroupIds``); ``extra`` is merged last.
    """
    shape = client.meta.service_model.operation_model(operation).input_shape
    renamed = {(renames or {}).get(k, k): v for k, v in props.items()}
    kwargs: dict[str, Any] = to_api(shape, renamed) if shape is not None else {}
    kwargs.update(extra or {})
    return kwargs
