"""The emulator in this process on a loopback port, and helpers to deploy synthesized environments to it."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import typer

from moorage.deploy.progress import QuietReporter
from moorage.deploy.run import DeployOptions, DeployResult, deploy
from moorage.deploy.session import Target, endpoint_target
from moorage.render import Synth


@pytest.fixture(scope="session", autouse=True)
def user_state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The user's state directory (the emulator's sealing key) in a temporary place, for this process
    and the emulators it starts."""
    import os

    previous = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state-home"))
    yield
    if previous is None:
        os.environ.pop("XDG_STATE_HOME", None)
    else:
        os.environ["XDG_STATE_HOME"] = previous


@pytest.fixture(scope="session")
def emulator() -> Iterator[str]:
    """The endpoint of an emulator (moto + moorage's engine) running in this process."""
    from moorage.emulator.serve import start_in_thread

    endpoint, stop = start_in_thread()
    yield endpoint
    stop()


@pytest.fixture
def fresh(emulator: str) -> str:
    """The emulator, with an empty account."""
    request = urllib.request.Request(f"{emulator}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback
        pass
    return emulator


@pytest.fixture
def target(fresh: str) -> Target:
    return endpoint_target(fresh)


@pytest.fixture
def aws(fresh: str) -> Callable[[str, str], Any]:
    """boto3 clients on the emulator, for verification independent of moorage's own records."""
    def client(service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=fresh, aws_access_key_id="testing",
                            aws_secret_access_key="testing")
    return client


@pytest.fixture
def run_deploy(target: Target) -> Callable[..., tuple[DeployResult, QuietReporter]]:
    def run(synth: Synth, **options: Any) -> tuple[DeployResult, QuietReporter]:
        reporter = QuietReporter()
        options.setdefault("poll", 0.05)
        return deploy(synth, target, DeployOptions(**options), reporter), reporter
    return run


class Stacks:
    """Deploys small templates straight through CloudFormation change sets, as moorage's deploy does."""

    def __init__(self, aws: Callable[[str, str], Any], region: str = "us-east-1") -> None:
        self.cfn = aws("cloudformation", region)
        self.counter = 0

    def deploy(self, name: str, template: dict[str, Any], ok: bool = True) -> dict[str, str]:
        """Create or update ``name``; returns its outputs (asserting the expected success)."""
        import json

        try:
            self.cfn.describe_stacks(StackName=name)
            kind = "UPDATE"
        except self.cfn.exceptions.ClientError:
            kind = "CREATE"
        self.counter += 1
        change_set = self.cfn.create_change_set(StackName=name, ChangeSetName=f"c{self.counter}", ChangeSetType=kind,
                                                TemplateBody=json.dumps(template),
                                                Capabilities=["CAPABILITY_NAMED_IAM"])
        self.cfn.execute_change_set(ChangeSetName=change_set["Id"])
        stack = self.cfn.describe_stacks(StackName=name)["Stacks"][0]
        if ok:
            assert stack["StackStatus"] == f"{kind}_COMPLETE", self.problems(name)
            assert not [e for e in self.events(name) if "NOT EMULATED" in (e.get("ResourceStatusReason") or "")]
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    def events(self, name: str) -> list[dict[str, Any]]:
        return list(self.cfn.describe_stack_events(StackName=name)["StackEvents"])

    def problems(self, name: str) -> list[tuple[str, str, str]]:
        return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", ""))
                for e in self.events(name) if "FAILED" in e["ResourceStatus"]]

    def delete(self, name: str) -> None:
        self.cfn.delete_stack(StackName=name)
        assert [s["StackName"] for s in self.cfn.describe_stacks()["Stacks"] if s["StackName"] == name] == [], \
            self.problems(name)


@pytest.fixture
def stacks(aws: Callable[[str, str], Any]) -> Stacks:
    """Small templates deployed to a fresh emulator in us-east-1."""
    return Stacks(aws)


def _finished(sfn: Any, execution_arn: str, timeout: float = 60) -> dict[str, Any]:
    """DescribeExecution once the execution has left RUNNING (or after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        time.sleep(0.1)


@pytest.fixture
def finished() -> Callable[..., dict[str, Any]]:
    """Wait for a Step Functions execution on the emulator: ``finished(sfn, execution_arn)``."""
    return _finished


@pytest.fixture
def local_cli(monkeypatch: pytest.MonkeyPatch, fresh: str) -> Callable[..., typer.Typer]:
    """``local_cli(deploy, history, ...)``: a CLI of these commands whose --local reaches the in-process emulator on
    its loopback port (read-only commands find it running)."""
    monkeypatch.setattr("moorage.deploy.session.local_target", lambda project: Target(local=True, endpoint=fresh))
    monkeypatch.setattr("moorage.emulator.server.server_status", lambda project: type("S", (), {"endpoint": fresh})())

    def app_of(*commands: Callable[..., Any]) -> typer.Typer:
        app = typer.Typer()
        for command in commands:
            app.command()(command)
        return app
    return app_of
