"""A before-deploy job that fails or overruns names the command to read its logs, aimed where the deploy went
(--env, --local, --profile, --region, --preview-of): the emulator runs no containers, so the waiting path is
driven against it as an AWS target with a zero timeout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from moorage import api
from moorage.deploy.jobs import job_logs_hint, run_job
from moorage.deploy.session import Target

SPEC = """\
name: jobapp
region: eu-west-1
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 3000, route: "/*", health: /health}
  migrate: {image: ghcr.io/acme/web:1.0.0, command: [migrate], run: before-deploy}
environments:
  dev: {}
"""


def test_an_overrunning_job_names_the_logs_command_with_the_deploys_flags(
        tmp_path: Path, run_deploy: Any, fresh: str, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text(SPEC, encoding="utf-8")
    synth = api.synth_environment(api.load_app(spec), "dev")
    result, _ = run_deploy(synth)
    assert result.ok, result.to_json()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws_like = Target(local=False, endpoint=fresh, region="eu-west-1")  # waits for the task, as on AWS
    with pytest.raises(RuntimeError) as overran:
        run_job(aws_like, synth.manifest, result.outputs, "migrate", poll=0.01, timeout=0)
    assert "job migrate still running" in str(overran.value)
    assert "see its logs: moorage logs --env dev --region eu-west-1 --service migrate" in str(overran.value)


def test_the_hint_carries_local_and_the_preview_base() -> None:
    local = Target(local=True, endpoint="http://127.0.0.1:1")
    assert job_logs_hint(local, {"environment": "dev"}, "migrate") == \
        "see its logs: moorage logs --env dev --local --service migrate"
    preview = {"environment": "pr-7", "preview": {"of": "staging"}}
    assert job_logs_hint(Target(profile="ops"), preview, "migrate") == \
        "see its logs: moorage logs --env pr-7 --preview-of staging --profile ops --service migrate"
