"""Who may see what of a market-dialogue event."""

from __future__ import annotations

from datetime import datetime

from app.challenges.events.enums import EventStatus, RegistrationStatus
from app.challenges.events.models import MarketEvent, MarketEventRegistration


def registration_open(event: MarketEvent, now: datetime) -> bool:
    """Registration is open while the event is scheduled, until its registration deadline (server clock)."""
    return event.status == EventStatus.SCHEDULED and now < event.registration_deadline_at


def is_active(registration: MarketEventRegistration | None) -> bool:
    """A place or a place on the waiting list."""
    return registration is not None and registration.status != RegistrationStatus.CANCELLED


def has_place(registration: MarketEventRegistration | None) -> bool:
    """A confirmed place: the online link and the calendar file are for these registrants."""
    return registration is not None and registration.status == RegistrationStatus.CONFIRMED


def summary_shown(event: MarketEvent) -> bool:
    return event.status == EventStatus.HELD and event.summary_published_at is not None
