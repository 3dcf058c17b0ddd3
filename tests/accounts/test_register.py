"""Registration and e-mail confirmation: no enumeration, one-time expiring links, messages next to fields."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import OneTimeToken, User
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.tokens import hash_token
from tests.accounts.helpers import STRONG, link_token, outbox, post, register
from tests.factories import create_user


def test_register_form_shows_fields_in_dutch(client: TestClient) -> None:
    response = client.get("/register")
    assert response.status_code == 200
    for text in ("Account aanmaken", "E-mailadres", "Uw naam", "Herhaal het wachtwoord", 'name="csrf_token"'):
        assert text in response.text


def test_register_creates_unconfirmed_user_and_queues_confirmation(client: TestClient, session: Session) -> None:
    response = register(client, "New@Example.nl")
    assert response.status_code == 200
    assert "Kijk in uw e-mail" in response.text
    user = session.scalar(select(User).where(User.email == "new@example.nl"))
    assert user is not None and user.email_confirmed_at is None and user.name == "Nieuwe Gebruiker"
    assert user.password_hash.startswith("$argon2id$")
    [message] = outbox(session, "new@example.nl")
    assert message.subject == "Bevestig uw e-mailadres"
    token = link_token(message, "http://testserver/confirm/")
    stored = session.scalar(select(OneTimeToken).where(OneTimeToken.user_id == user.id))
    assert stored is not None and stored.token_hash == hash_token(token) and token not in stored.token_hash
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(user.id))).all()
    assert "user.register" in actions


def test_register_in_english_sends_english_mail(client: TestClient, session: Session) -> None:
    client.cookies.set("portal_lang", "en")
    response = register(client, "english@example.nl")
    assert "Check your e-mail" in response.text
    [message] = outbox(session, "english@example.nl")
    assert message.subject == "Confirm your e-mail address"
    assert message.language == "en"


def test_register_existing_address_answers_the_same(client: TestClient, session: Session) -> None:
    create_user(session, email="taken@example.nl", name="Oud")
    known = register(client, "taken@example.nl")
    unknown = register(client, "fresh@example.nl")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("csrf", "") == unknown.text.replace("csrf", "")
    assert outbox(session, "taken@example.nl") == []
    assert session.scalar(select(User.name).where(User.email == "taken@example.nl")) == "Oud"


def test_register_keeps_input_and_shows_errors(client: TestClient, session: Session) -> None:
    data = {"email": "not-an-address", "name": "Piet", "password": "short", "password_confirm": "short"}
    response = post(client, "/register", data)
    assert response.status_code == 422
    assert 'value="not-an-address"' in response.text and 'value="Piet"' in response.text
    assert "Vul een e-mailadres in zoals naam@voorbeeld.nl." in response.text
    assert 'value="short"' not in response.text
    assert "Er is een probleem" in response.text or "error-summary" in response.text


def test_register_refuses_short_common_and_mismatched_passwords(client: TestClient) -> None:
    base = {"email": "p@example.nl", "name": "P"}
    short = post(client, "/register", {**base, "password": "kort", "password_confirm": "kort"})
    assert "Gebruik ten minste 12 tekens." in short.text
    common = post(client, "/register", {**base, "password": "password1234", "password_confirm": "password1234"})
    assert common.status_code == 422
    assert "Dit wachtwoord komt te vaak voor" in common.text
    mismatch = post(client, "/register", {**base, "password": STRONG, "password_confirm": STRONG + "x"})
    assert "De twee wachtwoorden zijn niet gelijk." in mismatch.text


def test_register_without_csrf_is_refused(client: TestClient, session: Session) -> None:
    response = client.post("/register", data={"email": "x@example.nl", "name": "X", "password": STRONG})
    assert response.status_code == 403
    assert session.scalar(select(User).where(User.email == "x@example.nl")) is None


def test_confirm_link_confirms_once(client: TestClient, session: Session) -> None:
    register(client, "c@example.nl")
    token = link_token(outbox(session, "c@example.nl")[0], "/confirm/")
    first = client.get(f"/confirm/{token}")
    assert first.status_code == 200 and "E-mailadres bevestigd" in first.text
    session.expire_all()
    assert session.scalar(select(User.email_confirmed_at).where(User.email == "c@example.nl")) is not None
    again = client.get(f"/confirm/{token}")
    assert again.status_code == 410
    assert "Deze link is verlopen of is al gebruikt." in again.text
    assert '/confirm" novalidate' in again.text


def test_confirm_link_expires_after_48_hours(client: TestClient, session: Session, clock: FrozenClock) -> None:
    register(client, "late@example.nl")
    token = link_token(outbox(session, "late@example.nl")[0], "/confirm/")
    clock.advance(timedelta(hours=48))
    assert client.get(f"/confirm/{token}").status_code == 410
    session.expire_all()
    assert session.scalar(select(User.email_confirmed_at).where(User.email == "late@example.nl")) is None


def test_unknown_confirm_link_is_refused(client: TestClient) -> None:
    assert client.get("/confirm/nonsense").status_code == 410


def test_new_confirmation_link_same_answer_for_unknown(client: TestClient, session: Session) -> None:
    create_user(session, email="wait@example.nl", confirmed=False)
    known = post(client, "/confirm", {"email": "wait@example.nl"})
    unknown = post(client, "/confirm", {"email": "nobody@example.nl"})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    [message] = outbox(session, "wait@example.nl")
    token = link_token(message, "/confirm/")
    assert client.get(f"/confirm/{token}").status_code == 200
