"""moorage.cfn: the one CloudFormation reader (template sets, regions, values across stacks)."""

from __future__ import annotations

import json
from pathlib import Path

from moorage.cfn import UNKNOWN, SetIndex, TemplateSet, file_template_sets
from moorage.cfn.read import template_from_body
from moorage.cfn.values import resolve_parameters

FEEDER = {"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceClass": "db.t4g.micro"}}},
          "Outputs": {"DbClass": {"Value": "db.r6g.large"}, "DbId": {"Value": {"Ref": "Db"},
                                                                      "Export": {"Name": "app-db"}}}}
USER = {"Parameters": {"DbClass": {"Type": "String", "Description": "from stack data: output DbClass"},
                       "Size": {"Type": "String", "Default": "20"}},
        "Resources": {"Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "Class": {"Ref": "DbClass"}, "Size": {"Ref": "Size"}, "Region": {"Ref": "AWS::Region"},
            "Built": {"Fn::Join": ["-", ["a", {"Ref": "Unknown"}]]},
            "Target": {"Fn::ImportValue": "app-db"}}}}}


def _index() -> SetIndex:
    return SetIndex(TemplateSet("prod", "eu-west-1", {"data": FEEDER, "app": USER}, regions={"app": "me-central-1"}),
                    "prod")


def test_values_follow_parameters_across_stacks_and_unknowns_stay_unknown() -> None:
    alarm = _index().resources[("app", "Alarm")]
    assert alarm.value("Class") == "db.r6g.large"  # fed by the data stack's output
    assert alarm.value("Size") == "20"
    assert alarm.value("Region") == "me-central-1"  # the stack's own region, not the set's home
    assert alarm.value("Built") is UNKNOWN
    target = alarm.target(alarm.get("Target"))
    assert target is not None and target.key == ("data", "Db")


def test_loose_files_take_their_regions_from_the_manifest_beside_them(tmp_path: Path) -> None:
    (tmp_path / "data.json").write_text(json.dumps(FEEDER), encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps({
        "environment": "prod", "region": "eu-west-1", "profile": "prod",
        "stacks": [{"key": "data", "region": "me-central-1"}]}), encoding="utf-8")
    (tset,) = file_template_sets([tmp_path / "data.json", tmp_path / "manifest.json"])
    assert (tset.label, tset.region, tset.profile, tset.regions) == ("prod", "eu-west-1", "prod",
                                                                     {"data": "me-central-1"})


def test_deployed_bodies_and_parameter_values() -> None:
    assert template_from_body('{"Resources": {}}') == {"Resources": {}}
    assert template_from_body("Resources:\n  A: {Type: X}\n") == {"Resources": {"A": {"Type": "X"}}}
    assert resolve_parameters({"A": [{"Ref": "P"}, {"Ref": "Q"}]}, {"P": "1"}) == {"A": ["1", {"Ref": "Q"}]}


def test_join_and_select_of_literals_are_literal() -> None:
    index = _index()
    assert index.literal("app", {"Fn::Join": ["-", ["a", {"Ref": "Size"}, 3]]}) == "a-20-3"
    assert index.literal("app", {"Fn::Select": [1, ["x", {"Ref": "DbClass"}]]}) == "db.r6g.large"
    assert index.literal("app", {"Fn::Select": ["0", {"Fn::GetAZs": ""}]}) is UNKNOWN
    assert index.literal("app", {"Fn::Select": [5, ["x"]]}) is UNKNOWN
