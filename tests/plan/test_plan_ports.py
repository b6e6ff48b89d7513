"""A service with several ports: each mapped in the task, each open to the services that use it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from moorage import api
from moorage.errors import InputError
from moorage.render import synthesize
from moorage.spec.load import LoadedApp

APP = """
name: demo
region: eu-west-1
services:
  web: {image: x:1.0, port: 80, route: "/*", uses: [search]}
  search: {image: x:1.0, port: 9200, ports: [9300]}
  other: {image: x:1.0}
environments: {dev: {}}
"""


def test_every_port_is_mapped_and_open_to_users(load_spec: Callable[[str], LoadedApp]) -> None:
    plan = api.plan_environment(load_spec(APP), "dev")
    search = next(sg for key, sg in plan.security_groups.items() if key.endswith("search") and "svc" in key)
    web = next(key for key in plan.security_groups if key.endswith("web") and "svc" in key)
    assert {(r.port, r.peer) for r in search.ingress} == {(9200, web), (9300, web)}
    synth = synthesize(plan)
    task = next(r for r in synth.templates["svc-search"]["Resources"].values()
                if r["Type"] == "AWS::ECS::TaskDefinition")["Properties"]
    assert [m["ContainerPort"] for m in task["ContainerDefinitions"][0]["PortMappings"]] == [9200, 9300]


def test_extra_ports_need_a_main_port(load_spec: Callable[[str], LoadedApp]) -> None:
    with pytest.raises(InputError, match="more ports need a main port"):
        load_spec(APP.replace("other: {image: x:1.0}", "other: {image: x:1.0, ports: [81]}"))


def test_compose_reference_to_a_second_port(tmp_path: Path) -> None:
    path = tmp_path / "docker-compose.yml"
    path.write_text("services:\n  web:\n    image: x/w:1.0.0\n    ports: ['80:80']\n"
                    "    environment: {SEARCH_NODES: 'search:9300'}\n"
                    "  search:\n    image: x/s:1.0.0\n    expose: ['9200', '9300']\n")
    loaded = api.load_app(path)
    assert loaded.data["services"]["search"]["ports"] == [9300]
    assert loaded.data["services"]["web"]["env"]["SEARCH_NODES"] == "{{ search.host }}:9300"
    assert not [d for d in loaded.warnings if d.severity == "warning" and "9300" in d.message]
