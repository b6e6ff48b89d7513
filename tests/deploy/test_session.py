"""Commands that hints tell the user to run are built by Target (aim, command, aws); a value from the user
(a profile, an environment or preview name, a project path) is shell-quoted, so the pasted line runs as meant."""

from __future__ import annotations

import shlex
from pathlib import Path

from moorage.deploy.session import Target


def test_plain_values_stay_unquoted() -> None:
    assert Target(local=True).aim("dev") == "--env dev --local"
    assert Target(profile="ops", region="eu-west-1").aim("prod", "main") == \
        "--env prod --preview-of main --profile ops --region eu-west-1"


def test_a_value_with_shell_characters_is_one_quoted_word() -> None:
    target = Target(profile="ops team; rm -rf ~", region="eu-west-1")
    line = target.command("logs", "pr-1 $(id)", "--service", "web app", preview_of="ma`in`")
    assert shlex.split(line) == ["moorage", "logs", "--env", "pr-1 $(id)", "--preview-of", "ma`in`",
                                 "--profile", "ops team; rm -rf ~", "--region", "eu-west-1", "--service", "web app"]
    assert shlex.split(target.aws("s3 ls")) == ["aws", "s3", "ls", "--region", "eu-west-1",
                                                "--profile", "ops team; rm -rf ~"]


def test_the_emulator_commands_quote_the_endpoint_and_project() -> None:
    local = Target(local=True, endpoint="http://127.0.0.1:4566", region="us-east-1")
    assert local.aws("s3 ls") == "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws s3 ls " \
                                 "--region us-east-1 --endpoint-url http://127.0.0.1:4566"
    lost = Target(local=True, lock_dir=Path("my project/.moorage/emulator"))
    assert "--project 'my project' (forgets" in lost.aws("s3 ls")
