"""The language of a user's e-mails: their own setting on the account page, which the outbox follows."""

from __future__ import annotations

from types import SimpleNamespace

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.preferences.service import language_for
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from tests.accounts.helpers import outbox, post, register
from tests.factories import create_user, log_in


def test_language_for_follows_the_setting_and_defaults_to_dutch() -> None:
    assert language_for(SimpleNamespace(language="en")) == "en"
    assert language_for(SimpleNamespace(language="nl"), default="en") == "nl"
    assert language_for(None) == "nl"
    assert language_for(None, default="en") == "en"
    assert language_for(SimpleNamespace(language="fr")) == "nl"
    assert language_for(None, default="de") == "nl"


def test_registration_keeps_the_language_registered_in(client: TestClient, session: Session) -> None:
    client.get("/language/en")
    register(client, "english@example.nl")
    [message] = outbox(session, "english@example.nl")
    assert message.language == "en"
    assert message.subject == "Confirm your e-mail address"
    assert session.scalar(select(User.language).where(User.email == "english@example.nl")) == "en"


def test_mail_language_setting_decides_the_language_of_e_mails(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email="taal@example.nl", language="nl")
    log_in(client, session, user, now=clock.now())
    page = client.get("/account")
    assert 'name="mail_language" value="nl" checked' in page.text
    saved = post(client, "/account/language", {"mail_language": "en"})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/account?saved=language"
    shown = client.get(saved.headers["location"]).text
    assert "De taal van uw e-mails is gewijzigd." in shown  # the pages keep their own language
    assert 'name="mail_language" value="en" checked' in shown
    session.expire_all()
    assert session.get(User, user.id).language == "en"  # type: ignore[union-attr]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "account.language")).one()
    assert event.data == {"old": "nl", "new": "en"}
    client.cookies.clear()
    post(client, "/password/forgot", {"email": "taal@example.nl"})
    [message] = outbox(session, "taal@example.nl")
    assert message.language == "en"
    assert message.subject == "Choose a new password"


def test_mail_language_refuses_another_language(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="taal@example.nl")
    log_in(client, session, user, now=clock.now())
    refused = post(client, "/account/language", {"mail_language": "fr"})
    assert refused.status_code == 422
    assert "Kies een van de mogelijkheden." in refused.text
    assert 'href="#mail_language"' in refused.text
    session.expire_all()
    assert session.get(User, user.id).language == "nl"  # type: ignore[union-attr]


def test_invitation_follows_the_invitees_setting_or_the_inviters_page(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    from tests.organisations.helpers import create_organisation

    alice = create_user(session, email="alice@alpha.example", name="Alice")
    organisation = create_organisation(session, alice, now=clock.now(), legal_name="Alpha B.V.", kvk_number="31313131")
    create_user(session, email="english@alpha.example", name="Edward", language="en")
    log_in(client, session, alice, now=clock.now())
    for email in ("english@alpha.example", "nieuw@alpha.example"):
        assert post(client, f"/organisations/{organisation.id}/invitations", {"email": email}).status_code == 303
    [english] = outbox(session, "english@alpha.example")
    [newcomer] = outbox(session, "nieuw@alpha.example")
    assert (english.language, newcomer.language) == ("en", "nl")
