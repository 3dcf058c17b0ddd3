"""Helpers for the market-dialogue and follow-up tests: an event through the coordinator's form, company users."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.challenges.events.models import MarketEvent
from app.challenges.models import Challenge
from app.clock import FrozenClock, to_local
from app.notifications.models import OutboxMessage
from tests.factories import create_user, log_in
from tests.manage.helpers import assign, post, staff
from tests.organisations.helpers import create_organisation

SLUG = "test-challenge"
MANAGE = f"/manage/challenges/{SLUG}/events"
PUBLIC = f"/challenges/{SLUG}/events"
# The tests' clock starts 1 December 2026 10:00 UTC; the event is a month later.
STARTS = datetime(2027, 1, 12, 9, 0)  # Dutch time (CET): 08:00 UTC
DEADLINE = datetime(2027, 1, 8, 17, 0)  # Dutch time: 16:00 UTC


def local(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def event_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "industry_day",
        "title_nl": "Industriedag drone-afweer",
        "title_en": "Counter-drone industry day",
        "description_nl": "Kennismaking met de behoefte.",
        "description_en": "Meet the need.",
        "starts_at": local(STARTS),
        "ends_at": local(STARTS + timedelta(hours=4)),
        "place": "Kromhout Kazerne, Utrecht",
        "online_url": "https://meet.example/secret-room-42",
        "capacity": "2",
        "registration_deadline_at": local(DEADLINE),
    }
    data.update(overrides)
    return data


def coordinator(client: TestClient, session: Session, clock: FrozenClock, challenge: Challenge) -> Any:
    user = staff(client, session, clock, email="coco@mindef.example")
    assign(session, challenge, user, clock)
    return user


def publish_event(client: TestClient, session: Session, **overrides: Any) -> MarketEvent:
    """An event posted through the coordinator's form (the client is logged in as the challenge's coordinator)."""
    response = post(client, MANAGE + "/new", event_form(**overrides))
    assert response.status_code == 303, response.text[:2000]
    event = session.scalars(select(MarketEvent).order_by(MarketEvent.id.desc())).first()
    assert event is not None
    return event


def company_user(
    session: Session, clock: FrozenClock, *, email: str, kvk: str, name: str = "", language: str = "en"
) -> Any:
    """A company user with an organisation of their own (not logged in), who reads e-mail in ``language``."""
    user = create_user(session, email=email, name=name or email.split("@")[0].title(), language=language)
    create_organisation(session, user, now=clock.now(), legal_name=f"{user.name} B.V.", kvk_number=kvk)
    return user


def as_user(client: TestClient, session: Session, clock: FrozenClock, user: Any) -> None:
    client.cookies.clear()
    log_in(client, session, user, now=clock.now())


def mail_to(session: Session, address: str) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.to_address == address).order_by(OutboxMessage.id)
    return list(session.scalars(query))


def shown(value: datetime) -> str:
    return to_local(value).strftime("%H:%M")
