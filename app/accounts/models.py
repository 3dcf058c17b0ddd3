"""Users, their staff roles, server-side sessions, one-time tokens, login attempts and recovery codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.enums import AccountStatus
from app.database import Base, JSONType, UTCDateTime


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(2), default="nl")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Active or blocked by an administrator (``ACCOUNT_MACHINE``): a blocked account cannot log in or use a session.
    status: Mapped[str] = mapped_column(String(10), default=AccountStatus.ACTIVE.value, server_default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set when the owner deleted the account: name and e-mail address are then placeholders, the id stays.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Time-based one-time codes: the shared secret, encrypted under a key derived from the secret key
    # (``totp_secret_sealed``; ``totp_secret`` holds only a plain secret from before encryption, until it is
    # sealed), and when enrolment was confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_secret_sealed: Mapped[str | None] = mapped_column(String(255), nullable=True)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    totp_last_counter: Mapped[int | None] = mapped_column(Integer, nullable=True)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", foreign_keys="UserRole.user_id"
    )

    @property
    def role_names(self) -> frozenset[str]:
        return frozenset(role.role for role in self.roles)

    @property
    def is_staff(self) -> bool:
        return bool(self.roles)

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_blocked(self) -> bool:
        return self.status == AccountStatus.BLOCKED.value


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)

    user: Mapped[User] = relationship(back_populates="roles", foreign_keys=[user_id])


class AuthSession(Base):
    """A login: the cookie holds a random token, the database only its SHA-256."""

    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set once the second factor was given in this session (always for staff before staff pages).
    mfa_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Wrong second-factor codes given in this session (the login ends at the limit).
    mfa_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    acting_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), nullable=True
    )
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)

    user: Mapped[User] = relationship(lazy="joined")


class OneTimeToken(Base):
    """E-mail confirmation and password reset links: stored hashed, single use, expiring."""

    __tablename__ = "one_time_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(30))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class LoginAttempt(Base):
    """Failed and successful logins, counted per account and source (``ip``: the address, IPv6 per /64) for
    throttling across processes; ``kind`` tells the password from the second factor."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "attempted_at"),
        Index("ix_login_attempt_ip_at", "ip", "attempted_at"),
        Index("ix_login_attempt_attempted_at", "attempted_at"),  # the old ones forgotten (throttling)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    success: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[str] = mapped_column(String(20), default="password", server_default="password")


class RecoveryCode(Base):
    """Single-use codes for when the authenticator is lost; stored hashed."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuthVersion(Base):
    """Row 1 holds a counter that SQLite's triggers raise with every change to sessions, accounts and roles
    (migration 0040): a SQLite portal's workers keep their session lookups while it stands still
    (``app.accounts.session_cache``). Nothing in the application writes it; on PostgreSQL it stays still."""

    __tablename__ = "auth_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
