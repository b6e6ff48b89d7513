"""The deciding functions of the policy rules, one module per service; importing registers them.

Every module of this package is imported (in name order), so a new ``rules/<service>.py`` needs no
edit here.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
