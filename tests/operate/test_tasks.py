"""One-off tasks: a task that outlives its timeout names the command that stops it, aimed where it runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from moorage.deploy.session import endpoint_target
from moorage.operate.deployed import Deployed, DeployedService
from moorage.operate.tasks import TaskFailed, TaskRun, wait_task


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    from moorage.emulator.serve import start_in_thread

    url, stop = start_in_thread()
    yield url
    stop()


def test_a_task_past_its_timeout_names_a_stop_command_aimed_at_the_emulator(endpoint: str) -> None:
    target = endpoint_target(endpoint)
    deployed = Deployed("shop", "dev", "eu-west-1", target, cluster="shop-dev")
    target.client("ecs", "eu-west-1").create_cluster(clusterName="shop-dev")
    service = DeployedService("migrate", "job", "shop-dev-svc-migrate", None, "td", None)
    run = TaskRun("migrate", "arn:aws:ecs:eu-west-1:123456789012:task/shop-dev/0123abcd", "td", {}, [])
    with pytest.raises(TaskFailed) as failed:
        wait_task(deployed, service, run, timeout=-1, sleep=lambda _s: None)
    # a plain `aws ecs stop-task` pasted from a --local run would act on the user's real account
    assert (f"stop it: AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws ecs stop-task --cluster shop-dev "
            f"--task 0123abcd --region eu-west-1 --endpoint-url {endpoint})") in str(failed.value)
