"""Helpers for the compose importer tests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from moorage.compose import import_compose
from moorage.errors import InputError
from moorage.spec.load import LoadedApp

REPO = Path(__file__).resolve().parents[2]
CORPUS = (REPO.parent / "shared" / "corpus" / "compose").resolve()
EXAMPLES = REPO / "examples"


@pytest.fixture
def compose(tmp_path: Path) -> Callable[..., Path]:
    """Write a compose file (dedented) into a fresh directory and return its path."""

    def write(text: str, name: str = "docker-compose.yml", **files: str) -> Path:
        app_dir = tmp_path / "shop"
        app_dir.mkdir(exist_ok=True)
        for fname, body in files.items():
            (app_dir / fname.replace("__", ".")).write_text(textwrap.dedent(body), encoding="utf-8")
        path = app_dir / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def load(path: Path, **kwargs: object) -> LoadedApp:
    """Import and return the app (fails the test on InputError, showing the diagnostics)."""
    try:
        return import_compose(path, **kwargs)  # type: ignore[arg-type]
    except InputError as exc:
        pytest.fail(f"import failed:\n{exc}")


def errors(path: Path, **kwargs: object) -> list[str]:
    """Import expecting failure; return the rendered diagnostics."""
    with pytest.raises(InputError) as info:
        import_compose(path, **kwargs)  # type: ignore[arg-type]
    return [d.render() for d in info.value.diagnostics]


def messages(loaded: LoadedApp, severity: str | None = None) -> list[str]:
    """The import's diagnostics as text."""
    return [d.render() for d in loaded.warnings if severity is None or d.severity == severity]
