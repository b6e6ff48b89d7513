"""Mistakes from the seed guides that moorage refuses or warns about (examples/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from moorage import api
from moorage.errors import InputError

BASE = """\
name: mm
region: {region}
{extra}
services:
  web: {{image: ghcr.io/a/web:1.0.0, port: 3000, route: "/*", uses: {uses}}}
{stores}
environments: {{prod: {{}}}}
"""


def plan(tmp_path: Path, extra: str = "", stores: str = "", uses: str = "[]", region: str = "me-central-1") -> object:
    path = tmp_path / "moorage.yml"
    path.write_text(BASE.format(region=region, extra=extra, stores=stores, uses=uses), encoding="utf-8")
    return api.plan_environment(api.load_app(path), "prod")


def errors(tmp_path: Path, **kw: str) -> str:
    with pytest.raises(InputError) as exc:
        plan(tmp_path, **kw)
    return " ".join(d.message for d in exc.value.diagnostics)


def test_cdn_under_residency_is_refused(tmp_path: Path) -> None:
    text = errors(tmp_path, extra="residency: uae\ndomain: {name: a.example.com, zone_id: Z0123456789A}\ncdn: true")
    assert "CloudFront" in text and "residency" in text


def test_backup_copies_outside_residency_are_refused(tmp_path: Path) -> None:
    text = errors(tmp_path, extra="residency: uae", uses="[db]",
                  stores="databases: {db: {backup_region: eu-south-1}}")
    assert "eu-south-1" in text and "outside the residency" in text


def test_io2_without_iops_is_refused(tmp_path: Path) -> None:
    assert "iops" in errors(tmp_path, uses="[db]", stores="databases: {db: {storage_type: io2}}")


def test_url_of_a_managed_password_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "moorage.yml"
    path.write_text(BASE.format(region="eu-west-1", extra="", uses="[db]",
                                stores="databases: {db: {password: managed}}").replace(
        'uses: [db]}', 'uses: [db], env: {URL: "{{ db.url }}"}}'), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        api.load_app(path)
    assert "stale" in str(exc.value.diagnostics[0].message)


def test_config_that_looks_like_a_secret_is_refused(tmp_path: Path) -> None:
    assert "credential" in errors(tmp_path, extra="config: {API_TOKEN: abc}")


def test_cluster_mode_with_bullmq_warns(tmp_path: Path) -> None:
    p = plan(tmp_path, region="eu-west-1", uses="[queue]",
             stores="caches: {queue: {cluster_mode: true, client: bullmq}}")
    assert any("cluster mode" in w.message for w in p.warnings)  # type: ignore[attr-defined]


CLUSTER = "caches: {queue: {cluster_mode: true}}"


@pytest.mark.parametrize(("service", "sign"), [
    ('{image: ghcr.io/a/api:1.0.0, command: [bundle, exec, sidekiq, -C, config/sidekiq.yml]}',
     "command `bundle exec sidekiq"),
    ('{image: ghcr.io/a/api:1.0.0, command: [celery, -A, app, worker], env: {CELERY_BROKER_URL: "{{ queue.url }}"}}',
     "uses celery (its command `celery -A app worker`)"),
    ("{image: ghcr.io/a/rq-worker:2.1.0}", "uses rq (its image ghcr.io/a/rq-worker:2.1.0)"),
    ('{image: ghcr.io/a/jobs:1.0.0, env: {BULLMQ_PREFIX: "{jobs}"}}', "uses bullmq (its variable BULLMQ_PREFIX)"),
])
def test_cluster_mode_with_an_undeclared_client_that_needs_it_off_warns(tmp_path: Path, service: str,
                                                                         sign: str) -> None:
    stores = f"  worker: {{{service[1:-1]}, uses: [queue]}}\n{CLUSTER}"
    p = plan(tmp_path, region="eu-west-1", stores=stores)
    found = [w for w in p.warnings if "cluster mode" in w.message]  # type: ignore[attr-defined]
    assert len(found) == 1 and "service worker looks like it uses" in found[0].message
    assert sign in found[0].message
    assert found[0].location.path == ("caches", "queue", "cluster_mode") and found[0].location.line > 0
    assert "declare `client:`" in (found[0].hint or "")


@pytest.mark.parametrize("stores", [
    # nothing gives a cluster-off client away
    '  worker: {image: ghcr.io/a/api:1.0.0, command: [node, dist/worker.js], uses: [queue]}\n' + CLUSTER,
    # the client is declared (and fine with cluster mode): the declaration wins over the signs
    '  worker: {image: ghcr.io/a/sidekiq-ui:1.0.0, uses: [queue]}\n'
    'caches: {queue: {cluster_mode: true, client: ioredis}}',
    # cluster mode off
    '  worker: {image: ghcr.io/a/api:1.0.0, command: [bundle, exec, sidekiq], uses: [queue]}\ncaches: {queue: {}}',
    # the sidekiq service does not use the cluster-mode cache
    '  worker: {image: ghcr.io/a/api:1.0.0, command: [bundle, exec, sidekiq]}\n' + CLUSTER,
])
def test_cluster_mode_clean_twins_do_not_warn(tmp_path: Path, stores: str) -> None:
    p = plan(tmp_path, region="eu-west-1", stores=stores)
    assert not [w for w in p.warnings if "cluster mode" in w.message]  # type: ignore[attr-defined]
