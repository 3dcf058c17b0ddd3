"""Server-side sessions: start at login with a fresh token, end at logout or after idle/absolute timeouts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import AuthSession, User
from app.security.cookies import cookie_name
from app.settings import Settings
from app.tokens import hash_token, new_token

SESSION_COOKIE = "portal_session"
# Writing last_seen_at on every request would turn every page view into a write; once a minute is enough.
TOUCH_INTERVAL = timedelta(minutes=1)


def session_cookie_name(settings: Settings) -> str:
    """``portal_session``, or ``__Host-portal_session`` when the portal is served over https."""
    return cookie_name(SESSION_COOKIE, https=settings.https)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta


def start_session(
    session: Session, *, user: User, now: datetime, policy: SessionPolicy, ip: str | None, user_agent: str | None
) -> tuple[str, AuthSession]:
    """A new session with a new random token (never reuses one from before login). Returns the cookie value."""
    token = new_token()
    auth = AuthSession(
        token_hash=hash_token(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + policy.absolute,
        ip=ip,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(auth)
    session.flush()
    return token, auth


@cache
def _session_by_token() -> Select[AuthSession]:
    """One query for the session, its user and the user's roles: every request asks for them. Built once, so
    SQLAlchemy derives its cache key once rather than on every request."""
    return (
        select(AuthSession)
        .where(AuthSession.token_hash == bindparam("token_hash"))
        .options(joinedload(AuthSession.user).joinedload(User.roles))
    )


def resolve_session(session: Session, *, token: str, now: datetime, policy: SessionPolicy) -> AuthSession | None:
    """The live session for a cookie value, or None when unknown, ended, idle too long or past its end."""
    if not token or len(token) > 128:
        return None
    auth = session.scalars(_session_by_token(), {"token_hash": hash_token(token)}).unique().one_or_none()
    if auth is None or auth.ended_at is not None or not auth.user.is_active or auth.user.is_blocked:
        return None
    if now >= auth.expires_at or now - auth.last_seen_at >= policy.idle:
        return None
    return auth


def touch_session(session: Session, *, auth: AuthSession, now: datetime) -> bool:
    """Record activity (at most once a minute); returns whether a write is due. The caller commits."""
    if now - auth.last_seen_at < TOUCH_INTERVAL:
        return False
    session.execute(update(AuthSession).where(AuthSession.id == auth.id).values(last_seen_at=now))
    return True


def end_session(session: Session, *, auth: AuthSession, now: datetime) -> None:
    auth.ended_at = now
    session.flush()


def end_all_sessions(session: Session, *, user_id: int, now: datetime, except_id: int | None = None) -> None:
    """End every session of a user (after a password change or reset), optionally keeping the current one."""
    query = update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.ended_at.is_(None))
    if except_id is not None:
        query = query.where(AuthSession.id != except_id)
    session.execute(query.values(ended_at=now))
