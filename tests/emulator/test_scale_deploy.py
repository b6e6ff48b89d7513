"""A 100-service app (security groups and data spread over several stacks) deploys on the emulator."""

from __future__ import annotations

import importlib.util
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moorage import api

REPO_ROOT = Path(__file__).resolve().parents[2]


def _generated(tmp: Path, n: int) -> Path:
    spec = importlib.util.spec_from_file_location("scale_generate", REPO_ROOT / "benchmarks" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp / "moorage.yml"
    path.write_text(module.generated_yaml(n, env="dev"), encoding="utf-8")
    return path


def test_a_100_service_app_deploys_on_the_emulator(tmp_path: Path, run_deploy: Callable[..., Any],
                                                   aws: Callable[[str, str], Any], fresh: str) -> None:
    synth = api.synth_environment(api.load_app(_generated(tmp_path, 100)), "dev")
    assert "security" in synth.templates  # past one network stack's room: the layout is exercised
    try:
        _check_deploy(synth, run_deploy, aws)
    finally:
        # Emptying ~2,000 resources takes longer than the next test's fixture waits for a reset.
        with urllib.request.urlopen(urllib.request.Request(f"{fresh}/moto-api/reset", method="POST"),  # noqa: S310
                                    timeout=600):
            pass


def _check_deploy(synth: Any, run_deploy: Callable[..., Any], aws: Callable[[str, str], Any]) -> None:
    result, _ = run_deploy(synth)
    failed = {k: o.failure for k, o in result.outcomes.items() if o.failure}
    assert result.ok, failed
    cfn = aws("cloudformation", "eu-west-1")
    names = {s["StackName"] for page in cfn.get_paginator("list_stacks").paginate(
        StackStatusFilter=["CREATE_COMPLETE"]) for s in page["StackSummaries"]}
    assert {s["name"] for s in synth.manifest["stacks"]} <= names
    ec2 = aws("ec2", "eu-west-1")
    groups = ec2.get_paginator("describe_security_groups").paginate().build_full_result()["SecurityGroups"]
    hub = next(g for g in groups if g.get("Tags") and {"Key": "Name", "Value": "scale-dev-svc-s1"} in g["Tags"])
    # s1 is reached by the load balancer and by s2 (which uses it): rules made in other stacks than the group's
    peers = {p["GroupId"] for perm in hub["IpPermissions"] for p in perm.get("UserIdGroupPairs", [])}
    assert len(peers) == 2
