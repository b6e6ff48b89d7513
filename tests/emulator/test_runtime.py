"""Adapters call the emulator whose request they run in, even with several emulators in one process."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from moorage.emulator import runtime
from moorage.emulator.serve import start_in_thread


def _parameter(value: str) -> dict[str, object]:
    # AWS::SSM::Parameter is an adapter: the emulator creates it by calling its own SSM API over loopback.
    return {"Resources": {"Param": {"Type": "AWS::SSM::Parameter",
                                    "Properties": {"Type": "String", "Value": value}}}}


def _client(endpoint: str, service: str) -> Any:
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def _deploy(endpoint: str, name: str, value: str) -> str:
    """Create stack ``name`` holding one parameter; returns the parameter's name, once its value is checked."""
    cfn = _client(endpoint, "cloudformation")
    change_set = cfn.create_change_set(StackName=name, ChangeSetName="c1", ChangeSetType="CREATE",
                                       TemplateBody=json.dumps(_parameter(value)))
    cfn.execute_change_set(ChangeSetName=change_set["Id"])  # as moorage's deploy does
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", [e.get("ResourceStatusReason") for e in events]
    param = cfn.describe_stack_resource(StackName=name, LogicalResourceId="Param")[
        "StackResourceDetail"]["PhysicalResourceId"]
    assert _client(endpoint, "ssm").get_parameter(Name=param)["Parameter"]["Value"] == value
    return str(param)


def test_adapter_clients_are_keyed_by_the_emulator_serving_the_request() -> None:
    with pytest.raises(RuntimeError, match="no emulator request"):
        runtime.client("ssm", "us-east-1")
    with runtime.serving("http://127.0.0.1:1"):
        one = runtime.client("ssm", "us-east-1")
        with runtime.serving("http://127.0.0.1:2"):
            two = runtime.client("ssm", "us-east-1")
        assert runtime.client("ssm", "us-east-1") is one
    assert (one.meta.endpoint_url, two.meta.endpoint_url) == ("http://127.0.0.1:1", "http://127.0.0.1:2")
    runtime.forget("http://127.0.0.1:1")
    runtime.forget("http://127.0.0.1:2")


def test_two_emulators_in_one_process_each_adapter_calls_its_own() -> None:
    first, stop_first = start_in_thread()
    second, stop_second = start_in_thread()
    stopped_second = False
    try:
        for n, endpoint in enumerate((first, second)):  # both alive: each deploys through its own adapters
            _deploy(endpoint, f"runtime-both-{n}", f"v{n}")
        stop_second()
        stopped_second = True
        # The emulator started last is gone: the first one's adapters still call the first (a process-global
        # endpoint pointed them at the stopped one, and the deploy failed with a refused connection).
        _deploy(first, "runtime-after-stop", "after")
        cfn = _client(first, "cloudformation")
        for name in ("runtime-both-0", "runtime-both-1", "runtime-after-stop"):
            cfn.delete_stack(StackName=name)
        assert not [s for s in cfn.describe_stacks()["Stacks"] if s["StackName"].startswith("runtime-")]
    finally:
        stop_first()
        if not stopped_second:
            stop_second()


def test_a_state_machine_calls_an_emulator_that_is_serving() -> None:
    """An execution's aws-sdk tasks run on moto's own threads: they call an emulator that still serves, also after
    an emulator started later in the same process has stopped (they called that one, through MOTO_PORT). Its
    output, with the SDK result's datetimes, reads back through DescribeExecution."""
    import time

    first, stop_first = start_in_thread()
    second, stop_second = start_in_thread()
    stop_second()
    try:
        ssm = _client(first, "ssm")
        ssm.put_parameter(Name="/runtime/value", Value="from-first", Type="String")
        sfn = _client(first, "stepfunctions")
        definition = {"StartAt": "Read", "States": {"Read": {
            "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:ssm:getParameter",
            "Parameters": {"Name": "/runtime/value"}, "End": True}}}
        arn = sfn.create_state_machine(name="runtime-reader", definition=json.dumps(definition),
                                       roleArn="arn:aws:iam::123456789012:role/reader")["stateMachineArn"]
        run = sfn.start_execution(stateMachineArn=arn)["executionArn"]
        deadline = time.monotonic() + 30
        while (described := sfn.describe_execution(executionArn=run))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "the execution never ended"
            time.sleep(0.1)
        assert described["status"] == "SUCCEEDED", described.get("cause")
        assert json.loads(described["output"])["Parameter"]["Value"] == "from-first"
    finally:
        stop_first()
