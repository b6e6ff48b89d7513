"""moorage's fixes to moto's CloudFormation engine, installed in the emulator process.

moto executes a change set without events per resource, without failure handling or rollback, and
without rebuilding the stack's outputs; it silently skips types it does not know, cannot delete many
of the types it creates, and ignores dynamic references. :func:`install` replaces those parts:

- every resource gets ``*_IN_PROGRESS`` / ``*_COMPLETE`` / ``*_FAILED`` events, and a type that is
  not emulated gets an event whose reason starts with ``NOT EMULATED``;
- a failed create rolls back to ``ROLLBACK_COMPLETE``; a failed update re-applies the previous
  template and parameters (``UPDATE_ROLLBACK_COMPLETE``, or ``UPDATE_ROLLBACK_FAILED``);
- outputs, parameters and the template are those of the last successful change set;
- ``DeletionPolicy`` is honoured (``Retain`` keeps, ``Snapshot`` takes a final RDS snapshot);
- ``{{resolve:secretsmanager:...}}`` and ``{{resolve:ssm:...}}`` references are resolved.
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.cloudformation import models, parsing
from moto.cloudformation.exceptions import ValidationError
from moto.core.utils import utcnow

from moorage.data import load_data
from moorage.emulator import runtime
from moorage.emulator.adapters import ADAPTERS, NATIVE_UPDATERS, ApiResource
from moorage.emulator.native import NATIVE_DELETERS, install_attributes, needs_replacement
from moorage.emulator.ordering import creation_order, references

NOT_EMULATED = "NOT EMULATED"
_LOCK = threading.RLock()
_local = threading.local()
_installed: list[bool] = []
_DYNAMIC = re.compile(r"\{\{resolve:(secretsmanager|ssm):([^{}$]+?)\}\}")


@dataclass
class Recorder:
    """Events of one stack operation, and what went wrong first."""

    stack: models.Stack
    action: str  # CREATE, UPDATE or DELETE: the verb of resource events
    previous: dict[str, Any] = field(default_factory=dict)  # resource JSON before an update
    failed: dict[str, str] = field(default_factory=dict)  # logical id -> reason, first failures first
    started: set[str] = field(default_factory=set)
    # Resources replaced by a new physical resource: (logical id, old resource, old JSON), deleted only after
    # every update went through (CloudFormation's cleanup phase), when nothing points at them any more.
    superseded: list[tuple[str, Any, dict[str, Any]]] = field(default_factory=list)

    def event(self, logical_id: str, rtype: str, status: str, reason: str | None = None,
              physical_id: str = "") -> None:
        """Add one resource event to the stack."""
        self.stack.events.append(models.Event(
            stack_id=self.stack.stack_id, stack_name=self.stack.name, logical_resource_id=logical_id,
            physical_resource_id=physical_id, resource_type=rtype, resource_status=status,
            resource_status_reason=reason, resource_properties=None))

    def fail(self, logical_id: str, rtype: str, verb: str, exc: BaseException) -> None:
        """Record the failure of ``logical_id`` once; later failures are cancellations."""
        if logical_id in self.failed:
            return
        reason = _reason(exc) if not self.failed else f"Resource {verb.lower()} cancelled"
        self.failed[logical_id] = reason
        self.event(logical_id, rtype, f"{verb}_FAILED", reason)


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())


def current() -> Recorder | None:
    """The recorder of the operation running on this thread, if any."""
    return getattr(_local, "recorder", None)


@contextmanager
def recording(recorder: Recorder) -> Iterator[Recorder]:
    """Route resource events of this thread to ``recorder``."""
    previous = current()
    _local.recorder = recorder
    try:
        yield recorder
    finally:
        _local.recorder = previous


# --- type lookup and dynamic references ----------------------------------------------------------------
_orig_class_from_type = parsing.resource_class_from_type
_orig_name_property = parsing.resource_name_property_from_type
_orig_clean_json = parsing.clean_json
_orig_create = parsing.parse_and_create_resource
_orig_update = parsing.parse_and_update_resource
_orig_delete_resource = parsing.ResourceMap._delete_resource


def resource_class(resource_type: str) -> Any:
    """The model (adapter first, then moto's own) that emulates ``resource_type``, or None."""
    if resource_type in ADAPTERS:
        return ADAPTERS[resource_type]
    return _orig_class_from_type(resource_type)


def emulation_of(resource_type: str) -> str:
    """``adapter``, ``moto`` or ``not emulated`` for one CloudFormation type."""
    if resource_type in ADAPTERS:
        return "adapter"
    model = parsing.get_model_map().get(resource_type)
    return "moto" if model is not None else "not emulated"


def name_property(resource_type: str) -> str | None:
    """The property that sets a resource's physical name, or None: moorage's table for the types it renders
    (data/name_properties.yaml, which deploy reads too), else what the models say."""
    table = load_data("name_properties")
    if resource_type in table:
        return table[resource_type] or None
    return models_name_property(resource_type)


def models_name_property(resource_type: str) -> str | None:
    """The name property the emulator's models give (its adapter first, then moto's model); None or "" for none."""
    if resource_type in ADAPTERS:
        return ADAPTERS[resource_type].NAME_PROPERTY or None
    return _orig_name_property(resource_type)


def resolve_dynamic(text: str, region: str) -> str:
    """Replace ``{{resolve:secretsmanager|ssm:...}}`` references with their values."""
    def one(match: re.Match[str]) -> str:
        service, ref = match.group(1), match.group(2)
        if service == "ssm":
            value: str = runtime.client("ssm", region).get_parameter(Name=ref.split(":")[0],
                                                                      WithDecryption=True)["Parameter"]["Value"]
            return value
        # secret-id may be an ARN (with colons): secret-id[:SecretString[:json-key[:stage[:version]]]]
        secret_id, _, rest = ref.partition(":SecretString")
        secret: str = runtime.client("secretsmanager", region).get_secret_value(SecretId=secret_id)["SecretString"]
        key = rest.lstrip(":").split(":")[0] if rest else ""
        return str(json.loads(secret)[key]) if key else secret
    return _DYNAMIC.sub(one, text)


def _clean_json(resource_json: Any, resources_map: Any) -> Any:
    value = _orig_clean_json(resource_json, resources_map)
    if isinstance(value, str) and "{{resolve:" in value and "${" not in value:
        region = getattr(resources_map, "_region_name", None) or "us-east-1"
        return resolve_dynamic(value, region)
    return value


# --- resource operations with events ----------------------------------------------------------------------
def _create(logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str,
            region_name: str) -> Any:
    rec = current()
    rtype = resource_json.get("Type", "")
    if rec is None:  # a lazy lookup outside an operation must not create anything
        return None
    if resource_class(rtype) is None and not rtype.startswith("Custom::"):
        rec.event(logical_id, rtype, f"{rec.action}_COMPLETE",
                  f"{NOT_EMULATED}: moorage local has no emulation for {rtype}; the resource was skipped")
        return None
    rec.event(logical_id, rtype, f"{rec.action}_IN_PROGRESS")
    try:
        resource = _orig_create(logical_id, resource_json, resources_map, account_id, region_name)
    except Exception as exc:
        rec.fail(logical_id, rtype, rec.action, exc)
        raise
    rec.event(logical_id, rtype, f"{rec.action}_COMPLETE", physical_id=_physical(resource))
    return resource


def _update(logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str,
            region_name: str) -> Any:
    rec = current()
    rtype = resource_json.get("Type", "")
    original = resources_map._parsed_resources.get(logical_id)
    if rec is None or resource_class(rtype) is None:
        return original
    old_json = rec.previous.get(logical_id, {})
    replace = old_json.get("Type") != rtype or needs_replacement(rtype, old_json.get("Properties") or {},
                                                                 resource_json.get("Properties") or {})
    model = resource_class(rtype)
    can_update = not hasattr(model.update_from_cloudformation_json, "__isabstractmethod__")
    if original is None:  # never created (e.g. not emulated before): create it now
        return _create(logical_id, resource_json, resources_map, account_id, region_name)
    rec.event(logical_id, rtype, "UPDATE_IN_PROGRESS",
              "Requested update requires the creation of a new physical resource; hence creating one."
              if replace else None)
    try:
        if replace and (name := _custom_name(rtype, resource_json)) and name == _custom_name(rtype, old_json):
            # a custom name cannot exist twice and CloudFormation creates the new resource first: it refuses.
            # The resource is as it was (the rollback must see no change to it).
            resources_map._resource_json_map[logical_id] = old_json
            raise ValidationError(message="CloudFormation cannot update a stack when a custom-named resource "
                                          f"requires replacing. Rename {name} and update the stack again.")
        if replace:
            # the new one first; dependents are updated to it, and the old one is deleted in the cleanup
            resource = _orig_create(logical_id, resource_json, resources_map, account_id, region_name)
            rec.superseded.append((logical_id, original, old_json or resource_json))
        elif rtype in NATIVE_UPDATERS and not isinstance(original, ApiResource):
            NATIVE_UPDATERS[rtype](original, region_name, _clean_json(old_json.get("Properties") or {}, resources_map),
                                   _clean_json(resource_json.get("Properties") or {}, resources_map))
            resource = original
        elif can_update:
            resource = _orig_update(logical_id, resource_json, resources_map, account_id, region_name)
        else:
            resource = original  # in-place change moto cannot apply: keep the existing object
    except Exception as exc:
        rec.fail(logical_id, rtype, "UPDATE", exc)
        raise
    if resource is None:
        resource = original
    rec.event(logical_id, rtype, "UPDATE_COMPLETE", physical_id=_physical(resource))
    return resource


def _custom_name(resource_type: str, resource_json: dict[str, Any]) -> Any:
    """The physical name the template gives the resource (its name property), or None."""
    prop = name_property(resource_type)
    return (resource_json.get("Properties") or {}).get(prop) if prop else None


def _delete_superseded(resource_map: Any, superseded: list[tuple[str, Any, dict[str, Any]]]) -> None:
    """Delete the resources a replacement left behind (CloudFormation's cleanup phase), oldest first; their
    ``UpdateReplacePolicy`` (not ``DeletionPolicy``) decides: ``Retain`` keeps one."""
    while superseded:
        _, old, old_json = superseded[0]
        policy = old_json.get("UpdateReplacePolicy", "Delete")
        if policy != "Retain":
            resource_map._delete_resource(old, {**old_json, "DeletionPolicy": policy})
        superseded.pop(0)


def _delete_resource(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
    rec = current()
    rtype = resource_json.get("Type", "")
    logical_id = getattr(parsed_resource, "logical_resource_id", "") or ""
    policy = resource_json.get("DeletionPolicy")
    if isinstance(parsed_resource, ApiResource):
        parsed_resource.deletion_policy = policy  # type: ignore[attr-defined]
    if rec is not None and logical_id not in rec.started:
        rec.started.add(logical_id)
        rec.event(logical_id, rtype, "DELETE_IN_PROGRESS", physical_id=_physical(parsed_resource))
    deleter: Callable[[Any, str, dict[str, Any]], None] | None = NATIVE_DELETERS.get(rtype)
    if deleter is not None and not isinstance(parsed_resource, ApiResource):
        deleter(parsed_resource, self._region_name, resource_json)
    else:
        _orig_delete_resource(self, parsed_resource, resource_json)
    if rec is not None:
        reason = "a final snapshot was taken" if policy == "Snapshot" else None
        rec.event(logical_id, rtype, "DELETE_COMPLETE", reason, physical_id=_physical(parsed_resource))


def _physical(resource: Any) -> str:
    try:
        return str(getattr(resource, "physical_resource_id", "") or "")
    except Exception:  # noqa: BLE001 - some moto models compute it lazily and may fail
        return ""


def _update_map(self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
    """ResourceMap.update in dependency order: adds and modifications first, removals last (like
    CloudFormation's cleanup phase); a resource whose dependency got a new physical id is updated too."""
    old = self._resource_json_map or {}
    new = template.get("Resources", {})
    changed_params: set[str] = set()
    if parameters is not None:
        changed_params = {k for k in set(parameters) | set(self.input_parameters or {})
                          if (self.input_parameters or {}).get(k) != parameters.get(k)}
    self._template = template
    if parameters is not None:
        self.input_parameters = parameters
    self.load_mapping()
    self.load_parameters()
    self.load_conditions()
    self._resource_json_map = new
    replaced: set[str] = set(changed_params)
    for name in creation_order(new):
        if name not in old or name not in self._parsed_resources:
            if self[name] is not None:
                replaced.add(name)
            continue
        reads = references(new[name].get("Properties", {}))
        if new[name] == old[name] and not reads & replaced:
            continue
        before = _physical(self._parsed_resources.get(name))
        resource = parsing.parse_and_update_resource(name, new[name], self, self._account_id, self._region_name)
        if resource is not None:
            self._parsed_resources[name] = resource
        if _physical(resource) != before or reads & replaced:
            replaced.add(name)
    _delete_each(self, [n for n in reversed(creation_order(old)) if n not in new], old)
    rec = current()
    if rec is not None:
        _delete_superseded(self, rec.superseded)


def _delete_each(self: Any, names: list[str], resources: dict[str, Any]) -> None:
    """Delete ``names`` (dependents first); a failed deletion is retried after the others, up to three
    rounds, and the last failure raised."""
    pending = list(names)
    last: Exception | None = None
    for _ in range(3):
        for name in list(pending):
            parsed = self._parsed_resources.get(name)
            try:
                if parsed is not None and not isinstance(parsed, str):
                    self._delete_resource(parsed, resources[name])
                self._parsed_resources.pop(name, None)
                pending.remove(name)
            except Exception as exc:  # noqa: BLE001 - retry after the others (dependency order)
                last = exc
        if not pending:
            return
    if last is not None:
        raise last


def _delete_map(self: Any) -> None:
    """ResourceMap.delete in reverse dependency order (dependents first); ``Retain`` resources stay."""
    resources = self._resource_json_map or {}
    _delete_each(self, [n for n in reversed(creation_order(resources))
                        if resources[n].get("DeletionPolicy") not in ("Retain", "RetainExceptOnCreate")], resources)


# --- stack operations ------------------------------------------------------------------------------------
def _stack_event(stack: models.Stack, status: str, reason: str | None = None) -> None:
    stack._add_stack_event(status, resource_status_reason=reason)


def execute_change_set(self: models.CloudFormationBackend, change_set_name: str,
                       stack_name: str | None = None) -> None:
    """Execute a change set with events, outputs, failure handling and rollback."""
    with _LOCK:
        change_set = self.describe_change_set(change_set_name)
        if change_set is None:
            raise ValidationError(stack_name or change_set_name)
        if change_set.execution_status != "AVAILABLE":
            raise ValidationError(message=f"ChangeSet [{change_set.change_set_id}] cannot be executed in its "
                                          f"current execution status of [{change_set.execution_status}]")
        run_change_set(self.stacks[change_set.stack_id], change_set)


def run_change_set(stack: models.Stack, change_set: models.ChangeSet) -> None:
    """Apply ``change_set`` to ``stack``; roll back on failure."""
    kind = change_set.change_set_type
    resource_map = stack.resource_map
    previous_template = stack.template
    previous_params = dict(resource_map.input_parameters or {})
    previous_dict = copy.deepcopy(stack.template_dict) if stack.template_dict else {"Resources": {}}
    rec = Recorder(stack, kind, previous=copy.deepcopy(resource_map._resource_json_map))
    _stack_event(stack, f"{kind}_IN_PROGRESS", "User Initiated")
    stack.status = f"{kind}_IN_PROGRESS"
    if kind == "UPDATE":  # moto sets no LastUpdatedTime: `status` would show the creation as the last deploy
        stack.last_updated_time = utcnow()  # type: ignore[attr-defined]
    change_set.execution_status = "EXECUTE_IN_PROGRESS"
    try:
        with recording(rec):
            change_set.apply()
            outputs = parsing.OutputMap(resource_map, change_set.template_dict, stack.stack_id)
            list(outputs.values())  # evaluate outputs now, inside the operation
    except Exception as exc:  # noqa: BLE001 - any failure of a resource fails the stack
        if not rec.failed:
            rec.fail(stack.name, "AWS::CloudFormation::Stack", kind, exc)
        change_set.execution_status = "EXECUTE_FAILED"
        if kind == "CREATE":
            _rollback_create(stack, rec, change_set.template)
        else:
            _rollback_update(stack, rec, previous_template, previous_dict, previous_params)
        return
    stack.template = change_set.template
    stack._parse_template()
    stack.output_map = outputs
    stack.parameters = dict(change_set.parameters or {})
    if change_set.tags is not None:
        stack.tags = change_set.tags
    stack.description = stack.template_dict.get("Description")
    stack.status = f"{kind}_COMPLETE"
    _stack_event(stack, f"{kind}_COMPLETE")
    change_set.execution_status = "EXECUTE_COMPLETE"


def _rollback_create(stack: models.Stack, rec: Recorder, template: Any) -> None:
    failed = ", ".join(rec.failed)
    stack.status = "ROLLBACK_IN_PROGRESS"
    _stack_event(stack, "ROLLBACK_IN_PROGRESS",
                 f"The following resource(s) failed to create: [{failed}]. Rollback requested by user.")
    delete_rec = Recorder(stack, "DELETE")
    try:
        with recording(delete_rec):
            stack.resource_map.delete()
    except Exception as exc:  # noqa: BLE001
        stack.status = "ROLLBACK_FAILED"
        _stack_event(stack, "ROLLBACK_FAILED", _reason(exc))
        return
    stack.resource_map._resource_json_map = {}
    stack.template = template
    stack._parse_template()
    stack.output_map = parsing.OutputMap(stack.resource_map, {}, stack.stack_id)
    stack.status = "ROLLBACK_COMPLETE"
    _stack_event(stack, "ROLLBACK_COMPLETE")


def _rollback_update(stack: models.Stack, rec: Recorder, template: Any, template_dict: dict[str, Any],
                     params: dict[str, Any]) -> None:
    failed = ", ".join(rec.failed)
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    _stack_event(stack, "UPDATE_ROLLBACK_IN_PROGRESS", f"The following resource(s) failed to update: [{failed}].")
    back = Recorder(stack, "UPDATE", previous=copy.deepcopy(stack.resource_map._resource_json_map))
    try:
        with recording(back):
            stack.resource_map.update(template_dict, params)
            outputs = parsing.OutputMap(stack.resource_map, template_dict, stack.stack_id)
            list(outputs.values())
            # the rollback gave the replaced resources new ones again: the originals are unused now
            _delete_superseded(stack.resource_map, rec.superseded)
    except Exception as exc:  # noqa: BLE001
        stack.status = "UPDATE_ROLLBACK_FAILED"
        _stack_event(stack, "UPDATE_ROLLBACK_FAILED", _reason(exc))
        return
    stack.template = template
    stack._parse_template()
    stack.output_map = outputs
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    _stack_event(stack, "UPDATE_ROLLBACK_COMPLETE")


def delete_stack(self: models.CloudFormationBackend, name_or_stack_id: str) -> None:
    """Delete a stack with events per resource; a failure leaves it in ``DELETE_FAILED``."""
    with _LOCK:
        stack = next((s for s in self.stacks.values() if name_or_stack_id in (s.name, s.stack_id)), None)
        if stack is None:
            return
        rec = Recorder(stack, "DELETE")
        _stack_event(stack, "DELETE_IN_PROGRESS", "User Initiated")
        stack.status = "DELETE_IN_PROGRESS"
        for logical_id, res in (stack.resource_map._resource_json_map or {}).items():
            if res.get("DeletionPolicy") == "Retain" and logical_id in stack.resource_map._parsed_resources:
                rec.event(logical_id, res.get("Type", ""), "DELETE_SKIPPED",
                          physical_id=_physical(stack.resource_map._parsed_resources[logical_id]))
        try:
            with recording(rec):
                stack.resource_map.delete()
        except Exception as exc:  # noqa: BLE001
            stack.status = "DELETE_FAILED"
            _stack_event(stack, "DELETE_FAILED", f"The following resource(s) failed to delete: {_reason(exc)}")
            return
        self.stacks.pop(stack.stack_id, None)
        stack.status = "DELETE_COMPLETE"
        _stack_event(stack, "DELETE_COMPLETE")
        self.deleted_stacks[stack.stack_id] = stack


def _parameter_list(self: models.Stack) -> list[dict[str, Any]]:
    """Parameters as CloudFormation reports them: lists comma-joined, NoEcho masked."""
    no_echo = getattr(self.resource_map, "no_echo_parameter_keys", [])
    out = []
    for key, value in self.resource_map.resolved_parameters.items():
        text = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
        out.append({"ParameterKey": key, "ParameterValue": "****" if key in no_echo else text})
    return out


def _stack_resources(self: models.Stack) -> list[Any]:
    return [r for r in self.resource_map._parsed_resources.values() if hasattr(r, "logical_resource_id")]


_orig_create_change_set = models.CloudFormationBackend.create_change_set


def create_change_set(self: models.CloudFormationBackend, stack_name: str, change_set_name: str, template: str,
                      parameters: dict[str, str], description: str, change_set_type: str,
                      notification_arns: list[str] | None = None, tags: dict[str, str] | None = None,
                      role_arn: str | None = None) -> tuple[str, str]:
    """Refuse change sets on a stack that is busy or in a state that cannot be updated."""
    if change_set_type == "UPDATE":
        stack = next((s for s in self.stacks.values() if s.name == stack_name), None)
        if stack is not None and (stack.status.endswith("_IN_PROGRESS") or stack.status in (
                "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "UPDATE_ROLLBACK_FAILED", "DELETE_FAILED")):
            raise ValidationError(message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")
    change_set_id, stack_id = _orig_create_change_set(self, stack_name, change_set_name, template, parameters,
                                                      description, change_set_type, notification_arns, tags,
                                                      role_arn)
    change_set = self.change_sets[change_set_id]
    if change_set.status == "FAILED" and tags is not None and tags != self.stacks[stack_id].tags:
        # As CloudFormation does, new stack tags alone are a change (its changes have scope Tags); moto
        # only compares template and parameters.
        change_set.status, change_set.execution_status, change_set.status_reason = \
            "CREATE_COMPLETE", "AVAILABLE", None
    return change_set_id, stack_id


def continue_update_rollback(stack: models.Stack) -> None:
    """Emulate ContinueUpdateRollback: re-apply the last good template."""
    with _LOCK:
        if stack.status != "UPDATE_ROLLBACK_FAILED":
            raise ValidationError(message=f"Stack {stack.name} is in {stack.status} state; "
                                          "ContinueUpdateRollback needs UPDATE_ROLLBACK_FAILED")
        rec = Recorder(stack, "UPDATE")
        _rollback_update(stack, rec, stack.template, copy.deepcopy(stack.template_dict),
                         dict(stack.resource_map.input_parameters or {}))


def _continue_update_rollback_action(self: Any) -> Any:
    """The ContinueUpdateRollback API action, which moto lacks."""
    from moto.core.responses import EmptyResult

    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    continue_update_rollback(stack)
    return EmptyResult()


def install() -> None:
    """Patch moto's CloudFormation engine (idempotent)."""
    if _installed:
        return
    from moto.cloudformation.responses import CloudFormationResponse

    install_attributes()
    CloudFormationResponse.continue_update_rollback = _continue_update_rollback_action  # type: ignore[attr-defined]
    parsing.resource_class_from_type = resource_class
    parsing.resource_name_property_from_type = name_property
    parsing.clean_json = _clean_json
    parsing.parse_and_create_resource = _create
    parsing.parse_and_update_resource = _update
    parsing.ResourceMap._delete_resource = _delete_resource  # type: ignore[method-assign]
    parsing.ResourceMap.update = _update_map  # type: ignore[method-assign]
    parsing.ResourceMap.delete = _delete_map  # type: ignore[method-assign]
    models.CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]
    models.CloudFormationBackend.delete_stack = delete_stack  # type: ignore[method-assign]
    models.CloudFormationBackend.create_change_set = create_change_set  # type: ignore[method-assign]
    models.Stack.parameter_list = property(_parameter_list)  # type: ignore[assignment,method-assign]
    models.Stack.stack_resources = property(_stack_resources)  # type: ignore[assignment,method-assign]
    from moto.s3.models import FakeBucket

    FakeBucket.get_permission = _bucket_permission  # type: ignore[method-assign]
    from moto.ecs.models import EC2ContainerServiceBackend

    EC2ContainerServiceBackend.update_service = _no_tasks_update(  # type: ignore[method-assign]
        EC2ContainerServiceBackend.update_service)
    _installed.append(True)


def _no_tasks_update(update: Any) -> Any:
    """moto's UpdateService, keeping the service's running count: moto sets it to the new desired count, but
    the emulator starts no container, so a service it updated runs 0 tasks as one it created does (status
    would otherwise show 1/1 after an update and 0/1 after a create)."""

    def update_service(self: Any, service_properties: dict[str, Any]) -> Any:
        cluster = self._get_cluster(service_properties.get("cluster") or "default")
        before = self._get_service(service_properties.get("cluster") or "default",
                                   str(service_properties.get("service", "")).split("/")[-1]).running_count
        service = update(self, service_properties)
        if service.running_count != before:
            self.update_cluster_resources(cluster, before - service.running_count, task_state="RUNNING")
            service.running_count = before
            service.pending_count = max(service.desired_count - before, 0)
        return service
    return update_service


# A bucket policy statement that applies only to plain-HTTP requests (aws:SecureTransport false, the usual
# "deny insecure transport"). moto evaluates bucket policies without their conditions, so such a Deny would
# refuse every request; the emulator stands in for AWS's HTTPS endpoints, where it never matches.
_INSECURE_ONLY = {"Bool": {"aws:SecureTransport": "false"}}


def _bucket_permission(self: Any, action: str, resource: str) -> Any:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    if self.policy is None:
        return PermissionResult.NEUTRAL
    policy = json.loads(self.policy.decode())
    statements = policy.get("Statement", [])
    policy["Statement"] = [s for s in (statements if isinstance(statements, list) else [statements])
                           if s.get("Condition") != _INSECURE_ONLY]
    return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)
