"""Package data (tables that are data, not code) and the one loader for them."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

# libyaml reads the packaged tables ~25x faster than pure-Python ruamel (1.3 s of every plan before);
# tests/data/test_data_tables.py checks both read every packaged file the same (YAML 1.1 vs 1.2 booleans).
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def package_yaml(text: str) -> Any:
    """Parse YAML shipped inside moorage (data tables, the price catalog); users' files go through ruamel."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader


@cache
def load_data(name: str) -> Any:
    """Load ``moorage/data/<name>.yaml`` (cached; callers must not mutate the result)."""
    return package_yaml(resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8"))
