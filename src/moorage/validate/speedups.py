"""Faster paths through cfn-lint's JSON-schema validation that change none of its findings.

A third of ``moorage validate``'s CPU went to cfn-lint's bookkeeping rather than checks (docs/scale.md):
a new validator *class* (a dataclass, built by ``dataclasses``) for every property a rule extends the
validator for, and ``dataclasses.fields()`` on every ``evolve`` of a validator or a context. Each is
replaced by an equivalent: a class built once per set of validators, field names read once per class.
Applied once, and only to the
cfn-lint version shapes they were written against (``apply`` returns False and changes nothing when an
expected name is missing); ``tests/validate/test_speedups.py`` checks findings are the same either way.
"""

from __future__ import annotations

import threading
from dataclasses import fields, is_dataclass
from typing import Any

_lock = threading.Lock()
_applied: list[bool] = []


def _ident(value: Any) -> tuple[int, ...]:
    """Identity of a validator function: a bound method is made anew on each attribute read, so it is
    named by its object and function."""
    owner = getattr(value, "__self__", None)
    return (id(owner), id(value.__func__)) if owner is not None and hasattr(value, "__func__") else (id(value),)


def _filter_key(function_filter: Any) -> Any:
    """A function filter by value (a new, equal one comes with nearly every validator): its dataclass fields,
    which are all it holds; anything else by identity."""
    if function_filter is None or not is_dataclass(function_filter):
        return id(function_filter)
    values = []
    for f in fields(function_filter):
        value = getattr(function_filter, f.name)
        values.append(tuple(value) if isinstance(value, list) else value)
    try:
        hash(tuple(values))
    except TypeError:
        return id(function_filter)
    return (type(function_filter), tuple(values))


def _cached_create(create: Any) -> Any:
    """``create`` that returns the class it built before for the same validators, filter and resolvers."""
    built: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def cached(validators: Any = None, function_filter: Any = None, fn_resolvers: Any = None) -> Any:
        args = (dict(validators or {}), function_filter, dict(fn_resolvers or {}))
        key = (tuple((k, _ident(v)) for k, v in args[0].items()), _filter_key(function_filter),
               tuple((k, _ident(v)) for k, v in args[2].items()))
        hit = built.get(key)
        if hit is not None:
            return hit[0]
        cls = create(validators=validators, function_filter=function_filter, fn_resolvers=fn_resolvers)
        _fast_evolve(cls)
        built[key] = (cls, args)  # the arguments stay referenced: ids in the key cannot be reused
        return cls

    return cached


def _fast_evolve(cls: Any) -> None:
    """``evolve`` of a validator class with its init fields' names read once instead of on every call."""
    names = tuple(f.name for f in fields(cls) if f.init)

    def evolve(self: Any, **kwargs: Any) -> Any:
        for name in names:
            if name not in kwargs:
                kwargs[name] = getattr(self, name)
        return self.__class__(**kwargs)

    cls.evolve = evolve


def _fast_context_evolve(context_cls: Any) -> None:
    names = tuple(f.name for f in fields(context_cls) if f.init)

    def evolve(self: Any, **kwargs: Any) -> Any:
        if "ref_values" in kwargs:
            merged = self.ref_values.copy()
            merged.update(kwargs["ref_values"])
            kwargs["ref_values"] = merged
        for name in names:
            if name not in kwargs:
                kwargs[name] = getattr(self, name)
        return self.__class__(**kwargs)

    context_cls.evolve = evolve


def apply() -> bool:
    """Install the faster paths into the loaded cfn-lint (once); False when its shape is not the expected one."""
    with _lock:
        if _applied:
            return _applied[0]
        try:
            from cfnlint.context import context as context_module
            from cfnlint.jsonschema import validators as validators_module

            ok = (callable(getattr(validators_module, "create", None))
                  and callable(getattr(context_module.Context, "evolve", None))
                  and {"ref_values"} <= {f.name for f in fields(context_module.Context)})
        except ImportError:
            ok = False
        if ok:
            validators_module.create = _cached_create(validators_module.create)  # type: ignore[attr-defined]
            for name in ("CfnTemplateValidator", "StandardValidator"):  # built when cfn-lint was imported
                if hasattr(getattr(validators_module, name, None), "evolve"):
                    _fast_evolve(getattr(validators_module, name))
            _fast_context_evolve(context_module.Context)
        _applied.append(ok)
        return ok
