"""Dependencies between the resources of a template: ``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` and
``DependsOn``; and the order that creates every resource after what it reads."""

from __future__ import annotations

import re
from typing import Any

_SUB = re.compile(r"\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z0-9.]+)?\}")


def references(value: Any) -> set[str]:
    """Logical ids (resources or parameters) that ``value`` reads."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text, names = (inner[0], inner[1]) if isinstance(inner, list) else (inner, {})
                found |= {m for m in _SUB.findall(str(text)) if m not in names}
                found |= references(names)
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


def dependencies(resources: dict[str, Any]) -> dict[str, set[str]]:
    """For each resource, the resources of the same template it depends on."""
    out: dict[str, set[str]] = {}
    for name, res in resources.items():
        deps = references(res.get("Properties", {}))
        depends_on = res.get("DependsOn", [])
        deps |= set([depends_on] if isinstance(depends_on, str) else depends_on)
        out[name] = {d for d in deps if d in resources and d != name}
    return out


def creation_order(resources: dict[str, Any]) -> list[str]:
    """Resources sorted so that each comes after everything it depends on (stable by name)."""
    deps = dependencies(resources)
    done: list[str] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in seen or name in path:
            return
        for dep in sorted(deps[name]):
            visit(dep, (*path, name))
        seen.add(name)
        done.append(name)

    for name in sorted(resources):
        visit(name, ())
    return done
