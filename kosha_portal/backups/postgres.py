"""The PostgreSQL side of backups: which database, its client tools, and the queries a set needs.

Everything here talks to the database through its own psycopg connection (or pg_dump /
pg_restore), never through Django's connection: a restore targets a database other than the
configured one, and a backup reads one exported snapshot that Django's connection knows nothing
about."""

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from urllib.parse import quote

import environ
import psycopg
from django.db import connections
from psycopg import sql

from .errors import BackupError

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")


@dataclass(frozen=True)
class Database:
    """Where a PostgreSQL database is and how to log in to it."""

    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""

    @classmethod
    def from_url(cls, url: str) -> "Database":
        config = environ.Env.db_url_config(url)
        if not config.get("ENGINE", "").endswith("postgresql"):
            raise BackupError(f"Backups need PostgreSQL; {url.split(':', 1)[0]}: is not.")
        return cls._from_config(config)

    @classmethod
    def from_settings(cls, alias: str = "default") -> "Database":
        """The database Django uses (under pytest-django, the test database)."""
        config = connections[alias].settings_dict
        if not config["ENGINE"].endswith("postgresql"):
            raise BackupError(
                "Backups need PostgreSQL; the portal is configured with "
                f"{config['ENGINE'].rsplit('.', 1)[-1]}. Set DATABASE_URL to a PostgreSQL database."
            )
        return cls._from_config(config)

    @classmethod
    def _from_config(cls, config: dict) -> "Database":
        return cls(
            name=str(config.get("NAME") or ""),
            user=str(config.get("USER") or ""),
            password=str(config.get("PASSWORD") or ""),
            host=str(config.get("HOST") or ""),
            port=str(config.get("PORT") or ""),
        )

    def with_name(self, name: str) -> "Database":
        return Database(name, self.user, self.password, self.host, self.port)

    @property
    def url(self) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        location = self.host or "localhost"
        if self.port:
            location += f":{self.port}"
        return f"postgres://{auth}@{location}/{quote(self.name, safe='')}"

    def __str__(self) -> str:
        """Printable without the password."""
        location = self.host or "local socket"
        if self.port:
            location += f":{self.port}"
        return f"{self.name} on {location}"

    def client_env(self) -> dict[str, str]:
        """Environment for pg_dump / pg_restore: the password never appears on a command line."""
        env = dict(os.environ)
        for key, value in (
            ("PGDATABASE", self.name),
            ("PGUSER", self.user),
            ("PGPASSWORD", self.password),
            ("PGHOST", self.host),
            ("PGPORT", self.port),
        ):
            if value:
                env[key] = value
            else:
                env.pop(key, None)
        env.setdefault("PGCONNECT_TIMEOUT", "10")
        return env

    def connect(self, *, autocommit: bool = False, dbname: str | None = None) -> psycopg.Connection:
        params = {"dbname": dbname or self.name, "connect_timeout": 10}
        params.update(
            {
                key: value
                for key, value in (
                    ("user", self.user),
                    ("password", self.password),
                    ("host", self.host),
                    ("port", self.port),
                )
                if value
            }
        )
        try:
            return psycopg.connect(autocommit=autocommit, **params)
        except psycopg.OperationalError as exc:
            raise BackupError(f"Cannot connect to the database {self}: {exc}".strip()) from exc

    def exists(self) -> bool:
        try:
            with self.connect(autocommit=True):
                return True
        except BackupError:
            pass  # missing, or unreachable: the maintenance database tells which
        with self.connect(autocommit=True, dbname="postgres") as conn:
            return bool(
                conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone()
            )

    def create(self) -> None:
        with self.connect(autocommit=True, dbname="postgres") as conn:
            try:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(
                        sql.Identifier(self.name)
                    )
                )
            except psycopg.Error as exc:
                raise BackupError(
                    f"The database {self} does not exist and could not be created ({exc}). "
                    "Create it (createdb, or `docker compose up -d postgres`) and try again."
                ) from exc

    def drop(self) -> None:
        with self.connect(autocommit=True, dbname="postgres") as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        package = "age" if name.startswith("age") else "postgresql-client-15"
        raise BackupError(f"{name} is not installed (Debian package {package}).")
    return path


def tool_version(name: str) -> str:
    """'15.20' for `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)`."""
    output = subprocess.run(  # noqa: S603 - fixed argument list
        [require_tool(name), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"(\d+)(?:\.(\d+))?", output)
    if not match:
        raise BackupError(f"Cannot tell the version of {name} from {output!r}.")
    return match.group(0)


def major(version: str) -> int:
    return int(version.split(".", 1)[0])


def user_tables(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(schema, table) of every ordinary table outside the system schemas."""
    return conn.execute(
        """
        SELECT n.nspname, c.relname FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg_toast%%' AND n.nspname NOT LIKE 'pg_temp%%'
        ORDER BY 1, 2
        """
    ).fetchall()


def table_key(schema: str, table: str) -> str:
    return table if schema == "public" else f"{schema}.{table}"


def row_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Exact row count of every table (``schema.table`` outside public)."""
    counts = {}
    for schema, table in user_tables(conn):
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        counts[table_key(schema, table)] = conn.execute(query).fetchone()[0]
    return counts


def applied_migrations(conn: psycopg.Connection) -> dict[str, list[str]]:
    """Django's migration state as recorded in django_migrations: app label -> migration names."""
    exists = conn.execute("SELECT to_regclass('public.django_migrations') IS NOT NULL").fetchone()
    if not exists[0]:
        return {}
    applied: dict[str, list[str]] = {}
    for app, name in conn.execute("SELECT app, name FROM django_migrations ORDER BY app, name"):
        applied.setdefault(app, []).append(name)
    return applied


def column_exists(conn: psycopg.Connection, table: str, column: str) -> bool:
    return bool(
        conn.execute(
            """
            SELECT 1 FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name = %s AND column_name = %s
            """,
            [table, column],
        ).fetchone()
    )


def public_relation_count(conn: psycopg.Connection) -> int:
    """Tables, views and sequences in the public schema: zero means an empty database."""
    return conn.execute(
        """
        SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
        """
    ).fetchone()[0]


def public_schema_reset(conn: psycopg.Connection) -> None:
    """Drop everything in the public schema (restore --force)."""
    conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
    conn.execute("CREATE SCHEMA public")
