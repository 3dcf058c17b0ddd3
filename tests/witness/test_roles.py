"""Two database roles: migrations run as the owner (PORTAL_MIGRATE_DATABASE_URL), the portal as a role that can
read and append audit events but not change, remove or unprotect them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.service import Actor, chain_head, record_event, verify_chain
from app.cli import main
from app.database import Database
from app.main import create_app
from app.settings import Settings
from tests.databases import PG_URL, empty_database
from tests.factories import EARLIER

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_migrate_url_defaults_to_the_database_url(tmp_path: Path) -> None:
    assert (
        Settings(data_dir=tmp_path).effective_migrate_database_url == f"sqlite:///{(tmp_path / 'portal.db').resolve()}"
    )
    assert Settings(database_url="postgresql+psycopg://app@db/p").effective_migrate_database_url == (
        "postgresql+psycopg://app@db/p"
    )
    both = Settings(database_url="postgresql+psycopg://app@db/p", migrate_database_url="postgresql+psycopg://own@db/p")
    assert both.effective_migrate_database_url == "postgresql+psycopg://own@db/p"


def test_portal_migrate_connects_with_the_migration_url(
    db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with empty_database(db_kind, tmp_path / "a") as runtime_url, empty_database(db_kind, tmp_path / "b") as owner_url:
        monkeypatch.setenv("PORTAL_DATABASE_URL", runtime_url)
        monkeypatch.setenv("PORTAL_MIGRATE_DATABASE_URL", owner_url)
        monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
        result = _run("migrate")
        assert result.exit_code == 0, result.output
        migrated, untouched = create_engine(owner_url), create_engine(runtime_url)
        assert "audit_event" in inspect(migrated).get_table_names()
        assert inspect(untouched).get_table_names() == []
        migrated.dispose()
        untouched.dispose()


# --- PostgreSQL: the owner and the runtime role ----------------------------------------------------------


@dataclass
class Roles:
    owner_url: str
    runtime_url: str
    owner: str
    runtime: str


@pytest.fixture
def two_roles(db_kind: str) -> Iterator[Roles]:
    """A scratch database owned by a new owner role, and a new runtime role that may connect to it."""
    if db_kind != "postgresql":
        pytest.skip(
            "ROLE TEST SKIPPED: SQLite has no database roles; run with PORTAL_TEST_DATABASE_URL and "
            "PORTAL_TEST_DATABASES=postgresql to prove the runtime role cannot change the audit table"
        )
    suffix = secrets.token_hex(4)
    owner, runtime, database = f"portal_owner_{suffix}", f"portal_app_{suffix}", f"witness_{suffix}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {owner} LOGIN"))
        connection.execute(text(f"CREATE ROLE {runtime} LOGIN"))
        connection.execute(text(f"CREATE DATABASE {database} OWNER {owner}"))
        connection.execute(text(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC"))
        connection.execute(text(f"GRANT CONNECT ON DATABASE {database} TO {runtime}"))
    base = make_url(PG_URL).set(database=database, query={})
    try:
        yield Roles(
            owner_url=base.set(username=owner).render_as_string(hide_password=False),
            runtime_url=base.set(username=runtime).render_as_string(hide_password=False),
            owner=owner,
            runtime=runtime,
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            connection.execute(text(f"DROP ROLE IF EXISTS {runtime}"))
            connection.execute(text(f"DROP ROLE IF EXISTS {owner}"))
        admin.dispose()


REFUSED = [
    "UPDATE audit_event SET action = 'changed'",
    "DELETE FROM audit_event",
    "TRUNCATE audit_event",
    "DROP TRIGGER audit_event_append_only ON audit_event",
    "ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only",
    "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$",
    "DROP FUNCTION audit_event_append_only() CASCADE",
    "DROP TABLE audit_event",
    "ALTER TABLE audit_event OWNER TO CURRENT_USER",
    "UPDATE audit_head SET event_count = 0",
    "DELETE FROM audit_head",
    "TRUNCATE audit_head",
    "DROP TRIGGER audit_head_append_only ON audit_head",
    "UPDATE alembic_version SET version_num = 'x'",
    "SELECT setval('audit_event_id_seq', 1)",
    "CREATE TABLE intruder (id integer)",
]


def test_runtime_role_appends_and_reads_audit_events_but_cannot_change_or_unprotect_them(
    two_roles: Roles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_MIGRATE_DATABASE_URL", two_roles.owner_url)
    monkeypatch.setenv("PORTAL_DATABASE_URL", two_roles.runtime_url)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
    migrated = _run("migrate")
    assert migrated.exit_code == 0, migrated.output
    assert f"Granted role {two_roles.runtime} the portal's privileges" in migrated.output

    # The portal works as the runtime role: challenges loaded and published, events recorded and read.
    loaded = _run("challenges", "load", "--publish", str(ROOT / "challenges"))
    assert loaded.exit_code == 0, loaded.output
    runtime = create_engine(two_roles.runtime_url)
    with Session(runtime) as session:
        assert session.scalar(text("SELECT current_user")) == two_roles.runtime
        event = record_event(
            session, actor=Actor(None, "tester"), action="test.thing", object_type="thing", object_id=1, at=EARLIER
        )
        session.commit()
        assert session.scalar(select(AuditEvent.hash).where(AuditEvent.id == event.id)) == event.hash
        assert verify_chain(session).ok
        head = chain_head(session)
    assert (head.count, head.hash) == (7, event.hash)  # six events of loading and publishing three challenges
    assert _run("audit", "verify", "--head", str(head)).exit_code == 0
    settings = Settings(data_dir=tmp_path / "data", secret_key="test-secret-key-not-for-production")
    portal = Database(two_roles.runtime_url)
    with TestClient(create_app(settings, db=portal)) as client:
        assert client.get("/readyz").status_code == 200
        assert client.get("/transparency").status_code == 200
    portal.dispose()

    for statement in REFUSED:
        with runtime.connect() as connection, pytest.raises(DBAPIError) as refused:
            connection.execute(text(statement))
        assert getattr(refused.value.orig, "sqlstate", None) == "42501", (statement, refused.value)

    # The protection is the owner's: the trigger's table and its function.
    with runtime.connect() as connection:
        owners = connection.execute(
            text(
                "SELECT c.relowner::regrole::text, p.proowner::regrole::text FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE t.tgname = 'audit_event_append_only'"
            )
        ).one()
        assert tuple(owners) == (two_roles.owner, two_roles.owner)
        assert connection.scalar(text("SELECT count(*) FROM audit_event")) == 7
    runtime.dispose()
