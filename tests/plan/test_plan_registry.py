"""registry.services: all gives every service its own repository; the default only services built from source."""

from __future__ import annotations

from collections.abc import Callable

from moorage.render import Synth

APP = """
name: demo
registry: {keep: 10, services: SERVICES}
services:
  web: {image: ghcr.io/demo/web:1.0, port: 80, route: "/*"}
  api: {build: ., port: 8080}
  migrate: {image: ghcr.io/demo/web:1.0, run: before-deploy, uses: [db]}
databases:
  db: {schemas: [api]}
"""


def test_every_service_gets_a_repository_when_asked(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP.replace("SERVICES", "all"), "staging")
    assert synth.plan.repositories == {"api": "demo/staging/api", "migrate": "demo/staging/migrate",
                                       "web": "demo/staging/web"}  # not the bootstrap job moorage adds
    repos = {r["Properties"]["RepositoryName"]: r["Properties"]
             for r in synth.templates["registry"]["Resources"].values() if r["Type"] == "AWS::ECR::Repository"}
    assert set(repos) == set(synth.plan.repositories.values())
    assert all('"countNumber": 10' in p["LifecyclePolicy"]["LifecyclePolicyText"] for p in repos.values())
    # the service still runs the image it names
    web = synth.templates["svc-web"]["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert web["Image"] == "ghcr.io/demo/web:1.0"


def test_by_default_only_built_services_get_one(synth_spec: Callable[[str, str], Synth]) -> None:
    synth = synth_spec(APP.replace("SERVICES", "built"), "staging")
    assert synth.plan.repositories == {"api": "demo/staging/api"}
