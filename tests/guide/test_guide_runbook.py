"""The runbook uses moorage's day-two commands, and every `moorage ...` command the guide prints parses with the
CLI it documents (each option exists on that command, the arguments fit); a value a provider issued is never
replaced with a random one."""

from __future__ import annotations

import shlex
from typing import Any

import click
from guide_helpers import build, code_blocks

from moorage.cli.app import moorage_command

# Placeholders the reader fills in, with a value of the type the option takes.
PLACEHOLDERS = {"RELEASE": "7"}


def _command_lines(markdown: str) -> list[list[str]]:
    lines = []
    for block in code_blocks(markdown):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["moorage"]:
                lines.append([PLACEHOLDERS.get(w, w) for w in words[1:]])
    return lines


def parse_error(words: list[str]) -> str | None:
    """Why `moorage WORDS` does not parse with the CLI (a missing command, an unknown option, a wrong value or
    argument count), or None when it parses."""
    cmd: Any = moorage_command()
    rest = list(words)
    while hasattr(cmd, "get_command") and rest:
        sub = cmd.get_command(cmd.make_context("moorage", [], resilient_parsing=True), rest[0])
        if sub is None:
            return f"no command {rest[0]!r}"
        cmd, rest = sub, rest[1:]
    if hasattr(cmd, "get_command"):
        return "a command group, not a command"
    try:
        cmd.make_context("moorage", rest)
    except click.exceptions.ClickException as exc:  # typer's click: its exceptions are click's own types
        return exc.format_message()
    except Exception as exc:  # noqa: BLE001 - typer's vendored click raises its own UsageError types
        return f"{type(exc).__name__}: {exc}"
    return None


def test_the_parser_refuses_what_the_cli_refuses() -> None:
    """The check below can fail: an unknown option, a value of the wrong type and an extra argument are caught."""
    assert parse_error(["logs", "moorage.yml", "--env", "dev", "--tail"])
    assert parse_error(["rollback", "moorage.yml", "--env", "dev", "--to", "RELEASE"])
    assert parse_error(["status", "moorage.yml", "extra", "--env", "dev"])
    assert parse_error(["secrets", "reveal", "moorage.yml", "--env", "dev"])  # no such command
    assert parse_error(["secrets", "set", "moorage.yml", "STRIPE_KEY", "--env", "dev", "--restart"]) is None


def test_every_moorage_command_in_the_guide_parses(case: Any) -> None:
    built = build(case)
    lines = _command_lines(built.markdown)
    assert len(lines) >= 5, f"{case.label}: only {len(lines)} moorage commands"
    problems = [f"moorage {' '.join(words)}: {why}" for words in lines if (why := parse_error(words))]
    assert not problems, f"{case.label}: {problems}"


def test_the_runbook_uses_the_day_two_commands(case: Any) -> None:
    built = build(case)
    md, plan = built.markdown, built.gi.plan
    spec, env = shlex.quote(built.gi.spec), plan.env.env
    if any(sp.spec.kind in ("web", "service", "worker") for sp in plan.services.values()):
        for command in ("history", "rollback", "logs", "status", "diff", "deploy"):
            assert f"moorage {command} {spec} --env {env}" in md, f"{case.label}: no `moorage {command}`"
        assert "PREVIOUS_REVISION" not in md and "git revert HEAD" not in md
    assert "aws logs tail" not in md, f"{case.label}: logs through the aws CLI although `moorage logs` exists"
    for name, sec in plan.secrets.items():
        s = sec.spec
        if s.external or s.rotation_function:
            continue
        verb = "rotate" if s.generate else "set"
        assert f"moorage secrets {verb} {spec} {name} --env {env} --restart" in md, f"{case.label}: {name}"
    # moorage never puts a random value into a secret by the aws CLI (a provider's key would break).
    assert "get-random-password" not in md and "put-secret-value" not in md


def test_a_provider_issued_key_is_renewed_at_the_provider(cases: Any) -> None:
    """rupaya's `generate: false` secrets (SENDGRID_API_KEY, ...): a new key from the provider, set with moorage,
    the old one revoked; never a generated value."""
    case = cases.get("examples/rupaya/moorage.yml", "prod")
    assert not case.synth.plan.secrets["SENDGRID_API_KEY"].spec.generate
    md = build(case).markdown
    section = md.split("### Rotate secrets", 1)[1].split("\n## ", 1)[0]
    assert "issue a new key with the provider" in section and "revoke the old key at the provider" in section
    assert "moorage secrets set moorage.yml SENDGRID_API_KEY --env prod --restart" not in section  # spec by path
    assert "moorage secrets set examples/rupaya/moorage.yml SENDGRID_API_KEY --env prod --restart" in section
    assert "moorage secrets rotate examples/rupaya/moorage.yml SENDGRID_API_KEY" not in md
    # the Secrets table says who rotates it: a person, reminded (no function rotates it)
    assert ("| `rupaya/prod/SENDGRID_API_KEY` | set by you after the first deploy | by hand, reminded every 180 days "
            "(see Runbook) |") in md


def test_database_and_cache_credentials_say_what_rotates_them(case: Any) -> None:
    built = build(case)
    plan = built.gi.plan
    if not plan.databases and not plan.caches:
        assert "Database and cache credentials" not in built.markdown
        return
    section = built.markdown.split("### Database and cache credentials", 1)[1].split("\n## ", 1)[0]
    for name in plan.databases:
        row = next(line for line in section.splitlines() if line.startswith(f"| database `{name}` |"))
        db = plan.databases[name]
        rotated_by_machine = any(p.database == name for p in plan.password_rotations)
        assert ("RDS rotates" in row) == bool(db.rotation_days), row
        assert ("state machine" in row) == rotated_by_machine, row
        assert ("not rotated" in row) == (not db.rotation_days and not rotated_by_machine), row
    for name in plan.caches:
        row = next(line for line in section.splitlines() if line.startswith(f"| cache `{name}` |"))
        assert ("state machine" in row) == any(t.cache == name for t in plan.token_rotations), row
