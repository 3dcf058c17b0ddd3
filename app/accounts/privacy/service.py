"""An account's personal data: what the owner downloads about the account itself, and its anonymisation.

Anonymising keeps the row and its id (the audit trail, proposals and questions point at it and are not
rewritten); it replaces the name and e-mail address with a placeholder that reveals nothing (random, not derived
from the old address), clears the password and the second factor, ends every session and link.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession, LoginAttempt, OneTimeToken, RecoveryCode, User
from app.notifications.models import OutboxMessage

DELETED_DOMAIN = "deleted.invalid"
# Not an Argon2 hash: no password ever verifies against it.
UNUSABLE_PASSWORD = "!deleted"  # noqa: S105 - a marker, not a password


def account_data(user: User) -> dict[str, Any]:
    """The account as its owner may read it: never a password hash, an authenticator secret or a token."""
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "language": user.language,
        "created_at": user.created_at.isoformat(),
        "email_confirmed_at": user.email_confirmed_at.isoformat() if user.email_confirmed_at else None,
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
        "two_factor_enabled": user.totp_enabled,
        "staff_roles": sorted(user.role_names),
    }


def session_data(session: Session, *, user_id: int) -> list[dict[str, Any]]:
    """The account's logins: when, from where, with what browser."""
    rows = session.scalars(select(AuthSession).where(AuthSession.user_id == user_id).order_by(AuthSession.id))
    return [
        {
            "created_at": row.created_at.isoformat(),
            "last_seen_at": row.last_seen_at.isoformat(),
            "ended_at": row.ended_at.isoformat() if row.ended_at else None,
            "ip": row.ip,
            "user_agent": row.user_agent,
        }
        for row in rows
    ]


def placeholder_email() -> str:
    return f"deleted-{secrets.token_hex(12)}@{DELETED_DOMAIN}"


def anonymise_account(session: Session, *, user: User, now: datetime) -> None:
    """Replace the personal data of the account; remove its sessions, login attempts, links, recovery codes,
    staff roles and the e-mails to it in the outbox (sent or not: their text names the person, and nothing more is
    to reach an address that is no longer the account's)."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.email == user.email))
    session.execute(
        delete(OutboxMessage).where(or_(OutboxMessage.user_id == user.id, OutboxMessage.to_address == user.email))
    )
    user.name = ""
    user.email = placeholder_email()
    user.password_hash = UNUSABLE_PASSWORD
    user.totp_secret = None
    user.totp_secret_sealed = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    user.is_active = False
    user.deleted_at = now
    user.roles = []
    # Ended and gone: a session's address and browser are personal data too.
    session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    session.execute(delete(OneTimeToken).where(OneTimeToken.user_id == user.id))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()
