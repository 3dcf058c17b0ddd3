"""Registering for an event: a place while there is one, then the waiting list; cancelling promotes the first on
the list (who is e-mailed); registration closes at its deadline by the server clock; the calendar file and the
online link are for confirmed registrants only."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.challenges.events.models import MarketEventRegistration
from app.clock import FrozenClock
from tests.events.helpers import PUBLIC, SLUG, as_user, company_user, coordinator, mail_to, publish_event
from tests.factories import create_challenge, create_user
from tests.manage.helpers import post


def _event(client: TestClient, session: Session, clock: FrozenClock, **overrides: str):  # type: ignore[no-untyped-def]
    challenge = create_challenge(session)
    coordinator(client, session, clock, challenge)
    return publish_event(client, session, **overrides)


def _statuses(session: Session, event_id: int) -> dict[str, str]:
    session.expire_all()
    rows = session.scalars(select(MarketEventRegistration).where(MarketEventRegistration.event_id == event_id))
    return {row.attendee_name: row.status for row in rows}


def test_places_then_waiting_list_then_promotion_on_cancel(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    event = _event(client, session, clock)
    users = [
        company_user(session, clock, email=f"{name.lower()}@{name.lower()}.example", kvk=f"6000000{n}", name=name)
        for n, name in enumerate(("Ann", "Ben", "Cas"))
    ]
    for user in users:
        as_user(client, session, clock, user)
        response = post(client, f"{PUBLIC}/{event.id}/register")
        assert response.status_code == 303
        assert response.headers["location"] == f"{PUBLIC}/{event.id}?done=registered"
    assert _statuses(session, event.id) == {"Ann": "confirmed", "Ben": "confirmed", "Cas": "waiting"}
    assert mail_to(session, "ann@ann.example")[0].subject == "Registered: Counter-drone industry day"
    assert f"http://testserver{PUBLIC}/{event.id}/calendar.ics" in mail_to(session, "ann@ann.example")[0].body_text
    assert mail_to(session, "cas@cas.example")[0].subject == "On the waiting list: Counter-drone industry day"
    page = client.get(f"{PUBLIC}/{event.id}")
    assert "Op de wachtlijst" in page.text and '<dd id="places">0 / 2</dd>' in page.text
    assert "secret-room-42" not in page.text
    as_user(client, session, clock, users[0])
    assert post(client, f"{PUBLIC}/{event.id}/cancel").status_code == 303
    assert _statuses(session, event.id) == {"Ann": "cancelled", "Ben": "confirmed", "Cas": "confirmed"}
    promoted = mail_to(session, "cas@cas.example")
    assert [message.subject for message in promoted][-1] == "A place for you: Counter-drone industry day"
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "market_event_registration").order_by(AuditEvent.id)
    ).all()
    assert actions == [
        "market_event_registration.confirmed",
        "market_event_registration.confirmed",
        "market_event_registration.waiting",
        "market_event_registration.cancelled",
        "market_event_registration.promote",
    ]


def test_registering_twice_is_refused_and_after_cancelling_allowed(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    event = _event(client, session, clock)
    as_user(client, session, clock, company_user(session, clock, email="a@alpha.example", kvk="60000001"))
    assert post(client, f"{PUBLIC}/{event.id}/register").status_code == 303
    again = post(client, f"{PUBLIC}/{event.id}/register")
    assert again.status_code == 422 and "U bent al aangemeld voor deze bijeenkomst." in again.text
    assert post(client, f"{PUBLIC}/{event.id}/cancel").status_code == 303
    assert post(client, f"{PUBLIC}/{event.id}/cancel").status_code == 404
    assert post(client, f"{PUBLIC}/{event.id}/register").status_code == 303
    assert set(_statuses(session, event.id).values()) == {"confirmed"}


def test_registration_closes_at_its_deadline_by_the_server_clock(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    event = _event(client, session, clock)
    user = company_user(session, clock, email="a@alpha.example", kvk="60000001")
    clock.set(event.registration_deadline_at - timedelta(seconds=1))
    as_user(client, session, clock, user)  # a login of the moment (sessions end after 30 minutes idle)
    assert '<button type="submit" class="button" id="register">' in client.get(f"{PUBLIC}/{event.id}").text
    clock.set(event.registration_deadline_at)
    response = post(client, f"{PUBLIC}/{event.id}/register")
    assert response.status_code == 422
    assert "Aanmelden voor deze bijeenkomst is gesloten." in response.text
    assert _statuses(session, event.id) == {}


def test_a_user_without_an_organisation_cannot_register(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    event = _event(client, session, clock)
    as_user(client, session, clock, create_user(session, email="solo@example.nl"))
    response = post(client, f"{PUBLIC}/{event.id}/register")
    assert response.status_code == 422
    assert "Kies eerst de organisatie waarvoor u zich aanmeldt (onder Organisaties)." in response.text
    assert _statuses(session, event.id) == {}


def test_anonymous_visitors_are_sent_to_log_in(client: TestClient, session: Session, clock: FrozenClock) -> None:
    event = _event(client, session, clock)
    client.cookies.clear()
    page = client.get(f"{PUBLIC}/{event.id}")
    assert "Log in om u aan te melden voor deze bijeenkomst" in page.text
    assert 'name="csrf_token"' not in page.text  # the page may be kept by the page cache
    assert client.get(f"{PUBLIC}/{event.id}/calendar.ics").headers["location"].startswith("/login")


def test_calendar_file_and_online_link_only_for_a_confirmed_place(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    event = _event(client, session, clock, capacity="1")
    first = company_user(session, clock, email="a@alpha.example", kvk="60000001")
    second = company_user(session, clock, email="b@bravo.example", kvk="60000002")
    for user in (first, second):
        as_user(client, session, clock, user)
        post(client, f"{PUBLIC}/{event.id}/register")
    assert client.get(f"{PUBLIC}/{event.id}/calendar.ics").status_code == 404  # on the waiting list
    assert "secret-room-42" not in client.get(f"{PUBLIC}/{event.id}").text
    as_user(client, session, clock, first)
    assert "https://meet.example/secret-room-42" in client.get(f"{PUBLIC}/{event.id}").text
    response = client.get(f"{PUBLIC}/{event.id}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["content-disposition"] == f'attachment; filename="event-{event.id}.ics"'
    body = response.content.decode()
    assert "DTSTART;TZID=Europe/Amsterdam:20270112T090000" in body
    assert "BEGIN:VTIMEZONE" in body and f"UID:market-event.{event.id}@testserver" in body
    assert "SUMMARY:Industriedag drone-afweer (" in body and "STATUS:CONFIRMED" in body


def test_events_of_an_unpublished_challenge_or_another_challenge_are_404(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    event = _event(client, session, clock)
    create_challenge(session, slug="andere-challenge", publish=False)
    other = create_challenge(session, slug="derde-challenge")
    client.cookies.clear()
    assert client.get(f"/challenges/{other.slug}/events/{event.id}").status_code == 404
    assert client.get("/challenges/andere-challenge/events").status_code == 404
    assert client.get(f"/challenges/{SLUG}/events/{event.id + 1000}").status_code == 404


def test_cancelling_the_event_tells_everyone_registered_or_waiting(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    event = _event(client, session, clock, capacity="1")
    coco = client.cookies.get("portal_session")
    users = [company_user(session, clock, email=f"{n}@{n}.example", kvk=f"6100000{i}") for i, n in enumerate("abc")]
    for user in users[:2]:
        as_user(client, session, clock, user)
        assert post(client, f"{PUBLIC}/{event.id}/register").status_code == 303
    client.cookies.clear()
    client.cookies.set("portal_session", coco)
    assert (
        post(client, f"/manage/challenges/{SLUG}/events/{event.id}/status", {"status": "cancelled"}).status_code == 303
    )
    for address in ("a@a.example", "b@b.example"):
        assert mail_to(session, address)[-1].subject == "Cancelled: Counter-drone industry day"
    assert mail_to(session, "c@c.example") == []
    as_user(client, session, clock, users[2])
    refused = post(client, f"{PUBLIC}/{event.id}/register")
    assert refused.status_code == 422 and "Aanmelden voor deze bijeenkomst is gesloten." in refused.text
