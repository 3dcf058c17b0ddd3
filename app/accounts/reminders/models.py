"""Who switched reminders off: one row per user who does not want reminders and digests by e-mail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime


class ReminderOptOut(Base):
    """The user gets no deadline reminders, due-date reminders or question digests (notices of what happened,
    such as an assignment or a published answer, still go out)."""

    __tablename__ = "reminder_opt_out"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime())
