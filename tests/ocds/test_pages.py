"""The outcome on the public challenge page, the archive, the coordinator's publication choice, and the
company's agreement to be named on the submission form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.settings import Settings
from tests.evaluations.helpers import post
from tests.factories import create_challenge, create_user, csrf, log_in
from tests.ocds.helpers import CANCEL_REASON, cancelled, choose, decided
from tests.proposals.helpers import act_for, create_company, ready_proposal, submit


def test_the_challenge_page_shows_the_outcome_without_names_by_default(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = decided(session, clock, names_after=False)
    page = client.get(f"/challenges/{s.challenge.slug}").text
    assert 'id="outcome"' in page
    assert "Besluiten bekendgemaakt op" in page and "1 maart 2027" in page
    assert "3 (van mkb: 2; van consortia: 1)" in page
    assert "2 voorstellen" in page
    assert "De namen van de winnaars worden niet gepubliceerd." in page
    assert "ADV (Aanbestedingswet op defensie- en veiligheidsgebied)" in page
    assert "Alpha Sensoren" not in page and "Bravo Radar" not in page
    client.cookies.set("portal_lang", "en")
    english = client.get(f"/challenges/{s.challenge.slug}").text
    assert "Decisions released on" in english and "3 (from SMEs: 2; from consortia: 1)" in english


def test_the_challenge_page_names_only_winners_who_agreed_once_names_are_chosen(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = decided(session, clock)
    page = client.get(f"/challenges/{s.challenge.slug}").text
    assert "Alpha Sensoren B.V." in page
    assert "Bravo Radar" not in page and "Charlie Optics" not in page
    assert "Niet elke winnaar wordt genoemd." in page


def test_before_release_the_page_shows_no_outcome(client: TestClient, session: Session) -> None:
    challenge = create_challenge(session, slug="ocds-open")
    assert 'id="outcome"' not in client.get(f"/challenges/{challenge.slug}").text


def test_the_archive_lists_closed_and_cancelled_challenges_with_outcome_or_reason(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = decided(session, clock, names_after=False)
    stopped = cancelled(session, clock)
    open_one = create_challenge(session, slug="ocds-still-open", stages=[_open_stage()])
    listing = client.get("/").text
    assert 'href="/archive"' in listing
    page = client.get("/archive")
    assert page.status_code == 200
    assert f'id="archive-{s.challenge.slug}"' in page.text and f'id="archive-{stopped.slug}"' in page.text
    assert f'id="archive-{open_one.slug}"' not in page.text
    assert CANCEL_REASON in page.text
    assert "3 (van mkb: 2; van consortia: 1)" in page.text
    # Archiving keeps it findable, with the cancellation's reason.
    from app.challenges.enums import ChallengeStatus
    from app.workspace.lifecycle import service as lifecycle
    from tests.factories import CLI_ACTOR, LINKS

    lifecycle.change_status(
        session,
        challenge=stopped,
        to=ChallengeStatus.ARCHIVED,
        reason="Opgeruimd.",
        actor=CLI_ACTOR,
        now=clock.now(),
        links=LINKS,
    )
    session.commit()
    client.cookies.set("portal_lang", "en")
    again = client.get("/archive").text
    assert f'id="archive-{stopped.slug}"' in again and CANCEL_REASON in again
    assert client.get(f"/challenges/{stopped.slug}").status_code == 200


def _open_stage() -> dict[str, object]:
    from tests.factories import BASE_DEFINITION

    return {**BASE_DEFINITION["stages"][0], "deadline": "2027-06-01T17:00:00"}


def test_the_coordinator_chooses_to_publish_names_and_it_is_audited(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = decided(session, clock, names_after=False)
    log_in(client, session, s.coordinator, now=clock.now())
    url = f"/manage/challenges/{s.challenge.slug}/evaluation/publication"
    page = client.get(url)
    assert page.status_code == 200 and "De uitkomst en het aantal voorstellen, zonder namen." in page.text
    assert "(de standaard)" in page.text
    response = post(client, url, {"publish": "names"})
    assert response.status_code == 303 and response.headers["location"] == url
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "challenge.publication")).all()
    assert [(e.object_id, e.data, e.actor_id) for e in events] == [
        (str(s.challenge.id), {"publish_names": True}, s.coordinator.id)
    ]
    shown = client.get(url).text
    assert (
        "De uitkomst, het aantal voorstellen en de namen van de winnaars waarvan het bedrijf bij het indienen instemde."
        in shown
    )
    dashboard = client.get(f"/manage/challenges/{s.challenge.slug}").text
    assert 'id="publication-link"' in dashboard and "namen van winnaars die instemden" in dashboard
    assert "Alpha Sensoren B.V." in client.get(f"/challenges/{s.challenge.slug}").text
    # The same choice again records nothing.
    post(client, url, {"publish": "names"})
    assert len(session.scalars(select(AuditEvent).where(AuditEvent.action == "challenge.publication")).all()) == 1


def test_a_bad_choice_is_refused_with_a_message_and_nothing_stored(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = decided(session, clock, names_after=False)
    log_in(client, session, s.coordinator, now=clock.now())
    response = post(client, f"/manage/challenges/{s.challenge.slug}/evaluation/publication", {"publish": "everything"})
    assert response.status_code == 422
    assert "Kies een van de mogelijkheden." in response.text
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "challenge.publication")).all() == []


def test_only_the_challenges_coordinators_may_choose(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = decided(session, clock, names_after=False)
    url = f"/manage/challenges/{s.challenge.slug}/evaluation/publication"
    stranger = create_user(session, email="ander@mindef.example", name="Andere Coördinator", roles=("coordinator",))
    log_in(client, session, stranger, now=clock.now())
    assert client.get(url).status_code == 404
    assert post(client, url, {"publish": "names"}).status_code == 404
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "challenge.publication")).all() == []
    assert "Alpha Sensoren" not in client.get(f"/challenges/{s.challenge.slug}").text


def test_the_company_agrees_to_be_named_on_the_submission_form(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    user, organisation = create_company(
        session, email="lead@echo.example", name="Echo B.V.", kvk="32000001", at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, challenge.slug)
    form = client.get(f"/proposals/{proposal.id}/submit").text
    assert 'name="publish_name"' in form and "checked" not in form.split('name="publish_name"')[1].split(">")[0]
    assert submit(client, proposal.id, key="first").status_code == 303
    session.expire_all()
    assert proposal.versions[-1].content["publication"] == {"name": False}
    assert proposal.versions[-1].content["sme"] is True
    response = client.post(
        f"/proposals/{proposal.id}/submit",
        data={
            "submission_key": "second",
            "declarations": ["unclassified", "truthful", "consent"],
            "publish_name": "yes",
            "csrf_token": csrf(client),
        },
    )
    assert response.status_code == 303
    session.expire_all()
    assert proposal.versions[-1].content["publication"] == {"name": True}
    receipt = client.get(f"/proposals/{proposal.id}/versions/2").text
    assert "Ja, als de coördinatoren winnaars publiceren" in receipt
    # The amendment form starts from the standing version's answer.
    again = client.get(f"/proposals/{proposal.id}/submit").text
    assert "checked" in again.split('name="publish_name"')[1].split(">")[0]


def test_the_ocid_prefix_must_look_like_a_registered_one() -> None:
    assert Settings(ocid_prefix="ocds-a1b2c3").ocid_prefix == "ocds-a1b2c3"
    with pytest.raises(ValidationError):
        Settings(ocid_prefix="not a prefix")


def test_names_withdrawn_later_disappear_from_the_page(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = decided(session, clock)
    clock.advance(timedelta(days=1))
    choose(session, s, clock.now(), names=False)
    assert "Alpha Sensoren" not in client.get(f"/challenges/{s.challenge.slug}").text
