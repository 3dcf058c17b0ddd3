"""Request dependencies for who is logged in: ``OptionalAuth``, ``CurrentUser``, ``StaffUser`` and role checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.accounts import permissions, sessions
from app.accounts.enums import Role
from app.accounts.models import AuthSession, User
from app.accounts.session_cache import SessionCache
from app.errors import NotFound
from app.settings import Settings
from app.tokens import hash_token


class Redirect(Exception):
    """Send the browser elsewhere (to log in, or to give the second factor) and come back to ``next``."""

    def __init__(self, route: str, next_path: str | None) -> None:
        super().__init__(route)
        self.route = route
        self.next_path = next_path


def session_policy(settings: Settings) -> sessions.SessionPolicy:
    return sessions.SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes), absolute=timedelta(hours=settings.session_absolute_hours)
    )


def load_auth(request: Request) -> AuthSession | None:
    """The request's live session, looked up once per request (views, templates and dependencies share it)."""
    if hasattr(request.state, "auth"):
        return request.state.auth  # type: ignore[no-any-return]
    db = request.app.state.db
    auth, now = _look_up(request, db.lookup_session)
    if auth is not None and now - auth.last_seen_at >= sessions.TOUCH_INTERVAL:
        _touch(request, auth, now)
    request.state.auth = auth
    return auth


async def load_auth_on_loop(request: Request) -> AuthSession | None:
    """``load_auth`` for an ``async`` dependency. The lookup (one indexed read) runs on the event loop with the
    loop's own connection (``app.loopviews``): no hop to a thread and back on nearly every request. The
    once-a-minute write of the session's last activity runs in a worker thread, as does everything on a SQLite
    database in memory (no loop connection)."""
    if hasattr(request.state, "auth"):
        return request.state.auth  # type: ignore[no-any-return]
    binds = request.app.state.db.on_loop()
    if binds is None:
        return await anyio.to_thread.run_sync(load_auth, request)
    auth, now = _look_up(request, binds.lookup_session)
    if auth is not None and now - auth.last_seen_at >= sessions.TOUCH_INTERVAL:
        await anyio.to_thread.run_sync(_touch, request, auth, now)
    request.state.auth = auth
    return auth


def _look_up(request: Request, open_session: Callable[[], Session]) -> tuple[AuthSession | None, datetime]:
    """The live session for the request's cookie: from this process's ``SessionCache`` when it holds it (on
    PostgreSQL, while the cache listens for changes), otherwise read with a session from ``open_session``."""
    state = request.app.state
    token = request.cookies.get(sessions.session_cookie_name(state.settings), "")
    now: datetime = state.clock.now()
    if not sessions.valid_token(token):
        return None, now
    token_hash = hash_token(token)
    cache: SessionCache | None = state.session_cache
    policy = session_policy(state.settings)
    record = cache.get(token_hash, now=now) if cache is not None else None
    if record is not None:
        auth = sessions.auth_from(record)
        return (auth if sessions.is_live(auth, now=now, policy=policy) else None), now
    generation = cache.generation if cache is not None else 0
    with open_session() as lookup:
        record = sessions.read_record(lookup, token_hash=token_hash)
    if record is None:
        return None, now
    auth = sessions.auth_from(record)
    if not sessions.is_live(auth, now=now, policy=policy):
        return None, now
    if cache is not None:
        cache.keep(token_hash, record, generation=generation, now=now)
    return auth, now


def _touch(request: Request, auth: AuthSession, now: datetime) -> None:
    with request.app.state.db.unit_of_work() as writer:
        sessions.touch_session(writer, auth=auth, now=now)
        writer.commit()


def load_signed_in(request: Request) -> AuthSession | None:
    """The request's session once it is complete: a session that still waits for its second factor counts
    as logged out everywhere (no menus, no counts, no pages) except on the second-factor pages."""
    auth = load_auth(request)
    if auth is None or permissions.needs_second_factor(auth):
        return None
    return auth


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def get_optional_auth(request: Request) -> AuthSession | None:
    return load_signed_in(request)


async def require_auth(request: Request) -> AuthSession:
    """A logged-in session that has passed any second factor it needs; otherwise off to log in."""
    auth = await load_auth_on_loop(request)
    if auth is None:
        raise Redirect("login", _here(request))
    if permissions.needs_second_factor(auth):
        if auth.user.totp_enabled:
            raise Redirect("two_factor_verify", _here(request))
        raise Redirect("two_factor_setup", _here(request))
    return auth


async def require_user(auth: Annotated[AuthSession, Depends(require_auth)]) -> User:
    return auth.user


async def require_staff(auth: Annotated[AuthSession, Depends(require_auth)]) -> User:
    """Any staff role, with two-factor authentication done. Others get a 404: staff pages do not exist for them."""
    if not auth.user.is_staff:
        raise NotFound()
    return auth.user


def require_role(*roles: Role):  # type: ignore[no-untyped-def]
    """A dependency that admits users holding any of the roles (administrators hold every staff right); others
    get a 404 as from ``require_staff``. It reads the session itself: one dependency fewer on every request."""
    admitted = frozenset({r.value for r in roles} | {Role.ADMINISTRATOR.value})

    async def dependency(auth: Annotated[AuthSession, Depends(require_auth)]) -> User:
        user = auth.user
        if not admitted & user.role_names:  # holding one of them is being staff
            raise NotFound()
        return user

    return dependency


OptionalAuth = Annotated[AuthSession | None, Depends(get_optional_auth)]
CurrentAuth = Annotated[AuthSession, Depends(require_auth)]
CurrentUser = Annotated[User, Depends(require_user)]
StaffUser = Annotated[User, Depends(require_staff)]
AdminUser = Annotated[User, Depends(require_role(Role.ADMINISTRATOR))]
CoordinatorUser = Annotated[User, Depends(require_role(Role.COORDINATOR))]
EvaluatorUser = Annotated[User, Depends(require_role(Role.EVALUATOR))]
