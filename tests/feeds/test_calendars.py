"""The iCalendar files of deadlines, parsed back with icalendar: RFC 5545 shape, Europe/Amsterdam times with
their VTIMEZONE, stable UIDs, and which challenges they hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy.orm import Session

from tests.factories import BASE_DEFINITION, create_challenge
from tests.feeds.helpers import cancel, extend

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _calendar(response: Any) -> Calendar:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    assert calendar.get_missing_tzids() == set()
    for event in calendar.events:
        for name in ("UID", "DTSTAMP", "DTSTART", "SUMMARY"):
            assert name in event, name
        assert event.decoded("DTSTAMP").tzinfo == UTC or event["DTSTAMP"].to_ical().endswith(b"Z")
    return calendar


def _events(calendar: Calendar) -> dict[str, Any]:
    return {str(event["UID"]): event for event in calendar.events}


def _summer_stage() -> list[dict[str, Any]]:
    stage = dict(BASE_DEFINITION["stages"][0])
    stage.update(
        opens_at="2026-11-02T09:00:00", deadline="2027-06-15T12:00:00", question_deadline="2027-06-01T17:00:00"
    )
    return [stage]


def test_challenge_calendar_holds_its_deadlines_in_amsterdam_time(client: TestClient, session: Session) -> None:
    create_challenge(session)
    response = client.get("/challenges/test-challenge/deadlines.ics", params={"lang": "en"})
    calendar = _calendar(response)
    events = _events(calendar)
    assert set(events) == {"test-challenge.brief.deadline@testserver", "test-challenge.brief.questions@testserver"}
    deadline = events["test-challenge.brief.deadline@testserver"]
    start = deadline.decoded("DTSTART")
    assert start == datetime(2027, 2, 26, 17, 0, tzinfo=AMSTERDAM)
    assert start.astimezone(UTC) == datetime(2027, 2, 26, 16, 0, tzinfo=UTC)
    assert deadline["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert "DTSTART;TZID=Europe/Amsterdam:20270226T170000" in response.text
    assert str(deadline["SUMMARY"]) == "Deadline: Test challenge sensors, Solution brief"
    assert "26 February 2027, 17:00 CET" in str(deadline["DESCRIPTION"])
    assert str(deadline["URL"]) == "http://testserver/challenges/test-challenge"
    questions = events["test-challenge.brief.questions@testserver"]
    assert str(questions["SUMMARY"]).startswith("Last day for questions: Test challenge sensors")
    assert questions.decoded("DTSTART") < start
    assert 'filename="test-challenge-deadlines.ics"' in response.headers["content-disposition"]


def test_summer_deadline_is_cest_and_the_timezone_knows_both_offsets(client: TestClient, session: Session) -> None:
    create_challenge(session, stages=_summer_stage())
    response = client.get("/challenges/test-challenge/deadlines.ics")
    calendar = _calendar(response)
    deadline = _events(calendar)["test-challenge.brief.deadline@testserver"]
    assert deadline.decoded("DTSTART").astimezone(UTC) == datetime(2027, 6, 15, 10, 0, tzinfo=UTC)
    assert "DTSTART;TZID=Europe/Amsterdam:20270615T120000" in response.text
    assert str(deadline["SUMMARY"]) == "Deadline: Testchallenge sensoren, Oplossingsschets"
    (timezone,) = calendar.timezones
    assert timezone["TZID"] == "Europe/Amsterdam"
    offsets = {(sub.name, str(sub["TZOFFSETTO"].to_ical())) for sub in timezone.subcomponents}
    assert {("STANDARD", "+0100"), ("DAYLIGHT", "+0200")} <= offsets
    # The zone the file carries gives the same instant as the zone database.
    assert timezone.to_tz(lookup_tzid=False).utcoffset(datetime(2027, 6, 15, 12, 0)) == timedelta(hours=2)


def test_an_extension_moves_the_same_event(client: TestClient, session: Session) -> None:
    challenge = create_challenge(session)
    before = _events(_calendar(client.get("/challenges/test-challenge/deadlines.ics")))
    extend(session, challenge, until=datetime(2027, 3, 12, 17, 0))
    after = _events(_calendar(client.get("/challenges/test-challenge/deadlines.ics")))
    assert set(after) == set(before)
    uid = "test-challenge.brief.deadline@testserver"
    assert after[uid].decoded("DTSTART") == datetime(2027, 3, 12, 17, 0, tzinfo=AMSTERDAM)
    assert after[uid].decoded("SEQUENCE") > before[uid].decoded("SEQUENCE")


def test_cancelled_challenge_calendar_marks_events_cancelled(client: TestClient, session: Session) -> None:
    challenge = create_challenge(session)
    cancel(session, challenge)
    events = _events(_calendar(client.get("/challenges/test-challenge/deadlines.ics")))
    assert {str(event["STATUS"]) for event in events.values()} == {"CANCELLED"}


def test_calendar_of_open_challenges_leaves_out_closed_cancelled_and_drafts(
    client: TestClient, session: Session
) -> None:
    create_challenge(session)
    closed = dict(BASE_DEFINITION["stages"][0])
    closed.update(opens_at="2026-01-05T09:00:00", deadline="2026-03-02T17:00:00")
    create_challenge(session, slug="closed-one", stages=[closed], title={"nl": "Gesloten", "en": "Closed"})
    cancelled = create_challenge(session, slug="cancelled-one", title={"nl": "Geannuleerd", "en": "Cancelled"})
    cancel(session, cancelled)
    create_challenge(session, slug="draft-one", publish=False, title={"nl": "Concept", "en": "Draft"})
    response = client.get("/feeds/deadlines.ics", params={"lang": "nl"})
    calendar = _calendar(response)
    assert {uid.split(".")[0] for uid in _events(calendar)} == {"test-challenge"}
    assert str(calendar["X-WR-CALNAME"]) == "Deadlines van de open challenges van Defensie"
    assert calendar["X-WR-TIMEZONE"] == "Europe/Amsterdam"


def test_calendar_with_no_open_challenge_is_still_valid(client: TestClient) -> None:
    calendar = _calendar(client.get("/feeds/deadlines.ics"))
    assert list(calendar.events) == []


def test_unknown_or_draft_challenge_has_no_calendar(client: TestClient, session: Session) -> None:
    create_challenge(session, slug="draft-one", publish=False)
    assert client.get("/challenges/draft-one/deadlines.ics").status_code == 404
    assert client.get("/challenges/nothing-here/deadlines.ics").status_code == 404


def test_pages_link_the_calendars(client: TestClient, session: Session) -> None:
    create_challenge(session)
    assert 'href="/challenges/test-challenge/deadlines.ics?lang=nl"' in client.get("/challenges/test-challenge").text
    assert 'href="/feeds/deadlines.ics?lang=nl"' in client.get("/").text
