"""A stack stuck in ROLLBACK_COMPLETE: deploy and diff both stop with the same located message and a hint aimed
where the user aimed (--env, --local), never an internal error; status names the same fix."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moorage import api
from moorage.deploy.progress import QuietReporter
from moorage.deploy.run import DeployOptions, deploy
from moorage.deploy.session import endpoint_target
from moorage.emulator.server import ensure_server, stop_server

if TYPE_CHECKING:
    from conftest import CliResult

SPEC = """\
name: stuck
region: eu-west-1
services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27.3
    port: 80
    route: "/*"
environments:
  staging: {}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project whose staging platform stack failed its first creation (ROLLBACK_COMPLETE) on its emulator."""
    root = tmp_path_factory.mktemp("stuck")
    (root / "moorage.yml").write_text(SPEC, encoding="utf-8")
    server = ensure_server(root)
    try:
        synth = copy.deepcopy(api.synth_environment(api.load_app(root / "moorage.yml"), "staging"))
        synth.templates["platform"]["Resources"]["Broken"] = {
            "Type": "AWS::ECS::Service", "Properties": {"Cluster": "no-such-cluster", "TaskDefinition": "nope:1",
                                                        "ServiceName": "broken"}}
        result = deploy(synth, endpoint_target(server.endpoint), DeployOptions(poll=0.05), QuietReporter())
        assert result.outcomes["platform"].status == "ROLLBACK_COMPLETE"
        yield root
    finally:
        stop_server(root)


def test_diff_of_a_stuck_stack_says_what_deploy_says(project: Path, run_cli: Callable[..., CliResult],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    deployed = run_cli("deploy", "--env", "staging", "--local")
    diffed = run_cli("diff", "--env", "staging", "--local")
    assert deployed.code == 1, deployed.err
    assert diffed.code == deployed.code, diffed.err
    assert "internal error" not in diffed.err and "moorage bug" not in diffed.err
    assert "diff: a deploy would stop before changing anything" in diffed.err
    why = "stuck-staging-platform is ROLLBACK_COMPLETE: its first creation failed"
    assert why in diffed.err and why in deployed.err
    # The fix is aimed where the user aimed: the same environment, on the emulator.
    fix = "moorage deploy --env staging --local --repair"
    assert fix in diffed.err and fix in deployed.err


def test_diff_json_of_a_stuck_stack_is_a_refusal(project: Path, run_cli: Callable[..., CliResult],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    monkeypatch.chdir(project)
    diffed = run_cli("diff", "--env", "staging", "--local", "--format", "json")
    assert diffed.code == 1, diffed.err
    events = [json.loads(line) for line in diffed.out.splitlines() if line.startswith("{")]
    refused = [e for e in events if e.get("event") == "refused"]
    assert refused and refused[0]["problems"][0]["fix"] == "delete", diffed.out


def test_status_names_the_repair_aimed_at_the_emulator(project: Path, run_cli: Callable[..., CliResult],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    shown = run_cli("status", "--env", "staging", "--local")
    assert shown.code == 0, shown.err
    assert "moorage deploy --env staging --local --repair" in " ".join((shown.out + shown.err).split())


def test_a_refusal_no_command_reports_is_still_no_internal_error(capsys: pytest.CaptureFixture[str]) -> None:
    """The last line of defence: a deploy refusal escaping any command prints its problems and fix (exit 1)."""
    from moorage.cli.app import _refused_deploy
    from moorage.deploy.repair import diagnose
    from moorage.deploy.run import DeployRefused
    from moorage.deploy.stacks import parse_stack

    state = parse_stack({"StackName": "stuck-staging-platform", "StackStatus": "ROLLBACK_COMPLETE",
                         "StackId": "arn:aws:cloudformation:eu-west-1:111122223333:stack/stuck-staging-platform/1"})
    problem = diagnose(state, aim="--env staging --local")
    assert problem is not None
    assert _refused_deploy(DeployRefused(problems=[problem]))
    said = capsys.readouterr().err
    assert "stopped before changing anything" in said and "moorage deploy --env staging --local --repair" in said
    assert not _refused_deploy(ValueError("a real bug"))
