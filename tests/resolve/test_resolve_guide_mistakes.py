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
