"""Secret rotation, its event and the state machines it starts, in the emulator.

On AWS, when a rotation succeeds CloudTrail records ``RotationSucceeded`` and EventBridge delivers it as an
"AWS Service Event via CloudTrail"; a rule may start a Step Functions execution. moto does none of this: its
RotateSecret sends no event, its rules deliver to no state machine, and its Step Functions API never runs a
definition. :func:`install` adds this one path, and nothing else of EventBridge or Step Functions:

- RotateSecret on a secret without a rotation function (a password RDS manages) gives the new version a new
  ``password`` (as RDS does; other values are kept) and sends ``RotationSucceeded`` to the default event bus;
- a rule whose target is a state machine starts an execution with the event as input, run by moto's Step
  Functions interpreter; its ``aws-sdk`` tasks call the emulator that started the execution, their
  PascalCase parameters mapped to the API's member names and their results back to PascalCase, as Step
  Functions does;
- the execution is mirrored into the Step Functions API (ListExecutions, DescribeExecution show its status
  once it ends).

- StartExecution runs the state machine the same way (a schedule's target, or ``aws stepfunctions
  start-execution``), since moto's Step Functions API alone only records it;
- UpdateSecretVersionStage moving AWSCURRENT makes that version the one GetSecretValue returns;
- ModifyReplicationGroup honours ``AuthToken`` with ``AuthTokenUpdateStrategy`` (ROTATE adds a second token,
  SET leaves only the given one, DELETE drops the others): :func:`auth_tokens` lists what a group accepts.

Scheduled rules and schedules never fire (no clock runs here), and no rotation function is invoked.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import threading
from datetime import UTC, datetime
from typing import Any

_installed: list[bool] = []
# RDS's generated passwords avoid these (they break URLs and shells)
_ALPHABET = "".join(c for c in string.ascii_letters + string.digits + "!#%^*-_=+." if c not in "\"'\\`$@/")


def install(port: int) -> None:
    """Patch moto's Secrets Manager and EventBridge backends once; tasks call the emulator on ``port``."""
    os.environ["MOTO_PORT"] = str(port)  # read by moto's Step Functions interpreter for its aws-sdk calls
    if _installed:
        return
    from moto.events.models import Rule
    from moto.secretsmanager.models import SecretsManagerBackend

    rotate, send = SecretsManagerBackend.rotate_secret, Rule.send_to_targets

    def rotate_secret(self: Any, secret_id: str, *args: Any, **kwargs: Any) -> Any:
        before = self.get_secret_value(secret_id, None, "AWSCURRENT").get("SecretString")
        result = rotate(self, secret_id, *args, **kwargs)
        secret = self.secrets[secret_id]
        if secret.rotation_lambda_arn:
            return result  # a function does the work (moto invoked it); no event for a rotation not seen through
        value = _rotated(before)
        version = secret.default_version_id
        secret.versions[version]["secret_string"] = value
        secret.secret_string = value
        _succeeded(self.account_id, self.region_name, secret.arn)
        return result

    def send_to_targets(self: Any, event: Any, transform_input: bool = True) -> None:
        machines = [t for t in self.targets if str(t.get("Arn", "")).split(":")[2:3] == ["states"]]
        if not machines:
            send(self, event, transform_input)
            return
        others = [t for t in self.targets if t not in machines]
        if others:
            saved, self.targets = self.targets, others
            try:
                send(self, event, transform_input)
            finally:
                self.targets = saved
        if self.event_pattern.matches_event(event):
            for target in machines:
                _start(str(target["Arn"]), target.get("Input") or json.dumps(event, default=str))

    _sdk_parameters()
    _executions()
    _calls_reach_their_emulator()
    _auth_tokens()
    _current_stage()
    SecretsManagerBackend.rotate_secret = rotate_secret  # type: ignore[method-assign]
    Rule.send_to_targets = send_to_targets  # type: ignore[method-assign,assignment]
    _installed.append(True)


