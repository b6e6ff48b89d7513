"""Who gets a database user, and bad schema names as located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from moorage import api
from moorage.errors import InputError
from moorage.plan.bootstrap_sql import bootstrap_sql

SPEC = """\
name: boot
region: eu-west-1
services:
  app: {image: "ghcr.io/a/app:1", port: 80, route: "/*", uses: [db]}
  svc-orders: {image: "ghcr.io/a/orders:1", port: 81, uses: [db]}
  migrate: {image: "ghcr.io/a/app:1", run: before-deploy, uses: [db]}
databases:
  db: {username: app, schemas: [app, orders], extensions: [uuid-ossp]}
"""


def _plan(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "moorage.yml"
    path.write_text(text, encoding="utf-8")
    return api.plan_environment(api.load_app(path), "dev")


def test_users_skip_jobs_and_the_owner_role(tmp_path: Path) -> None:
    plan = _plan(tmp_path, SPEC)
    users = {u.service: (u.user, u.schema) for u in plan.databases["db"].users}
    # "app" would be the owner's own role: it keeps the owner's credentials; the migration job too
    assert users == {"svc-orders": ("svc_orders", "orders")}
    sql = plan.services["db-bootstrap"].env["BOOTSTRAP_SQL"].parts[0]
    assert 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp";' in str(sql)
    assert 'ALTER ROLE "app"' not in str(sql)


def test_a_bad_schema_name_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        _plan(tmp_path, SPEC.replace("schemas: [app, orders]", 'schemas: [app, "Orders; drop"]'))
    assert "moorage.yml" in str(err.value) and "schemas" in str(err.value)


def test_mysql_gets_no_bootstrap(tmp_path: Path) -> None:
    plan = _plan(tmp_path, SPEC.replace("username: app,", "engine: mysql, username: app,")
                 .replace(", extensions: [uuid-ossp]", ""))
    assert "db-bootstrap" not in plan.services and plan.databases["db"].users == []


def test_quoting_rejects_what_the_spec_would_refuse() -> None:
    with pytest.raises(ValueError):
        bootstrap_sql("shop", ['x"; drop'], [], [])
