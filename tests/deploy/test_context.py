"""A build context as Docker sees it: .dockerignore rules (negations included) and the content hash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from moorage.deploy.context import context_digest, context_files, is_ignored, parse_ignore, read_ignore

# (.dockerignore text, path in the context, left out by Docker?) -- moby/patternmatcher semantics
RULES = [
    ("node_modules", "node_modules", True),
    ("node_modules", "node_modules/react/index.js", True),  # a matched directory takes its contents
    ("node_modules", "app/node_modules/x.js", False),  # anchored at the context root
    ("**/node_modules", "app/node_modules/x.js", True),
    ("*.log", "debug.log", True),
    ("*.log", "logs/debug.log", False),  # * stays within one path segment
    ("**/*.log", "logs/deep/debug.log", True),
    ("/secret.txt", "secret.txt", True),  # a leading slash is the root
    ("temp?", "temp1", True),
    ("temp?", "temp12", False),
    ("docs/[ab].md", "docs/a.md", True),
    ("docs/[ab].md", "docs/c.md", False),
    ("*.md\n!README.md", "README.md", False),  # a negation re-includes
    ("*.md\n!README.md", "CHANGES.md", True),
    ("*.md\n!README.md\nREADME.md", "README.md", True),  # the last matching line wins
    ("build\n!build/keep.txt", "build/keep.txt", False),
    ("build\n!build/keep.txt", "build/other.txt", True),
    ("# a comment\n\n  .git  ", ".git/HEAD", True),
    ("./dist/../dist", "dist/app.js", True),  # patterns are cleaned
]


@pytest.mark.parametrize(("text", "path", "ignored"), RULES, ids=[f"{t!r}:{p}" for t, p, _ in RULES])
def test_dockerignore_rules(text: str, path: str, ignored: bool) -> None:
    assert is_ignored(path, parse_ignore(text)) is ignored


def _context(tmp_path: Path) -> Path:
    ctx = tmp_path / "api"
    (ctx / "src").mkdir(parents=True)
    (ctx / "logs").mkdir()
    (ctx / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY . /app\n")
    (ctx / "src" / "main.py").write_text("print('hi')\n")
    (ctx / "logs" / "run.log").write_text("one\n")
    (ctx / ".dockerignore").write_text("logs\n*.tmp\n!keep.tmp\n")
    return ctx


def _digest(ctx: Path, dockerfile: str | None = None, args: dict[str, str] | None = None) -> str:
    return context_digest(ctx, dockerfile, None, args or {})


def test_ignored_files_do_not_change_the_hash(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    first = _digest(ctx)
    (ctx / "logs" / "run.log").write_text("two\n")
    (ctx / "scratch.tmp").write_text("x")
    (tmp_path / "unrelated.txt").write_text("outside the context")
    assert _digest(ctx) == first
    (ctx / "keep.tmp").write_text("x")  # re-included by the negation
    assert _digest(ctx) != first


@pytest.mark.parametrize("change", ["source", "dockerfile", "arg", "mode", "new-dir", "ignore-file"])
def test_what_docker_sees_changes_the_hash(tmp_path: Path, change: str) -> None:
    ctx = _context(tmp_path)
    first = _digest(ctx, args={"VERSION": "1"})
    if change == "source":
        (ctx / "src" / "main.py").write_text("print('bye')\n")
    elif change == "dockerfile":
        (ctx / "Dockerfile").write_text("FROM python:3.13-slim\nCOPY . /app\n")
    elif change == "mode":
        os.chmod(ctx / "src" / "main.py", 0o755)
    elif change == "new-dir":
        (ctx / "empty").mkdir()
    elif change == "ignore-file":
        (ctx / ".dockerignore").write_text("logs\n")
    assert _digest(ctx, args={"VERSION": "2" if change == "arg" else "1"}) != first


def test_the_dockerfile_counts_even_when_ignored_or_elsewhere(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    (ctx / ".dockerignore").write_text("Dockerfile*\n")
    (ctx / "Dockerfile.prod").write_text("FROM scratch\n")
    first = _digest(ctx, "Dockerfile.prod")
    (ctx / "Dockerfile").write_text("FROM busybox\n")  # ignored, and not the one used
    assert _digest(ctx, "Dockerfile.prod") == first
    (ctx / "Dockerfile.prod").write_text("FROM busybox\n")
    assert _digest(ctx, "Dockerfile.prod") != first


def test_a_dockerfile_specific_ignore_file_wins(tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    (ctx / "Dockerfile.dockerignore").write_text("src\n")
    assert [p.text for p in read_ignore(ctx, "Dockerfile")] == ["src"]
    assert "src/main.py" not in {rel for rel, _ in context_files(ctx, read_ignore(ctx, "Dockerfile"))}
    assert [p.text for p in read_ignore(ctx, None)] == ["src"]  # Dockerfile is the default
    assert [p.text for p in read_ignore(ctx, "Dockerfile.prod")] == ["logs", "*.tmp", "keep.tmp"]
