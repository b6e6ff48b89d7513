"""Day-two commands end to end on the local emulator (a real background process on a loopback port).

One project is deployed once per module; every test then drives `moorage` as users do and checks the
emulated account with boto3, independently of moorage's own reading of it.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from moorage import api
from moorage.deploy.progress import QuietReporter
from moorage.deploy.run import DeployOptions, deploy
from moorage.deploy.session import endpoint_target
from moorage.emulator.server import ensure_server, server_status, stop_server

if TYPE_CHECKING:
    from conftest import CliResult

Run = Callable[..., "CliResult"]
REGION = "eu-west-1"
SPEC = """\
name: dayto
region: eu-west-1
services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27.3
    port: 80
    route: "/*"
    health: /
    secrets: [JWT_SECRET]
  worker:
    image: public.ecr.aws/nginx/nginx:1.27.3
    secrets: [JWT_SECRET, STRIPE_KEY]
secrets:
  JWT_SECRET: {generate: true}
  STRIPE_KEY: {generate: false, rotate_days: 90}
environments:
  dev:
    services: {web: {exec: true}}
  prod: {}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project with dev deployed to its own background emulator."""
    root = tmp_path_factory.mktemp("dayto")
    (root / "moorage.yml").write_text(SPEC, encoding="utf-8")
    server = ensure_server(root)
    try:
        synth = api.synth_environment(api.load_app(root / "moorage.yml"), "dev")
        result = deploy(synth, endpoint_target(server.endpoint), DeployOptions(poll=0.05), QuietReporter())
        assert result.ok
        yield root
    finally:
        stop_server(root)


@pytest.fixture
def aws(project: Path) -> Callable[[str], Any]:
    server = server_status(project)
    assert server is not None

    def client(service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=server.endpoint,
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    return client


@pytest.fixture
def here(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in the project directory: SPEC defaults to its moorage.yml."""
    monkeypatch.chdir(project)
    return project


def _write_logs(aws: Callable[[str], Any], group: str, stream: str, events: list[tuple[int, str]]) -> None:
    logs = aws("logs")
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(logGroupName=group, logStreamName=stream,
                        logEvents=[{"timestamp": t, "message": m} for t, m in events])


