"""A log group that only a state machine logging errors writes to (the rotation machines: Level ERROR, no
execution data) is priced on the small declared ``error_log_gb``, shown as an assumption, not on an
application's ``log_gb``; a service's log group keeps ``log_gb``."""

from __future__ import annotations

from collections.abc import Callable

from moorage.cfn import template_set_of
from moorage.cost.estimate import estimate_template_set
from moorage.cost.usage import usage_profiles
from moorage.render import Synth

APP = """
name: demo
region: eu-west-1
services:
  web: {image: x:1, port: 80, route: "/*", uses: [cache, db]}
databases:
  db: {engine: postgres, password: generated, rotate_days: 60}
caches:
  cache: {rotate_days: 45}
"""


def test_rotation_log_groups_are_priced_as_errors_only(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP, "prod")
    items = estimate_template_set(template_set_of(synth)).items
    ingest = {i.resource: i for i in items if i.type == "AWS::Logs::LogGroup" and i.component == "log ingestion"}
    rotation = {lid: i for lid, i in ingest.items() if i.stack == "rotation"}
    assert set(rotation) == {"CacheCacheRotationLogs", "DbDbRotationLogs"}, sorted(ingest)
    small = usage_profiles()["profiles"]["medium"]["error_log_gb"]  # prod's usage profile
    assert small < usage_profiles()["profiles"]["medium"]["log_gb"]
    for lid, item in rotation.items():
        assert item.quantity == small and item.assumption, (lid, item)
        assert "errors only" in item.note and lid.replace("Logs", "Machine") in item.note
    web = next(i for i in ingest.values() if i.stack == "svc-web")
    assert web.quantity == usage_profiles()["profiles"]["medium"]["log_gb"] and "errors only" not in web.note
