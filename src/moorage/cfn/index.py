"""One template set seen as a whole: its resources across stacks, and what points at what.

Stacks reference each other through parameters and outputs. moorage describes each parameter as
``from stack S: output O``; other templates are matched by a unique output of the same name, or by
``Fn::ImportValue`` of an export. That lets a rule ask, for example, which load balancer uses a
security group defined in another stack.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from moorage.cfn.sections import FROM_STACK
from moorage.cfn.sets import TemplateSet
from moorage.cfn.values import SUB_VARIABLE, UNKNOWN, as_bool, as_int, chosen, dig, if_conditions, is_intrinsic

Key = tuple[str, str]  # (stack, logical id)

_FROM_STACK = FROM_STACK
_PSEUDO = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": None}
_MAX_DEPTH = 8


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


class Resource:
    """A resource of a template set, with helpers to read its properties and follow references."""

    def __init__(self, index: SetIndex, stack: str, logical_id: str, body: Mapping[str, Any],
                 section: str = "Resources") -> None:
        self.index = index
        self.section = section  # Resources, or Parameters / Outputs for the template's other entries
        self.stack = stack
        self.id = logical_id
        self.body = body
        self.type = str(body.get("Type", ""))
        self.props: Mapping[str, Any] = _mapping(body.get("Properties"))
        # When a list: every expression read through value()/resolve() that only deployment can know
        # (policy records them to report what a passing rule could not judge).
        self.unknown_reads: list[Any] | None = None

    def __repr__(self) -> str:
        return f"Resource({self.stack}/{self.id} {self.type})"

    @property
    def key(self) -> Key:
        """(stack, logical id)."""
        return (self.stack, self.id)

    @property
    def region(self) -> str:
        """The region this resource's stack deploys to."""
        return self.index.region_of(self.stack)

    @property
    def profile(self) -> str:
        """The environment profile (dev, staging, prod) the set is checked as."""
        return self.index.profile

    @property
    def deletion_policy(self) -> Any:
        """DeletionPolicy as written (``None`` when absent)."""
        return self._literal(self.body.get("DeletionPolicy"))

    @property
    def update_replace_policy(self) -> Any:
        """UpdateReplacePolicy as written (``None`` when absent)."""
        return self._literal(self.body.get("UpdateReplacePolicy"))

    def variants(self, limit: int) -> list[tuple[dict[str, bool], Resource]] | None:
        """This resource once per combination of the ``Fn::If`` conditions in it, each with the branches that
        combination picks (``[({}, self)]`` without ``Fn::If``); None when over ``limit`` conditions."""
        names = if_conditions(self.body)
        if not names:
            return [({}, self)]
        if len(names) > limit:
            return None
        out = []
        for bits in range(2 ** len(names)):
            assignment = {n: not bits & (1 << i) for i, n in enumerate(names)}  # all true first
            out.append((assignment, Resource(self.index, self.stack, self.id, chosen(self.body, assignment) or {},
                                             self.section)))
        return out

    def get(self, *path: str | int) -> Any:
        """A property as written (``None`` when missing)."""
        return dig(self.props, *path)

    def value(self, *path: str | int) -> Any:
        """A property's literal value: parameter defaults and pseudo parameters resolved, else UNKNOWN."""
        return self._literal(self.get(*path))

    def resolve(self, value: Any) -> Any:
        """The literal value of an expression found in this resource."""
        return self._literal(value)

    def _literal(self, value: Any) -> Any:
        out = self.index.literal(self.stack, value)
        if out is UNKNOWN and self.unknown_reads is not None:
            self.unknown_reads.append(value)
        return out

    def flag(self, *path: str | int) -> bool | None:
        """A boolean property: True/False, or ``None`` when absent or not knowable."""
        return as_bool(self.value(*path))

    def number(self, *path: str | int) -> int | None:
        """An integer property, or ``None`` when absent or not knowable."""
        return as_int(self.value(*path))

    def text(self, *path: str | int) -> str | None:
        """A string property, or ``None`` when absent or not knowable."""
        v = self.value(*path)
        return str(v) if isinstance(v, str | int | float) and not isinstance(v, bool) else None

    def target(self, value: Any) -> Resource | None:
        """The resource an expression (Ref, GetAtt, Sub, ImportValue, cross-stack parameter) points at."""
        key = self.index.resolve(self.stack, value)
        return self.index.resources.get(key) if key else None

    def targets(self, value: Any) -> list[Resource]:
        """Every resource an expression refers to anywhere inside it."""
        return [self.index.resources[k] for k in sorted(self.index.references(self.stack, value))
                if k in self.index.resources]

    def referrers(self, *types: str) -> list[Resource]:
        """Resources (of ``types``, when given) whose properties refer to this one."""
        return [r for r in self.index.incoming(self.key) if not types or r.type in types]

    def others(self, *types: str) -> list[Resource]:
        """Every resource of ``types`` in the set."""
        return [r for r in self.index.resources.values() if r.type in types]


