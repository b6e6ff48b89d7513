"""The plan takes the profile's yes/no choices (with a reason); render only reads them."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from moorage.plan.model import Choice
from moorage.render import synthesize

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import Case

RENDER = Path(__file__).resolve().parents[2] / "src" / "moorage" / "render"


def test_keep_on_delete_and_spot_base_follow_the_profile(kitchen: Callable[[str], Case]) -> None:
    dev, prod = kitchen("dev").synth.plan, kitchen("prod").synth.plan
    assert not dev.keep_on_delete and "dev" in dev.keep_on_delete.reason
    assert prod.keep_on_delete and "kept" in prod.keep_on_delete.reason
    assert prod.spot_keeps_base and "Spot reclaim" in prod.spot_keeps_base.reason
    assert not dev.spot_keeps_base


def test_render_writes_what_the_plan_chose(kitchen: Callable[[str], Case]) -> None:
    plan = kitchen("prod").synth.plan
    throwaway = replace(plan, keep_on_delete=Choice(False, "test: the renderer follows the plan"))
    templates = synthesize(throwaway).templates
    # app secrets, user pools and repositories (database credentials follow the database's own retain)
    policies = {lid: body.get("DeletionPolicy") for t in templates.values() for lid, body in t["Resources"].items()
                if body["Type"] in ("AWS::Cognito::UserPool", "AWS::ECR::Repository")
                or (body["Type"] == "AWS::SecretsManager::Secret" and lid.startswith("Secret"))}
    assert policies and set(policies.values()) == {"Delete"}, policies
    assert kitchen("prod").synth.templates["data"]["Resources"]["SecretJwtSecret"]["DeletionPolicy"] == "Retain"


def test_no_renderer_compares_the_profile() -> None:
    compared = []
    for path in RENDER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare) and any(isinstance(n, ast.Attribute) and n.attr == "profile"
                                                     for n in [node.left, *node.comparators]):
                compared.append(f"{path.name}:{node.lineno}")
    assert compared == [], "render decides nothing: add a plan field with its reason instead"


def test_production_guards_are_a_plan_choice(kitchen: Callable[[str], Case]) -> None:
    prod, dev = kitchen("prod").synth.plan, kitchen("dev").synth.plan
    assert prod.production_guards and "digest" in prod.production_guards.reason
    assert not dev.production_guards and "by tag" in dev.production_guards.reason
