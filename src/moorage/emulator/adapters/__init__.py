"""Adapters: CloudFormation types moto's engine lacks (or models too thinly), created through the
emulator's own AWS API so that ``describe_*`` calls find them.

Every module of this package is searched for the adapter classes it defines (a public subclass of
:class:`ApiResource` with its own ``TYPE``), so a new adapter module needs no edit here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import Any

from moorage.emulator.adapters.base import ApiResource
from moorage.emulator.adapters.network import update_security_group


def _adapters() -> dict[str, type[ApiResource]]:
    found: dict[str, type[ApiResource]] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (cls.__module__ == module.__name__ and issubclass(cls, ApiResource) and not name.startswith("_")
                    and "TYPE" in vars(cls) and cls is not ApiResource):
                found[cls.TYPE] = cls
    return found


ADAPTERS: dict[str, type[ApiResource]] = _adapters()

# Types whose moto update replaces the resource although CloudFormation updates it in place.
NATIVE_UPDATERS: dict[str, Callable[[Any, str, dict[str, Any], dict[str, Any]], None]] = {
    "AWS::EC2::SecurityGroup": update_security_group,
}

__all__ = ["ADAPTERS", "NATIVE_UPDATERS", "ApiResource"]
