"""Compose `configs:` -> SSM parameters (`config:`); file configs are located warnings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import errors, load, messages

from moorage import api

APP = """
services:
  web:
    image: ghcr.io/acme/web:1.0.0
    ports: ["80:80"]
    configs:
      - nginx_conf
      - source: feature_flags
        target: /etc/app/flags.json
      - api_token
configs:
  nginx_conf:
    file: ./nginx.conf
  feature_flags:
    content: '{"beta": true}'
  api_token:
    environment: API_TOKEN
"""


def test_inline_configs_become_ssm_parameters(compose: Callable[..., Path]) -> None:
    loaded = load(compose(APP, **{"__env": "API_TOKEN=abc123\n"}))
    web = loaded.data["services"]["web"]
    assert loaded.data["config"] == {"FEATURE_FLAGS": '{"beta": true}'}
    assert web["config"] == ["FEATURE_FLAGS"]
    assert web["secrets"] == ["API_TOKEN"] and "abc123" not in str(loaded.data)  # a credential: never SSM text
    warnings = messages(loaded, "warning")
    assert any("config nginx_conf is the file ./nginx.conf: not carried" in m and ":7:" in m for m in warnings)
    assert any("/etc/app/flags.json" in m for m in warnings)
    synth = api.synth_environment(loaded, "dev")
    assert "AWS::SSM::Parameter" in str(synth.templates)


def test_undefined_config_is_an_error(compose: Callable[..., Path]) -> None:
    text = APP.replace("      - api_token\n", "      - missing\n")
    assert any("config 'missing' is not defined" in e for e in errors(compose(text)))
