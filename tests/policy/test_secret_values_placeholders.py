"""MOO-SEC-007's value scan: a Step Functions States.Format placeholder (``{}``) where a URL's password goes is
filled at run time, not a credential; a literal password in the same place still is."""

from __future__ import annotations

from moorage.policy.secret_values import credentials_in


def test_a_format_placeholder_is_not_a_password() -> None:
    assert credentials_in("States.Format('rediss://:{}@${Host}:${Port}', $.new.token)") == []
    assert credentials_in("States.Format('postgresql://{}:{}@${Host}:${Port}/app', $.u, $.p)") == []


def test_a_literal_password_in_the_same_place_is_found() -> None:
    [found] = credentials_in("rediss://:Zq8vN2rT5wLx9KpA@cache.example:6379")
    assert found.secret == "Zq8vN2rT5wLx9KpA"
