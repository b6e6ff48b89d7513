"""The bootstrap script end to end against a real PostgreSQL (Debian's package), started by the test.

The cluster runs as the ``postgres`` system user (PostgreSQL refuses root) on a temporary directory and a
loopback port; the script is run exactly as the bootstrap job runs it (``bootstrap_command``)."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from moorage import api
from moorage.plan.bootstrap_sql import DatabaseUser, bootstrap_command, bootstrap_sql
from moorage.render import Synth

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
OWNER, OWNER_PW = "app", "owner-pw-123"
USERS = [DatabaseUser("svc-auth", "svc_auth", "auth"), DatabaseUser("svc-tenants", "svc_tenants", "tenants")]
PASSWORDS = {"svc_auth": "auth-pw-456", "svc_tenants": "tenants-pw-789"}


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@dataclass
class Cluster:
    bin: Path
    port: int

    def psql(self, user: str, password: str, sql: str, db: str = "shop") -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(self.port), "PGDATABASE": db,
               "PGUSER": user, "PGPASSWORD": password}
        return subprocess.run([str(self.bin / "psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                              env=env, capture_output=True, text=True, timeout=60)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    bin_dir = _bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries absent (apt-get install postgresql)")
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL as a non-root user")
        as_postgres = [runuser, "-u", "postgres", "--"]
    tmp = Path(tempfile.mkdtemp(prefix="moorage-pg-"))
    data, pwfile = tmp / "data", tmp / "pw"
    pwfile.write_text(OWNER_PW + "\n")
    if as_postgres:
        shutil.chown(tmp, "postgres")
        shutil.chown(pwfile, "postgres")
    port = _free_port()
    run = {"capture_output": True, "text": True, "timeout": 120}
    try:
        subprocess.run([*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-U", OWNER,
                        f"--pwfile={pwfile}", "--auth-local=scram-sha-256", "--auth-host=scram-sha-256"],
                       check=True, **run)  # type: ignore[call-overload]
        subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(tmp / "log"),
                        "-o", f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1", "start"],
                       check=True, **run)  # type: ignore[call-overload]
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.skip(f"could not start PostgreSQL: {exc.stderr.strip()[:300]}")
    c = Cluster(bin_dir, port)
    try:
        assert c.psql(OWNER, OWNER_PW, "CREATE DATABASE shop", db="postgres").returncode == 0
        yield c
    finally:
        subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       **run)  # type: ignore[call-overload]
        shutil.rmtree(tmp, ignore_errors=True)


def _extensions(cluster: Cluster) -> list[str]:
    """pgvector when the package is installed (postgresql-NN-pgvector), else a contrib extension."""
    available = cluster.psql(OWNER, OWNER_PW, "SELECT name FROM pg_available_extensions").stdout.split()
    return [e for e in ("vector", "pg_trgm") if e in available]


def _bootstrap(cluster: Cluster, extensions: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the script the way the job does: its command, its PG* and password variables."""
    sql = bootstrap_sql("shop", extensions, ["auth", "tenants", "reports"], USERS)
    env = {**os.environ, "PATH": f"{cluster.bin}:{os.environ.get('PATH', '')}", "BOOTSTRAP_SQL": sql,
           "PGHOST": "127.0.0.1", "PGPORT": str(cluster.port), "PGDATABASE": "shop", "PGUSER": OWNER,
           "PGPASSWORD": OWNER_PW, **{u.password_variable.upper(): PASSWORDS[u.user] for u in USERS}}
    return subprocess.run(bootstrap_command(USERS), env=env, capture_output=True, text=True, timeout=60)


def test_bootstrap_creates_extensions_schemas_and_users_and_is_idempotent(cluster: Cluster) -> None:
    extensions = _extensions(cluster)
    assert "pg_trgm" in extensions, "postgresql contrib extensions are part of Debian's server package"
    for _ in range(2):  # a second deploy runs it again
        done = _bootstrap(cluster, extensions)
        assert done.returncode == 0, done.stderr
    installed = cluster.psql(OWNER, OWNER_PW, "SELECT extname FROM pg_extension").stdout.split()
    assert set(extensions) <= set(installed)
    schemas = cluster.psql(OWNER, OWNER_PW, "SELECT nspname FROM pg_namespace").stdout.split()
    assert {"auth", "tenants", "reports"} <= set(schemas)
    roles = cluster.psql(OWNER, OWNER_PW, "SELECT rolname FROM pg_roles WHERE rolcanlogin").stdout.split()
    assert {"svc_auth", "svc_tenants"} <= set(roles)


def test_pgvector_when_packaged(cluster: Cluster) -> None:
    if "vector" not in _extensions(cluster):
        pytest.skip("pgvector not installed here (postgresql-15-pgvector is not in this machine's apt sources)")
    assert _bootstrap(cluster, ["vector"]).returncode == 0
    assert cluster.psql("svc_auth", PASSWORDS["svc_auth"], "SELECT '[1,2]'::vector").returncode == 0


