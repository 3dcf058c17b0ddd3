"""A proposition without a challenge, its optional document and its messages."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import Base, UTCDateTime
from app.proposals.propositions.enums import PropositionStatus


class Proposition(Base):
    __tablename__ = "proposition"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(200))
    effect: Mapped[str] = mapped_column(String(1000))
    nld_term_id: Mapped[int] = mapped_column(ForeignKey("taxonomy_term.id", ondelete="RESTRICT"), index=True)
    # The organisation's regional team when it was sent ("sent from"; it stays). Who triages it and the figures go
    # by its region tags (``PropositionRegion``), which start with this team.
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id", ondelete="SET NULL"), nullable=True)
    trl: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PropositionStatus.SUBMITTED.value, index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    referred_challenge_id: Mapped[int | None] = mapped_column(
        ForeignKey("challenge.id", ondelete="SET NULL"), nullable=True
    )
    programme_term_id: Mapped[int | None] = mapped_column(
        ForeignKey("taxonomy_term.id", ondelete="RESTRICT"), nullable=True
    )
    # The optional document: checked like every upload, stored by its SHA-256.
    document_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    document_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    document_kind: Mapped[str | None] = mapped_column(String(8), nullable=True)
    document_size: Mapped[int | None] = mapped_column(Integer, nullable=True)

    messages: Mapped[list[PropositionMessage]] = relationship(
        back_populates="proposition", cascade="all, delete-orphan", order_by="PropositionMessage.id"
    )


class PropositionRegion(Base):
    """A region tag of a proposition: the coordinators of that regional team triage it, and the dashboards'
    region filter counts it. A proposition may carry none (then only its NLD-gebied decides who triages it)."""

    __tablename__ = "proposition_region"

    proposition_id: Mapped[int] = mapped_column(ForeignKey("proposition.id", ondelete="CASCADE"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id", ondelete="RESTRICT"), primary_key=True, index=True)


class PropositionMessage(Base):
    """A message on a proposition: a triage step's explanation, a coordinator's note or the company's reply."""

    __tablename__ = "proposition_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposition_id: Mapped[int] = mapped_column(ForeignKey("proposition.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    from_company: Mapped[bool] = mapped_column(default=False)
    # The triage step this message came with ("refer", "decline", ...), or None for a plain message.
    step: Mapped[str | None] = mapped_column(String(16), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    proposition: Mapped[Proposition] = relationship(back_populates="messages")
