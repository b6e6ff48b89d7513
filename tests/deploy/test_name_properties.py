"""The table of name properties (data/name_properties.yaml) that deploy and the emulator both read: it covers
every type moorage renders, agrees with what the emulator's models answer, and deploy reads it without moto."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

from moorage.data import load_data
from moorage.deploy.schema import name_property

if TYPE_CHECKING:
    from conftest import Case

TABLE = load_data("name_properties")

# Where the table is right and moto's model is not: moto's StateMachine says "StateMachine", which is no
# property of AWS::StepFunctions::StateMachine; CloudFormation names it by StateMachineName (render/rotation.py).
MODELS_WRONG = {"AWS::StepFunctions::StateMachine": ("StateMachine", "StateMachineName")}


def test_every_rendered_type_is_in_the_table(case: Case) -> None:
    rendered = {body["Type"] for t in case.templates.values() for body in t.get("Resources", {}).values()}
    assert rendered - set(TABLE) == set(), f"{case.label}: add these types to data/name_properties.yaml"


def test_the_table_agrees_with_the_emulator_s_models() -> None:
    from moorage.emulator.engine import models_name_property
    from moorage.emulator.engine import name_property as emulator_answer

    assert len(TABLE) > 60
    for rtype, prop in TABLE.items():
        models = models_name_property(rtype) or None
        if rtype in MODELS_WRONG:
            assert (models, prop) == MODELS_WRONG[rtype]
        else:
            assert prop == models, rtype
        assert emulator_answer(rtype) == name_property(rtype) == prop, rtype


def test_a_type_outside_the_table_still_gets_the_emulator_s_answer() -> None:
    assert "AWS::DynamoDB::Table" not in TABLE
    assert name_property("AWS::DynamoDB::Table") == "TableName"


def test_deploy_answers_without_loading_the_emulator() -> None:
    code = ("import sys; from moorage.deploy.schema import name_property as n; "
            "assert n('AWS::RDS::DBInstance') == 'DBInstanceIdentifier' and n('AWS::EC2::VPC') is None; "
            "print(sorted(m for m in sys.modules if m.startswith(('moto', 'moorage.emulator'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
