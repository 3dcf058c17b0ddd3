"""Question pages: asking, following, the coordinator's inbox and answer form, the public Nota van Inlichtingen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession
from app.clock import FrozenClock
from app.organisations.models import Membership, Organisation
from app.questions.models import NotaEntry, NotaVersion
from tests.factories import LINKS, create_challenge, create_user, csrf, log_in
from tests.questions.helpers import ASKER_TEXT, QUESTION_DEADLINE, answer, ask, create_coordinator

ANSWER_FORM = {
    "section": "criteria",
    "question_nl": "Mag een prototype 2 kg wegen?",
    "question_en": "May a prototype weigh 2 kg?",
    "answer_nl": "Ja, tot 5 kg.",
    "answer_en": "Yes, up to 5 kg.",
}
SECRETS = ("Alice Alpha", "alice@alpha.example", "Alpha Geheim Defence", "11111111", ASKER_TEXT)


@dataclass
class Setup:
    challenge: Any
    coordinator: Any
    asker: Any
    organisation: Organisation


@pytest.fixture
def setup(session: Session, clock: FrozenClock) -> Setup:
    now = clock.now()
    challenge = create_challenge(session)
    coordinator = create_coordinator(session, challenge, email="coco@mindef.example", now=now, name="Coco")
    asker = create_user(session, email="alice@alpha.example", name="Alice Alpha")
    organisation = Organisation(legal_name="Alpha Geheim Defence B.V.", kvk_number="11111111", created_at=now)
    session.add(organisation)
    session.flush()
    session.add(Membership(organisation_id=organisation.id, user_id=asker.id, role="admin", joined_at=now))
    session.commit()
    return Setup(challenge, coordinator, asker, organisation)


def _log_in_acting(client: TestClient, session: Session, user: Any, organisation_id: int, now: Any) -> None:
    log_in(client, session, user, now=now)
    auth = session.scalars(select(AuthSession).where(AuthSession.user_id == user.id)).one()
    auth.acting_organisation_id = organisation_id
    session.commit()


def _post(client: TestClient, url: str, data: dict[str, str] | None = None) -> Any:
    return client.post(url, data={**(data or {}), "csrf_token": csrf(client)})


def _published(session: Session, setup: Setup, now: Any) -> NotaEntry:
    entry = ask(session, setup.challenge, setup.asker, now=now, organisation_id=setup.organisation.id)
    answer(session, setup.challenge, entry, setup.coordinator, now=now)
    from app.questions.nota import service as nota_service
    from tests.questions.helpers import actor

    nota_service.publish(session, challenge=setup.challenge, actor=actor(setup.coordinator), now=now, links=LINKS)
    session.commit()
    return entry


# --- asking ---------------------------------------------------------------------------------------


def test_ask_page_anonymous_goes_to_login(client: TestClient, setup: Setup) -> None:
    response = client.get("/challenges/test-challenge/questions")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_ask_question_is_listed_as_received(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    _log_in_acting(client, session, setup.asker, setup.organisation.id, clock.now())
    response = _post(client, "/challenges/test-challenge/questions", {"text": ASKER_TEXT, "section": "stage:brief"})
    assert response.status_code == 303
    assert response.headers["location"] == "/challenges/test-challenge/questions?done=asked"
    page = client.get(response.headers["location"])
    assert "Uw vraag is ontvangen." in page.text
    assert ASKER_TEXT in page.text
    assert "Ontvangen" in page.text
    entry = session.scalars(select(NotaEntry)).one()
    assert (entry.asker_id, entry.organisation_id, entry.section) == (
        setup.asker.id,
        setup.organisation.id,
        "stage:brief",
    )


def test_ask_question_empty_rerenders_with_message_and_section_kept(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    log_in(client, session, setup.asker, now=clock.now())
    response = _post(client, "/challenges/test-challenge/questions", {"text": "  ", "section": "criteria"})
    assert response.status_code == 422
    assert 'id="text-error"' in response.text
    assert "Dit veld is verplicht." in response.text
    assert '<option value="criteria" selected>' in response.text


def test_ask_question_after_deadline_is_refused_with_the_deadline(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    clock.set(QUESTION_DEADLINE)
    log_in(client, session, setup.asker, now=clock.now())
    token = csrf(client)  # bound to this session
    response = client.post(
        "/challenges/test-challenge/questions", data={"text": "Te laat?", "section": "", "csrf_token": token}
    )
    assert response.status_code == 422
    assert "Vragen konden worden gesteld tot 16 februari 2027, 17:00 CET." in response.text
    assert ">Te laat?</textarea>" in response.text
    assert session.scalar(select(NotaEntry.id)) is None


def test_ask_page_after_deadline_has_no_form(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    clock.set(QUESTION_DEADLINE)
    log_in(client, session, setup.asker, now=clock.now())
    response = client.get("/challenges/test-challenge/questions")
    assert response.status_code == 200
    assert "De termijn voor vragen is verstreken op 16 februari 2027, 17:00 CET." in response.text
    assert 'name="text"' not in response.text


def test_ask_on_draft_challenge_is_not_found(client: TestClient, session: Session, clock: FrozenClock) -> None:
    create_challenge(session, publish=False)
    user = create_user(session, email="someone@example.nl")
    log_in(client, session, user, now=clock.now())
    assert client.get("/challenges/test-challenge/questions").status_code == 404
    assert _post(client, "/challenges/test-challenge/questions", {"text": "Vraag"}).status_code == 404
    assert client.get("/challenges/test-challenge/nota").status_code == 404


# --- following ------------------------------------------------------------------------------------


def test_follow_and_unfollow_from_challenge_page(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    log_in(client, session, setup.asker, now=clock.now())
    assert "Deze challenge volgen" in client.get("/challenges/test-challenge").text
    response = _post(client, "/challenges/test-challenge/follow", {"follow": "yes"})
    assert (response.status_code, response.headers["location"]) == (303, "/challenges/test-challenge#questions")
    page = client.get("/challenges/test-challenge").text
    assert "U volgt deze challenge." in page
    _post(client, "/challenges/test-challenge/follow", {"follow": "no"})
    assert "U volgt deze challenge." not in client.get("/challenges/test-challenge").text


def test_challenge_page_anonymous_offers_login_to_follow(client: TestClient, setup: Setup) -> None:
    page = client.get("/challenges/test-challenge").text
    assert "Log in om deze challenge te volgen of een vraag te stellen" in page
    assert "Er zijn nog geen vragen beantwoord." in page
    assert "/follow" not in page


# --- the coordinator's inbox ----------------------------------------------------------------------


def test_inbox_shows_the_asker_to_the_assigned_coordinator(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    ask(session, setup.challenge, setup.asker, now=clock.now(), organisation_id=setup.organisation.id)
    log_in(client, session, setup.coordinator, now=clock.now())
    page = client.get("/manage/challenges/test-challenge/questions")
    assert page.status_code == 200
    for identity in ("Alice Alpha", "alice@alpha.example", "Alpha Geheim Defence B.V.", ASKER_TEXT):
        assert identity in page.text


@pytest.mark.parametrize("who", ["other_coordinator", "evaluator", "company"])
def test_management_routes_are_not_found_for_others(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup, who: str
) -> None:
    entry = ask(session, setup.challenge, setup.asker, now=clock.now(), organisation_id=setup.organisation.id)
    answer(session, setup.challenge, entry, setup.coordinator, now=clock.now())
    other_challenge = create_challenge(session, slug="other-challenge")
    users = {
        "other_coordinator": lambda: create_coordinator(
            session, other_challenge, email="other@mindef.example", now=clock.now()
        ),
        "evaluator": lambda: create_user(session, email="eva@mindef.example", roles=("evaluator",)),
        "company": lambda: create_user(session, email="bob@bravo.example"),
    }
    log_in(client, session, users[who](), now=clock.now())
    base = "/manage/challenges/test-challenge"
    responses = [
        client.get(base + "/questions"),
        client.get(f"{base}/questions/{entry.id}"),
        _post(client, f"{base}/questions/{entry.id}", {**ANSWER_FORM, "answer_nl": "Nee.", "action": "save"}),
        _post(client, base + "/nota/publish"),
    ]
    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    for response in responses:
        for secret in SECRETS:
            assert secret not in response.text
    session.refresh(entry)
    assert (entry.answer_nl, entry.status) == ("Ja, tot 5 kg.", "approved")
    assert session.scalar(select(NotaVersion.id)) is None


def test_entry_of_another_challenge_is_not_found(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    other = create_challenge(session, slug="other-challenge")
    entry = ask(session, other, setup.asker, now=clock.now())
    log_in(client, session, setup.coordinator, now=clock.now())
    assert client.get(f"/manage/challenges/test-challenge/questions/{entry.id}").status_code == 404


def test_administrator_sees_every_inbox(client: TestClient, session: Session, clock: FrozenClock, setup: Setup) -> None:
    admin = create_user(session, email="adam@mindef.example", roles=("administrator",))
    log_in(client, session, admin, now=clock.now())
    assert client.get("/manage/challenges/test-challenge/questions").status_code == 200


def test_answer_form_shows_original_and_prefills_question(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    entry = ask(session, setup.challenge, setup.asker, now=clock.now(), organisation_id=setup.organisation.id)
    log_in(client, session, setup.coordinator, now=clock.now())
    page = client.get(f"/manage/challenges/test-challenge/questions/{entry.id}").text
    assert f">{ASKER_TEXT}</textarea>" in page  # the Dutch question starts as the asker's text
    assert f"<p>{ASKER_TEXT}</p>" in page  # the original, kept for the record
    assert "Alpha Geheim Defence B.V." in page


def test_approve_incomplete_rerenders_with_messages_at_fields(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    entry = ask(session, setup.challenge, setup.asker, now=clock.now())
    log_in(client, session, setup.coordinator, now=clock.now())
    data = {**ANSWER_FORM, "answer_en": "", "answer_nl": "Ja, tot 5 kg.", "action": "approve"}
    response = _post(client, f"/manage/challenges/test-challenge/questions/{entry.id}", data)
    assert response.status_code == 422
    assert 'id="answer_en-error"' in response.text
    assert "Vul dit in voordat u de vermelding markeert voor publicatie." in response.text
    assert ">Ja, tot 5 kg.</textarea>" in response.text
    session.refresh(entry)
    assert (entry.status, entry.answer_nl) == ("received", "")


def test_answer_approve_then_publish_shows_anonymous_entry_publicly(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    entry = ask(session, setup.challenge, setup.asker, now=clock.now(), organisation_id=setup.organisation.id)
    log_in(client, session, setup.coordinator, now=clock.now())
    url = f"/manage/challenges/test-challenge/questions/{entry.id}"
    response = _post(client, url, {**ANSWER_FORM, "action": "approve"})
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/manage/challenges/test-challenge/questions?done=approved",
    )
    response = _post(client, "/manage/challenges/test-challenge/nota/publish")
    assert response.headers["location"] == "/manage/challenges/test-challenge/questions?done=published"
    version = session.scalars(select(NotaVersion)).one()

    client.cookies.clear()
    for path in ("/challenges/test-challenge/nota", "/challenges/test-challenge/nota/1", "/challenges/test-challenge"):
        page = client.get(path)
        assert page.status_code == 200
        assert "Mag een prototype 2 kg wegen?" in page.text
        assert "Ja, tot 5 kg." in page.text
        for secret in SECRETS:
            assert secret not in page.text
    nota = client.get("/challenges/test-challenge/nota").text
    assert version.content_hash in nota
    assert "(over: Hoe voorstellen worden beoordeeld)" in nota
    client.cookies.set("portal_lang", "en")
    english = client.get("/challenges/test-challenge/nota").text
    assert "May a prototype weigh 2 kg?" in english
    assert "Yes, up to 5 kg." in english


def test_publish_with_nothing_approved_rerenders_inbox_with_message(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    ask(session, setup.challenge, setup.asker, now=clock.now())
    log_in(client, session, setup.coordinator, now=clock.now())
    response = _post(client, "/manage/challenges/test-challenge/nota/publish")
    assert response.status_code == 422
    assert 'id="publish-error"' in response.text
    assert "Er is geen vermelding gemarkeerd voor publicatie." in response.text


def test_published_entry_form_is_read_only(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    entry = _published(session, setup, clock.now())
    log_in(client, session, setup.coordinator, now=clock.now())
    url = f"/manage/challenges/test-challenge/questions/{entry.id}"
    assert 'name="answer_nl"' not in client.get(url).text
    response = _post(client, url, {**ANSWER_FORM, "answer_nl": "Nee.", "action": "save"})
    assert response.status_code == 422
    assert "Een gepubliceerde vermelding kan niet meer worden gewijzigd." in response.text
    session.refresh(entry)
    assert entry.answer_nl == "Ja, tot 5 kg."


def test_asker_sees_answered_and_published(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    _published(session, setup, clock.now())
    log_in(client, session, setup.asker, now=clock.now())
    page = client.get("/challenges/test-challenge/questions").text
    assert "Beantwoord en gepubliceerd als vermelding 1" in page


def test_nota_unknown_version_is_not_found(client: TestClient, setup: Setup) -> None:
    assert client.get("/challenges/test-challenge/nota/2").status_code == 404
    page = client.get("/challenges/test-challenge/nota")
    assert page.status_code == 200
    assert "Voor deze challenge is nog geen Nota van Inlichtingen gepubliceerd." in page.text


def test_nota_earlier_version_links_to_latest(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    _published(session, setup, clock.now())
    _published(session, setup, clock.now())
    page = client.get("/challenges/test-challenge/nota/1").text
    assert "Dit is een eerdere versie." in page
    assert '/challenges/test-challenge/nota/2">Versie 2</a>' in page


def test_challenge_page_links_coordinator_to_inbox_with_open_count(
    client: TestClient, session: Session, clock: FrozenClock, setup: Setup
) -> None:
    ask(session, setup.challenge, setup.asker, now=clock.now())
    log_in(client, session, setup.coordinator, now=clock.now())
    page = client.get("/challenges/test-challenge").text
    assert "Vragen: 1 openstaande vraag" in page
    assert "/manage/challenges/test-challenge/questions" in page
    log_in(client, session, setup.asker, now=clock.now())
    page = client.get("/challenges/test-challenge").text
    assert "/manage/challenges/test-challenge/questions" not in page
