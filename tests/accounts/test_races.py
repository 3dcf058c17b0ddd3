"""Single use under concurrency on PostgreSQL: a one-time code and a reset link, sent by two requests at once.

Each request has its own connection and transaction. The first has used the code (or link) and not yet
committed when the second arrives; the second must be refused once the first commits, not accepted too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from sqlalchemy.orm import Session

from app import migrate
from app.accounts import service as accounts
from app.accounts import sessions
from app.accounts.throttling import LoginLimits
from app.accounts.two_factor import service as two_factor
from app.accounts.two_factor.sealing import SecretBox
from app.clock import FrozenClock
from app.database import Database
from app.links import Links
from tests.accounts.helpers import OTHER_STRONG, STRONG
from tests.databases import empty_database
from tests.factories import create_user

BOX = SecretBox("test-secret-key-not-for-production")
LIMITS = LoginLimits(per_account=5, per_ip=20, window=timedelta(hours=1))
POLICY = sessions.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))


@pytest.fixture
def own_database(db_kind: str, tmp_path: Path) -> Iterator[Database]:
    """A database of its own: these tests commit for real (and the audit trail cannot be cleaned up)."""
    if db_kind != "postgresql":
        pytest.skip("row locks between connections are PostgreSQL's; SQLite serialises writers (BEGIN IMMEDIATE)")
    with empty_database(db_kind, tmp_path) as url:
        db = Database(url)
        migrate.upgrade(db.engine)
        try:
            yield db
        finally:
            db.dispose()


def _race(db: Database, action: Callable[[Session], str]) -> list[str]:
    """Run ``action`` in two transactions: the second starts while the first has not committed yet."""
    outcomes: dict[str, str] = {}
    with db.unit_of_work() as first:
        outcomes["first"] = action(first)

        def second() -> None:
            with db.unit_of_work() as other:
                outcomes["second"] = action(other)
                other.commit()

        runner = threading.Thread(target=second)
        runner.start()
        runner.join(timeout=1)
        assert runner.is_alive(), "the second request should wait for the first one's row lock"
        first.commit()
        runner.join(timeout=20)
    return [outcomes["first"], outcomes["second"]]


def _sessions_of(db: Database, user: Any, clock: FrozenClock, count: int) -> list[int]:
    ids = []
    with db.unit_of_work() as session:
        for _ in range(count):
            _token, auth = sessions.start_session(
                session, user=user, now=clock.now(), policy=POLICY, ip="192.0.2.1", user_agent="t"
            )
            ids.append(auth.id)
        session.commit()
    return ids


def test_one_code_sent_by_two_requests_at_once_logs_in_once(own_database: Database, clock: FrozenClock) -> None:
    with own_database.unit_of_work() as session:
        user = create_user(session, email="coco@mindef.example", roles=("coordinator",))
        code = pyotp.TOTP(user.totp_secret).at(clock.now())
    login_ids = iter(_sessions_of(own_database, user, clock, 2))

    def verify(session: Session) -> str:
        try:
            two_factor.verify_second_factor(
                session,
                user_id=user.id,
                session_id=next(login_ids),
                code=code,
                now=clock.now(),
                ip="192.0.2.1",
                limits=LIMITS,
                box=BOX,
            )
        except two_factor.InvalidCode:
            return "refused"
        return "accepted"

    assert _race(own_database, verify) == ["accepted", "refused"]


def test_one_recovery_code_sent_by_two_requests_at_once_works_once(own_database: Database, clock: FrozenClock) -> None:
    with own_database.unit_of_work() as session:
        user = create_user(session, email="coco@mindef.example", roles=("coordinator",))
        [auth_id] = _sessions_of(own_database, user, clock, 1)
        secret = two_factor.secret_of(user, box=BOX) or ""
    with own_database.unit_of_work() as session:
        # Re-enrolment gives recovery codes; the enrolment code is for the secret this login is offered.
        auth = session.get(sessions.AuthSession, auth_id)
        assert auth is not None
        offered = two_factor.enrolment_secret(auth, box=BOX)
        stored = session.get(type(user), user.id)
        assert stored is not None
        stored.totp_enabled_at = None
        recovery = two_factor.enable_totp(
            session,
            user_id=user.id,
            session_id=auth_id,
            code=pyotp.TOTP(offered).at(clock.now()),
            now=clock.now(),
            ip=None,
            box=BOX,
        )[0]
        session.commit()
    assert secret
    login_ids = iter(_sessions_of(own_database, user, clock, 2))

    def verify(session: Session) -> str:
        try:
            two_factor.verify_second_factor(
                session,
                user_id=user.id,
                session_id=next(login_ids),
                code=recovery,
                now=clock.now() + timedelta(minutes=5),
                ip="192.0.2.1",
                limits=LIMITS,
                box=BOX,
            )
        except two_factor.InvalidCode:
            return "refused"
        return "accepted"

    assert _race(own_database, verify) == ["accepted", "refused"]


def test_one_reset_link_sent_by_two_requests_at_once_sets_one_password(
    own_database: Database, clock: FrozenClock
) -> None:
    with own_database.unit_of_work() as session:
        create_user(session, email="reset@example.nl")
        links: list[str] = []
        accounts.request_password_reset(
            session,
            email="reset@example.nl",
            now=clock.now(),
            links=Links("http://testserver", lambda route, token: links.append(token) or f"/reset/{token}"),
        )
        session.commit()
    [token] = links
    passwords = iter([STRONG, OTHER_STRONG])

    def reset(session: Session) -> str:
        password = next(passwords)
        try:
            accounts.reset_password(
                session, token=token, password=password, confirmation=password, now=clock.now(), ip=None
            )
        except accounts.LinkInvalid:
            return "refused"
        return "accepted"

    assert _race(own_database, reset) == ["accepted", "refused"]


def test_two_requests_with_one_code_at_once_log_in_one_browser(
    own_database: Database, clock: FrozenClock, tmp_path: Path
) -> None:
    """Through HTTP: two browsers that both know the password send the same code at the same moment."""
    import anyio
    import httpx2 as httpx

    from app.main import create_app
    from app.security import CSRF_COOKIE, csrf_token_for
    from app.settings import Settings
    from tests.factories import DEFAULT_PASSWORD

    settings = Settings(data_dir=tmp_path / "data", secret_key="test-secret-key-not-for-production")
    app = create_app(settings, db=own_database, clock=clock)
    with own_database.unit_of_work() as session:
        user = create_user(session, email="coco@mindef.example", roles=("coordinator",))
        code = pyotp.TOTP(user.totp_secret).at(clock.now())
    statuses: list[int] = []

    def token(browser: httpx.AsyncClient) -> str:
        return csrf_token_for(
            settings.secret_key, browser.cookies[CSRF_COOKIE], browser.cookies.get(sessions.SESSION_COOKIE) or ""
        )

    async def main() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            browsers = [httpx.AsyncClient(transport=transport, base_url="http://t") for _ in range(2)]
            for browser in browsers:
                await browser.get("/healthz")
                login = {"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token(browser)}
                assert (await browser.post("/login", data=login)).status_code == 303

            async def send(browser: httpx.AsyncClient) -> None:
                response = await browser.post("/login/two-factor", data={"code": code, "csrf_token": token(browser)})
                statuses.append(response.status_code)

            async with anyio.create_task_group() as group:
                for browser in browsers:
                    group.start_soon(send, browser)
            for browser in browsers:
                await browser.aclose()

    runner = threading.Thread(target=anyio.run, args=(main,))
    runner.start()
    runner.join()
    assert sorted(statuses) == [303, 422]
