"""The connection rules of ``app.database``: inserts that tolerate duplicates, one-statement reads outside a
transaction, and pooled connections that died while idle replaced before anyone uses them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from app import database
from app.database import Database, insert_unless_present
from app.proposals.models import Blob

SHA = "ab" * 32


def test_insert_unless_present_keeps_the_first_row(session: Session) -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    insert_unless_present(
        session,
        Blob,
        key="sha256",
        values={"sha256": SHA, "size_bytes": 10, "media_type": "application/pdf", "created_at": at},
    )
    insert_unless_present(
        session,
        Blob,
        key="sha256",
        values={"sha256": SHA, "size_bytes": 99, "media_type": "image/png", "created_at": at},
    )
    rows = session.execute(select(Blob.size_bytes, Blob.media_type).where(Blob.sha256 == SHA)).all()
    assert rows == [(10, "application/pdf")]
    assert session.scalar(select(func.count()).select_from(Blob)) == 1


@pytest.fixture
def own_database(migrated: Database) -> Iterator[Database]:
    """A second Database (its own pool) on the migrated test database."""
    db = Database(migrated.url)
    yield db
    db.dispose()


def _backend_pid(db: Database) -> int:
    with db.session() as s:
        pid = s.scalar(text("SELECT pg_backend_pid()"))
        s.rollback()
    assert isinstance(pid, int)
    return pid


def _terminate(migrated: Database, pid: int) -> None:
    with migrated.engine.connect() as connection:
        assert connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}) is True
    deadline = time.monotonic() + 5
    with migrated.engine.connect() as connection:
        # pg_stat_activity is a snapshot taken once per transaction: each look in a transaction of its own.
        while connection.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}):
            connection.rollback()
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.02)


def test_a_connection_that_died_while_idle_is_replaced(
    db_kind: str, migrated: Database, own_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db_kind != "postgresql":
        pytest.skip("a SQLite file has no server connection to lose")
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)
    pid = _backend_pid(own_database)
    _terminate(migrated, pid)
    # The pooled connection is dead; the ping on checkout finds out and the pool connects anew.
    assert _backend_pid(own_database) != pid


def test_a_connection_used_a_moment_ago_is_not_pinged(
    db_kind: str, migrated: Database, own_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side of the rule: no ping (no round trip) for a connection given back moments ago, so a
    connection killed in that moment fails its next statement, as it would without any ping."""
    if db_kind != "postgresql":
        pytest.skip("a SQLite file has no server connection to lose")
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 3600.0)
    pid = _backend_pid(own_database)
    _terminate(migrated, pid)
    with pytest.raises(OperationalError), own_database.session() as s:
        s.execute(text("SELECT 1"))
    # The failure invalidated the pool; the next request is served.
    assert _backend_pid(own_database) != pid


def test_lookup_session_reads_outside_a_transaction_on_postgresql(db_kind: str, own_database: Database) -> None:
    """Each statement of a lookup session is its own transaction on PostgreSQL (no BEGIN, no ROLLBACK):
    ``now()`` moves between two statements. In an ordinary session it stands still."""
    with own_database.lookup_session() as lookup:
        first = lookup.scalar(select(func.now()))
        time.sleep(0.01)
        second = lookup.scalar(select(func.now()))
    with own_database.session() as ordinary:
        third = ordinary.scalar(select(func.now()))
        time.sleep(0.01)
        fourth = ordinary.scalar(select(func.now()))
    if db_kind == "postgresql":
        assert second > first
        assert fourth == third
    else:  # SQLite's now() is the statement's time either way; the lookup session still answers
        assert first is not None and second is not None


@pytest.fixture
def one_connection(migrated: Database) -> Iterator[Database]:
    """A Database of its own whose pool holds one connection: every session below uses the same one."""
    db = Database(migrated.url, pool_size=1, max_overflow=0)
    yield db
    db.dispose()


def _prepared_statements(db: Database) -> int:
    with db.session() as s:
        count = s.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    assert isinstance(count, int)
    return count


def test_sessions_that_only_read_leave_the_connection_its_prepared_statements(
    db_kind: str, one_connection: Database
) -> None:
    """psycopg prepares a statement at its fifth use on a connection and forgets them all at a ROLLBACK. A page's
    session ends by closing (a rollback); one that only read ends with COMMIT, so the statements stay prepared."""
    if db_kind != "postgresql":
        pytest.skip("SQLite has no server-side prepared statements")
    query = select(Blob.sha256).where(Blob.size_bytes > 0)
    for _ in range(7):
        with one_connection.session() as s:
            s.execute(query).all()
    assert _prepared_statements(one_connection) >= 1


def test_a_session_that_wrote_and_closed_without_commit_is_rolled_back(db_kind: str, one_connection: Database) -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    with one_connection.session(write=True) as s:
        s.add(Blob(sha256=SHA, size_bytes=1, media_type="application/pdf", created_at=at))
        s.flush()
        assert s.scalar(select(func.count()).select_from(Blob).where(Blob.sha256 == SHA)) == 1
    with one_connection.session() as s:
        assert s.scalar(select(func.count()).select_from(Blob).where(Blob.sha256 == SHA)) == 0
    # A write by a statement of its own (not the unit of work) is rolled back just the same.
    with one_connection.session(write=True) as s:
        s.execute(text("UPDATE blob SET size_bytes = 2 WHERE size_bytes = -1"))
        insert_unless_present(
            s, Blob, key="sha256", values={"sha256": SHA, "size_bytes": 1, "media_type": "x/y", "created_at": at}
        )
    with one_connection.session() as s:
        assert s.scalar(select(func.count()).select_from(Blob).where(Blob.sha256 == SHA)) == 0


def test_a_failed_read_is_rolled_back_and_the_connection_serves_again(db_kind: str, one_connection: Database) -> None:
    with pytest.raises(DBAPIError), one_connection.session() as s:
        s.execute(text("SELECT * FROM no_such_table"))
    with one_connection.session() as s:
        assert s.scalar(text("SELECT 1")) == 1
