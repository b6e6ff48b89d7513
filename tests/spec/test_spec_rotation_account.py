"""A secret's rotation_function in another AWS account than the environment's (when the spec knows the account:
its domain's certificate_arn, which must be in the deploying account) is a located error: the stack grants
Secrets Manager the right to invoke the function with lambda:AddPermission, which no account can do on another
account's function. Where the spec names no account, nothing new is said."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from moorage import api
from moorage.errors import Diagnostic
from moorage.spec.load import LoadedApp

SPEC = Callable[..., tuple[Path, list[Diagnostic]]]
CERT = "arn:aws:acm:eu-west-1:{account}:certificate/0a1b2c3d-1234-5678-9abc-0123456789ab"
APP = """name: demo
region: eu-west-1
services:
  web: {{image: x:1, port: 80, route: /, secrets: [TOKEN]}}
domain: {{name: app.example.com, certificate_arn: "{cert}"}}
secrets:
  TOKEN:
    rotate_days: 30
    rotation_function: arn:aws:lambda:eu-west-1:111111111111:function:rotate-token
"""


def test_a_rotation_function_in_another_account_is_a_located_error(input_errors: SPEC) -> None:
    path, [diag] = input_errors(APP.format(cert=CERT.format(account="222222222222")))
    assert diag.location is not None and diag.location.file == str(path)
    assert diag.location.path == ("secrets", "TOKEN", "rotation_function") and diag.location.line == 9
    assert "account 111111111111" in diag.message and "222222222222" in diag.message
    assert "certificate_arn" in diag.message
    assert "resource policy" in diag.hint and "222222222222" in diag.hint


def test_an_environment_whose_certificate_names_another_account_is_checked_too(input_errors: SPEC) -> None:
    text = APP.format(cert=CERT.format(account="111111111111")) + f"""environments:
  prod:
    domain: {{name: app.example.com, certificate_arn: "{CERT.format(account='333333333333')}"}}
"""
    _, [diag] = input_errors(text, "prod")
    assert "333333333333" in diag.message


def test_the_same_account_or_an_unknown_one_is_fine(load_spec: Callable[[str], LoadedApp]) -> None:
    same = load_spec(APP.format(cert=CERT.format(account="111111111111")))
    api.plan_environment(same, "prod")
    unknown = load_spec("\n".join(line for line in APP.format(cert="").splitlines()
                                   if not line.startswith("domain:")) + "\n")
    assert unknown.spec.domain is None
    plan = api.plan_environment(unknown, "prod")
    assert not [w for w in plan.warnings if "account" in w.message]
