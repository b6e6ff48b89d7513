"""`moorage status` names databases and caches as the spec does, with the state the emulated account reports, and
every other kind of the registry (buckets, queues ...) with the AWS name its stack gave it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from moorage import api
from moorage.deploy.progress import QuietReporter
from moorage.deploy.run import DeployOptions, deploy
from moorage.deploy.session import endpoint_target
from moorage.deploy.status import data_store_status, environment_status
from moorage.emulator.server import ensure_server, stop_server

if TYPE_CHECKING:
    from conftest import CliResult

SPEC = """\
name: stores
region: eu-west-1
services:
  api:
    image: public.ecr.aws/nginx/nginx:1.27.3
    uses: [main, sessions, uploads, jobs]
databases:
  main: {engine: postgres}
caches:
  sessions: {engine: redis}
buckets:
  uploads: {}
queues:
  jobs: {}
environments:
  dev: {}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("stores")
    (root / "moorage.yml").write_text(SPEC, encoding="utf-8")
    server = ensure_server(root)
    try:
        synth = api.synth_environment(api.load_app(root / "moorage.yml"), "dev")
        assert deploy(synth, endpoint_target(server.endpoint), DeployOptions(poll=0.05), QuietReporter()).ok
        yield root
    finally:
        stop_server(root)


def test_status_lists_data_stores_by_spec_name_with_the_reported_state(project: Path) -> None:
    from moorage.emulator.server import server_status

    server = server_status(project)
    assert server is not None
    synth = api.synth_environment(api.load_app(project / "moorage.yml"), "dev")
    target = endpoint_target(server.endpoint)
    rds = boto3.client("rds", region_name="eu-west-1", endpoint_url=server.endpoint,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    reported = rds.describe_db_instances(DBInstanceIdentifier=synth.plan.databases["main"].identifier)
    st = environment_status(target, synth.manifest, None, synth.plan)
    stores = {d.name: d for d in st.data_stores}
    assert stores["main"].render() == f"db: main (PostgreSQL) {reported['DBInstances'][0]['DBInstanceStatus']}"
    assert stores["sessions"].kind == "cache" and stores["sessions"].engine == "Redis"
    assert stores["sessions"].identifier == synth.plan.caches["sessions"].identifier


def test_a_store_that_is_gone_says_not_deployed(project: Path) -> None:
    from moorage.emulator.server import server_status

    server = server_status(project)
    assert server is not None
    synth = api.synth_environment(api.load_app(project / "moorage.yml"), "dev")
    synth.plan.databases["main"].identifier = "stores-dev-never-created"
    stores = {d.name: d for d in data_store_status(endpoint_target(server.endpoint), synth.plan)}
    assert stores["main"].state == "not deployed"


def test_status_command_prints_and_writes_the_data_stores(
        project: Path, run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    table = run_cli("status", "--env", "dev", "--local")
    assert table.code == 0, table.err
    assert "db: main (PostgreSQL) available" in table.out and "cache: sessions (Redis) available" in table.out
    shown = run_cli("status", "--env", "dev", "--local", "--format", "json")
    assert shown.code == 0, shown.err
    stores = {d["name"]: d for d in json.loads(shown.out)["data_stores"]}
    assert stores["main"] == {"kind": "db", "name": "main", "engine": "PostgreSQL", "state": "available",
                              "identifier": stores["main"]["identifier"]}


def test_status_lists_every_kind_of_the_registry(project: Path, run_cli: Callable[..., CliResult],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Buckets and queues too, read through the kinds registry (a new kind shows up without a status change)."""
    from moorage import kinds
    from moorage.emulator.server import server_status

    server = server_status(project)
    assert server is not None
    synth = api.synth_environment(api.load_app(project / "moorage.yml"), "dev")
    stores = {d.name: d for d in environment_status(endpoint_target(server.endpoint), synth.manifest, None,
                                                    synth.plan).data_stores}
    assert {stores[n].kind for n in ("uploads", "jobs")} == {"bucket", "queue"} <= set(kinds.kind_names())
    s3 = boto3.client("s3", region_name="eu-west-1", endpoint_url=server.endpoint,
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    sqs = boto3.client("sqs", region_name="eu-west-1", endpoint_url=server.endpoint,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    assert stores["uploads"].identifier in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert sqs.get_queue_url(QueueName=stores["jobs"].identifier)["QueueUrl"]
    assert stores["uploads"].render() == f"bucket: uploads (S3) deployed: {stores['uploads'].identifier}"
    monkeypatch.chdir(project)
    table = run_cli("status", "--env", "dev", "--local")
    assert table.code == 0, table.err
    assert f"bucket: uploads (S3) deployed: {stores['uploads'].identifier}" in table.out
    assert f"queue: jobs (SQS) deployed: {stores['jobs'].identifier}" in table.out
    shown = json.loads(run_cli("status", "--env", "dev", "--local", "--format", "json").out)
    assert {d["name"]: d["kind"] for d in shown["data_stores"]} == {
        "main": "db", "sessions": "cache", "uploads": "bucket", "jobs": "queue"}


def test_an_item_its_stack_does_not_output_says_not_deployed(project: Path) -> None:
    from moorage.deploy.status import data_store_status

    synth = api.synth_environment(api.load_app(project / "moorage.yml"), "dev")
    from moorage.emulator.server import server_status

    server = server_status(project)
    assert server is not None
    stores = {d.name: d for d in data_store_status(endpoint_target(server.endpoint), synth.plan, {})}
    assert stores["uploads"].state == stores["jobs"].state == "not deployed"
