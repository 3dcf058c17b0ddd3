"""Proposal tables: the working copy (draft), its documents, and immutable submitted versions.

Documents live in the blob store, named by their SHA-256; ``blob`` rows record what is stored so that a
blob is removed only when no draft and no version refers to it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import Base, JSONType, UTCDateTime
from app.proposals.enums import PartnerStatus, ProposalStatus
from app.proposals.references import new_reference


class Blob(Base):
    """A stored file, content-addressed: written and synced before any row pointing to it is committed."""

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Proposal(Base):
    """One organisation's proposal for one challenge stage: a working copy plus the versions it submitted."""

    __tablename__ = "proposal"
    __table_args__ = (UniqueConstraint("stage_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The proposal number shown to companies, on receipts and in exports: random, so that it says nothing
    # about how many proposals a challenge has (see app.proposals.references). Proposals from before it was
    # random keep their sequential one (P-000123), which their receipts carry.
    reference: Mapped[str] = mapped_column(String(16), unique=True, default=new_reference)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="RESTRICT"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("challenge_stage.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=ProposalStatus.DRAFT.value, index=True)
    # The working copy as typed: answers, claimed TRL, lead, partners (see drafts.schemas.ProposalDraft).
    draft: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # The challenge version the working copy answers.
    challenge_version: Mapped[int] = mapped_column(Integer, default=1)
    version_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set when a stage invites this organisation (invitation-only stages); the draft then exists before any user.
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set by a correction of the challenge after this proposal was submitted; cleared by re-confirming or amending.
    reconfirmation_required_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set by the evaluation when the decision on this proposal is released: the company's page links to it.
    decision_released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    documents: Mapped[list[ProposalDocument]] = relationship(
        back_populates="proposal", order_by="ProposalDocument.question_key", cascade="all, delete-orphan"
    )
    versions: Mapped[list[ProposalVersion]] = relationship(
        back_populates="proposal", order_by="ProposalVersion.number", cascade="all, delete-orphan"
    )


class ProposalDocument(Base):
    """A document in the working copy, one per document question."""

    __tablename__ = "proposal_document"
    __table_args__ = (UniqueConstraint("proposal_id", "question_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256", ondelete="RESTRICT"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))
    pages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )

    proposal: Mapped[Proposal] = relationship(back_populates="documents")


class ProposalVersion(Base):
    """A submitted version: immutable (the database refuses updates), with the receipt hash over its content."""

    __tablename__ = "proposal_version"
    __table_args__ = (UniqueConstraint("proposal_id", "number"), UniqueConstraint("proposal_id", "idempotency_key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    challenge_version: Mapped[int] = mapped_column(Integer)
    # Answers, consortium, claimed TRL, declarations and document hashes, exactly as the receipt covers them.
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    receipt_hash: Mapped[str] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    # The submit form's one-time key: a double click or a resent form finds the version already made.
    idempotency_key: Mapped[str] = mapped_column(String(64))

    proposal: Mapped[Proposal] = relationship(back_populates="versions")
    documents: Mapped[list[ProposalVersionDocument]] = relationship(
        order_by="ProposalVersionDocument.question_key", cascade="all, delete-orphan"
    )


class ProposalVersionDocument(Base):
    __tablename__ = "proposal_version_document"

    version_id: Mapped[int] = mapped_column(ForeignKey("proposal_version.id", ondelete="CASCADE"), primary_key=True)
    question_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256", ondelete="RESTRICT"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))
    pages: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ProposalPartner(Base):
    """A registered organisation named as a partner on a proposal, and its answer (``PARTNER_MACHINE``).

    One row per proposal and organisation, kept when the lead removes the partner: naming it again asks it
    again and counts the naming, so an organisation cannot be named (and e-mailed) on one proposal without end.
    Partners that are not registered in the portal have no row: there is nobody to ask.
    """

    __tablename__ = "proposal_partner"
    __table_args__ = (UniqueConstraint("proposal_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=PartnerStatus.ASKED.value)
    named_at: Mapped[datetime] = mapped_column(UTCDateTime())
    named_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    # How often the lead named this organisation on this proposal (each naming e-mails its members once).
    naming_count: Mapped[int] = mapped_column(Integer, default=1)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The partner's optional reason for declining, shown to the lead.
    reason: Mapped[str] = mapped_column(String(1000), default="")
    # When the lead's members were e-mailed about a refusal; once per naming, however often the answer changes.
    lead_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
