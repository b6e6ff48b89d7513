"""`--allow-replace NAME` for a database or cache covers the credentials generated for it; a removal beside an
added resource of its type is hinted as a rename; an impossible replacement's ways out are in spec terms."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from moorage import api
from moorage.deploy.changes import allowed_by, allows, blocking, classify
from moorage.deploy.run import DeployRefused

SPEC = """\
name: shop
region: eu-west-1
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 8080, route: "/*", uses: [db, main-store, sessions]}
databases:
  db: {engine: postgres, version: "16"}
  main-store: {engine: postgres, version: "16", schemas: [web]}
caches:
  sessions: {engine: redis}
environments:
  prod: {}
"""


def test_every_generated_credential_goes_with_its_database_or_cache(tmp_path: Path) -> None:
    path = tmp_path / "moorage.yml"
    path.write_text(SPEC, encoding="utf-8")
    synth = api.synth_environment(api.load_app(path), "prod")
    secrets = sorted(lid for t in synth.templates.values() for lid, r in t.get("Resources", {}).items()
                     if r["Type"] == "AWS::SecretsManager::Secret")
    owners = {"DbDb": "db", "DbMainStore": "main-store", "CacheSessions": "sessions"}
    assert secrets and all(any(s.startswith(o) for o in owners) for s in secrets), secrets
    for secret in secrets:
        [owner] = [name for lid, name in owners.items() if secret.startswith(lid)
                   and not any(secret.startswith(longer) for longer in owners if len(longer) > len(lid)
                               and longer.startswith(lid))]
        assert allows({owner}, secret), secret
        assert f"a credential generated for {'cache' if owner == 'sessions' else 'database'} {owner}" in \
            allowed_by({owner}, secret)
        others = set(owners.values()) - {owner}
        assert not allows(others, secret), (secret, others)


def test_the_logical_id_of_a_database_covers_its_credentials_too() -> None:
    assert allows({"DbDb"}, "DbDbSecret") and allows({"DbDb"}, "DbDbUrlSecret")
    assert not allows({"db"}, "DbDbParams") and not allows({"cache"}, "DbDbSecret")
    assert allowed_by({"DbDb"}, "DbDb") == "--allow-replace DbDb"


SECRET = {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "shop/prod/db/db"}}
DB = {"Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceClass": "db.t4g.micro"}}


def _template(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": copy.deepcopy(resources)}


def test_a_rename_is_hinted_and_allowed_changes_say_why() -> None:
    changes = classify(_template(DbDb=DB, DbDbSecret=SECRET), {},
                       _template(DbMaindb=DB, DbMaindbSecret={**SECRET, "Properties": {"Name": "x"}}), {})
    by_id = {c.logical_id: c for c in changes}
    assert "looks like a rename of database db to maindb (databases.db -> databases.maindb)" in \
        by_id["DbDb"].describe()
    assert by_id["DbDbSecret"].renamed_to == "DbMaindbSecret"
    refused = blocking(changes, set())
    assert {c.logical_id for c in refused} == {"DbDb", "DbDbSecret"}
    assert "looks like a rename" in DeployRefused(dangerous={"shop-prod-data": refused}).render()
    assert blocking(changes, {"db"}) == []
    assert by_id["DbDbSecret"].allowed.startswith("--allow-replace db (a credential generated for database db")
    assert by_id["DbDb"].allowed == "--allow-replace db"


def test_impossible_replacement_says_the_spec_key_to_change() -> None:
    named = {"Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceIdentifier": "shop-prod-main",
                                                            "Engine": "postgres", "EngineVersion": "16.4"}}
    mysql = copy.deepcopy(named)
    mysql["Properties"].update(Engine="mysql", EngineVersion="8.0.39")
    [change] = classify(_template(DbMain=named), {}, _template(DbMain=mysql), {})
    assert change.impossible.startswith("custom-named")
    assert "rename the database in the spec (databases.main -> a new key" in change.ways_out
    assert "DBInstanceIdentifier" not in change.ways_out