def _sdk_parameters() -> None:
    """Step Functions' ``aws-sdk`` tasks take and give the API's members in PascalCase (``Cluster``,
    ``Services``); moto's interpreter passes them to boto3 as written and returns boto3's names. Map both ways,
    as Step Functions does."""
    import botocore.session
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_aws_sdk

    session = botocore.session.get_session()

    def normalise(self: Any, parameters: dict[str, Any], boto_service_name: str | None = None,
                  service_action_name: str | None = None) -> None:
        service = boto_service_name or self.resource.api_name
        action = service_action_name or self.resource.api_action
        operation = session.get_service_model(service).operation_model(action[:1].upper() + action[1:])
        self._to_boto_request(parameters, operation.input_shape)

    def normalise_response(self: Any, response: Any, boto_service_name: str | None = None,
                           service_action_name: str | None = None) -> None:
        # Step Functions gives the result's members in PascalCase too (ECS's "services" is "Services").
        service = boto_service_name or self.resource.api_name
        action = service_action_name or self.resource.api_action
        shape = session.get_service_model(service).operation_model(action[:1].upper() + action[1:]).output_shape
        if shape is not None:
            self._from_boto_response(response, shape)

    task = state_task_service_aws_sdk.StateTaskServiceAwsSdk
    task._normalise_parameters = normalise  # type: ignore[method-assign]
    task._normalise_response = normalise_response  # type: ignore[method-assign]


def _executions() -> None:
    """StartExecution on the API runs the definition (moto's API alone records an execution that never runs)."""
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def start_execution(self: Any) -> ActionResult:
        run = _start(self._get_param("stateMachineArn"), self._get_param("input", if_none="{}"),
                     self._get_param("name"))
        return ActionResult({"executionArn": run.execution_arn, "startDate": run.start_date})

    StepFunctionResponse.start_execution = start_execution  # type: ignore[method-assign]
    from moto.stepfunctions.models import Execution

    sample = Execution.get_execution_history

    def history(self: Any, roleArn: str) -> list[dict[str, Any]]:  # noqa: N803 - moto's parameter name
        recorded: list[dict[str, Any]] | None = getattr(self, "history_events", None)
        return recorded if recorded is not None else sample(self, roleArn)

    Execution.get_execution_history = history  # type: ignore[method-assign]


def _calls_reach_their_emulator() -> None:
    """An execution's ``aws-sdk`` calls go to an emulator that is serving, not to a process-wide port.

    moto runs each execution on threads of its own and builds its SDK clients from ``MOTO_PORT``, which names
    the emulator started last: after that one stopped (tests start several in one process), the calls were
    refused. The emulators of one process share moto's backends, so any live one answers the same.
    """
    from urllib.parse import urlsplit

    from moto.stepfunctions.parser.asl.utils import boto_client

    from moorage.emulator import runtime

    def port() -> str:
        url = runtime.live_endpoint()
        return str(urlsplit(url).port) if url else (os.environ.get("MOTO_PORT") or "5000")

    boto_client.moto_server_port = port


def _current_stage() -> None:
    """Moving AWSCURRENT to another version makes it the value GetSecretValue returns (moto keeps returning the
    version it last wrote)."""
    from moto.secretsmanager.models import SecretsManagerBackend

    update = SecretsManagerBackend.update_secret_version_stage

    def update_secret_version_stage(self: Any, secret_id: str, version_stage: str, remove_from_version_id: str,
                                    move_to_version_id: str) -> tuple[str, str]:
        result = update(self, secret_id, version_stage, remove_from_version_id, move_to_version_id)
        if version_stage == "AWSCURRENT" and move_to_version_id:
            secret = self.secrets[secret_id]
            secret.default_version_id = move_to_version_id
            if "secret_string" in secret.versions[move_to_version_id]:
                secret.secret_string = secret.versions[move_to_version_id]["secret_string"]
        return result

    SecretsManagerBackend.update_secret_version_stage = update_secret_version_stage  # type: ignore[method-assign]


_TOKENS = "moorage_auth_tokens"  # attribute of moto's replication group: the AUTH tokens it accepts


def _auth_tokens() -> None:
    """Replication groups remember their AUTH tokens; ModifyReplicationGroup changes them as ElastiCache does."""
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    create, modify = ElastiCacheBackend.create_replication_group, ElastiCacheResponse.modify_replication_group

    def create_replication_group(self: Any, *args: Any, **kwargs: Any) -> Any:
        group = create(self, *args, **kwargs)
        token = kwargs.get("auth_token")
        setattr(group, _TOKENS, [token] if token else [])
        return group

    def modify_replication_group(self: Any) -> Any:
        result = modify(self)
        token = self._get_param("AuthToken")
        strategy = self._get_param("AuthTokenUpdateStrategy") or "ROTATE"
        if token:
            group = self.elasticache_backend.replication_groups[self._get_param("ReplicationGroupId")]
            held = list(getattr(group, _TOKENS, []))
            held = {"ROTATE": (held + [token])[-2:], "SET": [token]}.get(strategy, [t for t in held if t != token])
            setattr(group, _TOKENS, held)
            group.auth_token_enabled = bool(held)
        return result

    ElastiCacheBackend.create_replication_group = create_replication_group  # type: ignore[method-assign]
    ElastiCacheResponse.modify_replication_group = modify_replication_group  # type: ignore[method-assign]


