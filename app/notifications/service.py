"""Queue e-mail in the outbox, in the caller's transaction; the worker (``portal worker``) sends it later.

A message is rendered when it is queued, from ``templates/notifications/<template>.txt`` in the
recipient's language: the first line is the subject, the rest (after one blank line) the body. Files sent with
it (``app.notifications.attachments``) are stored beside it in the same transaction and kept by a retry.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app import i18n
from app.formatting import one_line
from app.notifications.attachments import Attachment, stored
from app.notifications.enums import MessageStatus
from app.notifications.models import OutboxMessage
from app.notifications.sender import SendError, Transport, transport_for
from app.settings import Settings

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"

_env = Environment(  # plain text: no HTML escaping, but every variable must exist
    loader=FileSystemLoader(TEMPLATE_DIR / "notifications"),
    autoescape=False,  # noqa: S701 - text/plain e-mail, never HTML
    undefined=StrictUndefined,
    extensions=["jinja2.ext.i18n"],
    keep_trailing_newline=True,
)
_env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


NAME_LIMIT = 100
"""Names people chose themselves (their own, their organisation's) appear in e-mails at most this long."""
SUBJECT_LIMIT = 200


def _safe_context(context: dict[str, Any]) -> dict[str, Any]:
    """Every value whose key ends in ``name`` is text a user chose (a person's or organisation's name): it
    goes into the e-mail capped and on one line, so it can neither add header lines nor carry a long message."""
    return {
        key: one_line(value, NAME_LIMIT) if key.endswith("name") and isinstance(value, str) else value
        for key, value in context.items()
    }


def render_message(template: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of a notification in a language; names capped, the subject one line."""
    translations = i18n.translations(language)
    context = _safe_context(context)

    def gettext(message: str, **params: Any) -> str:
        text = translations.gettext(message)
        return text % params if params else text

    text = _env.get_template(f"{template}.txt").render(**context, _=gettext, gettext=gettext, lang=language)
    subject, _, body = text.partition("\n\n")
    return one_line(subject, SUBJECT_LIMIT), body.strip() + "\n"


def queue_email(
    session: Session,
    *,
    to: str,
    template: str,
    language: str,
    context: dict[str, Any],
    now: datetime,
    user_id: int | None = None,
    attachments: tuple[Attachment, ...] | list[Attachment] = (),
    flush: bool = True,
) -> OutboxMessage:
    """Write one message to the outbox, with its attachments (not sent yet; the caller commits with the change
    that caused it). Raises ``AttachmentRefused`` for too many or too large files.

    ``flush=False`` leaves the row to the caller's next flush (at the latest its commit): a caller that
    changes more rows after queueing writes them all at once, rather than a flush here and another later.
    """
    subject, body = render_message(template, language, context)
    files = stored(attachments)
    message = OutboxMessage(
        created_at=now,
        to_address=to,
        user_id=user_id,
        template=template,
        language=language,
        subject=subject,
        body_text=body,
        status=MessageStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        message_id=f"<{uuid.uuid4()}@challenge-portal>",
    )
    message.attachments.extend(files)
    session.add(message)
    if flush:
        session.flush()
    return message


# --- delivery (``portal worker``) -------------------------------------------------------------------

# Wait after the 1st, 2nd, ... failed attempt; after the last attempt the message is marked failed.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claimed message is hidden from other workers this long (its next_attempt_at moves ahead); a worker
# that dies mid-batch thereby hands its messages back after the lease instead of losing them.
CLAIM_LEASE = timedelta(minutes=15)


class DeliveryDatabase(Protocol):
    """What delivery needs of app.database.Database (the test database offers the same)."""

    @property
    def dialect(self) -> str: ...

    def unit_of_work(self) -> AbstractContextManager[Session]: ...


@dataclass
class DeliveryCounts:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def processed(self) -> int:
        return self.sent + self.retrying + self.failed

    def summary(self) -> str:
        return f"{self.processed} due: {self.sent} sent, {self.retrying} to retry, {self.failed} failed."


def claim_due(session: Session, *, now: datetime, limit: int) -> list[OutboxMessage]:
    """Lock the oldest due pending messages and push them out of other workers' sight for the lease.

    On PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets concurrent workers take disjoint messages; SQLite ignores
    the clause and serialises writers with ``BEGIN IMMEDIATE`` instead. The caller commits the claim. The messages'
    attachments are loaded with them (in a second query), so they can be sent after the session has closed.
    """
    statement = (
        select(OutboxMessage)
        .options(selectinload(OutboxMessage.attachments))
        .where(OutboxMessage.status == MessageStatus.PENDING.value, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    messages = list(session.scalars(statement))
    for message in messages:
        message.next_attempt_at = now + CLAIM_LEASE
    session.flush()
    return messages


def record_sent(session: Session, *, message_id: int, now: datetime) -> None:
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.status != MessageStatus.PENDING.value:
        return
    message.status = MessageStatus.SENT.value
    message.sent_at = now
    message.attempts += 1
    message.last_error = None
    session.flush()


def record_failure(session: Session, *, message_id: int, now: datetime, error: str, final: bool = False) -> str:
    """Count a failed attempt; the message is retried after the backoff, or marked failed after the last
    (at once when ``final``: a message that cannot be built fails the same way every time)."""
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.status != MessageStatus.PENDING.value:
        return "gone"
    message.attempts += 1
    message.last_error = error[:2000]
    if final or message.attempts >= MAX_ATTEMPTS:
        message.status = MessageStatus.FAILED.value
    else:
        message.next_attempt_at = now + BACKOFF[message.attempts - 1]
    session.flush()
    return message.status


def _count_failure(
    db: DeliveryDatabase, counts: DeliveryCounts, message_id: int, *, now: datetime, error: str, final: bool
) -> None:
    with db.unit_of_work() as session:
        status = record_failure(session, message_id=message_id, now=now, error=error, final=final)
        session.commit()
    if status == MessageStatus.FAILED.value:
        counts.failed += 1
        log.warning("giving up on outbox message %s: %s", message_id, error)
    else:
        counts.retrying += 1
        log.info("outbox message %s not sent, will retry: %s", message_id, error)


def deliver_due(
    db: DeliveryDatabase,
    *,
    now: datetime,
    settings: Settings,
    limit: int = 50,
    transport: Transport | None = None,
) -> DeliveryCounts:
    """Send the due messages: claim them in one short transaction, send outside it, record each result."""
    with db.unit_of_work() as session:
        claimed = claim_due(session, now=now, limit=limit)
        session.commit()
        for message in claimed:
            session.expunge(message)
    counts = DeliveryCounts()
    if not claimed:
        return counts
    own_transport = transport is None
    active = transport or transport_for(settings)
    try:
        for message in claimed:
            try:
                active.send(message)
            except SendError as error:  # the server or the folder: try again after the backoff
                _count_failure(db, counts, message.id, now=now, error=str(error), final=False)
                continue
            except Exception as error:
                log.exception("outbox message %s cannot be built", message.id)
                reason = f"cannot be sent: {type(error).__name__}: {error}"
                _count_failure(db, counts, message.id, now=now, error=reason, final=True)
                continue
            with db.unit_of_work() as session:
                record_sent(session, message_id=message.id, now=now)
                session.commit()
            counts.sent += 1
    finally:
        if own_transport:
            active.close()
    return counts


def retry_failed(session: Session, *, message_id: int, now: datetime) -> tuple[int, str | None] | None:
    """Put a failed message back in the queue (an administrator's retry): pending, due now, its attempts counted
    afresh. Returns the attempts and last error it had, or None when it is not a failed message."""
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None or message.status != MessageStatus.FAILED.value:
        return None
    before = (message.attempts, message.last_error)
    message.status = MessageStatus.PENDING.value
    message.attempts = 0
    message.next_attempt_at = now
    session.flush()
    return before
