"""Queues on the emulator: an app with a queue deploys, the queue has its dead-letter queue and encryption,
the worker's environment points at it, and messages go through it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moorage import api

SPEC = """
name: shop
services:
  api:
    image: public.ecr.aws/nginx/nginx:1.27.3
    port: 80
    route: /*
    health: /
    uses: [jobs]
  worker:
    image: public.ecr.aws/nginx/nginx:1.27.3
    uses: [jobs]
    scaling: {min: 1, max: 4, queue: jobs, per_task: 100}
queues:
  jobs: {fifo: false, dlq: {max_receives: 5}, retention_days: 4, visibility_seconds: 60}
"""


def test_queue_deploys_with_dead_letter_queue_and_carries_messages(tmp_path: Path, run_deploy: Callable[..., Any],
                                                                   aws: Callable[[str, str], Any]) -> None:
    (tmp_path / "moorage.yml").write_text(SPEC)
    synth = api.synth_environment(api.load_app(tmp_path / "moorage.yml"), "prod")
    result, _ = run_deploy(synth)
    assert result.ok, result.to_json()
    assert not [k for k, o in result.outcomes.items() if o.not_emulated], "a queue resource was not emulated"
    region = synth.manifest["region"]
    sqs = aws("sqs", region)
    url = sqs.get_queue_url(QueueName="shop-prod-jobs")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "60" and attrs["MessageRetentionPeriod"] == str(4 * 86_400)
    redrive = json.loads(attrs["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == 5 and redrive["deadLetterTargetArn"].endswith(":shop-prod-jobs-dlq")
    assert attrs.get("KmsMasterKeyId"), "prod has a customer key: the queue is encrypted with it"
    assert "DenyInsecureTransport" in attrs["Policy"], "the queue policy reached the queue"
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    assert message["Body"] == "hello"
    # The worker gets the queue's URL, and its task role may use this queue only.
    ecs = aws("ecs", region)
    worker = next(s for s in synth.manifest["stacks"] if s["key"] == "svc-worker")
    cfn = aws("cloudformation", region)
    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in cfn.describe_stacks(StackName=worker["name"])["Stacks"][0].get("Outputs", [])}
    task = ecs.describe_task_definition(taskDefinition=outputs["TaskDefinitionArn"])["taskDefinition"]
    env = {e["name"]: e["value"] for e in task["containerDefinitions"][0].get("environment", [])}
    # CloudFormation gives the queue's regional AWS URL (the emulator answers on its own address).
    assert env["JOBS_QUEUE_URL"].startswith("https://sqs.") and env["JOBS_QUEUE_URL"].endswith(url.split("/", 3)[3])


def test_queue_app_deploys_with_the_cli_local_emulator(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from moorage.cli.deploy import deploy
    from moorage.emulator.server import stop_server

    cli = typer.Typer()
    cli.command()(deploy)
    cli.command("noop")(lambda: None)  # two commands: typer keeps `deploy` as a subcommand
    project = tmp_path / "shop"
    project.mkdir()
    (project / "moorage.yml").write_text(SPEC)
    try:
        result = CliRunner().invoke(cli, ["deploy", str(project / "moorage.yml"), "--env", "dev", "--local"])
        assert result.exit_code == 0, result.output
        assert "not emulated" not in result.output.lower(), result.output
    finally:
        stop_server(project)
