"""Server-side sessions: start at login with a fresh token, end at logout or after idle/absolute timeouts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, inspect, select, update
from sqlalchemy.orm import Session, configure_mappers, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import AuthSession, User, UserRole
from app.commits import UNWATCHED
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


# Never read by a request's session lookup: the request's user carries no password hash or second-factor secret
# (the services that check them read the account themselves), and a cached lookup keeps none in memory.
SECRET_COLUMNS = frozenset({"password_hash", "totp_secret", "totp_secret_sealed"})


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """What a session cookie's lookup reads: the session's, its user's and the user's roles' column values, as
    plain values (``auth_from`` makes the objects). Never changed after it is read: a cache may keep it."""

    session: dict[str, Any]
    user: dict[str, Any]
    roles: tuple[dict[str, Any], ...]

    @property
    def user_id(self) -> int:
        return int(self.session["user_id"])


@dataclass(frozen=True)
class _Shape:
    statement: Select[Any]
    session_keys: tuple[str, ...]
    user_keys: tuple[str, ...]
    role_keys: tuple[str, ...]


def _attribute_keys(model: type[Any], columns: list[Any]) -> tuple[str, ...]:
    mapper = inspect(model)
    return tuple(mapper.get_property_by_column(column).key for column in columns)


@cache
def _shape() -> _Shape:
    """One statement for the session, its user and the user's roles (one row per role), selecting plain columns:
    no ORM loading on nearly every request (a third of the lookup's cost). Built once."""
    session_table = cast(Table, AuthSession.__table__)
    user_table = cast(Table, User.__table__)
    role_table = cast(Table, UserRole.__table__)
    session_columns = list(session_table.c)
    user_columns = [column for column in user_table.c if column.key not in SECRET_COLUMNS]
    role_columns = list(role_table.c)
    statement = (
        select(*session_columns, *user_columns, *role_columns)
        .select_from(
            session_table.join(user_table, user_table.c.id == session_table.c.user_id).outerjoin(
                role_table, role_table.c.user_id == user_table.c.id
            )
        )
        .where(session_table.c.token_hash == bindparam("token_hash"))
        .order_by(role_table.c.role)
    )
    return _Shape(
        statement,
        _attribute_keys(AuthSession, session_columns),
        _attribute_keys(User, user_columns),
        _attribute_keys(UserRole, role_columns),
    )


def read_record(session: Session, *, token_hash: str) -> SessionRecord | None:
    """The session whose token hashes to ``token_hash`` as read now, live or not; None when there is none."""
    shape = _shape()
    rows = session.execute(shape.statement, {"token_hash": token_hash}).all()
    if not rows:
        return None
    first = rows[0]
    sessions_end = len(shape.session_keys)
    users_end = sessions_end + len(shape.user_keys)
    roles = tuple(
        dict(zip(shape.role_keys, row[users_end:], strict=True)) for row in rows if row[users_end] is not None
    )
    return SessionRecord(
        dict(zip(shape.session_keys, first[:sessions_end], strict=True)),
        dict(zip(shape.user_keys, first[sessions_end:users_end], strict=True)),
        roles,
    )


def auth_from(record: SessionRecord) -> AuthSession:
    """New objects for one request: the session with its user and the user's roles, detached as if loaded by a
    query that has ended (the secrets unloaded: reading one raises). Each request gets its own, so what one
    request does with them never reaches another's. Made as the ORM makes loaded objects (no constructor, no
    change history): a third of the cost of constructing them."""
    user = _detached(User, record.user)
    set_committed_value(user, "roles", [_detached(UserRole, role) for role in record.roles])
    auth: AuthSession = _detached(AuthSession, record.session)
    set_committed_value(auth, "user", user)
    return auth


def _detached(model: type[Any], values: dict[str, Any]) -> Any:
    mapper = inspect(model)
    if not mapper.configured:  # no ORM statement has run in this process yet
        configure_mappers()
    instance = mapper.class_manager.new_instance()
    instance.__dict__.update(values)
    make_transient_to_detached(instance)
    return instance


def is_live(auth: AuthSession, *, now: datetime, policy: SessionPolicy) -> bool:
    """Neither ended, idle too long nor past its end, and its user active and not blocked."""
    if auth.ended_at is not None or not auth.user.is_active or auth.user.is_blocked:
        return False
    return now < auth.expires_at and now - auth.last_seen_at < policy.idle


def valid_token(token: str) -> bool:
    """Whether a cookie value can be a session's token at all (longer ones are not looked up)."""
    return bool(token) and len(token) <= 128


def touch_session(session: Session, *, auth: AuthSession, now: datetime) -> bool:
    """Record activity (at most once a minute); returns whether a write is due. The caller commits."""
    if now - auth.last_seen_at < TOUCH_INTERVAL:
        return False
    # Only this stamp is not announced to the workers' session caches (``app.accounts.session_cache``): it changes
    # nothing a lookup decides on, and a kept lookup is read anew once its last activity is a minute old.
    statement = update(AuthSession).where(AuthSession.id == auth.id).values(last_seen_at=now)
    session.execute(statement.execution_options(**{UNWATCHED: True}))
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
