"""The outbox as administrators see it: every message with its status, attempts and last error, newest first,
a page at a time by id, and a retry that puts a failed message back in the queue (audited as ``outbox.retry``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_event
from app.errors import DomainError, NotFound
from app.i18n import N_
from app.notifications import service as outbox
from app.notifications.enums import MessageStatus
from app.notifications.models import OutboxAttachment, OutboxMessage


class NotFailed(DomainError):
    message = N_("Only a failed message can be sent again; this one is not failed.")


@dataclass(frozen=True)
class MessagePage:
    messages: list[OutboxMessage]
    older: int | None  # the ``before`` cursor of the next page, if any
    attachments: dict[int, list[tuple[str, int]]] = field(default_factory=dict)  # per message: (file name, bytes)


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    counts = {status.value: 0 for status in MessageStatus}
    counts.update({str(status): int(count) for status, count in rows})
    return counts


def list_messages(
    session: Session, *, status: MessageStatus | None = None, before: int | None = None, size: int = 50
) -> MessagePage:
    """Messages newest first, optionally of one status, older than ``before``."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(size + 1)
    if status is not None:
        query = query.where(OutboxMessage.status == status.value)
    if before is not None:
        query = query.where(OutboxMessage.id < before)
    rows = list(session.scalars(query))
    messages = rows[:size]
    return MessagePage(
        messages, messages[-1].id if len(rows) > size else None, attachment_names(session, [m.id for m in messages])
    )


def attachment_names(session: Session, message_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """The names and sizes of the messages' attachments (their bytes stay in the database)."""
    found: dict[int, list[tuple[str, int]]] = {}
    if not message_ids:
        return found
    rows = session.execute(
        select(OutboxAttachment.outbox_message_id, OutboxAttachment.filename, OutboxAttachment.size)
        .where(OutboxAttachment.outbox_message_id.in_(message_ids))
        .order_by(OutboxAttachment.id)
    )
    for message_id, filename, size in rows:
        found.setdefault(message_id, []).append((filename, size))
    return found


def retry_message(session: Session, *, message_id: int, actor: Actor, now: datetime) -> None:
    """Send a failed message again (the worker takes it at its next round). Raises NotFound or NotFailed."""
    if session.get(OutboxMessage, message_id) is None:
        raise NotFound()
    before = outbox.retry_failed(session, message_id=message_id, now=now)
    if before is None:
        raise NotFailed()
    attempts, last_error = before
    record_event(
        session,
        actor=actor,
        action="outbox.retry",
        object_type="outbox_message",
        object_id=message_id,
        at=now,
        data={"attempts": attempts, "last_error": (last_error or "")[:300]},
    )
