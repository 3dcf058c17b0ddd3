"""The reminder job of ``portal worker``: one e-mail per confirmed place, once, two days before the event."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.challenges.events.jobs import queue_reminders
from app.challenges.events.models import MarketEventReminder
from app.cli.jobs import run_jobs
from app.clock import FrozenClock
from app.settings import Settings
from tests.databases import TransactionalDatabase
from tests.events.helpers import PUBLIC, as_user, company_user, coordinator, mail_to, publish_event
from tests.factories import LINKS, create_challenge
from tests.manage.helpers import post


def _registered(client: TestClient, session: Session, clock: FrozenClock):  # type: ignore[no-untyped-def]
    challenge = create_challenge(session)
    coordinator(client, session, clock, challenge)
    event = publish_event(client, session, capacity="1")
    for number, email in enumerate(("a@alpha.example", "b@bravo.example")):
        as_user(client, session, clock, company_user(session, clock, email=email, kvk=f"7000000{number}"))
        assert post(client, f"{PUBLIC}/{event.id}/register").status_code == 303
    return event


def test_reminder_goes_once_to_confirmed_places_only(client: TestClient, session: Session, clock: FrozenClock) -> None:
    event = _registered(client, session, clock)
    clock.set(event.starts_at - timedelta(days=2, seconds=1))
    assert queue_reminders(session, now=clock.now(), links=LINKS) == 0  # not yet due
    clock.set(event.starts_at - timedelta(days=1))
    assert queue_reminders(session, now=clock.now(), links=LINKS) == 1
    assert queue_reminders(session, now=clock.now(), links=LINKS) == 0
    session.commit()
    reminders = [m for m in mail_to(session, "a@alpha.example") if m.template == "market_event_reminder"]
    assert [m.subject for m in reminders] == ["Reminder: Counter-drone industry day on 12 January 2027, 09:00 CET"]
    assert [m for m in mail_to(session, "b@bravo.example") if m.template == "market_event_reminder"] == []
    clock.set(event.starts_at)
    assert queue_reminders(session, now=clock.now(), links=LINKS) == 0  # the event has begun


def test_reminder_row_already_there_means_no_second_message(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    """Another worker's reminder, committed after this pass chose its registrations: the key refuses this one."""
    event = _registered(client, session, clock)
    clock.set(event.starts_at - timedelta(days=1))
    from app.challenges.events import jobs

    due = jobs.due_reminders(session, now=clock.now())
    session.add(MarketEventReminder(registration_id=due[0].id, queued_at=clock.now()))
    session.commit()
    original = jobs.due_reminders
    jobs.due_reminders = lambda _session, *, now: due  # type: ignore[assignment]
    try:
        assert queue_reminders(session, now=clock.now(), links=LINKS) == 0
    finally:
        jobs.due_reminders = original
    assert [m for m in mail_to(session, "a@alpha.example") if m.template == "market_event_reminder"] == []


def test_the_worker_runs_the_reminders(
    client: TestClient, session: Session, clock: FrozenClock, tdb: TransactionalDatabase, settings: Settings
) -> None:
    event = _registered(client, session, clock)
    first = run_jobs(tdb, now=event.starts_at - timedelta(hours=3), links=LINKS, secret=settings.resolved_secret_key())
    second = run_jobs(tdb, now=event.starts_at - timedelta(hours=2), links=LINKS, secret=settings.resolved_secret_key())
    assert (first.queued["market dialogue reminders"], first.failed) == (1, [])
    assert (second.queued["market dialogue reminders"], second.failed) == (0, [])
    assert session.scalar(select(func.count()).select_from(MarketEventReminder)) == 1
