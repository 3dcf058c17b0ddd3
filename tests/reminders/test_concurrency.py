"""Several workers run the same job at once: the unique ``sent_notice`` row, inserted in the same transaction as
the messages, lets exactly one of them send each reminder. Run on a database of its own, with real commits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.clock import FrozenClock
from app.database import Database
from app.notifications.models import OutboxMessage
from app.notifications.reminders.models import SentNotice
from app.proposals.reminders.service import send_draft_reminders
from tests.databases import empty_database, migrated_database
from tests.factories import LINKS
from tests.reminders.helpers import DEADLINE, draft_world


@pytest.fixture
def own_db(db_kind: str, tmp_path: Path, clock: FrozenClock) -> Iterator[Database]:
    """A freshly migrated database holding one organisation (two members) with a draft; its data is committed."""
    with empty_database(db_kind, tmp_path) as url:
        db = migrated_database(url)
        with db.unit_of_work() as session:
            draft_world(session, now=clock.now())
        try:
            yield db
        finally:
            db.dispose()


def _counts(db: Database) -> tuple[int, int]:
    with db.unit_of_work() as session:
        messages = session.scalar(
            select(func.count()).where(OutboxMessage.template == "draft_deadline_reminder").select_from(OutboxMessage)
        )
        notices = session.scalar(select(func.count()).select_from(SentNotice))
    return int(messages or 0), int(notices or 0)


def test_draft_reminders_two_workers_at_once_send_each_reminder_once(own_db: Database) -> None:
    now = DEADLINE - timedelta(days=1)
    start = threading.Barrier(2)
    results: list[int] = []

    def work() -> None:
        start.wait()
        with own_db.unit_of_work() as session:
            results.append(send_draft_reminders(session, now=now, links=LINKS))
            session.commit()

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert sorted(results) == [0, 2]
    assert _counts(own_db) == (2, 1)


def test_draft_reminders_a_second_worker_waits_for_the_first_and_sends_nothing(own_db: Database, db_kind: str) -> None:
    if db_kind != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: a second worker never runs alongside")
    now = DEADLINE - timedelta(days=1)
    second: list[int] = []

    def work() -> None:
        with own_db.unit_of_work() as session:
            second.append(send_draft_reminders(session, now=now, links=LINKS))
            session.commit()

    with own_db.unit_of_work() as first:
        assert send_draft_reminders(first, now=now, links=LINKS) == 2  # not committed: its claim row is locked
        worker = threading.Thread(target=work)
        worker.start()
        worker.join(timeout=1)
        assert worker.is_alive()  # the second worker's claim waits for the first transaction
        first.commit()
    worker.join(timeout=60)

    assert second == [0]
    assert _counts(own_db) == (2, 1)
