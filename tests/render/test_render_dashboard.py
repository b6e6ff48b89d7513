"""The dashboard has what the guides list: per service CPU, memory, tasks, deployments, network, 5XX and response
time; database CPU, connections and storage; cache CPU, memory and network."""

from __future__ import annotations

import json
from collections.abc import Callable

from moorage.render import Synth
from moorage.validate.lint import lint_template

APP = """
name: demo
region: eu-west-1
alarms: {email: ops@demo.example}
services:
  web: {image: x:1, port: 80, route: "/*", uses: [db, cache]}
  worker: {image: x:1}
databases:
  db: {engine: postgres, version: "16"}
caches:
  cache: {}
"""


def test_dashboard_widgets(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "prod")
    obs = synth.templates["observability"]
    body, variables = obs["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = {w["properties"]["title"]: w["properties"]["metrics"] for w in json.loads(body)["widgets"]}
    assert {"Service CPU %", "Service memory %", "Running tasks", "Deployments in progress",
            "Service network in (bytes)", "Service network out (bytes)", "web: 5XX and response time",
            "Database db", "Cache cache"} <= set(widgets)
    assert len(widgets["Running tasks"]) == 2  # web and worker
    web = widgets["web: 5XX and response time"]
    assert [m[1] for m in web] == ["HTTPCode_Target_5XX_Count", "TargetResponseTime"]
    tg = web[0][3].strip("${}")
    assert variables[tg] == {"Ref": "WebTargetGroup"}
    assert obs["Parameters"]["WebTargetGroup"]["Description"] == "from stack svc-web: output TargetGroupFullName"
    assert synth.templates["svc-web"]["Outputs"]["TargetGroupFullName"]["Value"] == {
        "Fn::GetAtt": ["TargetGroup", "TargetGroupFullName"]}
    assert "FreeStorageSpace" in [m[1] for m in widgets["Database db"]]
    assert {"NetworkBytesIn", "NetworkBytesOut"} <= {m[1] for m in widgets["Cache cache"]}
    errors = [f.render() for f in lint_template(synth.template_text("observability"), ["eu-west-1"], "obs")]
    assert not errors, errors


def test_without_container_insights_no_insight_widgets(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "staging")
    if not synth.plan.env.dashboard:
        return
    body = synth.templates["observability"]["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"][0]
    titles = {w["properties"]["title"] for w in json.loads(body)["widgets"]}
    assert ("Running tasks" in titles) is synth.plan.env.container_insights
