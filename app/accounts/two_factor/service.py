"""Two-factor authentication: enrolment with a code from an authenticator app, the second factor at login
(each time step once, or an unused recovery code), and the recovery codes."""

from __future__ import annotations

import secrets
from datetime import datetime

import pyotp
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession, RecoveryCode, User
from app.accounts.service import LoginLimits, LoginThrottled, is_throttled, record_attempt, user_actor
from app.audit.service import record_event, record_security_event
from app.errors import DomainError, FieldError, ValidationFailed
from app.i18n import N_
from app.tokens import hash_token

RECOVERY_CODE_COUNT = 10
TOTP_ISSUER = "Defensie challengeportaal"


class InvalidCode(DomainError):
    message = N_("This code is not correct. Try again with a new code from your app or a recovery code.")


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(*, secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def _matching_counter(secret: str, code: str, now: datetime) -> int | None:
    """The time step (now, one before or one after) whose code equals ``code``, or None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for counter in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def _mark_verified(session: Session, *, session_id: int, now: datetime) -> None:
    auth = session.get(AuthSession, session_id)
    if auth is not None:
        auth.mfa_verified_at = now


def _new_recovery_codes(session: Session, *, user: User, now: datetime) -> list[str]:
    for old in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    codes = ["-".join(secrets.token_hex(2) for _ in range(3)) for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_token(code), created_at=now) for code in codes)
    return codes


def enable_totp(
    session: Session, *, user_id: int, session_id: int, secret: str, code: str, now: datetime, ip: str | None
) -> list[str]:
    """Confirm enrolment with a code from the app; returns the new recovery codes (shown once)."""
    user = session.get(User, user_id)
    assert user is not None
    counter = _matching_counter(secret, code, now) if len(secret) in range(16, 65) else None
    if counter is None:
        raise ValidationFailed([FieldError("code", InvalidCode.message)])
    user.totp_secret = secret
    user.totp_enabled_at = now
    user.totp_last_counter = counter
    codes = _new_recovery_codes(session, user=user, now=now)
    _mark_verified(session, session_id=session_id, now=now)
    record_event(
        session, actor=user_actor(user, ip), action="user.totp_enable", object_type="user", object_id=user.id, at=now
    )
    session.flush()
    return codes


def verify_second_factor(
    session: Session, *, user_id: int, session_id: int, code: str, now: datetime, ip: str | None, limits: LoginLimits
) -> None:
    """Accept a time-based code (each time step once) or an unused recovery code; failures count for throttling."""
    user = session.get(User, user_id)
    assert user is not None
    if is_throttled(session, email=user.email, ip=ip, now=now, limits=limits):
        raise LoginThrottled(minutes=int(limits.window.total_seconds() // 60))
    counter = _matching_counter(user.totp_secret, code, now) if user.totp_secret else None
    if counter is not None and (user.totp_last_counter is None or counter > user.totp_last_counter):
        user.totp_last_counter = counter
        _mark_verified(session, session_id=session_id, now=now)
        record_event(
            session, actor=user_actor(user, ip), action="user.mfa_verify", object_type="user", object_id=user.id, at=now
        )
        session.flush()
        return
    recovery = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == hash_token(code.strip().lower()),
            RecoveryCode.used_at.is_(None),
        )
    )
    if recovery is not None:
        recovery.used_at = now
        _mark_verified(session, session_id=session_id, now=now)
        record_event(
            session,
            actor=user_actor(user, ip),
            action="user.recovery_code_used",
            object_type="user",
            object_id=user.id,
            at=now,
        )
        session.flush()
        return
    record_attempt(session, email=user.email, ip=ip, now=now, success=False)
    record_security_event(
        session,
        action="security.second_factor_failed",
        actor=user_actor(user, ip),
        object_type="user",
        object_id=user.id,
        at=now,
    )
    raise InvalidCode()


def count_recovery_codes(session: Session, *, user_id: int) -> int:
    """How many unused recovery codes the user has left."""
    return (
        session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )
