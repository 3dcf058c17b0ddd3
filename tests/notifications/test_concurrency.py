"""Several workers share the queue on PostgreSQL: FOR UPDATE SKIP LOCKED hands each a disjoint set."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete

from app.clock import FrozenClock
from app.database import Database
from app.notifications.models import OutboxMessage
from app.notifications.service import claim_due, deliver_due, queue_email
from app.settings import Settings
from tests.notifications.smtp import SmtpServer


@pytest.fixture
def committed_messages(migrated: Database, db_kind: str, clock: FrozenClock) -> Iterator[list[int]]:
    """Six messages committed for real (not in a test transaction), so separate connections see them."""
    if db_kind != "postgresql":
        pytest.skip("row locks with SKIP LOCKED are PostgreSQL's; SQLite serialises writers with BEGIN IMMEDIATE")
    with migrated.unit_of_work() as session:
        ids = []
        for number in range(6):
            message = queue_email(
                session,
                to=f"user{number}@example.nl",
                template="test_message",
                language="nl",
                context={"name": "Zoë"},
                now=clock.now() + timedelta(seconds=number),
            )
            ids.append(message.id)
        session.commit()
    try:
        yield ids
    finally:
        with migrated.unit_of_work() as session:
            session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
            session.commit()


def test_claim_due_concurrent_sessions_get_disjoint_messages(
    migrated: Database, committed_messages: list[int], clock: FrozenClock
) -> None:
    later = clock.now() + timedelta(minutes=1)
    with migrated.unit_of_work() as first, migrated.unit_of_work() as second:
        claimed_first = claim_due(first, now=later, limit=4)  # holds its row locks: not committed yet
        claimed_second = claim_due(second, now=later, limit=4)
        first.commit()
        second.commit()

    assert [m.id for m in claimed_first] == committed_messages[:4]
    assert [m.id for m in claimed_second] == committed_messages[4:]


def test_deliver_due_two_workers_in_parallel_send_each_message_once(
    migrated: Database,
    committed_messages: list[int],
    clock: FrozenClock,
    smtp_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    later = clock.now() + timedelta(minutes=1)
    start = threading.Barrier(2)
    results = []

    def work() -> None:
        start.wait()
        results.append(deliver_due(migrated, now=later, settings=smtp_settings, limit=2))

    workers = [threading.Thread(target=work) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    # Whatever the first pass left (a worker may have found the others locked), a second pass takes.
    results.append(deliver_due(migrated, now=later, settings=smtp_settings))
    results.append(deliver_due(migrated, now=later, settings=smtp_settings))

    recipients = sorted(r for e in smtp_server.handler.envelopes for r in e.rcpt_tos)
    assert recipients == sorted(f"user{n}@example.nl" for n in range(6))
    assert sum(r.sent for r in results) == 6