def test_a_service_user_reads_its_schema_only(cluster: Cluster) -> None:
    assert _bootstrap(cluster, []).returncode == 0
    # The migrations run as the owner: tables they create later are granted by default privileges.
    made = cluster.psql(OWNER, OWNER_PW, "CREATE TABLE IF NOT EXISTS auth.sessions (id serial PRIMARY KEY, v text);"
                        "CREATE TABLE IF NOT EXISTS tenants.tenants (id int); INSERT INTO tenants.tenants VALUES (1)")
    assert made.returncode == 0, made.stderr
    auth = PASSWORDS["svc_auth"]
    # search_path is the service's schema: unqualified names land there
    own = cluster.psql("svc_auth", auth, "INSERT INTO sessions (v) VALUES ('x'); SELECT count(*) FROM sessions")
    assert own.returncode == 0, own.stderr
    other = cluster.psql("svc_auth", auth, "SELECT * FROM tenants.tenants")
    assert other.returncode != 0 and "permission denied" in other.stderr
    ddl = cluster.psql("svc_auth", auth, "CREATE TABLE auth.mine (id int)")
    assert ddl.returncode != 0 and "permission denied" in ddl.stderr
    public = cluster.psql("svc_auth", auth, "CREATE TABLE public.sneaky (id int)")
    assert public.returncode != 0
    wrong = cluster.psql("svc_auth", "not-the-password", "SELECT 1")
    assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr


def test_identifiers_are_checked() -> None:
    with pytest.raises(ValueError, match="identifier"):
        bootstrap_sql("shop", [], ['auth"; DROP TABLE x; --'], [])


def test_no_password_in_the_script() -> None:
    sql = bootstrap_sql("shop", ["vector"], ["auth"], USERS)
    assert ":'pw_svc_auth'" in sql and "PASSWORD '" not in sql
    assert 'CREATE EXTENSION IF NOT EXISTS "vector";' in sql


def _job_variables(s: Synth, job: str) -> tuple[list[str], str]:
    sp = s.plan.services[job]
    assert sp.spec.kind == "job" and sp.spec.command
    sql = sp.env["BOOTSTRAP_SQL"].parts[0]
    assert isinstance(sql, str)
    return sp.spec.command, sql


def test_the_smartboard_job_runs_on_postgres_and_isolates_its_services(cluster: Cluster) -> None:
    """The example's own job (its command and script) against the real server."""
    s = api.synth_environment(api.load_app(EXAMPLES / "smartboard" / "docker-compose.yml"), "prod")
    command, sql = _job_variables(s, "postgres-bootstrap")
    users = s.plan.databases["postgres"].users
    assert {u.user: u.schema for u in users} == {
        "svc_auth": "auth", "svc_tenants": "tenants", "svc_datasets": "datasets", "svc_analytics": "analytics",
        "svc_dashboards": "dashboards"}
    assert cluster.psql(OWNER, OWNER_PW, "CREATE DATABASE smartboard",
                        db="postgres").returncode == 0
    passwords = {u.user: f"pw-{u.user}" for u in users}
    env = {**os.environ, "PATH": f"{cluster.bin}:{os.environ.get('PATH', '')}", "BOOTSTRAP_SQL": sql,
           "PGHOST": "127.0.0.1", "PGPORT": str(cluster.port), "PGDATABASE": "smartboard", "PGUSER": OWNER,
           "PGPASSWORD": OWNER_PW, **{u.password_variable.upper(): passwords[u.user] for u in users}}
    for _ in range(2):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    made = cluster.psql(OWNER, OWNER_PW, "CREATE TABLE datasets.files (id int); CREATE TABLE auth.users (id int)",
                        db="smartboard")
    assert made.returncode == 0, made.stderr
    ok = cluster.psql("svc_datasets", passwords["svc_datasets"], "SELECT count(*) FROM files", db="smartboard")
    assert ok.returncode == 0 and ok.stdout.strip() == "0", ok.stderr
    denied = cluster.psql("svc_datasets", passwords["svc_datasets"], "SELECT * FROM auth.users", db="smartboard")
    assert denied.returncode != 0 and "permission denied for schema auth" in denied.stderr


def test_the_job_runs_before_the_migrations_and_services_get_their_own_url() -> None:
    s = api.synth_environment(api.load_app(EXAMPLES / "smartboard" / "docker-compose.yml"), "prod")
    waves = s.manifest["waves"]
    wave_of = {key: i for i, wave in enumerate(waves) for key in wave}
    assert wave_of["svc-postgres-bootstrap"] < wave_of["svc-migrate"]
    assert wave_of["svc-postgres-bootstrap"] < wave_of["svc-svc-auth"]
    assert s.manifest["before_deploy_jobs"][0] == "postgres-bootstrap"
    container = s.templates["svc-svc-auth"]["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    url = next(x for x in container["Secrets"] if x["Name"] == "DATABASE_URL")
    assert url["ValueFrom"] == {"Ref": "DbPostgresUserSvcAuthUrl"}
    data = s.templates["data"]["Resources"]
    url_secret = json.dumps(data["DbPostgresUserSvcAuthUrlSecret"]["Properties"]["SecretString"])
    assert "search_path%3Dauth" in url_secret and '"U": "svc_auth"' in url_secret
    assert "GenerateSecretString" in data["DbPostgresUserSvcAuthSecret"]["Properties"]
    # the gateway has no schema of its own: it keeps the owner's URL, and the plan says so
    gateway = s.templates["svc-gateway"]["Resources"]["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]
    assert next(x for x in gateway["Secrets"] if x["Name"] == "DATABASE_URL")["ValueFrom"] == {"Ref": "DbPostgresUrl"}
    owner = next(d for d in s.plan.decisions if d.topic == "databases.postgres.owner_credentials")
    assert "gateway" in str(owner.value)


def test_macro_ai_job_creates_pgvector() -> None:
    s = api.synth_environment(api.load_app(EXAMPLES / "macro-ai" / "moorage.yml"), "prod")
    _, sql = _job_variables(s, "db-bootstrap")
    assert 'CREATE EXTENSION IF NOT EXISTS "vector";' in sql
    assert s.plan.databases["db"].users == []  # no schemas: one owner login, as before
