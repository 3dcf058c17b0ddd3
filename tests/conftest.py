"""Shared fixtures: databases built by the migrations, a savepoint per test, a frozen clock, the app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.database import Database
from app.main import create_app
from app.settings import Settings
from tests.databases import TransactionalDatabase, database_kinds, empty_database, migrated_database

# Tests never time things (benchmarks in bench/ do): no per-example deadline, which fails on a busy machine.
hypothesis_settings.register_profile("portal", deadline=None)
hypothesis_settings.load_profile("portal")

# Two weeks after the seeded challenges opened and well before their deadlines.
DEFAULT_NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="session", params=database_kinds())
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def migrated(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """One database per kind for the whole run, schema from the Alembic migrations."""
    with empty_database(db_kind, tmp_path_factory.mktemp("db")) as url:
        db = migrated_database(url)
        yield db
        db.dispose()


@pytest.fixture
def fresh_db(db_kind: str, tmp_path: Path) -> Iterator[Database]:
    """A migrated database of the test's own (a SQLite file, or a PostgreSQL schema) with real connections: no test
    transaction around it, so concurrent requests and their commits are real."""
    with empty_database(db_kind, tmp_path) as url:
        db = migrated_database(url)
        yield db
        db.dispose()


@pytest.fixture
def tdb(migrated: Database) -> Iterator[TransactionalDatabase]:
    connection = migrated.engine.connect()
    transaction = connection.begin()
    if connection.dialect.name == "postgresql":
        # The triggers that bump the public pages' version are deferred to the commit (migration 0025); a test's
        # transaction never commits, so here they fire at the end of each statement instead.
        connection.exec_driver_sql("SET CONSTRAINTS ALL IMMEDIATE")
    try:
        yield TransactionalDatabase(migrated.engine, connection)
    finally:
        transaction.rollback()
        connection.close()


@pytest.fixture
def session(tdb: TransactionalDatabase) -> Iterator[Session]:
    with tdb.unit_of_work() as session:
        yield session


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(DEFAULT_NOW)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", secret_key="test-secret-key-not-for-production", base_url="http://testserver"
    )


@pytest.fixture
def app(settings: Settings, tdb: TransactionalDatabase, clock: FrozenClock) -> FastAPI:
    return create_app(settings, db=tdb, clock=clock)  # type: ignore[arg-type]


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client
