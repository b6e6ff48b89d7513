"""Reading CloudFormation values: literals, intrinsic functions, booleans written as strings.

A value built by an intrinsic function that cannot be resolved statically is :data:`UNKNOWN`. ``Fn::If``
is not left unknown: :func:`if_conditions` and :func:`chosen` give each branch's value, so a reader can
judge every branch (policy runs its rules on each; see ``Resource.variants``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

INTRINSICS = frozenset({
    "Ref", "Condition", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::If", "Fn::Select", "Fn::Split", "Fn::ImportValue",
    "Fn::FindInMap", "Fn::Base64", "Fn::GetAZs", "Fn::Cidr", "Fn::ToJsonString", "Fn::Length", "Fn::Transform",
})
SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


class _Unknown:
    """The value of an expression that cannot be resolved without deploying."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()


def is_intrinsic(value: Any) -> bool:
    """True for ``{"Ref": ...}``, ``{"Fn::...": ...}`` and ``{"Condition": ...}``."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return key in INTRINSICS or (isinstance(key, str) and key.startswith("Fn::"))


def as_bool(value: Any) -> bool | None:
    """``True``/``False`` for booleans and "true"/"false" strings; ``None`` when unknown or absent."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_int(value: Any) -> int | None:
    """An integer from an int or a numeric string; ``None`` otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def as_list(value: Any) -> list[Any]:
    """A list value as is; a single value as a one-item list; nothing (or an intrinsic) as empty."""
    if value is None or is_intrinsic(value):
        return []
    return list(value) if isinstance(value, list) else [value]


def strings(value: Any) -> Iterator[str]:
    """Every string inside ``value``, however deeply nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def has_dynamic_reference(value: Any) -> bool:
    """True when a ``{{resolve:...}}`` dynamic reference appears anywhere in ``value``."""
    return any("{{resolve:" in s for s in strings(value))


def walk(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every node of ``value`` with its path, depth first."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from walk(item, (*path, i))


def dig(value: Any, *path: str | int) -> Any:
    """``value[p0][p1]...`` or ``None`` when a step is missing or of the wrong shape."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return None
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                return None
            value = value[step]
    return value


def arn_region(arn: str) -> str | None:
    """The region field of an ARN (``None`` for ARNs without one, such as S3 buckets and IAM)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    return parts[3] or None


def to_number(value: Any) -> float | None:
    """A number from a CloudFormation value, or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def target(value: Any) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` points at."""
    if isinstance(value, dict) and len(value) == 1:
        key, arg = next(iter(value.items()))
        if key == "Ref" and isinstance(arg, str):
            return arg
        if key == "Fn::GetAtt":
            if isinstance(arg, list) and arg:
                return str(arg[0])
            if isinstance(arg, str):
                return arg.split(".")[0]
    return None


def mentions(value: Any, lid: str) -> bool:
    """True when ``value`` refers to ``lid`` anywhere (Ref, GetAtt, or ${lid} in a Sub)."""
    if isinstance(value, dict):
        if target(value) == lid:
            return True
        if "Fn::Sub" in value:
            sub = value["Fn::Sub"]
            text = sub if isinstance(sub, str) else (sub[0] if isinstance(sub, list) and sub else "")
            if isinstance(text, str) and ("${" + lid + "}" in text or "${" + lid + "." in text):
                return True
        return any(mentions(v, lid) for v in value.values())
    if isinstance(value, list):
        return any(mentions(v, lid) for v in value)
    return False


def resolve_parameters(value: Any, params: dict[str, str]) -> Any:
    """``value`` with every ``{"Ref": P}`` to a known parameter replaced by its value."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in params:
            return params[value["Ref"]]
        return {k: resolve_parameters(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_parameters(v, params) for v in value]
    return value


NO_VALUE: Final = {"Ref": "AWS::NoValue"}


def if_conditions(value: Any) -> list[str]:
    """Names of the conditions ``Fn::If`` chooses on anywhere inside ``value``, in order of appearance."""
    found: list[str] = []
    for _, node in walk(value):
        if isinstance(node, dict) and len(node) == 1 and "Fn::If" in node:
            arg = node["Fn::If"]
            if isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str) and arg[0] not in found:
                found.append(arg[0])
    return found


_DROP = object()  # a branch that is AWS::NoValue: the key (or list item) is left out


def chosen(value: Any, assignment: dict[str, bool]) -> Any:
    """``value`` with every ``Fn::If`` on a condition of ``assignment`` replaced by the branch it picks;
    a branch of ``AWS::NoValue`` removes its key or list item, as CloudFormation does."""
    out = _choose(value, assignment)
    return None if out is _DROP else out


def _choose(value: Any, assignment: dict[str, bool]) -> Any:
    if isinstance(value, dict):
        arg = value.get("Fn::If") if len(value) == 1 else None
        if isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str) and arg[0] in assignment:
            return _choose(arg[1] if assignment[arg[0]] else arg[2], assignment)
        if value == NO_VALUE:
            return _DROP
        items = {k: _choose(v, assignment) for k, v in value.items()}
        return _like(value, {k: v for k, v in items.items() if v is not _DROP})
    if isinstance(value, list):
        return _like(value, [v for v in (_choose(item, assignment) for item in value) if v is not _DROP])
    return value


def _like(original: Any, new: Any) -> Any:
    """``new`` as the same class as ``original``, keeping cfn-lint's line marks when it carries them."""
    if type(original) in (dict, list):
        return new
    try:
        return type(original)(new, getattr(original, "start_mark", None), getattr(original, "end_mark", None))
    except TypeError:
        return new
