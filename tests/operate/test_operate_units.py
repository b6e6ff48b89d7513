"""The parts of day-two operations that need no account: durations, exec's plugin command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moorage.errors import InputError
from moorage.operate.logs import LogLine, in_future, since_millis
from moorage.operate.shell import ExecTarget, install_hint, require_plugin, session_command

NOW = 1_800_000_000.0


@pytest.mark.parametrize(("text", "seconds"), [("45s", 45), ("30m", 1800), ("2h", 7200), ("1d", 86400),
                                               ("1w", 604800)])
def test_since_durations(text: str, seconds: int) -> None:
    assert since_millis(text, now=NOW) == int((NOW - seconds) * 1000)


def test_since_iso_time_is_utc_unless_it_says_otherwise() -> None:
    assert since_millis("2026-11-29T10:00", now=NOW) == since_millis("2026-11-29T10:00+00:00", now=NOW)
    assert since_millis("2026-11-29T12:00+02:00", now=NOW) == since_millis("2026-11-29T10:00", now=NOW)


@pytest.mark.parametrize("text", ["yesterday", "30", "5y", "-1h", ""])
def test_since_rejects_what_it_cannot_read(text: str) -> None:
    with pytest.raises(InputError) as caught:
        since_millis(text, now=NOW)
    assert "45s, 30m, 2h, 1d, 1w" in caught.value.diagnostics[0].hint


@pytest.mark.parametrize("text", ["99999999999d", "99999999999999999999w", "1969-12-31T23:59", "0001-01-01"])
def test_since_before_1970_is_refused_in_words(text: str) -> None:
    """CloudWatch takes no start time before the epoch (it was botocore's ParamValidationError, exit 3)."""
    with pytest.raises(InputError) as caught:
        since_millis(text, now=NOW)
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.message == (f"--since {text!r} reaches back before 1970, the earliest time CloudWatch logs "
                                  "can hold")
    assert "--since 3653d" in diagnostic.hint


def test_a_since_after_now_is_in_the_future() -> None:
    assert in_future(since_millis("9999-12-31T23:59", now=NOW), now=NOW)
    assert not in_future(since_millis("1d", now=NOW), now=NOW)
    assert not in_future(since_millis("0s", now=NOW), now=NOW)


def test_log_line_json_is_utc_iso() -> None:
    line = LogLine(1_800_000_000_123, "web", "web/web/abc", "hello")
    assert line.to_json() == {"time": "2027-01-15T08:00:00.123+00:00", "service": "web",
                              "stream": "web/web/abc", "message": "hello"}


def test_session_command_is_what_the_aws_cli_runs() -> None:
    target = ExecTarget("web", "demo-dev", "arn:aws:ecs:eu-west-1:1:task/demo-dev/abc123", "web", "abc123-99", "sh")
    session = {"sessionId": "s-1", "streamUrl": "wss://x", "tokenValue": "t"}
    argv = session_command(target, session, "eu-west-1", "work", "https://ecs.eu-west-1.amazonaws.com")
    assert argv[0] == "session-manager-plugin" and json.loads(argv[1]) == session
    assert argv[2:5] == ["eu-west-1", "StartSession", "work"]
    assert json.loads(argv[5]) == {"Target": "ecs:demo-dev_abc123_abc123-99"}
    assert argv[6] == "https://ecs.eu-west-1.amazonaws.com"


@pytest.mark.parametrize(("platform", "words"), [("linux", "dpkg -i session-manager-plugin.deb"),
                                                 ("darwin", "brew install --cask session-manager-plugin"),
                                                 ("win32", "SessionManagerPluginSetup.exe")])
def test_install_hint_per_platform(platform: str, words: str) -> None:
    assert words in install_hint(platform) and "session-manager-plugin --version" in install_hint(platform)


def test_a_missing_plugin_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(InputError) as caught:
        require_plugin()
    assert "not installed" in caught.value.diagnostics[0].message
    assert "session-manager-plugin" in caught.value.diagnostics[0].hint
    plugin = tmp_path / "session-manager-plugin"
    plugin.write_text("#!/bin/sh\n")
    plugin.chmod(0o755)
    assert require_plugin() == str(plugin)
