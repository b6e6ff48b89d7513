"""cfn-lint's faster paths (validator classes built once, field names read once) find exactly what cfn-lint finds
without them: the same templates, with errors of many kinds, linted in a process without them and in this one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from moorage import api
from moorage.render import write_synth
from moorage.validate.lint import LintFinding

ROOT = Path(__file__).resolve().parents[2]
# Both sides in a process of their own, with one hash seed: cfn-lint prints some sets in its messages.
LINT = """
import json, sys
from pathlib import Path
from moorage.validate import speedups
if sys.argv[2] == "without":
    speedups._applied.append(False)  # as if cfn-lint's shape were unknown: nothing is replaced
from moorage.validate.lint import lint_directory
print(json.dumps([f.__dict__ for f in lint_directory(Path(sys.argv[1]), workers=0)]))
print(speedups.apply())
"""


def _lint(out: Path, mode: str) -> tuple[list[LintFinding], bool]:
    proc = subprocess.run([sys.executable, "-c", LINT, str(out), mode], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONHASHSEED": "0"})
    found, applied = proc.stdout.splitlines()
    return [LintFinding(**f) for f in json.loads(found)], applied == "True"


def _broken(template: dict) -> None:
    """Errors of several kinds into a real template: types, enums, patterns, references, intrinsic functions."""
    resources = template["Resources"]
    for name, body in list(resources.items())[:12]:
        props = body.setdefault("Properties", {})
        props["NotAProperty"] = {"Fn::Sub": "${Missing}"}
        for key, value in list(props.items()):
            if isinstance(value, str) and not value.startswith("arn:"):
                props[key] = ["a", "list", "where", "a", "string", "goes"]
                break
        if body["Type"] == "AWS::ECS::TaskDefinition":
            props["Cpu"], props["NetworkMode"] = "lots", "bridge-ish"
        resources[f"{name}Copy"] = {"Type": body["Type"], "Properties": {"Tags": "no", **props},
                                    "DependsOn": ["Nowhere"]}
    outputs = template.setdefault("Outputs", {})
    outputs["Bad"] = {"Value": {"Fn::GetAtt": [next(iter(resources)), "NoSuchAttr"]}}
    outputs["Plain"] = {"Value": {"Fn::Sub": "no variables"}}  # a warning


def test_findings_are_the_same_with_and_without(tmp_path: Path) -> None:
    synth = api.synth_environment(api.load_app(ROOT / "examples" / "smartboard" / "docker-compose.yml"), "prod")
    out = tmp_path / "prod"
    write_synth(synth, out)
    for name in ("data.json", "network.json", "svc-gateway.json", "edge.json"):
        path = out / name
        template = json.loads(path.read_text(encoding="utf-8"))
        _broken(template)
        path.write_text(json.dumps(template, indent=1), encoding="utf-8")
    without, applied = _lint(out, "without")
    with_speedups, applied_now = _lint(out, "with")
    assert not applied and applied_now  # the installed cfn-lint has the shape they were written for
    assert len(without) > 40 and {f.rule[0] for f in without} >= {"E", "W"}
    assert with_speedups == without
