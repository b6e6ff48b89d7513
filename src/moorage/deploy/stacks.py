"""One stack on CloudFormation: its deployed state, its parameters, change sets and events."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from moorage.cfn.read import template_from_body

TERMINAL_OK = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
               "IMPORT_ROLLBACK_COMPLETE"}
TERMINAL = TERMINAL_OK | {"CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "UPDATE_ROLLBACK_FAILED",
                          "DELETE_COMPLETE", "DELETE_FAILED", "UPDATE_FAILED"}
NO_CHANGES = ("didn't contain changes", "No updates are to be performed")


@dataclass
class StackState:
    """A deployed stack as CloudFormation reports it."""

    name: str
    stack_id: str
    status: str
    reason: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    updated: datetime | None = None
    change_set_id: str = ""

    @property
    def busy(self) -> bool:
        """True while an operation runs on the stack."""
        return self.status.endswith("_IN_PROGRESS") and self.status != "REVIEW_IN_PROGRESS"

    @property
    def deployed(self) -> bool:
        """True when the stack holds a deployed template (not only a pending create change set)."""
        return self.status not in ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE")


def read_stack(cf: Any, name: str) -> StackState | None:
    """The stack called ``name``, or None when it does not exist."""
    try:
        stacks = cf.describe_stacks(StackName=name)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc) or exc.response.get("Error", {}).get("Code") == "ValidationError":
            return None
        raise
    if not stacks:
        return None
    return parse_stack(stacks[0])


def parse_stack(s: dict[str, Any]) -> StackState:
    """A :class:`StackState` from one ``describe_stacks`` entry (live or recorded)."""
    return StackState(
        name=s["StackName"], stack_id=s["StackId"], status=s["StackStatus"], reason=s.get("StackStatusReason", ""),
        parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in s.get("Parameters", [])},
        outputs={o["OutputKey"]: o.get("OutputValue", "") for o in s.get("Outputs", []) or []},
        tags={t["Key"]: t["Value"] for t in s.get("Tags", [])},
        updated=s.get("LastUpdatedTime") or s.get("CreationTime"), change_set_id=s.get("ChangeSetId", ""))


def deployed_template(cf: Any, name: str) -> dict[str, Any]:
    """The template a stack currently runs."""
    return template_from_body(cf.get_template(StackName=name, TemplateStage="Original")["TemplateBody"])


def stack_parameters(stack: dict[str, Any], outputs: dict[str, dict[str, str]],
                     images: dict[str, str]) -> dict[str, str]:
    """Parameter values of a manifest stack: other stacks' outputs, and images built for services."""
    values: dict[str, str] = {}
    for param in stack.get("parameters", []):
        source = param["from"]
        if "build" in source:
            service = source["build"]
            if service not in images:
                raise KeyError(f"no image built for service {service}")
            values[param["name"]] = images[service]
            continue
        upstream = outputs.get(source["stack"], {})
        if source["output"] not in upstream:
            raise KeyError(f"stack {source['stack']} has no output {source['output']} (is it deployed?)")
        values[param["name"]] = upstream[source["output"]]
    return values


EXECUTION_ROLE_VARIABLE = "MOORAGE_CFN_ROLE_ARN"


def execution_role() -> dict[str, str]:
    """``{"RoleARN": ...}`` when CloudFormation must act through an execution role (CI sets
    ``MOORAGE_CFN_ROLE_ARN``: its own role may only drive CloudFormation, the execution role holds the resource
    permissions), else nothing."""
    import os

    arn = os.environ.get(EXECUTION_ROLE_VARIABLE, "").strip()
    return {"RoleARN": arn} if arn else {}


@dataclass
class ChangeSet:
    """A change set that was created, with what CloudFormation said about it."""

    id: str
    kind: str  # CREATE or UPDATE
    empty: bool
    described: dict[str, Any]