@pytest.fixture(scope="module")
def log_lines(project: Path) -> int:
    """Lines of both services, interleaved in time; returns the newest timestamp."""
    server = server_status(project)
    assert server is not None
    now = int(time.time() * 1000)
    client = boto3.client("logs", region_name=REGION, endpoint_url=server.endpoint,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    for group, stream, events in (
            ("/moorage/dayto/dev/web", "web/web/t1", [(now - 5000, "GET / 200"),
                                                      (now - 1000, "ERROR at file.yml:100:5")]),
            ("/moorage/dayto/dev/worker", "worker/worker/t2", [(now - 3000, "job done")])):
        client.create_log_stream(logGroupName=group, logStreamName=stream)
        client.put_log_events(logGroupName=group, logStreamName=stream,
                              logEvents=[{"timestamp": t, "message": m} for t, m in events])
    return now


def test_logs_merge_services_in_time_order(run_cli: Run, here: Path, log_lines: int) -> None:
    result = run_cli("logs", "--env", "dev", "--local", "--since", "1h")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert [line.split()[2] for line in lines] == ["web", "worker", "web"]
    assert lines[0].endswith("GET / 200") and lines[1].endswith("job done")
    assert lines[2].endswith("ERROR at file.yml:100:5")  # a location stays text: no :100: emoji


def test_logs_json_filter_and_one_service(run_cli: Run, here: Path, log_lines: int) -> None:
    result = run_cli("logs", "--env", "dev", "--local", "--since", "1h", "--filter", "ERROR", "--json")
    assert result.code == 0, result.err
    [event] = [json.loads(line) for line in result.out.splitlines()]
    assert (event["service"], event["message"], event["stream"]) == ("web", "ERROR at file.yml:100:5", "web/web/t1")
    only = run_cli("logs", "--env", "dev", "--local", "--since", "1h", "--service", "worker")
    assert only.code == 0 and only.out.count("\n") == 1 and "job done" in only.out


def test_logs_since_in_the_future_says_nothing_yet(run_cli: Run, here: Path, log_lines: int) -> None:
    result = run_cli("logs", "--env", "dev", "--local", "--since", "9999-12-31T23:59")
    assert result.code == 0, result.err
    assert result.out == "" and "nothing yet: --since 9999-12-31T23:59 is in the future" in result.err


def test_logs_follow_backs_off_and_ends_cleanly_on_ctrl_c(run_cli: Run, here: Path, log_lines: int,
                                                         aws: Callable[[str], Any],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []

    def pause(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 1:
            _write_logs(aws, "/moorage/dayto/dev/worker", "worker/worker/t3",
                        [(int(time.time() * 1000), "a new line")])
        elif len(waits) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr("moorage.operate.logs.pause", pause)
    result = run_cli("logs", "--env", "dev", "--local", "--since", "1h", "--follow", "--service", "worker")
    assert result.code == 0, result.err
    assert result.out.count("job done") == 1 and result.out.count("a new line") == 1  # each line once
    assert waits == [1.0, 1.0, 2.0]  # polls again soon after lines, waits longer while nothing comes
    assert "stopped following" in result.err


def test_logs_dash_f_follows_like_tail_and_says_so_when_meant_as_a_format(
        run_cli: Run, here: Path, log_lines: int, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("moorage.operate.logs.pause", interrupt)
    followed = run_cli("logs", "--env", "dev", "--local", "--since", "1h", "-f", "--format", "json")
    assert followed.code == 0, followed.err
    assert "ERROR at file.yml:100:5" in [json.loads(line)["message"] for line in followed.out.splitlines()]
    assert "stopped following" not in followed.err  # --format json keeps stderr for errors
    table = run_cli("logs", "--env", "dev", "--local", "--since", "1h", "-f")
    assert table.code == 0 and "stopped following" in table.err
    old = run_cli("logs", "--env", "dev", "--local", "-f", "json")  # -f was once taken for --format
    assert old.code == 2 and "-f means --follow" in old.err and "--format json" in old.err
    assert "-f, --follow" in run_cli("logs", "--help").out


def test_logs_bad_input_is_located(run_cli: Run, here: Path) -> None:
    unknown = run_cli("logs", "--env", "dev", "--local", "--service", "wbe")
    assert unknown.code == 2 and "no service named 'wbe'" in unknown.err and "did you mean 'web'?" in unknown.err
    since = run_cli("logs", "--env", "dev", "--local", "--since", "yesterday")
    assert since.code == 2 and "--since 'yesterday'" in since.err and "30m" in since.err
    env = run_cli("logs", "--env", "dve", "--local")
    assert env.code == 2 and "did you mean 'dev'?" in env.err and "moorage.yml:" in env.err
    # an environment not deployed is no bad input: the view says there is nothing to show (exit 0)
    prod = run_cli("logs", "--env", "prod", "--local")
    assert prod.code == 0 and "nothing to show: dayto/prod is not deployed" in prod.err, prod.err
    assert "moorage deploy --env prod" in prod.err


def test_run_starts_the_service_task_waits_and_propagates_exit_code(run_cli: Run, here: Path,
                                                                   aws: Callable[[str], Any]) -> None:
    result = run_cli("run", "--env", "dev", "--local", "--service", "worker", "--", "echo", "hi there")
    assert result.code == 0, result.err
    assert "stopped: exit 0" in result.err and "the emulator runs no containers" in result.err
    ecs = aws("ecs")
    arns = ecs.list_tasks(cluster="dayto-dev")["taskArns"]
    tasks = ecs.describe_tasks(cluster="dayto-dev", tasks=arns)["tasks"]
    [task] = [t for t in tasks if t.get("overrides", {}).get("containerOverrides", [{}])[0].get("command")
              == ["echo", "hi there"]]
    assert task["taskDefinitionArn"].rsplit("/", 1)[-1].startswith("dayto-dev-worker:")
    assert task["startedBy"] == "moorage-run"
    service = ecs.describe_services(cluster="dayto-dev", services=[
        s for s in ecs.list_services(cluster="dayto-dev")["serviceArns"] if "worker" in s])["services"][0]
    subnets = service["networkConfiguration"]["awsvpcConfiguration"]["subnets"]
    attached = {d["value"] for a in task.get("attachments", []) for d in a.get("details", [])}
    assert not attached or attached & set(subnets)  # the service's own subnets, where the emulator shows them


def test_run_detach_prints_the_task_id(run_cli: Run, here: Path) -> None:
    result = run_cli("run", "--env", "dev", "--local", "--service", "web", "--detach", "--json")
    assert result.code == 0, result.err
    started = json.loads(result.out)
    assert started["service"] == "web" and started["task_id"] and started["command"] == []
    assert started["network"]["awsvpcConfiguration"]["securityGroups"]


def test_run_bad_input(run_cli: Run, here: Path) -> None:
    missing = run_cli("run", "--env", "dev", "--local", "--", "ls")
    assert missing.code == 2 and "--service" in missing.err
    unknown = run_cli("run", "--env", "dev", "--local", "--service", "wroker", "--", "ls")
    assert unknown.code == 2 and "did you mean 'worker'?" in unknown.err


def test_exec_refuses_when_exec_is_off_and_checks_the_task_on_the_emulator(run_cli: Run, here: Path) -> None:
    off = run_cli("exec", "--env", "dev", "--local", "--service", "worker")
    assert off.code == 2 and "ECS Exec is off for worker in dev" in off.err and "exec: true" in off.err
    started = run_cli("run", "--env", "dev", "--local", "--service", "web", "--detach")
    task = started.out.strip()
    assert "moorage logs --env dev --local --service web --follow" in " ".join(started.err.split())
    shell = run_cli("exec", "--env", "dev", "--local", "--service", "web", "--task", task, "--", "ls", "/")
    assert shell.code == 0, shell.err
    assert f"task {task} found" in shell.out and "'ls /'" in shell.out and "no session opens" in shell.out
    wrong = run_cli("exec", "--env", "dev", "--local", "--service", "web", "--task", "not-a-task")
    assert wrong.code == 2 and "no task not-a-task of web" in wrong.err


def test_secrets_set_from_stdin_never_shows_the_value(run_cli: Run, here: Path, aws: Callable[[str], Any],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("sk_test_VALUE_MARKER\n"))
    result = run_cli("secrets", "set", "--env", "dev", "--local", "STRIPE_KEY")
    assert result.code == 0, result.err
    stored = aws("secretsmanager").get_secret_value(SecretId="dayto/dev/STRIPE_KEY")["SecretString"]
    assert stored == "sk_test_VALUE_MARKER"
    assert "1 service read STRIPE_KEY at start: worker" in result.out
    # only what restarts them: a deploy finds the templates unchanged and restarts nothing
    said = " ".join(result.out.split())
    assert "moorage secrets restart --env dev --local STRIPE_KEY (or give --restart with secrets set)" in said
    assert "moorage deploy" not in said
    listed = run_cli("secrets", "list", "--env", "dev", "--local")
    assert listed.code == 0 and "STRIPE_KEY" in listed.out and "manual every 90 days" in listed.out
    assert "web, worker" in listed.out  # JWT_SECRET's readers
    as_json = run_cli("secrets", "list", "--env", "dev", "--local", "--json")
    names = {s["name"]: s for s in json.loads(as_json.out)}
    assert set(names) == {"JWT_SECRET", "STRIPE_KEY"} and names["STRIPE_KEY"]["last_changed"]
    for shown in (result, listed, as_json):
        assert "VALUE_MARKER" not in shown.out + shown.err


def test_secrets_bad_input(run_cli: Run, here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("x"))
    unknown = run_cli("secrets", "set", "--env", "dev", "--local", "STRIPE_KYE")
    assert unknown.code == 2 and "did you mean 'STRIPE_KEY'?" in unknown.err
    inline = run_cli("secrets", "set", "--env", "dev", "--local", "STRIPE_KEY=sk_live_x")
    assert inline.code == 2 and "never go on the command line" in inline.err and "sk_live_x" not in inline.err
    second = run_cli("secrets", "set", "--env", "dev", "--local", "STRIPE_KEY", "whsec_cmdline_value")
    assert second.code == 2 and "never read from the command line" in second.err, second.err
    assert "stdin" in second.err and "whsec_cmdline_value" not in second.out + second.err
    assert "file not found" not in second.err
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    empty = run_cli("secrets", "set", "--env", "dev", "--local", "STRIPE_KEY")
    assert empty.code == 2 and "empty value" in empty.err
    monkeypatch.setattr(sys, "stdin", io.StringIO("k" * 65537))  # Secrets Manager takes 64 KiB
    large = run_cli("secrets", "set", "--env", "dev", "--local", "STRIPE_KEY")
    assert large.code == 2 and "65,537 bytes" in large.err and "at most 65,536" in large.err
    provided = run_cli("secrets", "rotate", "--env", "dev", "--local", "STRIPE_KEY")
    assert provided.code == 2 and "generate: false" in provided.err
    assert "moorage secrets set --env dev --local STRIPE_KEY" in " ".join(provided.err.split())


def test_secrets_rotate_restarts_the_readers(run_cli: Run, here: Path, aws: Callable[[str], Any]) -> None:
    sm = aws("secretsmanager")
    before = sm.get_secret_value(SecretId="dayto/dev/JWT_SECRET")["SecretString"]
    ecs = aws("ecs")
    arns = ecs.list_services(cluster="dayto-dev")["serviceArns"]
    deployments = {s["serviceName"]: len(s["deployments"])
                   for s in ecs.describe_services(cluster="dayto-dev", services=arns)["services"]}
    result = run_cli("secrets", "rotate", "--env", "dev", "--local", "JWT_SECRET", "--restart")
    assert result.code == 0, result.err
    after = sm.get_secret_value(SecretId="dayto/dev/JWT_SECRET")["SecretString"]
    assert after != before and len(after) == 40 and after not in result.out
    assert "restarted web, worker" in result.out
    services = ecs.describe_services(cluster="dayto-dev", services=arns)["services"]
    assert all(len(s["deployments"]) >= deployments[s["serviceName"]] for s in services)
    # restart alone: the readers restart, the value stays
    again = run_cli("secrets", "restart", "--env", "dev", "--local", "JWT_SECRET")
    assert again.code == 0 and "restarted web, worker" in again.out, again.err
    assert sm.get_secret_value(SecretId="dayto/dev/JWT_SECRET")["SecretString"] == after
    unknown = run_cli("secrets", "restart", "--env", "dev", "--local", "JWT_SECRT")
    assert unknown.code == 2 and "did you mean 'JWT_SECRET'?" in unknown.err


def test_envs_and_open(run_cli: Run, here: Path) -> None:
    listed = run_cli("envs", "--local", "--json")
    assert listed.code == 0, listed.err
    rows = {r["name"]: r for r in json.loads(listed.out)}
    assert rows["dev"]["status"] == "deployed" and rows["dev"]["url"].startswith("http://")
    assert rows["prod"]["status"] == "not deployed" and rows["prod"]["monthly_low"] > rows["dev"]["monthly_low"] > 0
    table = run_cli("envs", "--local")
    assert table.code == 0 and "dev (dev)" in table.out and rows["dev"]["url"] in table.out  # full width, not cut
    opened = run_cli("open", "--env", "dev", "--local", "--no-browser")
    assert opened.code == 0 and opened.out.strip() == rows["dev"]["url"]
    console = run_cli("open", "--env", "dev", "--local", "--console")
    assert console.code == 2 and "no AWS console" in console.err
    prod = run_cli("open", "--env", "prod", "--local")  # cannot do what was asked: exit 1, not bad usage (2)
    assert prod.code == 1 and "dayto/prod is not deployed" in prod.err and "moorage deploy --env prod" in prod.err


def test_commands_on_an_environment_not_deployed(run_cli: Run, here: Path) -> None:
    ran = run_cli("run", "--env", "prod", "--local", "--service", "worker", "--", "true")
    assert ran.code == 1 and "dayto/prod is not deployed" in ran.err and "hint: deploy it first" in ran.err
    shell = run_cli("exec", "--env", "prod", "--local", "--service", "web")
    assert shell.code == 1 and "dayto/prod is not deployed" in shell.err
    listed = run_cli("secrets", "list", "--env", "prod", "--local")
    assert listed.code == 0 and "not created (deploy first)" in listed.out


def test_status_uses_spec_names(run_cli: Run, here: Path) -> None:
    result = run_cli("status", "--env", "dev", "--local", "--json")
    assert result.code == 0, result.err
    services = {s["name"]: s for s in json.loads(result.out)["services"]}
    assert set(services) == {"web", "worker"}
    assert services["web"]["desired"] == 1 and services["web"]["rollout"]
    table = run_cli("status", "--env", "dev", "--local")
    assert "dayto-dev-svc-worker" in table.out and "…" not in table.out  # names never cut in a pipe


def test_local_status_lists_running_emulators_with_memory(run_cli: Run, here: Path) -> None:
    result = run_cli("local", "status", "--json")
    assert result.code == 0, result.err
    info = json.loads(result.out)
    assert info["running"] and any(Path(e["project"]).resolve() == here.resolve() and e["memory_mb"] > 10
                                   for e in info["emulators"])


def test_destroy_lists_what_will_be_lost_before_it_asks(run_cli: Run, here: Path, monkeypatch: pytest.MonkeyPatch,
                                                        aws: Callable[[str], Any]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: without --yes it refuses
    refused = run_cli("destroy", "--env", "dev", "--local")
    assert refused.code == 2 and "add --yes" in refused.err
    assert "deletes for good" in refused.err and refused.err.count("AWS::SecretsManager::Secret") == 2
    assert aws("secretsmanager").describe_secret(SecretId="dayto/dev/JWT_SECRET")  # nothing changed yet
    gone = run_cli("destroy", "--env", "dev", "--local", "--yes")
    # 7: the rotation stack holds the reminder of STRIPE_KEY (rotate_days: 90)
    assert gone.code == 0 and "destroyed 7 stacks" in gone.out, gone.err
    again = run_cli("destroy", "--env", "dev", "--local", "--yes")
    assert again.code == 0 and "nothing to destroy" in again.out
