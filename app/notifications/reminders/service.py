"""Exactly-once notices: claim a (kind, object, key) row before queueing the message, in one transaction.

The claim is an ``INSERT ... ON CONFLICT DO NOTHING``: on PostgreSQL a second worker's insert of the same row
waits for the first transaction and then inserts nothing; on SQLite writers are serialised anyway. The caller
queues the message only when the claim inserted the row, and commits both together.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.database import dialect_insert
from app.notifications.reminders.models import SentNotice


def claim(session: Session, *, kind: str, object_id: int, key: str, now: datetime, user_id: int | None = None) -> bool:
    """True when this call recorded the notice (send it now); False when it was sent before or is being sent."""
    values = {"kind": kind, "object_id": object_id, "key": key, "sent_at": now, "user_id": user_id}
    insert = dialect_insert(session)
    statement = (
        insert(SentNotice)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["kind", "object_id", "key"])
        .returning(SentNotice.id)
    )
    return session.execute(statement).first() is not None


def last_sent(session: Session, *, kind: str, object_id: int) -> datetime | None:
    """When a notice of this kind about this object last went out, if ever."""
    return session.scalar(
        select(func.max(SentNotice.sent_at)).where(SentNotice.kind == kind, SentNotice.object_id == object_id)
    )


def was_sent(session: Session, *, kind: str, object_id: int, key: str) -> bool:
    found = session.scalar(
        select(SentNotice.id).where(SentNotice.kind == kind, SentNotice.object_id == object_id, SentNotice.key == key)
    )
    return found is not None
