"""Copying the database out and back in: SQLite with its online backup API, PostgreSQL with pg_dump/pg_restore.

Both take one consistent snapshot while the portal goes on writing: SQLite copies every page in one step of the
backup API (a read transaction, which in WAL mode writers do not wait for); PostgreSQL exports the snapshot of
a repeatable-read transaction, reads the manifest's figures in it and has ``pg_dump --snapshot`` dump exactly it.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import Connection, create_engine, make_url
from sqlalchemy.engine import URL

from app.ops.backup.manifest import Snapshot, read_snapshot

SQLITE_FILE = "database.sqlite3"
POSTGRESQL_FILE = "database.dump"


class BackupError(Exception):
    """A backup or restore step failed; the message says which and why."""


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{url} is not a SQLite database file")
    return Path(database)


def dump_sqlite(url: str, target: Path) -> Snapshot:
    """Copy the live database into ``target`` in one step and read the figures from the copy."""
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    source = sqlite3.connect(sqlite_path(url), timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # pages=-1: every page in one step, one consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        source.close()
    return snapshot_of_file(target)


def snapshot_of_file(path: Path) -> Snapshot:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return read_snapshot(connection)
    finally:
        engine.dispose()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as libpq reads it, and the environment that carries its password (never on a command line)."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/bin:/usr/lib/postgresql/15/bin")
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _run(arguments: list[str], env: dict[str, str]) -> None:
    # The tools come from PATH or /usr/bin; the arguments are a list (no shell) built from settings.
    done = subprocess.run(arguments, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(arguments[0]).name} failed: {done.stderr.strip() or done.returncode}")


def current_schema(connection: Connection) -> str:
    return str(connection.exec_driver_sql("SELECT current_schema()").scalar_one())


def dump_postgresql(url: str, target: Path) -> tuple[Snapshot, str]:
    """``pg_dump --format=custom`` of the portal's schema at one exported snapshot; the figures from that snapshot."""
    engine = create_engine(url)
    conninfo, env = _libpq(url)
    try:
        with engine.connect() as connection:
            connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                exported = str(connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
                schema = current_schema(connection)
                snapshot = read_snapshot(connection)
                # The exporting transaction stays open until pg_dump has taken its snapshot over.
                _run(
                    [
                        _tool("pg_dump"),
                        "--format=custom",
                        f"--snapshot={exported}",
                        f"--schema={schema}",
                        "--no-password",
                        f"--file={target}",
                        f"--dbname={conninfo}",
                    ],
                    env,
                )
    finally:
        engine.dispose()
    return snapshot, schema


def restore_sqlite(source: Path, url: str) -> None:
    """Put the copy in place of the database file, whole (written beside it, synced, then renamed)."""
    path = sqlite_path(url)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".restoring")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out, source.open("rb") as handle:
        shutil.copyfileobj(handle, out, 1024 * 1024)
        out.flush()
        os.fsync(out.fileno())
    for suffix in ("-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    os.replace(partial, path)


def is_empty(connection: Connection) -> bool:
    """Whether the database (on PostgreSQL: the connection's schema) has no tables at all."""
    if connection.dialect.name == "sqlite":
        found = connection.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type = 'table'").scalar_one()
    else:
        found = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        ).scalar_one()
    return int(found) == 0


def clear_postgresql(connection: Connection) -> None:
    """Drop the portal's tables and trigger functions from the connection's schema (``restore --force``)."""
    quote = connection.dialect.identifier_preparer.quote
    schema = quote(current_schema(connection))
    tables = connection.exec_driver_sql("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    for (name,) in tables.all():
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {schema}.{quote(name)} CASCADE")
    functions = connection.exec_driver_sql(
        "SELECT p.proname, pg_get_function_identity_arguments(p.oid) FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
    )
    for name, arguments in functions.all():
        connection.exec_driver_sql(f"DROP FUNCTION IF EXISTS {schema}.{quote(name)}({arguments}) CASCADE")
    sequences = connection.exec_driver_sql("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
    for (name,) in sequences.all():
        connection.exec_driver_sql(f"DROP SEQUENCE IF EXISTS {schema}.{quote(name)} CASCADE")


def restore_postgresql(source: Path, url: str, *, schema: str) -> None:
    """``pg_restore`` in one transaction, all or nothing; objects owned by the connecting (owner) role.

    The schema itself already exists in the target (the connection's own), so its entries are left out.
    """
    conninfo, env = _libpq(url)
    tool = _tool("pg_restore")
    listed = subprocess.run(  # noqa: S603 (a list, no shell)
        [tool, "--list", str(source)], env=env, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        raise BackupError(f"pg_restore cannot read {source}: {listed.stderr.strip()}")
    schema_entry = re.compile(rf"^\d+; \d+ \d+ (SCHEMA - |COMMENT - SCHEMA |ACL - SCHEMA ){re.escape(schema)} ")
    kept = [line for line in listed.stdout.splitlines() if not schema_entry.match(line)]
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as handle:
        handle.write("\n".join(kept) + "\n")
    try:
        _run(
            [
                tool,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--no-password",
                f"--use-list={handle.name}",
                f"--dbname={conninfo}",
                str(source),
            ],
            env,
        )
    finally:
        os.unlink(handle.name)
