"""One statement's text in one language (the default text ships in ``defaults/``; migration 0029 seeds it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime


class Statement(Base):
    """The text of a statement page in one language, in the small markup of ``rules.py``.

    A trigger (migration 0029) bumps ``public_version`` with every change, so a cached page shows an edit at once.
    """

    __tablename__ = "statement"
    __table_args__ = (UniqueConstraint("kind", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2))
    body: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
