"""The record of a scheduled notice that went out: one row per (kind, object, key), unique, so it goes out once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime


class SentNotice(Base):
    """A reminder or digest written to the outbox, in the same transaction as its message.

    ``kind`` names the job (``draft_deadline``, ``evaluation_due``, ``question_digest``, ``new_challenge``),
    ``object_id`` what it is about (a proposal, an assignment, a user, a subscription) and ``key`` the
    threshold or day (``7d@2027-02-26T16:00``, ``2026-12-03``). A second worker's insert of the same row
    finds it taken and sends nothing.
    """

    __tablename__ = "sent_notice"
    __table_args__ = (UniqueConstraint("kind", "object_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(80))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True
    )
