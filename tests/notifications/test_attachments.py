"""Files sent with an outbox message: stored in the message's transaction, sent as multipart/mixed (the text first)
over SMTP and into .eml files, names made safe for headers, sizes bounded, kept by a retry, removed with their
message, and listed by name and size on the administrators' outbox page."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.notifications.attachments import (
    MAX_ATTACHMENTS,
    Attachment,
    AttachmentRefused,
    parse_media_type,
    safe_filename,
)
from app.notifications.models import MAX_ATTACHMENT_BYTES, OutboxAttachment, OutboxMessage
from app.notifications.service import deliver_due, queue_email, record_failure, retry_failed
from app.settings import Settings
from tests.databases import TransactionalDatabase
from tests.factories import create_user, log_in
from tests.notifications.smtp import SmtpServer

CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//test//NL\r\nEND:VCALENDAR\r\n"
CALENDAR_TYPE = "text/calendar; charset=utf-8; method=PUBLISH"


def _queue(session: Session, clock: FrozenClock, *files: Attachment, to: str = "zoe@example.nl") -> OutboxMessage:
    return queue_email(
        session, to=to, template="test_message", language="nl", context={"name": "Zoë"}, now=clock.now(),
        attachments=list(files),
    )  # fmt: skip


def _attachment_rows(session: Session) -> list[tuple[str, str, int, bytes]]:
    session.expire_all()
    query = select(OutboxAttachment).order_by(OutboxAttachment.id)
    return [(row.filename, row.media_type, row.size, row.content) for row in session.scalars(query)]


def _parts(email: EmailMessage) -> list[tuple[str, str | None, bytes]]:
    """(content type, file name, decoded bytes) of each part of a multipart message, in order."""
    return [
        (part.get_content_type(), part.get_filename(), cast(bytes, part.get_payload(decode=True)))
        for part in email.iter_parts()
    ]


def test_attachment_is_stored_with_its_message_and_not_without_it(session: Session, clock: FrozenClock) -> None:
    message = _queue(session, clock, Attachment("Bijeenkomst 12 januari.ics", CALENDAR_TYPE, CALENDAR))
    session.commit()
    assert _attachment_rows(session) == [("Bijeenkomst-12-januari.ics", CALENDAR_TYPE, len(CALENDAR), CALENDAR)]
    assert [a.outbox_message_id for a in session.scalars(select(OutboxAttachment))] == [message.id]
    _queue(session, clock, Attachment("b.ics", CALENDAR_TYPE, CALENDAR), to="ghost@example.nl")
    session.rollback()
    assert len(_attachment_rows(session)) == 1


@pytest.mark.parametrize(
    "files",
    [
        [Attachment("big.bin", "application/octet-stream", b"x" * (MAX_ATTACHMENT_BYTES + 1))],
        [Attachment(f"{n}.txt", "text/plain", b"x") for n in range(MAX_ATTACHMENTS + 1)],
        [Attachment("a.ics", "text/calendar\r\nBcc: victim@example.nl", CALENDAR)],
        [Attachment("a.ics", "calendar", CALENDAR)],
        [Attachment("a.ics", 'text/calendar; method="PUBLISH"', CALENDAR)],
    ],
)
def test_too_large_too_many_or_a_malformed_media_type_is_refused_and_nothing_stored(
    session: Session, clock: FrozenClock, files: list[Attachment]
) -> None:
    with pytest.raises(AttachmentRefused):
        _queue(session, clock, *files)
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert _attachment_rows(session) == []


def test_the_largest_allowed_attachment_is_stored(session: Session, clock: FrozenClock) -> None:
    _queue(session, clock, Attachment("big.bin", "application/octet-stream", b"\x00\xff" * (MAX_ATTACHMENT_BYTES // 2)))
    session.commit()
    [(_name, _type, size, content)] = _attachment_rows(session)
    assert size == MAX_ATTACHMENT_BYTES and content[:2] == b"\x00\xff"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("event-12.ics", "event-12.ics"),
        ("../../etc/passwd", "etc-passwd"),
        ('x.ics"\r\nBcc: victim@example.nl', "x.ics-Bcc-victim-example.nl"),
        ("Zoë’s agenda.ics", "Zoes-agenda.ics"),
        ("…", "attachment"),
        ("a" * 150 + ".ics", "a" * 96 + ".ics"),
    ],
)
def test_file_names_become_safe_for_headers_and_paths(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def test_media_type_parameters_are_read() -> None:
    assert parse_media_type(CALENDAR_TYPE) == ("text", "calendar", {"charset": "utf-8", "method": "PUBLISH"})
    assert parse_media_type("Application/PDF") == ("application", "pdf", {})


def test_smtp_sends_multipart_mixed_with_the_text_first_and_each_file(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    pdf = b"%PDF-1.4\n\x00\x01\x02 binary\n%%EOF\n"
    message = _queue(
        session,
        clock,
        Attachment("event-7.ics", CALENDAR_TYPE, CALENDAR),
        Attachment("notes.pdf", "application/pdf", pdf),
    )
    session.commit()

    assert deliver_due(tdb, now=clock.now(), settings=smtp_settings).sent == 1

    [email] = smtp_server.handler.messages()
    assert email.get_content_type() == "multipart/mixed"
    assert (email["Message-ID"], email["Subject"]) == (message.message_id, "Testbericht van het challengeportaal")
    text, calendar, document = email.iter_parts()
    assert text.get_content_type() == "text/plain" and text.get_content_charset() == "utf-8"
    assert text.get_content_disposition() is None
    assert cast(EmailMessage, text).get_content().startswith("Beste Zoë,")
    assert _parts(email)[1:] == [("text/calendar", "event-7.ics", CALENDAR), ("application/pdf", "notes.pdf", pdf)]
    assert calendar.get_content_disposition() == "attachment"
    assert calendar.get_param("method") == "PUBLISH" and calendar.get_content_charset() == "utf-8"
    assert document["Content-Transfer-Encoding"] == "base64"


def test_a_stored_name_with_a_line_break_is_made_safe_again_when_sent(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    _queue(session, clock, Attachment("event.ics", CALENDAR_TYPE, CALENDAR))
    session.execute(update(OutboxAttachment).values(filename="evil\r\nBcc: victim@example.nl.ics"))
    session.commit()

    assert deliver_due(tdb, now=clock.now(), settings=smtp_settings).sent == 1

    [envelope] = smtp_server.handler.envelopes
    assert envelope.rcpt_tos == ["zoe@example.nl"]
    [email] = smtp_server.handler.messages()
    assert "Bcc" not in email and _parts(email)[1][1] == "evil-Bcc-victim-example.nl.ics"


def test_the_eml_transport_writes_the_attachment_into_the_file(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, settings: Settings
) -> None:
    message = _queue(session, clock, Attachment("event-7.ics", CALENDAR_TYPE, CALENDAR))
    session.commit()

    assert deliver_due(tdb, now=clock.now(), settings=settings).sent == 1

    path = settings.data_dir / "mail" / f"{message.id:06d}-test_message.eml"
    email = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert email.get_content_type() == "multipart/mixed"
    assert [part.get_content_type() for part in email.iter_parts()] == ["text/plain", "text/calendar"]
    assert _parts(email)[1] == ("text/calendar", "event-7.ics", CALENDAR)


def test_a_retried_message_keeps_its_attachment(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    message = _queue(session, clock, Attachment("event-7.ics", CALENDAR_TYPE, CALENDAR))
    record_failure(session, message_id=message.id, now=clock.now(), error="554 rejected", final=True)
    assert retry_failed(session, message_id=message.id, now=clock.now()) == (1, "554 rejected")
    session.commit()

    assert deliver_due(tdb, now=clock.now(), settings=smtp_settings).sent == 1

    [email] = smtp_server.handler.messages()
    assert _parts(email)[1] == ("text/calendar", "event-7.ics", CALENDAR)


def test_attachments_go_with_their_message(session: Session, clock: FrozenClock) -> None:
    kept = _queue(session, clock, Attachment("kept.ics", CALENDAR_TYPE, CALENDAR), to="kept@example.nl")
    gone = _queue(session, clock, Attachment("gone.ics", CALENDAR_TYPE, CALENDAR), to="gone@example.nl")
    session.commit()
    session.execute(delete(OutboxMessage).where(OutboxMessage.id == gone.id))
    session.commit()
    assert [row[0] for row in _attachment_rows(session)] == ["kept.ics"]
    assert session.scalar(select(OutboxAttachment.outbox_message_id)) == kept.id


def test_outbox_page_lists_attachment_names_and_sizes(client: TestClient, session: Session, clock: FrozenClock) -> None:
    _queue(
        session,
        clock,
        Attachment("event-7.ics", CALENDAR_TYPE, b"x" * 3000),
        Attachment("b.pdf", "application/pdf", b"y"),
    )
    _queue(session, clock, to="plain@example.nl")
    admin = create_user(session, email="adam@mindef.example", roles=("administrator",))
    session.commit()
    log_in(client, session, admin, now=clock.now())
    page = client.get("/admin/outbox")
    assert page.status_code == 200
    assert page.text.count("Bijlagen:") == 1
    assert "<code>event-7.ics</code> (3 kB), <code>b.pdf</code> (1 kB)" in page.text
