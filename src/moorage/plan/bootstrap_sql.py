"""The database bootstrap script: extensions, per-service schemas and per-service users.

A psql script, safe to run again and again (every statement is idempotent). Passwords never appear in it:
each user's password arrives as the psql variable ``pw_<user>`` (``-v``), which psql quotes as a literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

IDENTIFIER_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
EXTENSION_RE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")  # uuid-ossp
DML = "SELECT, INSERT, UPDATE, DELETE"


@dataclass(frozen=True)
class DatabaseUser:
    """A service's own database login, limited to its schema."""

    service: str
    user: str
    schema: str

    @property
    def password_variable(self) -> str:
        """The psql variable (and, upper-cased, the task's env variable) carrying the password."""
        return f"pw_{self.user}"


def _ident(name: str, pattern: re.Pattern[str] = IDENTIFIER_RE) -> str:
    if not pattern.match(name):
        raise ValueError(f"not a plain PostgreSQL identifier: {name!r}")
    return f'"{name}"'


def bootstrap_sql(dbname: str, extensions: list[str], schemas: list[str], users: list[DatabaseUser]) -> str:
    """The psql script creating ``extensions``, ``schemas`` and ``users`` in ``dbname``.

    Run as the database owner (the master user), which keeps owning every schema so that migrations (run
    with its credentials) can change them; each service user gets data access to its own schema only."""
    db = _ident(dbname)
    lines = ["\\set ON_ERROR_STOP on", "-- moorage database bootstrap: idempotent, run before every deploy"]
    for ext in extensions:
        lines.append(f"CREATE EXTENSION IF NOT EXISTS {_ident(ext, EXTENSION_RE)};")
    # Least privilege inside the database: nobody but the owner connects or creates unless granted.
    lines.append(f"REVOKE ALL ON DATABASE {db} FROM PUBLIC;")
    lines.append("REVOKE CREATE ON SCHEMA public FROM PUBLIC;")
    for schema in schemas:
        lines.append(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)};")
        lines.append(f"REVOKE ALL ON SCHEMA {_ident(schema)} FROM PUBLIC;")
    for u in users:
        user, schema, literal = _ident(u.user), _ident(u.schema), u.user
        lines += [
            f"-- {u.service}: login {literal}, schema {u.schema}",
            f"SELECT 'CREATE ROLE {user} LOGIN' WHERE NOT EXISTS "
            f"(SELECT 1 FROM pg_roles WHERE rolname = '{literal}')\\gexec",
            # The password is set on every run, so a rotated secret reaches the database at the next deploy.
            f"ALTER ROLE {user} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
            f"PASSWORD :'{u.password_variable}';",
            f"ALTER ROLE {user} SET search_path = {schema}, public;",
            f"GRANT CONNECT ON DATABASE {db} TO {user};",
            f"GRANT USAGE ON SCHEMA {schema} TO {user};",
            f"GRANT {DML} ON ALL TABLES IN SCHEMA {schema} TO {user};",
            f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {user};",
            # Tables the migrations create later (as the owner running this script) are granted too.
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {DML} ON TABLES TO {user};",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {user};",
        ]
    lines.append("SELECT 'bootstrap done' AS moorage;")
    return "\n".join(lines) + "\n"


def bootstrap_command(users: list[DatabaseUser]) -> list[str]:
    """The job container's command: psql reads the script from ``$BOOTSTRAP_SQL`` and connects with the
    ``PG*`` variables (host, port, database, owner user and password, ``PGSSLMODE=require``)."""
    variables = " ".join(f'-v {u.password_variable}="${u.password_variable.upper()}"' for u in users)
    psql = "psql -X -q -v ON_ERROR_STOP=1" + (f" {variables}" if variables else "")
    return ["sh", "-c", f'printf "%s" "$BOOTSTRAP_SQL" | {psql} -f -']
