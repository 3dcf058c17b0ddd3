"""Account use cases: register, confirm, log in and out, reset and change passwords (two-factor: ``two_factor``).

No function here tells an outsider whether an address has an account: registration, confirmation
requests and reset requests behave the same for known and unknown addresses, and a login checks a
password against a dummy hash when the address is unknown.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts import mail_throttle, passwords, sessions, throttling
from app.accounts.enums import TokenPurpose
from app.accounts.models import AuthSession, OneTimeToken, User
from app.accounts.preferences.service import language_for
from app.accounts.throttling import LoginLimits
from app.audit.service import Actor, record_event, record_security_event
from app.errors import DomainError, FieldError, ValidationFailed
from app.i18n import N_
from app.links import Links
from app.notifications.service import queue_email
from app.tokens import hash_token, new_token

CONFIRM_TTL = timedelta(hours=48)
RESET_TTL = timedelta(hours=1)


class InvalidCredentials(DomainError):
    message = N_("The e-mail address or password is not correct.")


class LoginThrottled(DomainError):
    message = N_("Too many failed attempts from your connection. Try again in %(seconds)s seconds.")


class EmailNotConfirmed(DomainError):
    message = N_("Confirm your e-mail address first. Use the link in the e-mail we sent you, or ask for a new link.")


class AccountBlocked(DomainError):
    message = N_("Your account has been blocked by an administrator. Contact the portal's administrators.")


class LinkInvalid(DomainError):
    message = N_("This link has expired or has already been used.")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_actor(user: User | None, ip: str | None, email: str = "") -> Actor:
    return Actor(user_id=user.id if user else None, label=user.email if user else (email or "anonymous"), ip=ip)


def get_user_by_email(session: Session, *, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


# --- one-time tokens ------------------------------------------------------------------------------


def _issue_token(session: Session, *, user: User, purpose: TokenPurpose, now: datetime, ttl: timedelta) -> str:
    token = new_token()
    session.add(
        OneTimeToken(
            purpose=purpose.value,
            token_hash=hash_token(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + ttl,
            data={},
        )
    )
    session.flush()
    return token


def _valid_token(session: Session, *, token: str, purpose: TokenPurpose, now: datetime) -> OneTimeToken:
    if not token or len(token) > 128:
        raise LinkInvalid()
    row = session.scalar(
        select(OneTimeToken).where(OneTimeToken.token_hash == hash_token(token), OneTimeToken.purpose == purpose.value)
    )
    if row is None or row.used_at is not None or now >= row.expires_at:
        raise LinkInvalid()
    return row


def _send_confirmation(session: Session, *, user: User, now: datetime, links: Links) -> None:
    token = _issue_token(session, user=user, purpose=TokenPurpose.CONFIRM_EMAIL, now=now, ttl=CONFIRM_TTL)
    queue_email(
        session,
        to=user.email,
        template="confirm_email",
        language=language_for(user),
        context={
            "name": user.name,
            "link": links.url("confirm_email", token=token),
            "hours": int(CONFIRM_TTL.total_seconds() // 3600),
        },
        now=now,
        user_id=user.id,
    )


# --- registration and confirmation ----------------------------------------------------------------


def register(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    language: str,
    now: datetime,
    ip: str | None,
    links: Links,
) -> User | None:
    """Create an account and queue a confirmation e-mail; returns None when the address already exists.

    An existing unconfirmed account gets a fresh confirmation link; a confirmed one gets nothing. The
    caller shows the same page in every case.
    """
    email = normalise_email(email)
    admitted = mail_throttle.admit(session, kind=mail_throttle.REGISTER, email=email, ip=ip, now=now)
    password_hash = passwords.hash_password(password)  # hashed in every case: the same time either way
    existing = get_user_by_email(session, email=email)
    if existing is not None:
        if existing.email_confirmed_at is None and existing.is_active and admitted:
            _send_confirmation(session, user=existing, now=now, links=links)
        return None
    user = User(
        email=email,
        name=name.strip(),
        password_hash=password_hash,
        language=language,
        is_active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    record_event(
        session, actor=user_actor(user, ip), action="user.register", object_type="user", object_id=user.id, at=now
    )
    if admitted:
        _send_confirmation(session, user=user, now=now, links=links)
    return user


def request_confirmation(session: Session, *, email: str, now: datetime, links: Links, ip: str | None = None) -> None:
    """Send a new confirmation link when the address has an unconfirmed account; otherwise do nothing.
    Raises TooManyRequests for a source past its allowance; an address past its own gets nothing more."""
    admitted = mail_throttle.admit(session, kind=mail_throttle.CONFIRM, email=email, ip=ip, now=now)
    user = get_user_by_email(session, email=email)
    if admitted and user is not None and user.is_active and user.email_confirmed_at is None:
        _send_confirmation(session, user=user, now=now, links=links)


def confirm_email(session: Session, *, token: str, now: datetime, ip: str | None) -> User:
    """Use a confirmation link once; raises LinkInvalid when it is unknown, used or expired."""
    row = _valid_token(session, token=token, purpose=TokenPurpose.CONFIRM_EMAIL, now=now)
    row.used_at = now
    user = session.get(User, row.user_id)
    assert user is not None
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
        record_event(
            session,
            actor=user_actor(user, ip),
            action="user.confirm_email",
            object_type="user",
            object_id=user.id,
            at=now,
        )
    session.flush()
    return user


# --- login, throttling, logout --------------------------------------------------------------------


def _throttle_password(session: Session, *, email: str, ip: str | None, now: datetime, limits: LoginLimits) -> None:
    """Raises LoginThrottled while this source must wait before trying this account again."""
    wait = throttling.password_wait(session, email=email, source=throttling.throttle_source(ip), now=now, limits=limits)
    if wait:
        raise LoginThrottled(seconds=wait)


def _password_failed(
    session: Session, *, email: str, ip: str | None, now: datetime, user_id: int | None
) -> InvalidCredentials:
    """Count a wrong password (or unknown address) for this account and source, and put it in the audit trail
    (the address as typed, never the password)."""
    throttling.record_attempt(session, email=email, ip=ip, now=now, success=False)
    record_security_event(
        session,
        action="security.login_failed",
        actor=Actor(user_id=None, label="anonymous", ip=ip),
        object_type="user",
        object_id=user_id if user_id is not None else "unknown",
        at=now,
        email=email,
    )
    return InvalidCredentials()


def authenticate(
    session: Session, *, email: str, password: str, ip: str | None, now: datetime, limits: LoginLimits
) -> User:
    """The user for a correct address and password.

    Raises LoginThrottled (while this source must wait, even for the right password: the password is not
    checked then), InvalidCredentials (the same for an unknown address and a wrong password; recorded as a
    failure for the account and the source), EmailNotConfirmed or AccountBlocked (only after a correct password). The
    caller commits in every case so failures count.
    """
    email = normalise_email(email)
    _throttle_password(session, email=email, ip=ip, now=now, limits=limits)
    user = get_user_by_email(session, email=email)
    ok = passwords.verify_password(user.password_hash if user else passwords.DUMMY_HASH, password)
    if user is None or not ok or not user.is_active:
        raise _password_failed(session, email=email, ip=ip, now=now, user_id=user.id if user else None)
    if user.email_confirmed_at is None:
        raise EmailNotConfirmed()
    if user.is_blocked:  # said only to whoever knows the password
        raise AccountBlocked()
    throttling.record_attempt(session, email=email, ip=ip, now=now, success=True)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def log_in(
    session: Session,
    *,
    user: User,
    now: datetime,
    policy: sessions.SessionPolicy,
    ip: str | None,
    user_agent: str | None,
    previous_session_id: int | None,
) -> str:
    """Start a new session (ending the one from before, if any); returns the cookie value."""
    if previous_session_id is not None:
        previous = session.get(AuthSession, previous_session_id)
        if previous is not None and previous.ended_at is None:
            sessions.end_session(session, auth=previous, now=now)
    token, auth = sessions.start_session(session, user=user, now=now, policy=policy, ip=ip, user_agent=user_agent)
    user.last_login_at = now
    record_event(
        session,
        actor=user_actor(user, ip),
        action="user.login",
        object_type="user",
        object_id=user.id,
        at=now,
        data={"session": auth.id},
    )
    return token


def log_out(session: Session, *, session_id: int, now: datetime, ip: str | None) -> None:
    auth = session.get(AuthSession, session_id)
    if auth is None or auth.ended_at is not None:
        return
    sessions.end_session(session, auth=auth, now=now)
    record_event(
        session,
        actor=user_actor(auth.user, ip),
        action="user.logout",
        object_type="user",
        object_id=auth.user_id,
        at=now,
        data={"session": auth.id},
    )


# --- password reset and change --------------------------------------------------------------------


def new_password_errors(password: str, confirmation: str, *, email: str = "") -> list[FieldError]:
    """Problems with a new password and its repetition, as field errors."""
    problem = passwords.password_problem(password, email=email)
    if problem:
        return [FieldError("password", problem)]
    if password != confirmation:
        return [FieldError("password_confirm", N_("The two passwords are not the same."))]
    return []


def end_reset_links(
    session: Session, *, user_id: int, now: datetime, purpose: TokenPurpose = TokenPurpose.RESET_PASSWORD
) -> None:
    """Every unused link of the user for ``purpose`` stops working (for a reset: a newer link, a reset or a password
    change; for an e-mail change: a newer request or the change)."""
    session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user_id,
            OneTimeToken.purpose == purpose.value,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def _claim_token(session: Session, *, row: OneTimeToken, now: datetime) -> None:
    """Use a link once: of two requests racing with the same link, only one gets past this update."""
    claimed = session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.id == row.id, OneTimeToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkInvalid()


def request_password_reset(session: Session, *, email: str, now: datetime, links: Links, ip: str | None = None) -> None:
    """Queue a reset link when the address has an active account; otherwise do nothing (same answer).

    Only the newest link works: the ones sent before end here. Raises TooManyRequests for a source past its
    allowance; an address past its own gets nothing more (the same answer again)."""
    admitted = mail_throttle.admit(session, kind=mail_throttle.RESET, email=email, ip=ip, now=now)
    user = get_user_by_email(session, email=email)
    if not admitted or user is None or not user.is_active or user.is_blocked:
        return
    end_reset_links(session, user_id=user.id, now=now)
    token = _issue_token(session, user=user, purpose=TokenPurpose.RESET_PASSWORD, now=now, ttl=RESET_TTL)
    queue_email(
        session,
        to=user.email,
        template="reset_password",
        language=language_for(user),
        context={
            "name": user.name,
            "link": links.url("password_reset", token=token),
            "minutes": int(RESET_TTL.total_seconds() // 60),
        },
        now=now,
        user_id=user.id,
    )


def check_reset_link(session: Session, *, token: str, now: datetime) -> None:
    """Raises LinkInvalid when the reset link cannot be used (any more), or its account is blocked."""
    row = _valid_token(session, token=token, purpose=TokenPurpose.RESET_PASSWORD, now=now)
    user = session.get(User, row.user_id)
    if user is None or user.is_blocked:
        raise LinkInvalid()


def reset_password(
    session: Session, *, token: str, password: str, confirmation: str, now: datetime, ip: str | None
) -> User:
    """Set a new password through a reset link; uses the link (once, even under concurrency), ends every
    other reset link and every session of the user."""
    row = _valid_token(session, token=token, purpose=TokenPurpose.RESET_PASSWORD, now=now)
    user = session.get(User, row.user_id)
    assert user is not None
    if user.is_blocked:
        raise LinkInvalid()
    errors = new_password_errors(password, confirmation, email=user.email)
    if errors:
        raise ValidationFailed(errors)
    _claim_token(session, row=row, now=now)
    end_reset_links(session, user_id=user.id, now=now)
    user.password_hash = passwords.hash_password(password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now  # the link arrived by e-mail, so the address works
    sessions.end_all_sessions(session, user_id=user.id, now=now)
    record_event(
        session, actor=user_actor(user, ip), action="user.password_reset", object_type="user", object_id=user.id, at=now
    )
    session.flush()
    return user


def change_password(
    session: Session,
    *,
    user_id: int,
    current: str,
    password: str,
    confirmation: str,
    keep_session_id: int,
    now: datetime,
    ip: str | None,
) -> None:
    """Change the password after checking the current one; ends every other session of the user."""
    user = session.get(User, user_id)
    assert user is not None
    if not passwords.verify_password(user.password_hash, current):
        raise ValidationFailed([FieldError("current_password", N_("Your current password is not correct."))])
    errors = new_password_errors(password, confirmation, email=user.email)
    if errors:
        raise ValidationFailed(errors)
    user.password_hash = passwords.hash_password(password)
    sessions.end_all_sessions(session, user_id=user.id, now=now, except_id=keep_session_id)
    end_reset_links(session, user_id=user.id, now=now)
    record_event(
        session,
        actor=user_actor(user, ip),
        action="user.password_change",
        object_type="user",
        object_id=user.id,
        at=now,
    )
    session.flush()


def change_name(session: Session, *, user_id: int, name: str, now: datetime, ip: str | None) -> None:
    user = session.get(User, user_id)
    assert user is not None
    old = user.name
    user.name = name.strip()
    record_event(
        session,
        actor=user_actor(user, ip),
        action="user.name_change",
        object_type="user",
        object_id=user.id,
        at=now,
        data={"old": old, "new": user.name},
    )
    session.flush()
