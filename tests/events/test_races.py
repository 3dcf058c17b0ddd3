"""Two registrations for the last place at once, on PostgreSQL: the second waits for the first one's lock on the
event's row and goes on the waiting list; the capacity is never exceeded."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import migrate
from app.accounts.models import User
from app.audit.service import Actor
from app.challenges.events import service
from app.challenges.events.models import MarketEvent, MarketEventRegistration
from app.challenges.events.schemas import EventForm
from app.clock import FrozenClock
from app.database import Database
from app.forms import parse_form
from tests.databases import empty_database
from tests.events.helpers import event_form
from tests.factories import LINKS, create_challenge, create_user
from tests.organisations.helpers import create_organisation


@pytest.fixture
def own_database(db_kind: str, tmp_path: Path) -> Iterator[Database]:
    """A database of its own: these tests commit for real."""
    if db_kind != "postgresql":
        pytest.skip("row locks between connections are PostgreSQL's; SQLite serialises writers (BEGIN IMMEDIATE)")
    with empty_database(db_kind, tmp_path) as url:
        db = Database(url)
        migrate.upgrade(db.engine)
        try:
            yield db
        finally:
            db.dispose()


def _setup(db: Database, clock: FrozenClock) -> tuple[int, list[int]]:
    with db.unit_of_work() as session:
        challenge = create_challenge(session)
        form, errors = parse_form(EventForm, event_form(capacity="2"))
        assert form is not None, errors
        event = service.create_event(
            session, challenge=challenge, form=form, actor=Actor(None, "test"), now=clock.now()
        )
        session.commit()
        users = []
        for number in range(3):
            user = create_user(session, email=f"u{number}@org{number}.example", name=f"User {number}")
            create_organisation(
                session, user, now=clock.now(), legal_name=f"Org {number} B.V.", kvk_number=f"8000000{number}"
            )
            users.append(user.id)
        return event.id, users


def _register(session: Session, event_id: int, user_id: int, clock: FrozenClock) -> str:
    user = session.get_one(User, user_id)
    event = session.get_one(MarketEvent, event_id)
    registration = service.register(
        session, event=event, user=user, organisation_id=None, actor=Actor(user.id, user.email), now=clock.now(),
        links=LINKS,
    )  # fmt: skip
    return registration.status


def test_two_registrations_for_the_last_place_at_once_fill_it_once(own_database: Database, clock: FrozenClock) -> None:
    event_id, users = _setup(own_database, clock)
    with own_database.unit_of_work() as session:
        assert _register(session, event_id, users[0], clock) == "confirmed"
        session.commit()
    outcomes: dict[str, Any] = {}
    with own_database.unit_of_work() as first:
        outcomes["first"] = _register(first, event_id, users[1], clock)

        def second() -> None:
            with own_database.unit_of_work() as other:
                outcomes["second"] = _register(other, event_id, users[2], clock)
                other.commit()

        runner = threading.Thread(target=second)
        runner.start()
        runner.join(timeout=1)
        assert runner.is_alive(), "the second registration should wait for the first one's lock on the event"
        first.commit()
        runner.join(timeout=20)
    assert outcomes == {"first": "confirmed", "second": "waiting"}
    with own_database.unit_of_work() as session:
        statuses = session.scalars(
            select(MarketEventRegistration.status).where(MarketEventRegistration.event_id == event_id)
        ).all()
        assert sorted(statuses) == ["confirmed", "confirmed", "waiting"]
