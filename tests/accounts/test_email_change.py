"""Changing one's e-mail address: the password asked again, a single-use link to the new address that expires,
the old address told at the request and at the change, a taken address never revealed to the asker."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from tests.accounts.helpers import link_token, outbox, post
from tests.factories import DEFAULT_PASSWORD, create_user, log_in

OLD = "oud.adres@example.nl"
NEW = "nieuw.adres@example.nl"
LINK = "/account/email/confirm/"


def _ask(client: TestClient, new_email: str = NEW, password: str = DEFAULT_PASSWORD) -> object:
    return post(client, "/account/email", {"new_email": new_email, "email_password": password})


def _email(session: Session, user_id: int) -> str:
    session.expire_all()
    user = session.get(User, user_id)
    assert user is not None
    return user.email


def test_email_change_happens_only_when_the_new_address_confirms(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email=OLD, name="Olga Oud")
    log_in(client, session, user, now=clock.now())
    asked = _ask(client)
    assert asked.status_code == 303
    assert asked.headers["location"] == "/account?saved=email"
    assert "We hebben een link naar uw nieuwe e-mailadres gestuurd." in client.get(asked.headers["location"]).text
    assert _email(session, user.id) == OLD
    [confirm] = outbox(session, NEW)
    assert confirm.subject == "Bevestig uw nieuwe e-mailadres"
    [told] = outbox(session, OLD)
    assert told.subject == "Er is gevraagd uw e-mailadres te wijzigen"
    assert NEW in told.body_text
    token = link_token(confirm, LINK)
    page = client.get(LINK + token)
    assert page.status_code == 200 and NEW in page.text
    assert _email(session, user.id) == OLD  # opening the link changes nothing: the button does
    done = post(client, LINK + token)
    assert done.status_code == 200 and "Uw e-mailadres is gewijzigd" in done.text
    assert _email(session, user.id) == NEW
    changed = outbox(session, OLD)[-1]
    assert changed.subject == "Uw e-mailadres is gewijzigd"
    assert NEW in changed.body_text
    again = post(client, LINK + token)
    assert again.status_code == 410
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.email_change")).one()
    assert event.object_id == str(user.id)
    assert event.data == {"old": OLD, "new": NEW}
    actions = select(AuditEvent.action).where(AuditEvent.action.like("account.email%")).order_by(AuditEvent.id)
    assert session.scalars(actions).all() == [
        "account.email_change_request",
        "account.email_change",
    ]


def test_email_change_needs_the_password(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email=OLD)
    log_in(client, session, user, now=clock.now())
    wrong = _ask(client, password="not my password at all")
    assert wrong.status_code == 422
    assert "Uw wachtwoord is niet juist." in wrong.text
    assert 'href="#email_password"' in wrong.text
    assert NEW in wrong.text  # what was typed stays
    same = _ask(client, new_email=OLD.upper())
    assert same.status_code == 422 and "Dit is al uw e-mailadres." in same.text
    bad = _ask(client, new_email="geen-adres")
    assert bad.status_code == 422 and "Vul een e-mailadres in zoals naam@voorbeeld.nl." in bad.text
    assert outbox(session, NEW) == [] and outbox(session, OLD) == []


def test_email_change_to_a_taken_address_answers_the_same_and_sends_it_nothing(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    create_user(session, email="bezet@example.nl", name="Bezet")
    user = create_user(session, email=OLD)
    log_in(client, session, user, now=clock.now())
    taken = _ask(client, new_email="bezet@example.nl")
    free = _ask(client, new_email=NEW)
    assert taken.status_code == free.status_code == 303
    assert taken.headers["location"] == free.headers["location"]
    assert outbox(session, "bezet@example.nl") == []
    assert len(outbox(session, NEW)) == 1
    assert [m.subject for m in outbox(session, OLD)] == ["Er is gevraagd uw e-mailadres te wijzigen"] * 2


def test_email_change_link_refuses_an_address_taken_since(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email=OLD)
    log_in(client, session, user, now=clock.now())
    _ask(client)
    token = link_token(outbox(session, NEW)[0], LINK)
    create_user(session, email=NEW, name="Sneller")
    refused = post(client, LINK + token)
    assert refused.status_code == 410
    assert "Dit e-mailadres hoort inmiddels bij een ander account." in refused.text
    assert _email(session, user.id) == OLD


def test_email_change_link_expires_and_only_the_newest_works(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email=OLD)
    log_in(client, session, user, now=clock.now())
    _ask(client)
    first = link_token(outbox(session, NEW)[0], LINK)
    _ask(client, new_email="derde@example.nl")
    newest = link_token(outbox(session, "derde@example.nl")[0], LINK)
    assert client.get(LINK + first).status_code == 410
    clock.advance(timedelta(hours=24))
    expired = post(client, LINK + newest)
    assert expired.status_code == 410
    assert "Deze link is verlopen of is al gebruikt." in expired.text
    assert _email(session, user.id) == OLD


def test_email_change_asks_a_login(client: TestClient, session: Session) -> None:
    response = post(client, "/account/email", {"new_email": NEW, "email_password": DEFAULT_PASSWORD})
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
