"""Credential classification on import: a token only this file's services share is one generated secret wired
to each; a provider-issued key (by its name, or by its value under a neutral name: detect-secrets formats) is a
`generate: false` secret the user sets, never a random value."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import load, messages

from moorage.compose.issued import issued_key

STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
GITHUB = "ghp_" + "wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx"
SLACK = "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"


def test_token_shared_by_two_services_is_one_generated_secret(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          main:
            image: acme/main:1.0.0
            ports: ['5678:5678']
            environment:
              - N8N_RUNNERS_AUTH_TOKEN=${RUNNERS_AUTH_TOKEN}
          runner:
            image: acme/runner:1.0.0
            environment:
              - N8N_RUNNERS_AUTH_TOKEN=${RUNNERS_AUTH_TOKEN}
    """)
    loaded = load(path)
    data = loaded.data
    assert list(data["secrets"]) == ["RUNNERS_AUTH_TOKEN"]
    assert data["secrets"]["RUNNERS_AUTH_TOKEN"]["generate"] is True
    for svc in ("main", "runner"):
        assert "RUNNERS_AUTH_TOKEN" in str(data["services"][svc]), data["services"][svc]
    shared = [m for m in messages(loaded, "warning") if "shared by main and runner" in m]
    assert shared and "created empty" not in " ".join(messages(loaded))


def test_issued_token_of_one_service_is_set_by_the_user(compose: Callable[..., Path]) -> None:
    path = compose("""
        services:
          main:
            image: acme/main:1.0.0
            ports: ['5678:5678']
            environment:
              - MAILER_AUTH_TOKEN=${MAILER_AUTH_TOKEN}
    """)
    loaded = load(path)
    assert loaded.data["secrets"]["MAILER_AUTH_TOKEN"]["generate"] is False
    assert any("created empty" in m for m in messages(loaded, "warning"))


@pytest.mark.parametrize(("name", "value", "kind"), [("PAYMENTS", STRIPE, "a Stripe key"),
                                                      ("GH", GITHUB, "a GitHub token"),
                                                      ("SLACK_HOOK", SLACK, "Slack")])
def test_provider_key_under_a_neutral_name_is_not_generated(compose: Callable[..., Path], name: str, value: str,
                                                            kind: str) -> None:
    path = compose(f"""
        services:
          main:
            image: acme/main:1.0.0
            ports: ['8000:8000']
            environment:
              {name}: "{value}"
    """)
    loaded = load(path)
    (secret,) = loaded.data["secrets"]
    assert loaded.data["secrets"][secret]["generate"] is False
    warned = [m for m in messages(loaded, "warning") if name in m and kind in m]
    assert warned and "moorage secrets set" in warned[0], messages(loaded)
    assert value not in str(loaded.data)


def test_issued_key_formats() -> None:
    assert issued_key(STRIPE) == "a Stripe key"
    assert issued_key("changeme-session") is None
    assert issued_key("postgres://app:pw@db/app") is None  # a password in a URL is wired, not issued


def test_the_copied_patterns_are_detect_secrets_own() -> None:
    """compose import asks detect-secrets only about values its detectors' patterns match: the copy in
    data/issued_key_patterns.yaml must be exactly the installed library's (regenerate it when this fails)."""
    import re

    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    from moorage.data import load_data

    wanted = set(load_data("policy_facts")["secret_value_detectors"]) - {"BasicAuthDetector"}
    library = {c.__name__: [{"pattern": p.pattern, "flags": int(p.flags & ~re.UNICODE)} for p in c.denylist]  # type: ignore[attr-defined]
               for c in get_mapping_from_secret_type_to_class().values() if c.__name__ in wanted}
    assert load_data("issued_key_patterns") == library


@pytest.mark.parametrize("text", [STRIPE, GITHUB, SLACK, "AKIA" + "IOSFODNN7EXAMPLE", "xoxb-1234-5678-abcdef"])
def test_every_provider_key_passes_the_prefilter(text: str) -> None:
    from moorage.compose.issued import _candidates

    assert _candidates().search(text)
    assert issued_key(text)


def test_importing_a_compose_file_with_plain_secrets_does_not_load_detect_secrets() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    code = ("import sys; from moorage.compose.issued import issued_key; "
            "assert issued_key('changeme-in-production-please') is None; "
            "print(sorted(m for m in sys.modules if m.startswith(('detect_secrets', 'requests'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root)
    assert out.stdout.strip() == "[]"
