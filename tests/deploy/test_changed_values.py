"""Old -> new values in a change list: images, environment, secrets by name only, counts and sizes."""

from __future__ import annotations

import copy
from typing import Any

from moorage.deploy.changes import classify

TASK = {"Type": "AWS::ECS::TaskDefinition", "Properties": {
    "Cpu": "256", "Memory": "512",
    "ContainerDefinitions": [{
        "Name": "web", "Image": {"Ref": "WebImage"}, "Command": ["serve", "--port", "80"],
        "Environment": [{"Name": "LOG_LEVEL", "Value": "info"}, {"Name": "OLD_FLAG", "Value": "1"},
                        {"Name": "FEATURE_URL", "Value": "https://a.example.com"}],
        "Secrets": [{"Name": "STRIPE_KEY", "ValueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:stripe-a"}]}]}}
SERVICE = {"Type": "AWS::ECS::Service", "Properties": {"DesiredCount": 1, "TaskDefinition": {"Ref": "Task"}}}
SCALING = {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {"MinCapacity": 1, "MaxCapacity": 4}}


def _template(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": copy.deepcopy(resources)}


def _changed() -> tuple[dict[str, Any], dict[str, Any]]:
    old = _template(Task=TASK, Service=SERVICE, Scaling=SCALING)
    new = copy.deepcopy(old)
    task = new["Resources"]["Task"]["Properties"]
    task["Memory"] = "1024"
    container = task["ContainerDefinitions"][0]
    container["Environment"] = [{"Name": "LOG_LEVEL", "Value": "debug"},
                                {"Name": "FEATURE_URL", "Value": "https://u:hunter2pass@b.example.com"},
                                {"Name": "NEW_FLAG", "Value": "on"}]
    container["Secrets"] = [{"Name": "STRIPE_KEY", "ValueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:stripe-b"},
                            {"Name": "SESSION_SECRET", "ValueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:s"}]
    new["Resources"]["Service"]["Properties"]["DesiredCount"] = 2
    new["Resources"]["Scaling"]["Properties"]["MaxCapacity"] = 8
    return old, new


def test_values_old_to_new_for_what_people_change() -> None:
    old, new = _changed()
    changes = {c.logical_id: c for c in classify(old, {"WebImage": "ghcr.io/acme/web:1.0.0"}, new,
                                                 {"WebImage": "ghcr.io/acme/web:1.1.0"})}
    task = [v.render() for v in changes["Task"].values]
    assert "image (web): ghcr.io/acme/web:1.0.0 -> ghcr.io/acme/web:1.1.0" in task
    assert "memory: 512 -> 1024" in task
    assert "env LOG_LEVEL (web): info -> debug" in task
    assert "env NEW_FLAG (web): added (on)" in task
    assert "env OLD_FLAG (web): removed (was 1)" in task
    assert "secret SESSION_SECRET (web): added (value not shown)" in task
    assert "secret STRIPE_KEY (web): changed (value not shown)" in task
    assert [v.render() for v in changes["Service"].values] == ["desired count: 1 -> 2"]
    assert [v.render() for v in changes["Scaling"].values] == ["scaling max: 4 -> 8"]


def test_credential_like_values_and_secret_references_are_never_shown() -> None:
    old, new = _changed()
    [task] = [c for c in classify(old, {"WebImage": "a"}, new, {"WebImage": "a"}) if c.logical_id == "Task"]
    url = next(v for v in task.values if v.what == "env FEATURE_URL (web)")
    assert url.hidden and url.render() == "env FEATURE_URL (web): changed (value not shown)"
    text = repr([v.to_json() for v in task.values]) + " ".join(v.render() for v in task.values)
    for leaked in ("hunter2pass", "stripe-a", "stripe-b", "secret:s"):
        assert leaked not in text
    assert task.to_json()["values"][0].keys() >= {"what", "old", "new", "hidden"}


def test_unchanged_values_are_not_listed() -> None:
    old = _template(Task=TASK)
    new = copy.deepcopy(old)
    new["Resources"]["Task"]["Properties"]["Family"] = "other"
    [change] = classify(old, {}, new, {})
    assert change.properties == ["Family"] and change.values == []
