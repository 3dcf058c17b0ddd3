"""Market-dialogue events of a challenge, the registrations for them, and the reminders sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.challenges.events.enums import EventStatus, RegistrationStatus
from app.database import Base, UTCDateTime


class MarketEvent(Base):
    """An industry day or market consultation of one challenge. Times are stored in UTC and shown in
    Europe/Amsterdam time. ``online_url`` is shown to confirmed registrants and the coordinators only."""

    __tablename__ = "market_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.SCHEDULED.value)
    title_nl: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    description_nl: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int] = mapped_column(Integer)
    registration_deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    summary_nl: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    summary_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # raised by every change (iCalendar SEQUENCE)

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_nl

    def description(self, language: str) -> str:
        return self.description_en if language == "en" else self.description_nl

    def summary(self, language: str) -> str:
        return self.summary_en if language == "en" else self.summary_nl


class MarketEventRegistration(Base):
    """One company user's place (or place on the waiting list) at an event, for the organisation they act for.

    A registration is per person: one per user and event; colleagues of one organisation each register."""

    __tablename__ = "market_event_registration"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("market_event.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    attendee_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=RegistrationStatus.CONFIRMED.value)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the waiting list's order
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MarketEventReminder(Base):
    """The reminder of one registration, inserted in the same transaction as its outbox message: its primary
    key makes the reminder go out once, whichever worker and however often the job runs."""

    __tablename__ = "market_event_reminder"

    registration_id: Mapped[int] = mapped_column(
        ForeignKey("market_event_registration.id", ondelete="CASCADE"), primary_key=True
    )
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())
