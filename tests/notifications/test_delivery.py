"""Sending the outbox: through a real SMTP server on loopback, with retries, backoff and the .eml fallback."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.notifications.models import OutboxMessage
from app.notifications.service import BACKOFF, CLAIM_LEASE, MAX_ATTEMPTS, claim_due, deliver_due, queue_email
from app.settings import Settings
from tests.databases import TransactionalDatabase
from tests.notifications.smtp import SmtpServer, free_port

DUTCH_NAME = "Zoë van ’t Hoff-Brouwer"


def _queue(session: Session, clock: FrozenClock, to: str = "zoe@example.nl", language: str = "nl") -> OutboxMessage:
    return queue_email(
        session, to=to, template="test_message", language=language, context={"name": DUTCH_NAME}, now=clock.now()
    )


def _reload(session: Session, message: OutboxMessage) -> OutboxMessage:
    session.expire_all()
    reloaded = session.get(OutboxMessage, message.id)
    assert reloaded is not None
    return reloaded


def test_deliver_due_sends_through_smtp_with_headers_and_utf8_body(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    message = _queue(session, clock)
    session.commit()

    counts = deliver_due(tdb, now=clock.now(), settings=smtp_settings)

    assert (counts.sent, counts.retrying, counts.failed) == (1, 0, 0)
    [envelope] = smtp_server.handler.envelopes
    assert envelope.rcpt_tos == ["zoe@example.nl"]
    assert envelope.mail_from == "noreply@challenges.example.nl"
    [email] = smtp_server.handler.messages()
    assert email["To"] == "zoe@example.nl"
    assert email["From"] == "Defensie Challengeportaal <noreply@challenges.example.nl>"
    assert email["Subject"] == "Testbericht van het challengeportaal"
    assert email["Message-ID"] == message.message_id
    assert email["Date"] == "Tue, 01 Dec 2026 10:00:00 +0000"
    assert email.get_content_type() == "text/plain"
    assert email.get_content_charset() == "utf-8"
    assert email.get_content() == (  # SMTP carries CRLF line ends
        f"Beste {DUTCH_NAME},\r\n\r\nDit is een testbericht van het Defensie Challengeportaal. Kunt u het lezen, "
        "dan bereikt e-mail van het portaal u.\r\n\r\nMet vriendelijke groet,\r\nHet Defensie Challengeportaal\r\n"
    )
    sent = _reload(session, message)
    assert (sent.status, sent.attempts, sent.sent_at, sent.last_error) == ("sent", 1, clock.now(), None)


def test_deliver_due_sends_english_message_in_english(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    _queue(session, clock, language="en")
    session.commit()

    deliver_due(tdb, now=clock.now(), settings=smtp_settings)

    [email] = smtp_server.handler.messages()
    assert email["Subject"] == "Test message from the challenge portal"
    assert email.get_content().startswith(f"Dear {DUTCH_NAME},\r\n\r\nThis is a test message")


def test_deliver_due_takes_oldest_first_up_to_limit(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    _queue(session, clock, to="first@example.nl")
    clock.advance(timedelta(seconds=1))
    _queue(session, clock, to="second@example.nl")
    clock.advance(timedelta(seconds=1))
    _queue(session, clock, to="third@example.nl")
    session.commit()

    first = deliver_due(tdb, now=clock.now(), settings=smtp_settings, limit=2)
    assert [e.rcpt_tos for e in smtp_server.handler.envelopes] == [["first@example.nl"], ["second@example.nl"]]
    second = deliver_due(tdb, now=clock.now(), settings=smtp_settings, limit=2)

    assert (first.sent, second.sent) == (2, 1)
    assert [e.rcpt_tos for e in smtp_server.handler.envelopes][2] == ["third@example.nl"]


def test_deliver_due_leaves_messages_not_yet_due(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    message = _queue(session, clock)
    session.commit()

    counts = deliver_due(tdb, now=clock.now() - timedelta(seconds=1), settings=smtp_settings)

    assert counts.processed == 0
    assert smtp_server.handler.envelopes == []
    assert _reload(session, message).status == "pending"


def test_deliver_due_refused_by_server_retries_after_backoff(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    message = _queue(session, clock)
    session.commit()
    smtp_server.handler.refuse = "550 5.7.1 Mailbox unavailable"

    counts = deliver_due(tdb, now=clock.now(), settings=smtp_settings)

    assert (counts.sent, counts.retrying, counts.failed) == (0, 1, 0)
    refused = _reload(session, message)
    assert (refused.status, refused.attempts, refused.sent_at) == ("pending", 1, None)
    assert refused.last_error == "550 5.7.1 Mailbox unavailable"
    assert refused.next_attempt_at == clock.now() + timedelta(minutes=1)

    smtp_server.handler.refuse = None
    clock.advance(timedelta(seconds=59))
    assert deliver_due(tdb, now=clock.now(), settings=smtp_settings).processed == 0
    assert smtp_server.handler.envelopes == []

    clock.advance(timedelta(seconds=1))
    assert deliver_due(tdb, now=clock.now(), settings=smtp_settings).sent == 1

    [email] = smtp_server.handler.messages()
    assert email["Message-ID"] == message.message_id
    sent = _reload(session, message)
    assert (sent.status, sent.attempts, sent.sent_at, sent.last_error) == ("sent", 2, clock.now(), None)


def test_deliver_due_with_nothing_listening_keeps_message_pending(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, settings: Settings
) -> None:
    message = _queue(session, clock)
    session.commit()
    nowhere = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_starttls": False})

    counts = deliver_due(tdb, now=clock.now(), settings=nowhere)

    assert (counts.sent, counts.retrying) == (0, 1)
    refused = _reload(session, message)
    assert (refused.status, refused.attempts) == ("pending", 1)
    assert (refused.last_error or "").startswith("ConnectionRefusedError")
    assert refused.next_attempt_at == clock.now() + timedelta(minutes=1)


def test_deliver_due_marks_failed_after_last_attempt_with_backoff_between(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    message = _queue(session, clock)
    session.commit()
    smtp_server.handler.refuse = "554 5.7.1 Rejected"
    waits = []

    for _attempt in range(MAX_ATTEMPTS):
        before = clock.now()
        counts = deliver_due(tdb, now=before, settings=smtp_settings)
        assert counts.processed == 1
        current = _reload(session, message)
        if current.status == "pending":
            waits.append(current.next_attempt_at - before)
            clock.set(current.next_attempt_at)

    assert waits == list(BACKOFF)
    assert counts.failed == 1
    failed = _reload(session, message)
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 6, "554 5.7.1 Rejected")
    smtp_server.handler.refuse = None
    clock.advance(timedelta(days=7))
    assert deliver_due(tdb, now=clock.now(), settings=smtp_settings).processed == 0
    assert smtp_server.handler.envelopes == []


def test_deliver_due_without_smtp_host_writes_eml_files(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, settings: Settings
) -> None:
    assert settings.smtp_host == ""
    message = _queue(session, clock)
    session.commit()

    counts = deliver_due(tdb, now=clock.now(), settings=settings)

    assert counts.sent == 1
    path = settings.data_dir / "mail" / f"{message.id:06d}-test_message.eml"
    assert sorted(p.name for p in (settings.data_dir / "mail").iterdir()) == [path.name]
    email = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert email["To"] == "zoe@example.nl"
    assert email["Subject"] == "Testbericht van het challengeportaal"
    assert email["Message-ID"] == message.message_id
    assert email.get_content().startswith(f"Beste {DUTCH_NAME},")  # type: ignore[attr-defined]
    assert _reload(session, message).status == "sent"


def test_message_queued_in_rolled_back_transaction_is_never_sent(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, smtp_settings: Settings, smtp_server: SmtpServer
) -> None:
    _queue(session, clock, to="ghost@example.nl")
    session.rollback()

    counts = deliver_due(tdb, now=clock.now() + timedelta(days=1), settings=smtp_settings)

    assert counts.processed == 0
    assert smtp_server.handler.envelopes == []
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_claim_due_hides_claimed_messages_from_next_claim_until_lease_ends(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock
) -> None:
    message = _queue(session, clock)
    session.commit()

    with tdb.unit_of_work() as worker_a:
        claimed = claim_due(worker_a, now=clock.now(), limit=10)
        worker_a.commit()
    with tdb.unit_of_work() as worker_b:
        during_lease = claim_due(worker_b, now=clock.now() + CLAIM_LEASE - timedelta(seconds=1), limit=10)
        after_lease = claim_due(worker_b, now=clock.now() + CLAIM_LEASE, limit=10)

    assert [m.id for m in claimed] == [message.id]
    assert during_lease == []
    assert [m.id for m in after_lease] == [message.id]
