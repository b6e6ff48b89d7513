"""How `moorage --help` reads: commands in workflow order with whole one-line descriptions, and
placeholders in plain words (``--env ENV``) instead of Python types (``<str>``, ``<list[str]>``)."""

from __future__ import annotations

from typing import Any

# The order a team meets the commands in; commands not listed (added later) follow in registration order.
WORKFLOW = ("init", "plan", "synth", "validate", "check", "rules", "cost", "prices", "docs", "diagram", "deploy",
            "diff", "status", "logs", "run", "exec", "secrets", "envs", "open", "release", "rollback", "history",
            "ci", "destroy", "local", "schema", "version")


def summary(help_text: str | None) -> str:
    """The first paragraph of a command's help, on one line (never cut)."""
    first = (help_text or "").strip().split("\n\n", 1)[0]
    return " ".join(first.split())


# What an option's value is, where its name alone does not say it (``--wait-lock SECONDS``, not ``WAIT_LOCK``).
PLACEHOLDERS = {
    "--wait-lock": "SECONDS", "--timeout": "MINUTES", "--since": "DURATION", "--parallel": "COUNT",
    "--preview-of": "BASE_ENV", "--to": "RELEASE", "--from": "COMPOSE_FILE", "--output": "PATH",
    "--allow-replace": "RESOURCE", "--image": "SERVICE=IMAGE", "--skip": "SERVICE", "--filter": "PATTERN",
    "--confirm": "APP", "--task": "TASK_ID", "--project": "DIR", "--fail-on": "SEVERITY", "--show": "SEVERITY",
    "--fail-over": "DOLLARS", "--fail-over-basis": "BASIS", "--usage": "FILE", "--usage-profile": "SIZE",
    "--price-region": "REGION", "--prices": "DIR", "--require": "RULE", "--residency": "REGIONS",
    "--standard": "STANDARD", "--source": "SOURCE", "--account": "ACCOUNT_ID", "--environments": "ENV,...",
    "--provider-arn": "ARN", "--repo": "OWNER/NAME",
}


def placeholder(param: Any) -> str:
    """``ENV`` for ``--env``, ``SPEC`` for the spec argument; ``...`` when it repeats."""
    name = (param.name or "value").upper()
    known = [PLACEHOLDERS[o] for o in param.opts if o in PLACEHOLDERS]
    if param.param_type_name == "option" and known:
        return known[0]
    if param.param_type_name == "option":
        longest = max(param.opts, key=len).lstrip("-")
        name = longest.split("-")[-1].upper() if longest.startswith(("compose-", "env-", "fail-", "allow-")) \
            else longest.upper().replace("-", "_")
    return name


def polish(command: Any) -> Any:
    """Apply the help conventions to ``command`` and every subcommand; returns it.

    Duck-typed: typer may build its commands on its own vendored copy of click.
    """
    for param in command.params:
        if param.param_type_name == "argument":
            given = param.metavar
            param.metavar = given or placeholder(param)
            param.display_type_rich = lambda ctx: None  # the placeholder says it: no `<path>` after it
            shown = given or param.metavar + ("..." if param.nargs != 1 else "")
            if not given and not param.required:
                shown = f"[{shown}]"
            param._usage_display_name = lambda shown=shown: shown  # SPEC / [SPEC], never {spec}
        elif param.metavar is None and not getattr(param, "is_flag", False) and not getattr(param, "count", False) \
                and type(getattr(param, "type", None)).__name__ != "Choice" \
                and not getattr(getattr(param, "type_descriptor", None), "is_choice", False):  # [table|json]
            param.metavar = placeholder(param)
    if isinstance(getattr(command, "commands", None), dict):
        rank = {name: i for i, name in enumerate(WORKFLOW)}
        ordered = sorted(command.commands.items(), key=lambda item: rank.get(item[0], len(WORKFLOW)))
        command.commands = dict(ordered)
        for sub in command.commands.values():
            if not sub.short_help:
                sub.short_help = summary(sub.help)
            polish(sub)
    return command
