"""Templates that cannot be read: a located error with a hint that fits (exit 2), never exit 3 or a hang.

Through `check`, `cost` and `validate`: binary, Latin-1 and UTF-16 files, FIFOs and devices; and the
parser's errors (duplicate key, YAML or JSON syntax, alias bomb, unsafe tag, not a mapping) each with
their own hint.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moorage.cfn.read import read_error_hint, read_template
from moorage.errors import InputError

if TYPE_CHECKING:
    from conftest import CliResult

COMMANDS = ("check", "cost", "validate")
BUCKET = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: café\n"


Run = Callable[..., "CliResult"]


def run(run_cli: Run, command: str, path: Path) -> tuple[int, str]:
    result = run_cli(command, path)
    return result.code, result.out + result.err


def written(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("name", "data", "words", "hint"), [
    ("latin1.yaml", BUCKET.encode("latin-1"), "latin1.yaml:5: error: ", "not UTF-8 text (byte 0xe9 at offset"),
    ("latin1.json", b'{"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "caf\xe9"}}}}',
     "latin1.json:1: error: ", "not UTF-8 text (byte 0xe9 at offset 81)"),
    ("utf16.yaml", codecs.BOM_UTF16_LE + BUCKET.encode("utf-16-le"), "utf16.yaml:1: error: ", "UTF-16 text, not UTF-8"),
    ("garbage.json", bytes(range(256)) * 64, "garbage.json:2: error: ", "binary data, not a text template"),
])
def test_text_that_is_not_utf8_is_a_located_error(run_cli: Run, tmp_path: Path, command: str, name: str, data: bytes,
                                                  words: str, hint: str) -> None:
    code, out = run(run_cli, command, written(tmp_path, name, data))
    assert code == 2, out
    assert words in out and hint in out
    assert "internal error" not in out and "Traceback" not in out


@pytest.mark.parametrize("command", COMMANDS)
def test_utf8_with_a_byte_order_mark_is_read(run_cli: Run, tmp_path: Path, command: str) -> None:
    path = written(tmp_path, "bom.yaml", codecs.BOM_UTF8 + BUCKET.encode())
    assert read_template(path)["Resources"]["B"]["Properties"]["BucketName"] == "café"
    code, out = run(run_cli, command, path)
    assert code in (0, 1), out


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", ["pipe.yaml", "pipe.json"])
def test_a_fifo_is_refused_at_once(run_cli: Run, tmp_path: Path, command: str, name: str) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)  # nobody writes: opening it would block forever
    code, out = run(run_cli, command, fifo)
    assert code == 2, out
    assert f"{name}: error: not a regular file (a FIFO, socket or device)" in out


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="no /dev/null")
@pytest.mark.parametrize("command", COMMANDS)
def test_a_device_is_refused(run_cli: Run, command: str) -> None:
    code, out = run(run_cli, command, Path("/dev/null"))
    assert code == 2, out
    assert "/dev/null: error: not a regular file" in out


def test_a_directory_passed_as_a_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        read_template(tmp_path)
    assert "not a regular file (a directory)" in err.value.diagnostics[0].message


@pytest.mark.parametrize(("name", "text", "line", "hint"), [
    ("dup.yaml", "Resources:\n  A:\n    Type: AWS::S3::Bucket\n  A:\n    Type: AWS::S3::Bucket\n", True,
     "remove or rename the repeated key"),
    ("comma.json", '{"Resources": {"A": {"Type": "AWS::S3::Bucket",, }}}\n', True, "fix the JSON syntax"),
    ("tab.yaml", "Resources:\n\tA: 1\n", True, "fix the YAML syntax"),
    ("tag.yaml", "Resources: !!python/object/apply:os.system ['true']\n", True, "short forms (!Ref, !Sub"),
    ("list.yaml", "- Resources\n- B\n", False, "a template is a mapping of sections"),
    ("bomb.yaml", "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(7))
     + "Resources: {}\n", True, "alias bomb"),
    ("deep.yaml", "Resources:\n  A: " + "[" * 3000 + "]" * 3000 + "\n", True, "nest too deeply"),
])
def test_parse_errors_carry_a_hint_that_fits(run_cli: Run, tmp_path: Path, name: str, text: str, line: bool,
                                             hint: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_template(path)
    [diag] = err.value.diagnostics
    assert diag.message.startswith("cannot read template: ") and "\n" not in diag.message
    assert hint in (diag.hint or "")
    assert diag.location is not None and diag.location.file == str(path)
    assert bool(diag.location.line) is line
    code, out = run(run_cli, "validate", path)
    assert code == 2 and hint in out


def test_hints_differ_by_cause() -> None:
    hints = {read_error_hint(m, t) for m, t in [("Duplicate found 'A'", "A: 1"), ("bad", "{"), ("bad", "a: 1"),
                                                ("not a mapping", ""), ("exceeded maximum nesting depth", "")]}
    assert len(hints) == 5


def test_short_form_errors_carry_their_line(tmp_path: Path) -> None:
    path = tmp_path / "short.yaml"
    path.write_text("Resources:\n  A:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !GetAtt\n"
                    "      Tags: !Bogus x\n")
    with pytest.raises(InputError) as err:
        read_template(path)
    lines = {d.message.split()[0]: d.location.line for d in err.value.diagnostics if d.location}
    assert lines == {"Fn::GetAtt": 5, "unknown": 6}
