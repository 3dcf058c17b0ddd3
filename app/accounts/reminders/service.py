"""A user's choice to receive reminders and digests by e-mail (on by default), audited when it changes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.reminders.models import ReminderOptOut
from app.audit.service import Actor, record_event


def reminders_enabled(session: Session, *, user_id: int) -> bool:
    return session.get(ReminderOptOut, user_id) is None


def set_reminders(session: Session, *, user: User, enabled: bool, actor: Actor, now: datetime) -> bool:
    """Switch reminders on or off; returns whether anything changed (an unchanged choice records nothing)."""
    current = session.get(ReminderOptOut, user.id)
    if enabled == (current is None):
        return False
    if enabled:
        assert current is not None
        session.delete(current)
    else:
        session.add(ReminderOptOut(user_id=user.id, opted_out_at=now))
    record_event(
        session,
        actor=actor,
        action="user.reminders_on" if enabled else "user.reminders_off",
        object_type="user",
        object_id=user.id,
        at=now,
    )
    session.flush()
    return True


def opted_out(session: Session, *, user_ids: Iterable[int]) -> set[int]:
    """Those of ``user_ids`` who switched reminders off."""
    ids = sorted(set(user_ids))
    if not ids:
        return set()
    return set(session.scalars(select(ReminderOptOut.user_id).where(ReminderOptOut.user_id.in_(ids))))


def reminder_recipients(session: Session, *, user_ids: Iterable[int]) -> list[User]:
    """The active users among ``user_ids`` who want reminders, by id."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    off = select(ReminderOptOut.user_id)
    query = select(User).where(User.id.in_(ids), User.is_active.is_(True), User.id.not_in(off)).order_by(User.id)
    return list(session.scalars(query))
