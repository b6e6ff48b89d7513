"""Stacks that a deploy cannot go through: detected before anything changes, explained in plain
words, and repaired on request (``--repair``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from moorage.deploy.stacks import StackState

Fix = Literal["continue-rollback", "delete", "none"]


@dataclass(frozen=True)
class Problem:
    """Why a stack blocks a deploy, and what to do about it."""

    stack: str
    status: str
    explanation: str
    advice: str
    fix: Fix

    def render(self) -> str:
        """Two lines for a terminal."""
        return f"{self.headline()}\n    fix: {self.advice}"

    def headline(self) -> str:
        """The stack, its status and why it blocks, in one line (without the fix)."""
        return f"{self.stack} is {self.status}: {self.explanation}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form."""
        return {"stack": self.stack, "status": self.status, "explanation": self.explanation,
                "advice": self.advice, "fix": self.fix}


def plain_aws(command: str) -> str:
    """``aws COMMAND`` as is (no target known: the user's default AWS account)."""
    return f"aws {command}"


def diagnose(state: StackState | None, busy_detail: str = "", aim: str = "",
             aws: Callable[[str], str] = plain_aws) -> Problem | None:
    """The problem that keeps a deploy from updating this stack, or None. ``aim`` holds the options that aim a
    command where the user aimed theirs (``--env dev --local``, :meth:`Target.aim`), for the commands the advice
    names. ``aws`` writes the ``aws`` commands it names (``Target.aws``: on the emulator they carry its endpoint)."""
    def moorage(verb: str, *extra: str) -> str:
        return " ".join(["moorage", verb, *([aim] if aim else []), *extra])

    if state is None:
        return None
    status = state.status
    if state.busy:
        who = f" ({busy_detail})" if busy_detail else ""
        return Problem(state.name, status, f"another operation is running on this stack{who}",
                       f"wait for it to finish (`{moorage('status')}`), then deploy again", "none")
    if status == "UPDATE_ROLLBACK_FAILED":
        return Problem(state.name, status,
                       "an update failed and CloudFormation could not roll it back; the stack cannot be updated "
                       "until the rollback is continued" + (f" ({state.reason})" if state.reason else ""),
                       f"run `{moorage('deploy', '--repair')}` (ContinueUpdateRollback), or "
                       f"`{aws(f'cloudformation continue-update-rollback --stack-name {state.name}')}` "
                       "after fixing the resource named above",
                       "continue-rollback")
    if status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"):
        return Problem(state.name, status,
                       "its first creation failed and was rolled back; such a stack holds nothing and can only "
                       "be deleted",
                       f"run `{moorage('deploy', '--repair')}` (deletes the empty stack, then creates it again), or "
                       f"`{aws(f'cloudformation delete-stack --stack-name {state.name}')}`", "delete")
    if status == "DELETE_FAILED":
        return Problem(state.name, status,
                       "a deletion failed part way" + (f" ({state.reason})" if state.reason else ""),
                       f"run `{moorage('destroy')}` again once the blocking resource is "
                       f"removed, or `{moorage('deploy', '--repair')}` to delete it first", "delete")
    return None


def busy_detail(cf: Any, state: StackState) -> str:
    """Who/what is running on a busy stack: the change set's description and the latest event."""
    parts: list[str] = []
    if state.change_set_id:
        try:
            described = cf.describe_change_set(ChangeSetName=state.change_set_id, StackName=state.name)
            if described.get("Description"):
                parts.append(str(described["Description"]))
        except Exception:  # noqa: BLE001 - the detail is a courtesy
            pass
    try:
        event = cf.describe_stack_events(StackName=state.name)["StackEvents"][0]
        when = event.get("Timestamp")
        parts.append(f"last event {event['LogicalResourceId']} {event['ResourceStatus']}"
                     + (f" at {when:%Y-%m-%d %H:%M:%S %Z}" if when else ""))
    except Exception:  # noqa: BLE001
        pass
    return "; ".join(parts)


def repair(cf: Any, problem: Problem) -> None:
    """Apply the fix for ``problem`` and wait for the stack to settle."""
    if problem.fix == "continue-rollback":
        cf.continue_update_rollback(StackName=problem.stack)
    elif problem.fix == "delete":
        cf.delete_stack(StackName=problem.stack)
    else:
        raise ValueError(f"{problem.stack}: nothing moorage can do while {problem.status}")
