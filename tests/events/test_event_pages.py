"""The coordinator's market-dialogue pages: publishing an event (validated next to the fields), changing it, held or
cancelled, the summary, the attendee list and its CSV; and who else gets 404."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.challenges.events.models import MarketEvent
from app.clock import FrozenClock
from tests.events.helpers import (
    MANAGE,
    PUBLIC,
    SLUG,
    as_user,
    company_user,
    coordinator,
    event_form,
    publish_event,
)
from tests.factories import create_challenge, create_user, log_in
from tests.manage.helpers import post


def _actions(session: Session, object_type: str) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.object_type == object_type).order_by(AuditEvent.id)
    return list(session.scalars(query))


def test_event_published_is_stored_in_utc_and_shown_in_dutch_time(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    coordinator(client, session, clock, challenge)
    event = publish_event(client, session)
    assert event.starts_at == datetime(2027, 1, 12, 8, 0, tzinfo=UTC)
    assert event.registration_deadline_at == datetime(2027, 1, 8, 16, 0, tzinfo=UTC)
    assert event.status == "scheduled"
    assert _actions(session, "market_event") == ["market_event.create"]
    client.cookies.clear()
    page = client.get(f"{PUBLIC}/{event.id}")
    assert page.status_code == 200
    assert "12 januari 2027, 09:00 CET" in page.text
    assert "Industriedag drone-afweer" in page.text and "Vrije plaatsen" in page.text
    assert "secret-room-42" not in page.text  # the online link is for registered participants
    assert "Industriedag drone-afweer" in client.get(f"/challenges/{SLUG}").text
    assert "Industriedag drone-afweer" in client.get(PUBLIC).text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("online_url", "http://meet.example/x", "Vul een link in die begint met https://."),
        ("online_url", "javascript:alert(1)", "Vul een link in die begint met https://."),
        ("capacity", "0", "Vul 1 of meer in."),
        ("capacity", "veel", "Vul een geheel getal in."),
        ("starts_at", "morgen", "Vul een datum en tijd in."),
        ("registration_deadline_at", "2027-01-12T10:00", "Het aanmelden moet sluiten voordat de bijeenkomst begint."),
        ("ends_at", "2027-01-12T08:00", "Het einde moet na het begin liggen."),
        ("title_nl", "", "Dit veld is verplicht."),
    ],
)
def test_event_form_refuses_bad_input_next_to_the_field(
    client: TestClient, session: Session, clock: FrozenClock, field: str, value: str, message: str
) -> None:
    challenge = create_challenge(session)
    coordinator(client, session, clock, challenge)
    response = post(client, MANAGE + "/new", event_form(**{field: value}))
    assert response.status_code == 422
    assert f'href="#{field}"' in response.text and message in response.text
    assert 'value="Counter-drone industry day"' in response.text  # nothing typed is lost
    assert session.scalar(select(func.count(MarketEvent.id))) == 0


def test_event_needs_a_place_or_a_link(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    coordinator(client, session, clock, challenge)
    response = post(client, MANAGE + "/new", event_form(place="", online_url=""))
    assert response.status_code == 422
    assert "Vul een plaats in, een online link, of beide." in response.text
    assert publish_event(client, session, place="").place == ""


def test_capacity_below_the_places_taken_is_refused(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    coco = coordinator(client, session, clock, challenge)
    event = publish_event(client, session)
    for number, email in enumerate(("a@alpha.example", "b@bravo.example")):
        as_user(client, session, clock, company_user(session, clock, email=email, kvk=f"5000000{number}"))
        assert post(client, f"{PUBLIC}/{event.id}/register").status_code == 303
    as_user(client, session, clock, coco)
    response = post(client, f"{MANAGE}/{event.id}", event_form(capacity="1"))
    assert response.status_code == 422
    assert "Er zijn al 2 plaatsen bezet: vul 2 of meer in." in response.text
    session.refresh(event)
    assert event.capacity == 2


def test_held_event_gets_a_summary_in_both_languages(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    coordinator(client, session, clock, challenge)
    event = publish_event(client, session)
    summary = {"summary_nl": "Veertig bedrijven waren er.", "summary_en": "Forty companies came."}
    refused = post(client, f"{MANAGE}/{event.id}/summary", summary)
    assert refused.status_code == 422
    assert "Een samenvatting kan worden gepubliceerd zodra de bijeenkomst heeft plaatsgevonden." in refused.text
    assert post(client, f"{MANAGE}/{event.id}/status", {"status": "held"}).status_code == 303
    assert post(client, f"{MANAGE}/{event.id}/summary", summary).status_code == 303
    assert post(client, f"{MANAGE}/{event.id}/status", {"status": "cancelled"}).status_code == 422
    assert _actions(session, "market_event") == ["market_event.create", "market_event.held", "market_event.summary"]
    client.cookies.clear()
    assert "Veertig bedrijven waren er." in client.get(f"/challenges/{SLUG}").text
    assert "Veertig bedrijven waren er." in client.get(f"{PUBLIC}/{event.id}").text
    client.cookies.set("portal_lang", "en")
    assert "Forty companies came." in client.get(f"{PUBLIC}/{event.id}").text


def test_attendee_csv_lists_places_and_waiting_list_safely(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    coco = coordinator(client, session, clock, challenge)
    event = publish_event(client, session, capacity="1")
    first = company_user(session, clock, email="a@alpha.example", kvk="50000001", name="=HYPERLINK(evil)")
    second = company_user(session, clock, email="b@bravo.example", kvk="50000002", name="Bea Bravo")
    for user in (first, second):
        as_user(client, session, clock, user)
        assert post(client, f"{PUBLIC}/{event.id}/register").status_code == 303
    as_user(client, session, clock, coco)
    page = client.get(f"{MANAGE}/{event.id}")
    assert "Bea Bravo" in page.text and "Op de wachtlijst" in page.text
    response = client.get(f"{MANAGE}/{event.id}/attendees.csv")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == f'attachment; filename="{SLUG}-event-{event.id}-attendees.csv"'
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Status,Naam,E-mailadres,Organisatie,Aangemeld op"
    assert lines[1].startswith("Aangemeld,'=HYPERLINK(evil),a@alpha.example,")
    assert lines[2].startswith("Op de wachtlijst,Bea Bravo,b@bravo.example,Bea Bravo B.V.,")


def test_manage_pages_answer_404_to_everyone_but_the_challenges_coordinators(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    coordinator(client, session, clock, challenge)
    event = publish_event(client, session)
    urls = [MANAGE, MANAGE + "/new", f"{MANAGE}/{event.id}", f"{MANAGE}/{event.id}/attendees.csv"]
    other = create_user(session, email="other@mindef.example", roles=("coordinator",))
    company = company_user(session, clock, email="a@alpha.example", kvk="50000001")
    for user in (other, company):
        client.cookies.clear()
        log_in(client, session, user, now=clock.now())
        for url in urls:
            assert client.get(url).status_code == 404, (user.email, url)
        assert post(client, f"{MANAGE}/{event.id}/status", {"status": "cancelled"}).status_code == 404
        assert post(client, MANAGE + "/new", event_form()).status_code == 404
    client.cookies.clear()
    assert client.get(MANAGE).headers["location"].startswith("/login")
    session.refresh(event)
    assert event.status == "scheduled"
