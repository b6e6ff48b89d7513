"""The database bootstrap job: which service gets which database user and schema, and the one-off task
that creates them (with the extensions) inside the VPC before the migrations run."""

from __future__ import annotations

import re

from moorage.plan.bootstrap_sql import DatabaseUser, bootstrap_command, bootstrap_sql
from moorage.plan.model import EnvRef, PlainValue, SecretValue
from moorage.resolve.environment import Decision, EnvSpec, ResolvedDatabase, ResolvedService

BOOTSTRAP_SUFFIX = "-bootstrap"
POSTGRES_IMAGE = "public.ecr.aws/docker/library/postgres:{major}-alpine"


def bootstrap_job_name(db: str) -> str:
    """The job (and its stack ``svc-<name>``) bootstrapping database ``db``."""
    return f"{db}{BOOTSTRAP_SUFFIX}"


def needs_bootstrap(db: ResolvedDatabase) -> bool:
    """A PostgreSQL database with extensions or schemas to create."""
    return db.family == "postgres" and bool(db.extensions or db.schemas)


def schema_of(service: str, schemas: list[str]) -> str | None:
    """The schema a service owns: its name, or its name without a ``svc-`` prefix (``svc-auth`` -> ``auth``)."""
    candidates = [service, re.sub(r"^svc[-_]", "", service)]
    for name in candidates:
        normal = name.replace("-", "_").lower()
        if normal in schemas:
            return normal
    return None


def database_users(env: EnvSpec, db_name: str) -> list[DatabaseUser]:
    """One login per long-running service that uses ``db_name`` and has a schema of its own."""
    db = env.databases[db_name]
    if db.family != "postgres":
        return []
    return [u for svc in env.services.values() if (u := _user_of(db_name, db, svc)) is not None]


def _user_of(db_name: str, db: ResolvedDatabase, svc: ResolvedService) -> DatabaseUser | None:
    """``svc``'s own login on PostgreSQL database ``db_name``, if it gets one."""
    if db_name not in svc.uses or svc.kind == "job":
        return None  # jobs (migrations) keep the owner's credentials: they change every schema
    schema = schema_of(svc.name, db.schemas)
    user = svc.name.replace("-", "_").lower()[:63]
    # never the owner's own role (ALTER ROLE would take its rights) nor a reserved prefix
    if schema and user != db.username.lower() and not user.startswith(("pg_", "rds")):
        return DatabaseUser(svc.name, user, schema)
    return None


def bootstrap_job(env: EnvSpec, db_name: str) -> ResolvedService:
    """The one-off task running the bootstrap script with the owner's credentials."""
    db = env.databases[db_name]
    return ResolvedService(
        name=bootstrap_job_name(db_name), kind="job", image=POSTGRES_IMAGE.format(major=db.major), build=None,
        port=None, route=None, health=None, container_check=None, cpu=256, memory=512, arch="x86_64",
        desired=0, scaling=None, command=bootstrap_command(database_users(env, db_name)), entrypoint=None,
        workdir=None, user=None, env={}, secret_env={}, uses=[db_name], spot=False, schedule=None, volumes=[],
        sidecars={}, stop_timeout=None, readonly_root=False, min_healthy=0, max_percent=100)


def bootstrap_environment(env: EnvSpec, db_name: str) -> tuple[dict[str, PlainValue], dict[str, SecretValue]]:
    """The job's variables: the script, where to connect (TLS required) and, as secrets, the passwords."""
    db = env.databases[db_name]
    users = database_users(env, db_name)
    plain = {
        "BOOTSTRAP_SQL": PlainValue((bootstrap_sql(db.dbname, db.extensions, db.schemas, users),)),
        "PGHOST": PlainValue((EnvRef("database", db_name, "host"),)),
        "PGPORT": PlainValue((str(db.port),)),
        "PGDATABASE": PlainValue((db.dbname,)),
        "PGUSER": PlainValue((db.username,)),
        "PGSSLMODE": PlainValue(("require",)),
    }
    secrets = {"PGPASSWORD": SecretValue("database", db_name, "password")}
    for u in users:
        secrets[u.password_variable.upper()] = SecretValue("database-user", f"{db_name}/{u.service}", "password")
    return dict(sorted(plain.items())), dict(sorted(secrets.items()))


def with_user_credentials(env: EnvSpec, svc: str, secrets: dict[str, SecretValue],
                          plain: dict[str, PlainValue]) -> None:
    """Point ``svc``'s database variables at its own user (URL with its schema, user name, password)."""
    service = env.services[svc]
    for db_name, db in env.databases.items():
        # only this service's own user matters: no scan of every service per database (quadratic at scale)
        user = _user_of(db_name, db, service) if db.family == "postgres" else None
        if user is None:
            continue
        for key, value in list(secrets.items()):
            if value.kind == "database" and value.target == db_name and value.attribute in ("url", "password"):
                secrets[key] = SecretValue("database-user", f"{db_name}/{svc}", value.attribute)
        for key, pv in list(plain.items()):
            if pv.parts == (EnvRef("database", db_name, "user"),):
                plain[key] = PlainValue((user.user,))


def bootstrap_decisions(env: EnvSpec, db_name: str) -> list[Decision]:
    """What the plan says about the bootstrap of ``db_name``."""
    db = env.databases[db_name]
    users = database_users(env, db_name)
    out = [Decision(f"databases.{db_name}.bootstrap", f"job {bootstrap_job_name(db_name)}",
                    "runs in the VPC before the migrations of every deploy: "
                    + "; ".join(filter(None, [
                        "extensions " + ", ".join(db.extensions) if db.extensions else "",
                        "schemas " + ", ".join(db.schemas) if db.schemas else "",
                        "users " + ", ".join(f"{u.user} ({u.schema} only)" for u in users) if users else ""])))]
    shared = sorted(s.name for s in env.services.values()
                    if db_name in s.uses and s.kind != "job" and s.name not in {u.service for u in users}
                    and not s.name.endswith(BOOTSTRAP_SUFFIX))
    if db.schemas and shared:
        out.append(Decision(f"databases.{db_name}.owner_credentials", ", ".join(shared),
                            "no schema named after these services: they keep the owner's credentials"))
    return out
