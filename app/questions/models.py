"""Questions and the Nota van Inlichtingen: entries (questions, announcements), published versions, followers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, JSONType, UTCDateTime
from app.questions.enums import EntryKind, EntryStatus


class NotaEntry(Base):
    """A question (with its answer) or an announcement; numbered when first published, then immutable.

    ``asker_id`` and ``organisation_id`` are for the challenge's coordinators only; ``original_text`` keeps
    what the asker wrote, ``question_nl``/``question_en`` are the edited, anonymous texts that get published.
    """

    __tablename__ = "nota_entry"
    __table_args__ = (UniqueConstraint("challenge_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=EntryKind.QUESTION.value)
    status: Mapped[str] = mapped_column(String(16), default=EntryStatus.RECEIVED.value, index=True)
    asker_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), nullable=True
    )
    section: Mapped[str | None] = mapped_column(String(80), nullable=True)
    language: Mapped[str] = mapped_column(String(2), default="nl")
    original_text: Mapped[str] = mapped_column(Text, default="")
    # For an announcement: its title (question_*) and its text (answer_*).
    question_nl: Mapped[str] = mapped_column(Text, default="")
    question_en: Mapped[str] = mapped_column(Text, default="")
    answer_nl: Mapped[str] = mapped_column(Text, default="")
    answer_en: Mapped[str] = mapped_column(Text, default="")
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    first_version: Mapped[int | None] = mapped_column(Integer, nullable=True)

    def question(self, language: str) -> str:
        return self.question_en if language == "en" else self.question_nl

    def answer(self, language: str) -> str:
        return self.answer_en if language == "en" else self.answer_nl


class NotaVersion(Base):
    """One publication of a challenge's Nota van Inlichtingen: its full content as published, and its hash."""

    __tablename__ = "nota_version"
    __table_args__ = (UniqueConstraint("challenge_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64))


class ChallengeFollower(Base):
    """A user who wants an e-mail whenever the challenge's Nota van Inlichtingen gets a new version."""

    __tablename__ = "challenge_follower"

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    followed_at: Mapped[datetime] = mapped_column(UTCDateTime())
