"""examples/README.md cannot say "yes" while nothing delivers it.

Each feature row names, in its "delivered by" column, what delivers it: a template property of that example's
synthesized templates (any of its environments), a job the deployer runs, a `moorage` command, a policy rule
or a spec key. Every named item is checked here; a "yes" row must name at least one."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer

from moorage import api
from moorage.cli.app import app as cli_app
from moorage.policy.registry import all_rules

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "examples" / "README.md"
EXAMPLES = {
    "maestro": ("moorage.yml", ("dev", "staging", "prod")),
    "macro-ai": ("moorage.yml", ("dev", "staging", "prod")),
    "cma": ("moorage.yml", ("dev", "prod")),
    "rupaya": ("moorage.yml", ("staging", "prod")),
    "smartboard": ("docker-compose.yml", ("dev", "staging", "prod")),
}
STATUSES = {"yes", "partial", "no", "refused", "account", "changed"}
SECTION_RE = re.compile(r"^## \d{3} .*\(`([a-z-]+)/`\)$")
TOKEN_RE = re.compile(r"`([^`]+)`")


def feature_rows() -> list[tuple[str, str, str, str]]:
    """(example, feature, delivered-by cell, status) of every feature table row."""
    rows, example = [], None
    for line in README.read_text(encoding="utf-8").splitlines():
        m = SECTION_RE.match(line)
        if m:
            example = m.group(1)
            continue
        if line.startswith("## "):
            example = None
        if example and line.startswith("| ") and not line.startswith(("| feature", "|---")):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            assert len(cells) == 4, f"{example}: a row needs 4 cells (feature, how, delivered by, status): {line}"
            rows.append((example, cells[0], cells[2], cells[3]))
    return rows


ROWS = feature_rows()


@cache
def templates(example: str) -> list[dict[str, Any]]:
    filename, envs = EXAMPLES[example]
    loaded = api.load_app(ROOT / "examples" / example / filename)
    return [t for env in envs for t in api.synth_environment(loaded, env).templates.values()]


@cache
def jobs(example: str) -> set[str]:
    filename, envs = EXAMPLES[example]
    loaded = api.load_app(ROOT / "examples" / example / filename)
    return {j for env in envs for j in api.synth_environment(loaded, env).manifest["before_deploy_jobs"]}


def _leaves(value: Any, path: list[str]) -> list[Any]:
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item, path)]
    if not path:
        return [value]
    if isinstance(value, dict) and path[0] in value:
        return _leaves(value[path[0]], path[1:])
    return []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def property_present(example: str, token: str) -> bool:
    """``AWS::T::R[.Path.To][=value | ~=substring]`` in some resource of the example's templates."""
    expr, op, want = re.match(r"^(.*?)(?:(~=|=)(.*))?$", token).groups()  # type: ignore[union-attr]
    rtype, _, path = expr.partition(".") if expr.count("::") == 2 else (expr, "", "")
    parts = path.split(".") if path else []
    for template in templates(example):
        for res in template.get("Resources", {}).values():
            if res["Type"] != rtype:
                continue
            found = _leaves(res.get("Properties", {}), parts) if parts else [res]
            if op == "=" and any(_text(leaf) == want for leaf in found):
                return True
            if op == "~=" and any(want in _text(leaf) for leaf in found):
                return True
            if op is None and found:
                return True
    return False


def command_exists(words: list[str]) -> bool:
    group: typer.Typer = cli_app
    for word in words:
        names = {(c.name or c.callback.__name__ if c.callback else "") for c in group.registered_commands}
        subs = {g.name: g.typer_instance for g in group.registered_groups}
        if word in names:
            return True
        if word not in subs or subs[word] is None:
            return False
        group = subs[word]  # type: ignore[assignment]
    return False


def spec_key_exists(dotted: str) -> bool:
    schema = api.app_schema()
    defs: dict[str, Any] = schema.get("$defs", {})
    # a key is accepted when some model of the schema has that property
    return any(dotted in d.get("properties", {}) for d in [schema, *defs.values()])


def evidence_holds(example: str, token: str) -> bool:
    """Whether what ``token`` names exists for ``example``."""
    if token.startswith("AWS::"):
        return property_present(example, token)
    if token.startswith("moorage "):
        return command_exists(token.split()[1:])
    if token.startswith("job:"):
        return token[4:] in jobs(example)
    if token.startswith("key:"):
        return spec_key_exists(token[4:])
    if re.fullmatch(r"MOO-[A-Z]+-\d{3}", token):
        return token in {r.id for r in all_rules()}
    raise AssertionError(f"unknown evidence kind: {token!r}")


def test_every_example_has_rows_and_known_statuses() -> None:
    assert {r[0] for r in ROWS} == set(EXAMPLES)
    bad = [(e, f, s) for e, f, _, s in ROWS if s.split(" ")[0] not in STATUSES]
    assert not bad, bad


@pytest.mark.parametrize(("example", "feature", "evidence", "status"), ROWS,
                         ids=[f"{r[0]}-{i}" for i, r in enumerate(ROWS)])
def test_row_evidence_exists(example: str, feature: str, evidence: str, status: str) -> None:
    tokens = TOKEN_RE.findall(evidence)
    if status == "yes":
        assert tokens, f"{example}: '{feature}' says yes but names nothing that delivers it"
    missing = [t for t in tokens if not evidence_holds(example, t)]
    assert not missing, f"{example}: '{feature}': not in its synthesized templates / CLI / rules: {missing}"


def test_the_checker_rejects_what_is_not_there() -> None:
    assert not property_present("maestro", "AWS::ECR::Repository")  # maestro pins a published image
    assert not property_present("smartboard", "AWS::S3::Bucket.CorsConfiguration.CorsRules.AllowedOrigins="
                                              "https://smartboard.example")
    assert not property_present("cma", "AWS::RDS::DBInstance.DBInstanceClass=db.x9.huge")
    assert not command_exists(["no-such-command"])
    assert not evidence_holds("cma", "job:no-such-job")
    assert evidence_holds("smartboard", "job:postgres-bootstrap")
    assert not spec_key_exists("no_such_key")
