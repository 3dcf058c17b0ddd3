"""Organisations (companies, knowledge institutions), their members and invitations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import Base, UTCDateTime
from app.organisations.enums import DisputeStatus, MemberRole, OrganisationStatus, SecurityStatus


class Organisation(Base):
    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("country", "registry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(300))
    # Dutch organisations: the 8-digit KvK number, kept as text. Others: country and registry id.
    kvk_number: Mapped[str | None] = mapped_column(String(8), unique=True, nullable=True)
    country: Mapped[str] = mapped_column(String(2), default="NL")
    registry_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    is_sme: Mapped[bool] = mapped_column(Boolean, default=True)
    # Ownership and control (essential security interests): "independent" or "group" (Ownership); None when
    # never declared. With "group", the ultimate parent's name and country are given.
    ownership: Mapped[str | None] = mapped_column(String(12), nullable=True)
    parent_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    parent_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    security_status: Mapped[str] = mapped_column(String(20), default=SecurityStatus.NONE.value)
    facility_clearance_level: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # The province (ISO 3166-2 code, "NL-ZH"): chosen by the organisation (``province_chosen``) or derived from
    # the postcode (app/organisations/regions/postcodes.csv); None abroad or when the postcode is unknown.
    province: Mapped[str | None] = mapped_column(String(5), nullable=True, index=True)
    province_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    # Has the organisation worked for Defence before (answered False) or not (True); None: registered before
    # the question was asked.
    new_to_defence: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    # Verified by an administrator or not (ORGANISATION_MACHINE); a registration number is not proof.
    status: Mapped[str] = mapped_column(
        "verification_status", String(16), default=OrganisationStatus.UNVERIFIED.value, index=True
    )
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation", cascade="all, delete-orphan")


class Membership(Base):
    __tablename__ = "membership"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(10), default=MemberRole.MEMBER.value)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class Invitation(Base):
    """An invitation to join an organisation, sent by e-mail; the link carries a token stored hashed."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OrganisationDispute(Base):
    """Someone says the organisation registered under a number is theirs (DISPUTE_MACHINE); administrators decide."""

    __tablename__ = "organisation_dispute"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    claimant_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    claimed_name: Mapped[str] = mapped_column(String(300))
    explanation: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DisputeStatus.OPEN.value, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    resolution_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    organisation: Mapped[Organisation] = relationship()
