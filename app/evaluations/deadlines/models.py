"""The due date a coordinator sets for a stage's evaluation: every assignment of the stage is due then."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Date, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime


class EvaluationDueDate(Base):
    """``due_on`` is a day in Europe/Amsterdam; ``due_at`` the end of that day in UTC (overdue from then on)."""

    __tablename__ = "evaluation_due_date"

    stage_id: Mapped[int] = mapped_column(ForeignKey("challenge_stage.id", ondelete="CASCADE"), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)

    @property
    def last_moment(self) -> datetime:
        """A moment on the due day itself (``due_at`` is already the next day): for showing the date."""
        return self.due_at - timedelta(minutes=1)
