"""The emulator runs no containers, so every service it holds runs 0 tasks: after a create and after an
update (moto's UpdateService alone would report the new desired count as running; hout3 finding 14)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from moorage import api
from moorage.deploy.status import environment_status

SPEC = """\
name: tasks
region: eu-west-1
services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27.3
    port: 80
    route: "/*"
    replicas: {replicas}
environments:
  dev: {{}}
"""


def test_a_service_runs_no_task_after_create_update_and_restart(tmp_path: Path, run_deploy: Callable[..., Any],
                                                               target: Any, aws: Callable[[str, str], Any]) -> None:
    spec = tmp_path / "moorage.yml"
    counts = []
    for replicas in (1, 2):
        spec.write_text(SPEC.format(replicas=replicas), encoding="utf-8")
        synth = api.synth_environment(api.load_app(spec), "dev")
        result, _ = run_deploy(synth)
        assert result.ok
        status = environment_status(target, synth.manifest)
        counts.append([(s.name, s.running, s.desired) for s in status.services])
    assert counts == [[("web", 0, 1)], [("web", 0, 2)]]
    ecs = aws("ecs", "eu-west-1")
    service = ecs.list_services(cluster="tasks-dev")["serviceArns"][0]
    ecs.update_service(cluster="tasks-dev", service=service, forceNewDeployment=True, desiredCount=3)
    described = ecs.describe_services(cluster="tasks-dev", services=[service])["services"][0]
    assert (described["runningCount"], described["desiredCount"], described["pendingCount"]) == (0, 3, 3)
    cluster = ecs.describe_clusters(clusters=["tasks-dev"])["clusters"][0]
    assert cluster["runningTasksCount"] == 0