def auth_tokens(region: str, group_id: str) -> list[str]:
    """The AUTH tokens emulated replication group ``group_id`` accepts (oldest first)."""
    from moto.elasticache.models import elasticache_backends

    from moorage.emulator.runtime import ACCOUNT_ID

    return list(getattr(elasticache_backends[ACCOUNT_ID][region].replication_groups[group_id], _TOKENS, []))


def _rotated(before: str | None) -> str | None:
    """The next value: a JSON secret with a password gets a new one; anything else is kept."""
    try:
        data = json.loads(before or "")
    except ValueError:
        return before
    if not isinstance(data, dict) or "password" not in data:
        return before
    data["password"] = "".join(secrets.choice(_ALPHABET) for _ in range(32))
    return json.dumps(data)


def _succeeded(account: str, region: str, arn: str) -> None:
    from moto.events.models import events_backends

    detail = {"eventSource": "secretsmanager.amazonaws.com", "eventName": "RotationSucceeded",
              "additionalEventData": {"SecretId": arn}}
    events_backends[account][region].put_events([{
        "Source": "aws.secretsmanager", "DetailType": "AWS Service Event via CloudTrail",
        "Detail": json.dumps(detail)}])


def _start(arn: str, payload: str, name: str | None = None) -> Any:
    """Run state machine ``arn`` on moto's interpreter and mirror the execution into the API's backend (returned)."""
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    _, _, _, region, account, _, _name = arn.split(":", 6)
    api = stepfunctions_backends[account][region]
    machine = api.describe_state_machine(arn)
    runner = stepfunctions_parser_backends[account][region]
    try:
        runner.update_state_machine(arn, definition=machine.definition, role_arn=machine.roleArn)
    except Exception:  # noqa: BLE001 - first run: the interpreter's backend does not know it yet
        runner.create_state_machine(name=machine.name, definition=machine.definition, roleArn=machine.roleArn)
    run = runner.start_execution(arn, name=name, execution_input=payload)  # type: ignore[arg-type]  # None: a new name
    mirror = api.start_execution(arn, name=run.name, execution_input=payload)

    def wait() -> None:
        worker = getattr(run, "exec_worker", None)
        thread = getattr(worker, "_worker_thread", None) if worker else None
        deadline = datetime.now(UTC).timestamp() + 60
        while run.exec_status is not None and run.exec_status.value == "RUNNING":
            if datetime.now(UTC).timestamp() > deadline:
                break
            if thread is not None:
                thread.join(0.05)
            else:
                threading.Event().wait(0.05)
        mirror.status = run.exec_status.value if run.exec_status is not None else "FAILED"
        mirror.stop_date = datetime.now(UTC)
        output = getattr(run, "output", None)
        # The API's copy holds output as JSON text (as DescribeExecution returns it); SDK results carry
        # datetimes, which Step Functions writes as ISO 8601 strings.
        mirror.output = output if output is None or isinstance(output, str) else json.dumps(
            output, separators=(",", ":"), default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))
        # The interpreter's events, so GetExecutionHistory shows what the run recorded (moto's API alone
        # answers with a fixed sample); plain dicts, saved with the state.
        events = run.to_history_output().get("events", []) if getattr(run, "exec_worker", None) is not None else []
        setattr(mirror, "history_events", [dict(e) for e in events])  # noqa: B010 - an attribute moto lacks
        if mirror.status != "SUCCEEDED":
            mirror.error = "States.TaskFailed"
            mirror.cause = str(getattr(run, "error", "") or "the execution did not succeed")
        # The interpreter's copy holds threads and locks: gone once done, so the state can be saved.
        runner.delete_state_machine(arn)

    threading.Thread(target=wait, name=f"sfn-{run.name}", daemon=True).start()
    return mirror