class SetIndex:
    """The resources of one template set and the references between them."""

    def __init__(self, tset: TemplateSet, profile: str) -> None:
        self.set = tset
        self.label = tset.label
        self.profile = profile
        self.residency = list(tset.residency)
        self.templates = tset.templates
        self.resources: dict[Key, Resource] = {}
        for stack, template in tset.templates.items():
            for lid, body in _mapping(template.get("Resources")).items():
                if isinstance(body, Mapping):
                    self.resources[(stack, str(lid))] = Resource(self, stack, str(lid), body)
        # Parameters and outputs as pseudo resources of type "Parameter" / "Output": rules that name those
        # types read them (secret values in defaults and outputs); no other rule sees them.
        self.entries: list[Resource] = []
        for stack, template in tset.templates.items():
            for section, kind in (("Parameters", "Parameter"), ("Outputs", "Output")):
                for name, body in _mapping(template.get(section)).items():
                    if isinstance(body, Mapping):
                        self.entries.append(Resource(self, stack, str(name), {"Type": kind, "Properties": body},
                                                     section))
        self._exports: dict[str, tuple[str, Any]] = {}
        for stack, template in tset.templates.items():
            for output in _mapping(template.get("Outputs")).values():
                name = dig(output, "Export", "Name")
                if isinstance(name, str):
                    self._exports[name] = (stack, _mapping(output).get("Value"))
        self._incoming: dict[Key, list[Resource]] | None = None

    def region_of(self, stack: str) -> str:
        """The region ``stack`` deploys to."""
        return self.set.regions.get(stack, self.set.region)

    def ordered(self) -> Iterator[Resource]:
        """Resources in template order, stack by stack."""
        yield from self.resources.values()

    # ------------------------------------------------------------------ literals

    def literal(self, stack: str, value: Any, depth: int = 0) -> Any:
        """``value`` when literal; a parameter's default or source output; a pseudo parameter; else UNKNOWN."""
        if not is_intrinsic(value):
            return value
        fn, arg = next(iter(value.items()))
        if depth > _MAX_DEPTH:
            return UNKNOWN
        if fn == "Fn::Join":
            return self._join(stack, arg, depth)
        if fn == "Fn::Select":
            return self._select(stack, arg, depth)
        if fn != "Ref" or not isinstance(arg, str):
            return UNKNOWN
        if arg == "AWS::Region":
            return self.region_of(stack)
        if arg in _PSEUDO:
            return _PSEUDO[arg]
        param = _mapping(_mapping(self.templates[stack].get("Parameters")).get(arg))
        if not param:
            return UNKNOWN
        if "Default" in param:
            return param["Default"]
        source = self._parameter_source(stack, arg)
        return self.literal(source[0], source[1], depth + 1) if source else UNKNOWN

    def _join(self, stack: str, arg: Any, depth: int) -> Any:
        """``Fn::Join`` of parts that are all literal text or numbers; else UNKNOWN."""
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], list)):
            return UNKNOWN
        parts = [self.literal(stack, part, depth + 1) for part in arg[1]]
        if not all(isinstance(p, str | int | float) and not isinstance(p, bool) for p in parts):
            return UNKNOWN
        return arg[0].join(str(p) for p in parts)

    def _select(self, stack: str, arg: Any, depth: int) -> Any:
        """``Fn::Select`` of a literal index from a literal list; else UNKNOWN."""
        if not (isinstance(arg, list) and len(arg) == 2):
            return UNKNOWN
        index, items = as_int(self.literal(stack, arg[0], depth + 1)), self.literal(stack, arg[1], depth + 1)
        if index is None or not isinstance(items, list) or not 0 <= index < len(items):
            return UNKNOWN
        return self.literal(stack, items[index], depth + 1)

    # ------------------------------------------------------------------ references

    def resolve(self, stack: str, value: Any, depth: int = 0) -> Key | None:
        """The resource an expression points at, following parameters, outputs and exports."""
        if depth > _MAX_DEPTH or not is_intrinsic(value):
            return None
        fn, arg = next(iter(value.items()))
        if fn == "Ref" and isinstance(arg, str):
            return self._ref(stack, arg, depth)
        if fn == "Fn::GetAtt":
            name = arg[0] if isinstance(arg, list) and arg else str(arg).split(".")[0]
            return (stack, str(name)) if (stack, str(name)) in self.resources else None
        if fn == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (dig(arg, 0), _mapping(dig(arg, 1)))
            if not isinstance(text, str):
                return None
            names = {n.split(".")[0] for n in SUB_VARIABLE.findall(text) if not n.startswith("AWS::")}
            if len(names) != 1:
                return None
            name = names.pop()
            if name in variables:
                return self.resolve(stack, variables[name], depth + 1)
            return self._ref(stack, name, depth)
        if fn == "Fn::ImportValue" and isinstance(arg, str) and arg in self._exports:
            source, out = self._exports[arg]
            return self.resolve(source, out, depth + 1)
        return None

    def references(self, stack: str, value: Any) -> set[Key]:
        """Every resource referred to anywhere inside ``value``."""
        found: set[Key] = set()
        self._collect(stack, value, found, 0)
        return found

    def _collect(self, stack: str, value: Any, found: set[Key], depth: int) -> None:
        if isinstance(value, list):
            for item in value:
                self._collect(stack, item, found, depth)
            return
        if not isinstance(value, dict):
            return
        if is_intrinsic(value):
            fn, arg = next(iter(value.items()))
            if fn == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (dig(arg, 0), _mapping(dig(arg, 1)))
                for name in SUB_VARIABLE.findall(text if isinstance(text, str) else ""):
                    base = name.split(".")[0]
                    if base not in variables and not base.startswith("AWS::"):
                        key = self._ref(stack, base, depth)
                        if key:
                            found.add(key)
                for item in variables.values():
                    self._collect(stack, item, found, depth)
                return
            key = self.resolve(stack, value, depth)
            if key:
                found.add(key)
                return
        for item in value.values():
            self._collect(stack, item, found, depth)

    def incoming(self, key: Key) -> list[Resource]:
        """Resources whose properties refer to ``key``."""
        if self._incoming is None:
            self._incoming = {}
            for res in self.resources.values():
                for target in sorted(self.references(res.stack, res.props)):
                    if target != res.key:
                        self._incoming.setdefault(target, []).append(res)
        return self._incoming.get(key, [])

    def _ref(self, stack: str, name: str, depth: int) -> Key | None:
        if (stack, name) in self.resources:
            return (stack, name)
        source = self._parameter_source(stack, name)
        return self.resolve(source[0], source[1], depth + 1) if source else None

    def _parameter_source(self, stack: str, name: str) -> tuple[str, Any] | None:
        """(stack, output value) a parameter is fed from, when the set says so unambiguously."""
        param = _mapping(_mapping(self.templates[stack].get("Parameters")).get(name))
        if not param:
            return None
        described = _FROM_STACK.match(str(param.get("Description", "")))
        if described and described[1] in self.templates:
            candidates = [(described[1], described[2])]
        else:
            candidates = [(s, name) for s, t in self.templates.items()
                          if s != stack and name in _mapping(t.get("Outputs"))]
        if len(candidates) != 1:
            return None
        source, output = candidates[0]
        out = _mapping(_mapping(self.templates[source].get("Outputs")).get(output))
        return (source, out.get("Value")) if out else None
