"""Hostile and oversized input: bounded before the document is built, and a located exit 2, never an
internal error (billion laughs, deep nesting, duplicate uses, overflowing numbers, unreadable paths, AWS
limits a template would break only at deploy time)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moorage.spec.source import MAX_BYTES, MAX_DEPTH

if TYPE_CHECKING:
    from conftest import CliResult

LAUGHS = "".join(f"{a}: &{a} [" + ", ".join([f"*{p}" if p else "lol"] * 9) + "]\n"
                 for p, a in zip([None, *"abcdefgh"], "abcdefghi", strict=False))
BASE = "name: demo\nservices:\n  web: {image: x:1, port: 80, uses: [db]}\ndatabases:\n  db: {}\n"

# id, text, (line the error points at or 0 for the file), words
CASES = [
    ("billion-laughs", LAUGHS + BASE, 0, "expands to more than"),
    ("deep-flow", BASE + "network: " + "[" * 5000 + "]" * 5000 + "\n", 6, f"nested more than {MAX_DEPTH}"),
    ("deep-block", BASE + "network:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 100)), 0,
     f"nested more than {MAX_DEPTH}"),
    ("duplicate-uses", BASE.replace("uses: [db]", "uses: [db, db]"), 3, "'db' is listed twice in uses"),
    ("huge-number", BASE.replace("port: 80", "port: 1e999"), 3, "finite number"),
    ("ssm-size", BASE + "config: {BIG: '" + "x" * 9000 + "'}\n", 6, "an SSM parameter holds at most 8,192"),
    ("env-size", BASE.replace("uses: [db]", "uses: [db], env: {" + ", ".join(
        f"V{i}: '{'x' * 1000}'" for i in range(70)) + "}"), 3, "a whole ECS task definition holds at most 65,536"),
    # Variables alone under 64 KiB (40 KB), with a 30 KB command the task definition is over: ECS counts it all.
    ("command-and-env", BASE.replace("uses: [db]", "uses: [db], command: ['" + "c" * 30000 + "'], env: {" + ", ".join(
        f"V{i}: '{'x' * 1000}'" for i in range(40)) + "}"), 3, "a whole ECS task definition holds at most 65,536"),
    ("healthcheck-size", BASE.replace("uses: [db]", "uses: [db], healthcheck: {command: ['CMD', '"
                                      + "h" * 70000 + "']}"), 3, "a whole ECS task definition holds at most 65,536"),
    ("tag-count", BASE + "tags:\n" + "".join(f"  t{i}: v\n" for i in range(45)), 6, "AWS allows 50 per resource"),
    ("tag-length", BASE + "tags:\n  " + "k" * 200 + ": v\n", 7, "is too long"),
    ("tag-reserved", BASE + "tags:\n  'aws:owner': me\n", 7, "reserved for AWS"),
]


@pytest.mark.parametrize(("text", "line", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_input_is_a_located_exit_2(run_cli: Callable[..., CliResult], write_spec: Callable[..., Path],
                                           tmp_path: Path, text: str, line: int, words: str) -> None:
    spec = write_spec(tmp_path / "app", text)
    result = run_cli("plan", spec, "--env", "dev")
    assert result.code == 2, result.out + result.err
    assert words in result.err and "internal error" not in result.err
    assert f"{spec}:{line}:" in result.err if line else str(spec) in result.err


def test_oversized_file_is_refused_before_it_is_read(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    spec = tmp_path / "moorage.yml"
    spec.write_text("name: demo\n" + "#" * MAX_BYTES + "\n", encoding="utf-8")
    result = run_cli("plan", spec)
    assert result.code == 2 and "moorage reads at most" in result.err


def test_unreadable_path_is_bad_input(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    result = run_cli("plan", tmp_path / ("x" * 300) / "moorage.yml")
    assert result.code == 2 and "File name too long" in result.err and "internal error" not in result.err


def test_compose_x_moorage_env_is_kept(tmp_path: Path) -> None:
    from moorage import api

    path = tmp_path / "compose.yaml"
    path.write_text("services:\n  web:\n    image: nginx:1.27\n    ports: ['80:80']\n    environment: {A: b}\n"
                    "    x-moorage: {env: {FOO: bar, A: c}}\n", encoding="utf-8")
    assert api.load_app(path).spec.services["web"].env == {"A": "c", "FOO": "bar"}


def test_container_definitions_are_measured_as_ecs_counts_them() -> None:
    from moorage.render import RESOLVED_VALUE_BYTES, container_definitions_bytes

    task = {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Cpu": "256", "ContainerDefinitions": [
        {"Name": "web", "Image": {"Ref": "Image"}, "Command": ["a"],
         "Secrets": [{"Name": "P", "ValueFrom": {"Fn::ImportValue": "x"}}]}]}}
    expected = ('[{"Name":"web","Image":"' + "x" * RESOLVED_VALUE_BYTES + '","Command":["a"],"Secrets":[{"Name":"P",'
                '"ValueFrom":"' + "x" * RESOLVED_VALUE_BYTES + '"}]}]')
    assert container_definitions_bytes(task) == len(expected)
