"""Package data (tables that are data, not code) and the one loader for them."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from ruamel.yaml import YAML


@cache
def load_data(name: str) -> Any:
    """Load ``moorage/data/<name>.yaml`` (cached; callers must not mutate the result)."""
    text = resources.files(__package__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return YAML(typ="safe").load(text)
