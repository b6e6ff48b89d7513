"""The queues block and queue-depth scaling: defaults, and located errors for what cannot work."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from moorage import api
from moorage.spec.models import AppSpec

BASE = """
name: shop
services:
  worker:
    image: ghcr.io/x/worker:1.0.0
    uses: [jobs]
    scaling: SCALING
queues:
  jobs: {}
databases:
  main: {}
"""


def test_queue_defaults() -> None:
    app = AppSpec.model_validate({"name": "shop", "services": {"wk": {"image": "a:1", "uses": ["jobs"]}},
                                  "queues": {"jobs": {}}})
    q = app.queues["jobs"]
    assert (q.fifo, q.dlq.max_receives, q.retention_days, q.visibility_seconds) == (False, 5, 4, 30)


def test_queue_scaling_turns_cpu_tracking_off_unless_asked() -> None:
    svc = {"image": "a:1", "uses": ["jobs"]}
    app = AppSpec.model_validate({"name": "shop", "queues": {"jobs": {}}, "services": {
        "wk": {**svc, "scaling": {"min": 0, "max": 5, "queue": "jobs"}},
        "vk": {**svc, "scaling": {"min": 0, "max": 5, "queue": "jobs", "cpu": 60}}}})
    w, v = app.services["wk"].scaling, app.services["vk"].scaling
    assert w is not None and (w.cpu, w.per_task) == (None, 100)
    assert v is not None and v.cpu == 60


@pytest.mark.parametrize(("scaling", "message"), [
    ("{min: 0, max: 5, queue: main}", "scaling follows 'main', which is not a queue"),
    ("{min: 0, max: 5, queue: other}", "scaling follows 'other', which is not a queue"),
    ("{min: 0, max: 5, per_task: 10}", "per_task needs queue"),
])
def test_bad_queue_scaling_is_a_located_error(input_errors: Callable[..., tuple[Path, list[Any]]], scaling: str,
                                              message: str) -> None:
    path, diags = input_errors(BASE.replace("SCALING", scaling))
    found = [d for d in diags if message in d.message]
    assert found, [d.render() for d in diags]
    assert found[0].location is not None and found[0].location.file == str(path)
    assert found[0].location.line == 6  # the scaling line


def test_scaling_on_a_queue_the_service_does_not_use(input_errors: Callable[..., tuple[Path, list[Any]]]) -> None:
    text = BASE.replace("SCALING", "{min: 0, max: 5, queue: jobs}").replace("uses: [jobs]", "uses: [main]")
    _, diags = input_errors(text)
    [diag] = [d for d in diags if "does not use" in d.message]
    assert "add 'jobs' to services.worker.uses" in diag.hint


def test_queue_names_share_the_namespace(input_errors: Callable[..., tuple[Path, list[Any]]]) -> None:
    _, diags = input_errors(BASE.replace("SCALING", "{min: 0, max: 5, queue: jobs}").replace("main: {}", "jobs: {}"))
    assert any("used by both" in d.message for d in diags)


def test_environment_overrides_a_queue(spec_file: Callable[[str], Path]) -> None:
    text = BASE.replace("SCALING", "{min: 0, max: 5, queue: jobs}") + """
environments:
  dev: {}
  prod: {queues: {jobs: {visibility_seconds: 300}}}
"""
    loaded = api.load_app(spec_file(text))
    assert api.plan_environment(loaded, "prod").env.queues["jobs"].visibility_seconds == 300
    assert api.plan_environment(loaded, "dev").env.queues["jobs"].visibility_seconds == 30


def test_spec_reference_and_schema_document_queues(repo_root: Path) -> None:
    import json

    from moorage.spec.reference import spec_reference

    text = (repo_root / "docs" / "spec.md").read_text(encoding="utf-8")
    assert text.strip() == spec_reference().strip(), "regenerate: moorage schema --markdown > docs/spec.md"
    assert "## Queue" in text and "`per_task`" in text
    schema = json.loads((repo_root / "docs" / "moorage.schema.json").read_text(encoding="utf-8"))
    assert "Queue" in schema["$defs"] and "queues" in schema["properties"]
    assert set(schema["$defs"]["Queue"]["properties"]) == {"fifo", "dlq", "retention_days", "visibility_seconds"}
    assert {"queue", "per_task"} <= set(schema["$defs"]["Scaling"]["properties"])


def test_plan_explains_queue_scaling(spec_file: Callable[[str], Path]) -> None:
    loaded = api.load_app(spec_file(BASE.replace("SCALING", "{min: 0, max: 5, queue: jobs, per_task: 50}")))
    decisions = {d.topic: d.value for d in api.plan_environment(loaded, "prod").decisions}
    assert decisions["services.worker.scaling"] == "0-5 tasks at 50 messages a task in queue jobs"
