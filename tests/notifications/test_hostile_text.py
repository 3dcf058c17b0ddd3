"""Text a user chose cannot reach an e-mail header or carry a message of its own, and one message that cannot
be built never stops the mail worker."""

from __future__ import annotations

import html
from email import message_from_bytes, policy

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.notifications.models import OutboxMessage
from app.notifications.service import NAME_LIMIT, deliver_due, queue_email, render_message
from app.organisations.models import Organisation
from app.settings import Settings
from tests.accounts.helpers import register
from tests.databases import TransactionalDatabase
from tests.factories import create_user, csrf, log_in
from tests.organisations.helpers import form_data

INJECTION = "Acme B.V.\r\nBcc: everyone@victim.example"
ONE_LINE = "Gebruik één regel, zonder regeleinden of stuurtekens."


def test_a_line_break_in_an_organisation_name_is_refused_at_input(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    log_in(client, session, create_user(session, email="maker@lima.example"), now=clock.now())
    for field in ("legal_name", "city", "parent_name"):
        data = form_data(legal_name="Lima B.V.", kvk_number="60606061", ownership="group", parent_country="NL")
        data[field] = INJECTION
        response = client.post("/organisations/new", data={**data, "csrf_token": csrf(client)})
        assert response.status_code == 422, field
        assert ONE_LINE in html.unescape(response.text), field
    assert session.scalar(select(func.count()).select_from(Organisation)) == 0


def test_a_line_break_in_a_person_name_is_refused_at_registration(client: TestClient, session: Session) -> None:
    response = register(client, "new@example.nl", name="Eve\nBcc: all@example.nl")
    assert response.status_code == 422
    assert ONE_LINE in html.unescape(response.text)


def test_names_in_e_mails_are_capped_and_on_one_line() -> None:
    subject, body = render_message(
        "invitation",
        "en",
        {
            "organisation_name": INJECTION + " " + "x" * 500,
            "inviter_name": "Mallory\n\nClick here",
            "link": "L",
            "days": 7,
        },
    )
    assert "\n" not in subject and "\r" not in subject
    assert subject.startswith("Invitation to join Acme B.V. Bcc: everyone@victim.example")
    assert len(subject) < len("Invitation to join ") + NAME_LIMIT + 1
    assert "Mallory Click here invites you" in body
    assert "x" * NAME_LIMIT not in body


def test_the_mail_worker_marks_a_message_it_cannot_build_failed_and_goes_on(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, settings: Settings
) -> None:
    bad = queue_email(
        session, to="zoe@example.nl", template="test_message", language="nl", context={"name": "Zoë"}, now=clock.now()
    )
    good = queue_email(
        session, to="yan@example.nl", template="test_message", language="nl", context={"name": "Yan"}, now=clock.now()
    )
    bad.message_id = "<x@portal>\r\nBcc: all@victim.example"  # corrupt stored data: building the e-mail fails
    session.commit()

    counts = deliver_due(tdb, now=clock.now(), settings=settings)

    assert (counts.sent, counts.failed) == (1, 1)
    session.expire_all()
    failed = session.get_one(OutboxMessage, bad.id)
    assert failed.status == "failed" and failed.last_error is not None and "cannot be sent" in failed.last_error
    assert session.get_one(OutboxMessage, good.id).status == "sent"
    files = list((settings.data_dir / "mail").iterdir())
    assert len(files) == 1
    email = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert email["To"] == "yan@example.nl"


def test_a_stored_subject_with_a_line_break_never_becomes_a_header(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, settings: Settings
) -> None:
    message = queue_email(
        session, to="zoe@example.nl", template="test_message", language="nl", context={"name": "Zoë"}, now=clock.now()
    )
    message.subject = "Hallo\r\nBcc: everyone@victim.example"
    session.commit()
    assert deliver_due(tdb, now=clock.now(), settings=settings).sent == 1
    email = message_from_bytes(next((settings.data_dir / "mail").iterdir()).read_bytes(), policy=policy.default)
    assert email["Bcc"] is None
    assert email["Subject"] == "Hallo Bcc: everyone@victim.example"
