"""Debug and development-mode settings (``data/debug_flags.yaml``): one answer for the resolver and policy."""

from __future__ import annotations

from fnmatch import fnmatchcase

from moorage.data import load_data


def debug_setting(name: str, value: object) -> bool:
    """True when ``name=value`` switches an application into debug or development mode."""
    data = load_data("debug_flags")
    patterns = data["flags"].get(name.upper())
    if patterns is None or not isinstance(value, str | int | float | bool):
        return False
    text = str(value).strip().lower()
    if text in data["off"]:
        return False
    return any(fnmatchcase(text, str(p).lower()) for p in patterns)
