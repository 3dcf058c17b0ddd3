"""The market dialogue's e-mails with the calendar file attached: the confirmation of a place and of a place from
the waiting list, a change of the time, place or online link (each registrant told once, in their language, the
file's SEQUENCE raised; the waiting list without the online link), nothing for other changes, and the cancelled
calendar with a cancellation; the worker writes them as .eml files with the file inside."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.notifications.models import OutboxMessage
from app.notifications.sender import build_email
from app.notifications.service import deliver_due
from app.settings import Settings
from tests.databases import TransactionalDatabase
from tests.events.helpers import (
    MANAGE,
    PUBLIC,
    STARTS,
    as_user,
    company_user,
    coordinator,
    event_form,
    local,
    mail_to,
    publish_event,
)
from tests.factories import create_challenge
from tests.manage.helpers import post

LATER = STARTS + timedelta(hours=1)  # 10:00 Dutch time


def _registered(client: TestClient, session: Session, clock: FrozenClock, *, capacity: str = "2") -> Any:
    """An event with Ann (English) and Bas (Dutch) holding the two places and Cas (English) waiting when the
    capacity is 2; the client is logged in as its coordinator again at the end."""
    challenge = create_challenge(session)
    coco = coordinator(client, session, clock, challenge)
    event = publish_event(client, session, capacity=capacity)
    for number, (name, language) in enumerate((("ann", "en"), ("bas", "nl"), ("cas", "en"))):
        user = company_user(session, clock, email=f"{name}@{name}.example", kvk=f"6200000{number}", language=language)
        as_user(client, session, clock, user)
        assert post(client, f"{PUBLIC}/{event.id}/register").status_code == 303
    as_user(client, session, clock, coco)
    return event


def _vevent(message: OutboxMessage, settings: Settings) -> Any:
    """The VEVENT of the calendar file in the e-mail as it is sent: the text first, then the file."""
    email = build_email(message, settings)
    assert email.get_content_type() == "multipart/mixed"
    text, calendar = email.iter_parts()
    assert text.get_content_type() == "text/plain" and calendar.get_content_type() == "text/calendar"
    assert calendar.get_filename() == message.attachments[0].filename
    [vevent] = Calendar.from_ical(cast(bytes, calendar.get_payload(decode=True))).walk("VEVENT")
    return vevent


def _start(vevent: Any) -> datetime:
    assert vevent["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    return cast(datetime, vevent.decoded("DTSTART")).astimezone(UTC)


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def test_a_confirmed_place_and_a_place_from_the_waiting_list_carry_the_calendar_in_the_registrants_language(
    client: TestClient, session: Session, clock: FrozenClock, settings: Settings
) -> None:
    event = _registered(client, session, clock)
    [ann], [bas], [cas] = (mail_to(session, f"{n}@{n}.example") for n in ("ann", "bas", "cas"))
    assert [f.filename for f in ann.attachments] == [f"event-{event.id}.ics"]
    assert ann.attachments[0].media_type == "text/calendar; charset=utf-8; method=PUBLISH"
    english, dutch = _vevent(ann, settings), _vevent(bas, settings)
    assert english["UID"] == dutch["UID"] == f"market-event.{event.id}@testserver"
    assert english["SEQUENCE"] == 0 and _start(english) == datetime(2027, 1, 12, 8, 0, tzinfo=UTC)
    assert str(english["SUMMARY"]).startswith("Counter-drone industry day (")
    assert str(dutch["SUMMARY"]).startswith("Industriedag drone-afweer (")
    assert "attached to this e-mail" in ann.body_text and "in de bijlage van deze e-mail" in bas.body_text
    assert (cas.template, cas.attachments) == ("market_event_waiting", [])
    as_user(client, session, clock, session.get_one(User, ann.user_id))
    assert post(client, f"{PUBLIC}/{event.id}/cancel").status_code == 303
    promoted = mail_to(session, "cas@cas.example")[-1]
    assert promoted.template == "market_event_promoted"
    assert _vevent(promoted, settings)["UID"] == f"market-event.{event.id}@testserver"


def test_coordinator_moving_the_event_emails_each_registrant_once_with_the_changed_calendar(
    client: TestClient, session: Session, clock: FrozenClock, settings: Settings
) -> None:
    event = _registered(client, session, clock)
    before = _count(session)
    form = event_form(capacity="2", starts_at=local(LATER), ends_at=local(LATER + timedelta(hours=4)))
    assert post(client, f"{MANAGE}/{event.id}", form).status_code == 303
    assert _count(session) == before + 3

    ann, bas, cas = (mail_to(session, f"{n}@{n}.example")[-1] for n in ("ann", "bas", "cas"))
    assert (ann.template, ann.subject) == ("market_event_changed", "Changed: Counter-drone industry day")
    assert "Starts: 12 January 2027, 10:00 CET (was: 12 January 2027, 09:00 CET)" in ann.body_text
    assert "Ends: 12 January 2027, 14:00 CET (was: 12 January 2027, 13:00 CET)" in ann.body_text
    assert "Place:" not in ann.body_text and "Online link:" not in ann.body_text  # unchanged
    assert bas.subject == "Gewijzigd: Industriedag drone-afweer"
    assert "Begin: 12 januari 2027, 10:00 CET (was: 12 januari 2027, 09:00 CET)" in bas.body_text
    session.refresh(event)
    assert event.sequence == 1
    for message in (ann, bas):
        vevent = _vevent(message, settings)
        assert vevent["UID"] == f"market-event.{event.id}@testserver"
        assert vevent["SEQUENCE"] == 1 and _start(vevent) == datetime(2027, 1, 12, 9, 0, tzinfo=UTC)
        assert "secret-room-42" in str(vevent["DESCRIPTION"])
    assert (cas.template, cas.subject, cas.attachments) == ("market_event_changed_waiting", ann.subject, [])
    assert "Starts: 12 January 2027, 10:00 CET (was: 12 January 2027, 09:00 CET)" in cas.body_text
    assert "meet.example" not in cas.body_text and "still on the waiting list" in cas.body_text
    [audit] = session.scalars(select(AuditEvent).where(AuditEvent.action == "market_event.update")).all()
    assert audit.data["changed"] == ["starts_at", "ends_at"] and audit.data["told"] == 3

    assert post(client, f"{MANAGE}/{event.id}", form).status_code == 303  # the same values again: no change
    assert _count(session) == before + 3


def test_a_change_of_place_and_link_shows_the_waiting_list_the_place_only(
    client: TestClient, session: Session, clock: FrozenClock, settings: Settings
) -> None:
    event = _registered(client, session, clock)
    form = event_form(capacity="2", place="Frederikkazerne, Den Haag", online_url="https://meet.example/new-room-7")
    assert post(client, f"{MANAGE}/{event.id}", form).status_code == 303
    ann, cas = mail_to(session, "ann@ann.example")[-1], mail_to(session, "cas@cas.example")[-1]
    assert "Place: Frederikkazerne, Den Haag (was: Kromhout Kazerne, Utrecht)" in ann.body_text
    assert "Online link: https://meet.example/new-room-7 (was: https://meet.example/secret-room-42)" in ann.body_text
    vevent = _vevent(ann, settings)
    assert str(vevent["LOCATION"]) == "Frederikkazerne, Den Haag" and "new-room-7" in str(vevent["DESCRIPTION"])
    assert "Place: Frederikkazerne, Den Haag (was: Kromhout Kazerne, Utrecht)" in cas.body_text
    assert "meet.example" not in cas.body_text and "Online link" not in cas.body_text

    before = {n: len(mail_to(session, f"{n}@{n}.example")) for n in ("ann", "cas")}
    link_only = event_form(capacity="2", place="Frederikkazerne, Den Haag", online_url="https://meet.example/room-8")
    assert post(client, f"{MANAGE}/{event.id}", link_only).status_code == 303
    assert len(mail_to(session, "ann@ann.example")) == before["ann"] + 1
    assert len(mail_to(session, "cas@cas.example")) == before["cas"]  # the link alone is nothing for the list


def test_a_change_of_description_or_capacity_only_sends_nothing(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    event = _registered(client, session, clock, capacity="3")  # everyone has a place: nobody to promote
    before = _count(session)
    form = event_form(capacity="10", description_en="Meet the need, and each other.", title_nl="Industriedag")
    assert post(client, f"{MANAGE}/{event.id}", form).status_code == 303
    assert _count(session) == before
    session.refresh(event)
    assert (event.capacity, event.sequence) == (10, 1)  # the calendar file on the web has changed all the same
    [audit] = session.scalars(select(AuditEvent).where(AuditEvent.action == "market_event.update")).all()
    assert audit.data["changed"] == [] and audit.data["told"] == 0


def test_cancelling_the_event_attaches_the_cancelled_calendar_for_a_place(
    client: TestClient, session: Session, clock: FrozenClock, settings: Settings
) -> None:
    event = _registered(client, session, clock)
    assert post(client, f"{MANAGE}/{event.id}/status", {"status": "cancelled"}).status_code == 303
    ann, cas = mail_to(session, "ann@ann.example")[-1], mail_to(session, "cas@cas.example")[-1]
    assert ann.template == cas.template == "market_event_cancelled"
    vevent = _vevent(ann, settings)
    assert vevent["STATUS"] == "CANCELLED" and vevent["SEQUENCE"] == 1
    assert "marks the event as cancelled in your calendar" in ann.body_text
    assert cas.attachments == [] and "calendar" not in cas.body_text


def test_the_worker_writes_the_change_with_its_calendar_into_an_eml_file(
    client: TestClient, session: Session, clock: FrozenClock, settings: Settings, tdb: TransactionalDatabase
) -> None:
    event = _registered(client, session, clock)
    form = event_form(capacity="2", starts_at=local(LATER), ends_at=local(LATER + timedelta(hours=4)))
    assert post(client, f"{MANAGE}/{event.id}", form).status_code == 303
    session.commit()
    changed = mail_to(session, "ann@ann.example")[-1]

    counts = deliver_due(tdb, now=clock.now(), settings=settings)

    assert (counts.sent, counts.failed) == (_count(session), 0)
    path = settings.data_dir / "mail" / f"{changed.id:06d}-market_event_changed.eml"
    email = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert email["To"] == "ann@ann.example" and email.get_content_type() == "multipart/mixed"
    text, calendar = email.iter_parts()
    assert cast(EmailMessage, text).get_content().startswith('"Counter-drone industry day" (challenge')
    assert (calendar.get_content_type(), calendar.get_filename()) == ("text/calendar", f"event-{event.id}.ics")
    [vevent] = Calendar.from_ical(cast(bytes, calendar.get_payload(decode=True))).walk("VEVENT")
    assert vevent["SEQUENCE"] == 1 and _start(vevent) == datetime(2027, 1, 12, 9, 0, tzinfo=UTC)
