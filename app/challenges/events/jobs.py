"""The reminder job that ``portal worker`` runs: one e-mail per confirmed registration before its event.

Each reminder is a row (its primary key is the registration) inserted in the same transaction as its outbox
message, inside a savepoint: a second worker, or a second pass, that tries the same registration fails on the key
and skips it, so a reminder goes out exactly once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.challenges.events.enums import EventStatus, RegistrationStatus
from app.challenges.events.mail import message_context
from app.challenges.events.models import MarketEvent, MarketEventRegistration, MarketEventReminder
from app.links import Links
from app.notifications.service import queue_email

# How long before the event's start the reminder goes out.
REMINDER_AHEAD = timedelta(days=2)
BATCH = 200


def due_reminders(session: Session, *, now: datetime) -> list[MarketEventRegistration]:
    """Confirmed registrations of scheduled events starting within ``REMINDER_AHEAD``, not reminded yet."""
    return list(
        session.scalars(
            select(MarketEventRegistration)
            .join(MarketEvent, MarketEvent.id == MarketEventRegistration.event_id)
            .outerjoin(MarketEventReminder, MarketEventReminder.registration_id == MarketEventRegistration.id)
            .where(
                MarketEventRegistration.status == RegistrationStatus.CONFIRMED.value,
                MarketEvent.status == EventStatus.SCHEDULED.value,
                MarketEvent.starts_at > now,
                MarketEvent.starts_at <= now + REMINDER_AHEAD,
                MarketEventReminder.registration_id.is_(None),
            )
            .order_by(MarketEventRegistration.id)
            .limit(BATCH)
        )
    )


def queue_reminders(session: Session, *, now: datetime, links: Links) -> int:
    """Queue the due reminders; returns how many this pass queued. The caller commits."""
    queued = 0
    for registration in due_reminders(session, now=now):
        try:
            with session.begin_nested():
                session.add(MarketEventReminder(registration_id=registration.id, queued_at=now))
                session.flush()
                user = session.get_one(User, registration.user_id)
                event = session.get_one(MarketEvent, registration.event_id)
                queue_email(
                    session,
                    to=user.email,
                    template="market_event_reminder",
                    language=user.language,
                    context=message_context(session, event, user.language, links=links),
                    now=now,
                    user_id=user.id,
                )
        except IntegrityError:
            continue  # another worker reminded this registration first
        queued += 1
    return queued
