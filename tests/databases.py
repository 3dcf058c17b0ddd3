"""Test databases: a migrated SQLite file, and a migrated PostgreSQL schema when PORTAL_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.orm import Session

from app import migrate
from app.database import Database, OpenWriters, make_engine

PG_URL = os.environ.get("PORTAL_TEST_DATABASE_URL", "")


def database_kinds() -> list[str]:
    """SQLite always, PostgreSQL when a server is named; PORTAL_TEST_DATABASES narrows it (CI runs each alone)."""
    available = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
    wanted = [kind.strip() for kind in os.environ.get("PORTAL_TEST_DATABASES", "").split(",") if kind.strip()]
    unknown = set(wanted) - {"sqlite", "postgresql"}
    if unknown or ("postgresql" in wanted and not PG_URL):
        raise RuntimeError(
            f"PORTAL_TEST_DATABASES={wanted} needs known kinds and PORTAL_TEST_DATABASE_URL for postgresql"
        )
    return [kind for kind in available if kind in wanted] if wanted else available


@contextmanager
def empty_database(kind: str, folder: Path) -> Iterator[str]:
    """A URL to an empty database of the kind: a new SQLite file, or a new schema on the PostgreSQL server."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / f'test-{secrets.token_hex(4)}.db'}"
        return
    schema = f"test_{secrets.token_hex(6)}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class _ConnectionReader:
    """``Database.reader()`` inside the test's transaction: it sees what the test's sessions committed."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.connection.exec_driver_sql(sql).all()]


class TransactionalDatabase:
    """The Database interface over one connection whose outer transaction the test rolls back.

    Every session the app or a service opens joins it through a SAVEPOINT, so a service's commit is
    real to the code under test and still vanishes at the end of the test.
    """

    def __init__(self, engine: Engine, connection: Connection) -> None:
        self.writing = OpenWriters()
        self.engine = engine
        self.write_engine = engine
        self.connection = connection
        self.url = str(engine.url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, *, write: bool = False) -> Session:
        return Session(bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    def lookup_session(self) -> Session:
        return self.session()

    def reader(self) -> _ConnectionReader:
        return _ConnectionReader(self.connection)

    def on_loop(self) -> _ConnectionLoopBinds:
        """Views marked ``on_event_loop`` run on the loop here too, on the test's one connection."""
        return _ConnectionLoopBinds(self)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        session = self.session(write=True)
        try:
            yield session
        finally:
            session.close()

    def dispose(self) -> None:  # the engine belongs to the test session
        pass


class _OneWriter:
    """The writers' turn where the test's one connection is the only writer: always free."""

    def pin(self) -> bool:
        return True

    def unpin(self) -> None:
        pass


class _ConnectionLoopBinds:
    def __init__(self, db: TransactionalDatabase) -> None:
        self.engine = self.write_engine = self.read_engine = db.connection
        self.writers = _OneWriter()
        self.lookup_session = db.lookup_session


def migrated_database(url: str) -> Database:
    db = Database(url)
    migrate.upgrade(db.engine)
    return db


__all__ = ["PG_URL", "TransactionalDatabase", "database_kinds", "empty_database", "make_engine", "migrated_database"]
