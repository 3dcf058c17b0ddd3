"""SQLite's writers take turns in the portal's own queue (``app.sqlite_writers``): a writer starts as soon as the
one before it ends, a turn is given back however a transaction ends, and a writer that waited too long is refused
as SQLite would refuse it (the pages then answer "try again", see ``test_database_outage``)."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app import sqlite_writers
from app.database import WRITERS, Database, is_unavailable
from app.proposals.models import Blob
from tests.databases import empty_database, migrated_database

AT = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    with empty_database("sqlite", tmp_path) as url:
        db = migrated_database(url)
        yield db
        db.dispose()


def _blob(n: int) -> Blob:
    return Blob(sha256=f"{n:064x}", size_bytes=n, media_type="application/pdf", created_at=AT)


def _count(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(func.count()).select_from(Blob)) or 0)


def test_a_writer_starts_as_soon_as_the_one_before_it_ends(sqlite_db: Database) -> None:
    holding = threading.Event()
    times: dict[str, float] = {}

    def first() -> None:
        with sqlite_db.unit_of_work() as s:
            s.add(_blob(1))
            s.flush()
            times["held"] = time.monotonic()
            holding.set()
            time.sleep(0.24)
            times["committing"] = time.monotonic()
            s.commit()

    def second() -> None:
        holding.wait()
        with sqlite_db.unit_of_work() as s:
            s.add(_blob(2))
            s.flush()
            times["began"] = time.monotonic()
            s.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert times["began"] - times["held"] >= 0.2  # the second waited for the first
    # and did not sleep on after it: SQLite's busy handler, some 230 ms into its wait, sleeps 100 ms before it
    # tries again, so it would begin about 90 ms after the first committed
    assert times["began"] - times["committing"] < 0.06
    assert _count(sqlite_db) == 2


def test_a_turn_is_given_back_when_a_transaction_fails_or_is_rolled_back(sqlite_db: Database) -> None:
    with pytest.raises(RuntimeError), sqlite_db.unit_of_work() as s:
        s.add(_blob(1))
        s.flush()
        raise RuntimeError("a view failed half-way")
    with sqlite_db.unit_of_work() as s:
        s.add(_blob(2))
        s.rollback()
    with sqlite_db.unit_of_work() as s:
        s.add(_blob(3))
        s.commit()
    assert _count(sqlite_db) == 1


def test_a_writer_that_waits_too_long_is_refused_as_sqlite_would_refuse_it(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds the turn (its own open file of the queue): the writer here gives up after the
    timeout with SQLite's own "database is locked", which the portal treats as "unavailable for a moment"."""
    monkeypatch.setattr(sqlite_writers, "TIMEOUT_SECONDS", 0.2)
    database = sqlite_db.engine.url.database
    assert database is not None
    other = os.open(database + "-writers", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        began = time.monotonic()
        with pytest.raises(OperationalError) as refused, sqlite_db.unit_of_work() as s:
            s.add(_blob(1))
            s.flush()
        assert 0.2 <= time.monotonic() - began < 5
        assert "database is locked" in str(refused.value)
        assert is_unavailable(refused.value)
    finally:
        os.close(other)  # the other process ends: its lock goes with it
    with sqlite_db.unit_of_work() as s:
        s.add(_blob(2))
        s.commit()
    assert _count(sqlite_db) == 1


def test_the_queue_file_is_the_portals_own(sqlite_db: Database) -> None:
    with sqlite_db.unit_of_work() as s:
        s.add(_blob(1))
        s.commit()
    database = sqlite_db.engine.url.database
    assert database is not None
    assert os.stat(database + "-writers").st_mode & 0o777 == 0o600


def test_a_pinned_turn_covers_every_transaction_of_its_thread_and_only_its_thread(sqlite_db: Database) -> None:
    """The event loop's writing view pins the turn: its two transactions (a refusal's rollback, then a re-read)
    neither wait for nor give back the turn; another thread's writer waits until the pin ends."""
    binds = sqlite_db.on_loop()
    assert binds is not None
    writers = binds.writers
    assert writers is WRITERS[sqlite_db.engine]  # one queue for the loop's engine and the pool's
    assert writers.pin()
    other_done = threading.Event()

    def other() -> None:
        with sqlite_db.unit_of_work() as s:
            s.add(_blob(9))
            s.commit()
        other_done.set()

    waiting = threading.Thread(target=other)
    try:
        with Session(binds.write_engine) as s:
            s.add(_blob(1))
            s.flush()
            s.rollback()  # the turn stays pinned
            s.add(_blob(2))
            s.commit()
        waiting.start()
        assert not other_done.wait(0.3)  # the other thread waits for the pin to end
        with Session(binds.write_engine) as s:
            s.add(_blob(3))
            s.commit()
    finally:
        writers.unpin()
    assert other_done.wait(5)
    waiting.join()
    assert _count(sqlite_db) == 3


def test_a_pin_never_waits(sqlite_db: Database) -> None:
    """Taken by another thread of this process, or by another process: the pin is refused at once (the loop
    sends its view to a worker thread instead), and taken once the turn is free."""
    binds = sqlite_db.on_loop()
    assert binds is not None
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with sqlite_db.unit_of_work() as s:
            s.add(_blob(1))
            s.flush()
            held.set()
            release.wait(5)
            s.commit()

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(5)
    began = time.monotonic()
    assert not binds.writers.pin()
    release.set()
    thread.join()
    database = sqlite_db.engine.url.database
    assert database is not None
    other = os.open(database + "-writers", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        assert not binds.writers.pin()
    finally:
        os.close(other)
    assert time.monotonic() - began < 0.5
    assert binds.writers.pin()
    binds.writers.unpin()
    with sqlite_db.unit_of_work() as s:  # the refused pins left nothing taken
        s.add(_blob(2))
        s.commit()
    assert _count(sqlite_db) == 2
