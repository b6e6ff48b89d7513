"""`--allow-replace NAME` for a database or cache covers the credentials generated for it; a removal beside an
added resource of its type is hinted as a rename; an impossible replacement's ways out are in spec terms."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from moorage import api
from moorage.deploy.changes import (
    allowed_by,
    allows,
    blocking,
    classify,
    credential_owner,
    data_items,
    secret_name,
)
from moorage.deploy.progress import RichReporter
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
    items = data_items(*synth.templates.values())
    assert items == set(owners)
    assert secrets and all(any(s.startswith(o) for o in owners) for s in secrets), secrets
    for secret in secrets:
        [owner] = [name for lid, name in owners.items() if secret.startswith(lid)
                   and not any(secret.startswith(longer) for longer in owners if len(longer) > len(lid)
                               and longer.startswith(lid))]
        lid = credential_owner(secret, items)
        assert owners[lid] == owner, secret
        assert allows({owner}, secret, lid), secret
        assert f"a credential generated for {'cache' if owner == 'sessions' else 'database'} {owner}" in \
            allowed_by({owner}, secret, lid)
        others = set(owners.values()) - {owner}
        assert not allows(others, secret, lid), (secret, others)


TWO = """\
name: shop
region: eu-west-1
services:
  web: {image: ghcr.io/acme/web:1.0.0, port: 8080, route: "/*", uses: [db, dburl]}
databases:
  db: {engine: postgres, version: "16", username: app}
  dburl: {engine: postgres, version: "16", username: app}
environments:
  prod: {}
"""


def _data_template(tmp_path: Path, spec: str) -> dict[str, Any]:
    path = tmp_path / "moorage.yml"
    path.write_text(spec, encoding="utf-8")
    synth = api.synth_environment(api.load_app(path), "prod")
    [data] = [t for t in synth.templates.values() if "DbDb" in t.get("Resources", {})]
    return data


def test_a_database_whose_name_extends_another_owns_its_own_credentials(tmp_path: Path) -> None:
    """Databases ``db`` and ``dburl``: ``DbDburlSecret`` is dburl's own secret (not db's URL secret), so
    ``--allow-replace db`` does not let dburl's credentials change; ``--allow-replace dburl`` (or the secret's own
    logical id, which the refusal suggests) does."""
    old = _data_template(tmp_path, TWO)
    new = _data_template(tmp_path, TWO.replace("dburl: {engine: postgres, version: \"16\", username: app}",
                                               "dburl: {engine: postgres, version: \"16\", username: owner}"))
    changes = classify(old, {}, new, {})
    by_id = {c.logical_id: c for c in changes}
    credentials = {c.logical_id for c in changes if c.dangerous}
    assert "DbDburlSecret" in credentials and not any(c.startswith("DbDbSecret") for c in credentials), credentials
    assert by_id["DbDburlSecret"].owner == "DbDburl"
    # db is allowed, dburl is not: dburl's credentials stay refused, and the refusal names dburl
    refused = blocking(changes, {"db"})
    assert "DbDburlSecret" in {c.logical_id for c in refused}
    assert by_id["DbDburlSecret"].allowed == ""
    text = DeployRefused(dangerous={"shop-prod-data": refused}).render()
    assert "this deploy would change the credentials of DbDburlSecret" in text
    assert text.endswith("rerun with --allow-replace DbDburlSecret"), text
    # allowing dburl lets them through, and the reason printed names dburl, not db
    assert blocking(changes, {"dburl"}) == []
    assert by_id["DbDburlSecret"].allowed == ("--allow-replace dburl (a credential generated for database dburl: "
                                              "it is replaced with it)")
    assert blocking(changes, {"db", "dburl"}) == []
    assert by_id["DbDburlSecret"].allowed.startswith("--allow-replace dburl (")
    # the change list a diff or deploy prints says which name let it through
    console = Console(record=True, width=400, color_system=None)
    RichReporter(console, live=False).changes("shop-prod-data", changes, False)
    printed = console.export_text()
    assert ("modify DbDburlSecret (AWS::SecretsManager::Secret): GenerateSecretString  stateful: credentials would "
            "break (allowed by --allow-replace dburl (a credential generated for database dburl: it is replaced "
            "with it))") in printed, printed


def test_without_the_longer_database_the_credential_is_the_shorter_ones() -> None:
    """With database ``db`` alone, ``DbDburlSecret`` would be db's URL secret; once ``dburl`` exists (in either
    template compared), it is dburl's."""
    assert credential_owner("DbDburlSecret", {"DbDb"}) == "DbDb"
    assert credential_owner("DbDburlSecret", {"DbDb", "DbDburl"}) == "DbDburl"
    assert credential_owner("DbDburlUrlSecret", {"DbDb", "DbDburl"}) == "DbDburl"
    assert credential_owner("DbDbParams", {"DbDb"}) == "" and credential_owner("DbDb", {"DbDb"}) == ""
    rotated = {**SECRET, "Properties": {**SECRET["Properties"], "GenerateSecretString": {}}}
    alone = classify(_template(DbDb=DB, DbDburlSecret=SECRET), {}, _template(DbDb=DB, DbDburlSecret=rotated), {})
    both = classify(_template(DbDb=DB, DbDburl=DB, DbDburlSecret=SECRET), {},
                    _template(DbDb=DB, DbDburl=DB, DbDburlSecret=rotated), {})
    assert [c.owner for c in alone] == ["DbDb"] and [c.owner for c in both] == ["DbDburl"]
    assert blocking(alone, {"db"}) == [] and alone[0].allowed.startswith("--allow-replace db (a credential generated "
                                                                         "for database db")
    assert [c.logical_id for c in blocking(both, {"db"})] == ["DbDburlSecret"]
    # the owner in the old template only (a database removed in the same deploy) still owns it
    gone = classify(_template(DbDb=DB, DbDburl=DB, DbDburlSecret=SECRET), {}, _template(DbDb=DB), {})
    assert {c.logical_id: c.owner for c in gone} == {"DbDburl": "", "DbDburlSecret": "DbDburl"}
    assert [c.logical_id for c in blocking(gone, {"db"})] == ["DbDburl", "DbDburlSecret"]


def test_the_logical_id_of_a_database_covers_its_credentials_too() -> None:
    assert allows({"DbDb"}, "DbDbSecret", "DbDb") and allows({"DbDb"}, "DbDbUrlSecret", "DbDb")
    assert not allows({"db"}, "DbDbParams") and not allows({"cache"}, "DbDbSecret", "DbDb")
    assert not allows({"db"}, "DbDbSecret")  # a secret no database of the templates owns is only its own name's
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


@pytest.mark.parametrize(("lid", "suffix", "name"), [
    ("SecretStripeKey", "", "STRIPE_KEY"), ("SecretApiKey2", "", "API_KEY2"),
    ("SecretStripeKeyArn", "Arn", "STRIPE_KEY"),
    ("SecretSessionSecretArn", "Arn", "SESSION_SECRET"), ("DbDbSecret", "", None), ("SecretStripeKey", "Arn", None),
    ("Secret", "", None)])
def test_secret_name_is_the_spec_name(lid: str, suffix: str, name: str | None) -> None:
    """The inverse of the secret's logical id, which --allow-replace takes (and hints name)."""
    assert secret_name(lid, suffix) == name
    if name and not suffix:
        assert allows({name}, lid)