def create_change_set(cf: Any, name: str, template_body: str | None, template_url: str | None,
                      params: dict[str, str], tags: dict[str, str], kind: str, description: str,
                      poll: float = 1.0, timeout: float = 600.0,
                      resources_to_import: list[dict[str, Any]] | None = None) -> ChangeSet:
    """Create a change set and wait until CloudFormation has computed it (``kind`` IMPORT takes
    ``resources_to_import``)."""
    token = f"moorage-{int(time.time() * 1000)}"
    kwargs: dict[str, Any] = {
        "StackName": name, "ChangeSetName": token, "ChangeSetType": kind, "Description": description[:1024],
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(params.items())],
        "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        **execution_role(),
    }
    if resources_to_import:
        kwargs["ResourcesToImport"] = resources_to_import
    if template_url:
        kwargs["TemplateURL"] = template_url
    else:
        kwargs["TemplateBody"] = template_body
    cs_id = cf.create_change_set(**kwargs)["Id"]
    deadline = time.monotonic() + timeout
    while True:
        described = cf.describe_change_set(ChangeSetName=cs_id, StackName=name)
        status = described.get("Status", "")
        if status in ("CREATE_COMPLETE", "FAILED"):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"change set for {name} not ready after {timeout:.0f} s")
        time.sleep(poll)
    reason = described.get("StatusReason", "") or ""
    if status == "FAILED":
        if any(text in reason for text in NO_CHANGES):
            cf.delete_change_set(ChangeSetName=cs_id, StackName=name)
            return ChangeSet(cs_id, kind, True, described)
        raise ChangeSetError(name, reason)
    return ChangeSet(cs_id, kind, False, described)


class ChangeSetError(Exception):
    """CloudFormation refused a change set (the template or a parameter is invalid)."""

    def __init__(self, stack: str, reason: str) -> None:
        super().__init__(f"{stack}: change set failed: {reason}")
        self.stack = stack
        self.reason = reason


@dataclass
class Event:
    """One CloudFormation stack event."""

    id: str
    time: datetime | None
    logical_id: str
    resource_type: str
    status: str
    reason: str
    physical_id: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {"id": self.id, "time": self.time.isoformat() if self.time else None, "resource": self.logical_id,
                "type": self.resource_type, "status": self.status, "reason": self.reason}


def read_events(cf: Any, name: str, seen: set[str]) -> list[Event]:
    """Events of stack ``name`` not in ``seen`` (oldest first); adds them to ``seen``."""
    out: list[Event] = []
    try:
        pages = cf.get_paginator("describe_stack_events").paginate(StackName=name)
        for page in pages:
            fresh = [e for e in page["StackEvents"] if e["EventId"] not in seen]
            out.extend(Event(str(e["EventId"]), e.get("Timestamp"), e["LogicalResourceId"],
                             e.get("ResourceType", ""), e["ResourceStatus"], e.get("ResourceStatusReason", "") or "",
                             e.get("PhysicalResourceId", "") or "") for e in fresh)
            if len(fresh) < len(page["StackEvents"]):
                break  # newest first: the rest were seen before
    except ClientError:
        return []
    seen.update(e.id for e in out)
    return list(reversed(out))


def first_failure(events: list[Event]) -> Event | None:
    """The resource failure that started it all (not the cancellations and rollbacks after it)."""
    for event in events:
        if event.status.endswith("_FAILED") and "cancelled" not in event.reason.lower() \
                and event.resource_type != "AWS::CloudFormation::Stack":
            return event
    for event in events:
        if event.status.endswith("_FAILED"):
            return event
    return None


def wait_for_stack(cf: Any, name: str, seen: set[str], on_event: Callable[[Event], None],
                   poll: float = 2.0, timeout: float = 3 * 3600.0) -> tuple[str, list[Event]]:
    """Stream events of stack ``name`` until it reaches a terminal status; returns (status, events)."""
    events: list[Event] = []
    deadline = time.monotonic() + timeout
    while True:
        fresh = read_events(cf, name, seen)
        for event in fresh:
            on_event(event)
        events.extend(fresh)
        state = read_stack(cf, name)
        status = state.status if state else "DELETE_COMPLETE"
        if status in TERMINAL:
            fresh = read_events(cf, name, seen)
            for event in fresh:
                on_event(event)
            return status, events + fresh
        if time.monotonic() > deadline:
            raise TimeoutError(f"stack {name} still {status} after {timeout / 3600:.1f} h")
        time.sleep(poll)
