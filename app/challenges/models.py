"""Challenge tables: the challenge, its definition versions, stages with their times, and taxonomy tags."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.challenges.enums import ChallengeStatus
from app.database import Base, JSONType, UTCDateTime


class TaxonomyTerm(Base):
    __tablename__ = "taxonomy_term"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    name_nl: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_nl


class Challenge(Base):
    __tablename__ = "challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=ChallengeStatus.DRAFT.value)
    # Copies of the current version's titles and summaries, so lists and searches need no JSON.
    title_nl: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    summary_nl: Mapped[str] = mapped_column(Text)
    summary_en: Mapped[str] = mapped_column(Text)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # When it was cancelled (shown with the reason on the public pages and in the API).
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    versions: Mapped[list[ChallengeVersion]] = relationship(
        back_populates="challenge", order_by="ChallengeVersion.number", cascade="all, delete-orphan"
    )
    stages: Mapped[list[ChallengeStage]] = relationship(
        back_populates="challenge", order_by="ChallengeStage.position", cascade="all, delete-orphan"
    )
    tags: Mapped[list[TaxonomyTerm]] = relationship(secondary="challenge_tag", order_by="TaxonomyTerm.position")

    @property
    def is_cancelled(self) -> bool:
        return self.status == ChallengeStatus.CANCELLED.value

    def title(self, language: str) -> str:
        return self.title_en if language == "en" else self.title_nl

    def summary(self, language: str) -> str:
        return self.summary_en if language == "en" else self.summary_nl


class ChallengeVersion(Base):
    """An immutable snapshot of a challenge definition; a correction after publication adds one."""

    __tablename__ = "challenge_version"
    __table_args__ = (UniqueConstraint("challenge_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # Deferred: loaded only when a process has not parsed this content hash yet (service.version_definition).
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType, deferred=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    challenge: Mapped[Challenge] = relationship(back_populates="versions")


class ChallengeStage(Base):
    """A stage's times in UTC; the authoritative deadline (an extension changes it here)."""

    __tablename__ = "challenge_stage"
    __table_args__ = (UniqueConstraint("challenge_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    question_deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    invitation_only: Mapped[bool] = mapped_column(Boolean, default=False)

    challenge: Mapped[Challenge] = relationship(back_populates="stages")

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.deadline_at


class ChallengeTag(Base):
    __tablename__ = "challenge_tag"

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("taxonomy_term.id", ondelete="RESTRICT"), primary_key=True)


class ChallengeCoordinator(Base):
    """A coordinator assigned to a challenge; coordinators manage only the challenges they are assigned to."""

    __tablename__ = "challenge_coordinator"

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
