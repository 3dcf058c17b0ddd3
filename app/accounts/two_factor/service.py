"""Two-factor authentication: enrolment with a code from an authenticator app, the second factor at login
(each time step once, or an unused recovery code, even when two requests race), and the recovery codes.

The secret is made on the server (``sealing.SecretBox``), never taken from the browser, and kept encrypted.
Wrong codes count on their own (see ``app.accounts.throttling``): per login and per account per hour.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import pyotp
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from app.accounts import throttling
from app.accounts.models import AuthSession, RecoveryCode, User
from app.accounts.service import LoginThrottled, user_actor
from app.accounts.throttling import LoginLimits
from app.accounts.two_factor.sealing import SecretBox
from app.audit.service import record_event, record_security_event
from app.errors import DomainError, FieldError, ValidationFailed
from app.i18n import N_
from app.tokens import hash_token

RECOVERY_CODE_COUNT = 10
TOTP_ISSUER = "Defensie challengeportaal"


class InvalidCode(DomainError):
    message = N_("This code is not correct. Try again with a new code from your app or a recovery code.")


class SecondFactorEnded(DomainError):
    message = N_("Too many wrong codes. This login has ended: log in again with your password.")


def totp_uri(*, secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def enrolment_secret(auth: AuthSession, *, box: SecretBox) -> str:
    """The secret offered to this login session for enrolment: the same on every reload, made on the server."""
    return box.enrolment_secret(f"{auth.user_id}:{auth.token_hash}")


def secret_of(user: User, *, box: SecretBox) -> str | None:
    """The user's authenticator secret: opened from its sealed form, or a plain one from before sealing."""
    if user.totp_secret_sealed:
        return box.open(user.totp_secret_sealed)
    return user.totp_secret


def seal_secret(user: User, secret: str, *, box: SecretBox) -> None:
    user.totp_secret_sealed = box.seal(secret)
    user.totp_secret = None


def seal_plain_secrets(session: Session, *, box: SecretBox) -> int:
    """Encrypt every secret still stored plain (from before encryption); returns how many. The caller commits."""
    users = list(session.scalars(select(User).where(User.totp_secret.is_not(None))))
    for user in users:
        seal_secret(user, user.totp_secret or "", box=box)
    session.flush()
    return len(users)


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
    session: Session, *, user_id: int, session_id: int, code: str, now: datetime, ip: str | None, box: SecretBox
) -> list[str]:
    """Confirm enrolment with a code for the secret this session was offered; returns the new recovery codes."""
    user = session.get(User, user_id)
    auth = session.get(AuthSession, session_id)
    assert user is not None and auth is not None
    secret = enrolment_secret(auth, box=box)
    counter = _matching_counter(secret, code, now)
    if counter is None:
        raise ValidationFailed([FieldError("code", InvalidCode.message)])
    seal_secret(user, secret, box=box)
    user.totp_enabled_at = now
    user.totp_last_counter = counter
    codes = _new_recovery_codes(session, user=user, now=now)
    _mark_verified(session, session_id=session_id, now=now)
    record_event(
        session, actor=user_actor(user, ip), action="user.totp_enable", object_type="user", object_id=user.id, at=now
    )
    session.flush()
    return codes


def _claim_time_step(session: Session, *, user: User, code: str, now: datetime, box: SecretBox) -> bool:
    """Use the code's time step, once: the conditional update lets only one of two racing requests win."""
    secret = secret_of(user, box=box)
    counter = _matching_counter(secret, code, now) if secret else None
    if counter is None:
        return False
    claimed = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_counter.is_(None), User.totp_last_counter < counter))
        .values(totp_last_counter=counter)
        .execution_options(synchronize_session=False)
    )
    session.expire(user, ["totp_last_counter"])
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def _claim_recovery_code(session: Session, *, user: User, code: str, now: datetime) -> bool:
    """Use an unused recovery code, once (the same conditional update as for time steps)."""
    claimed = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == hash_token(code.strip().lower()),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def _count_failure(
    session: Session, *, user: User, session_id: int, now: datetime, ip: str | None, limits: LoginLimits
) -> None:
    """A wrong code: counted for the account's hour and for this login, which ends at its limit; in the audit
    trail (never the code)."""
    throttling.record_attempt(session, email=user.email, ip=ip, now=now, success=False, kind=throttling.SECOND_FACTOR)
    record_security_event(
        session,
        action="security.second_factor_failed",
        actor=user_actor(user, ip),
        object_type="user",
        object_id=user.id,
        at=now,
    )
    session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id)
        .values(mfa_failures=AuthSession.mfa_failures + 1)
        .execution_options(synchronize_session=False)
    )
    failures = session.scalar(select(AuthSession.mfa_failures).where(AuthSession.id == session_id)) or 0
    if failures >= limits.second_factor_per_login:
        session.execute(
            update(AuthSession)
            .where(AuthSession.id == session_id, AuthSession.ended_at.is_(None))
            .values(ended_at=now)
            .execution_options(synchronize_session=False)
        )
        raise SecondFactorEnded()


def verify_second_factor(
    session: Session,
    *,
    user_id: int,
    session_id: int,
    code: str,
    now: datetime,
    ip: str | None,
    limits: LoginLimits,
    box: SecretBox,
) -> None:
    """Accept a time-based code (each time step once) or an unused recovery code.

    Raises LoginThrottled (the account's hourly limit of wrong codes), InvalidCode (counted), or
    SecondFactorEnded (this login's limit reached: the session is ended). The caller commits in every case.
    """
    user = session.get(User, user_id)
    assert user is not None
    if not user.totp_enabled:
        raise InvalidCode()
    wait = throttling.second_factor_wait(session, email=user.email, now=now, limits=limits)
    if wait:
        raise LoginThrottled(seconds=wait)
    if _claim_time_step(session, user=user, code=code, now=now, box=box):
        action = "user.mfa_verify"
    elif _claim_recovery_code(session, user=user, code=code, now=now):
        action = "user.recovery_code_used"
    else:
        _count_failure(session, user=user, session_id=session_id, now=now, ip=ip, limits=limits)
        raise InvalidCode()
    if user.totp_secret and not user.totp_secret_sealed:
        seal_secret(user, user.totp_secret, box=box)
    _mark_verified(session, session_id=session_id, now=now)
    record_event(session, actor=user_actor(user, ip), action=action, object_type="user", object_id=user.id, at=now)
    session.flush()


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


def clear_second_factor(session: Session, *, user: User) -> None:
    """Forget the user's authenticator and recovery codes: staff must enrol again at their next login.
    Only the administrators' four-eyes reset calls this; the caller ends the user's sessions and audits."""
    user.totp_secret = None
    user.totp_secret_sealed = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()
