"""Login throttling that a rival cannot aim at someone else: per account and source, growing delays."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import LoginAttempt
from app.accounts.sessions import SESSION_COOKIE
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.main import create_app
from app.settings import Settings
from tests.accounts.helpers import post
from tests.databases import TransactionalDatabase
from tests.factories import DEFAULT_PASSWORD, create_user

RIVAL = "198.51.100.7"
OWNER = "203.0.113.20"
WRONG = "wrong password here"


@contextmanager
def client_at(app: FastAPI, address: str) -> Iterator[TestClient]:
    """A browser connecting from ``address``."""
    with TestClient(app, follow_redirects=False, client=(address, 40000)) as browser:
        yield browser


def _login(browser: TestClient, email: str, password: str = DEFAULT_PASSWORD, **headers: str) -> Any:
    from tests.factories import csrf

    data = {"email": email, "password": password, "csrf_token": csrf(browser)}
    return browser.post("/login", data=data, headers=headers)


def test_rival_with_twenty_wrong_passwords_does_not_lock_the_owner_out(app: FastAPI, session: Session) -> None:
    create_user(session, email="firm@example.nl")
    with client_at(app, RIVAL) as rival:
        statuses = [_login(rival, "firm@example.nl", WRONG).status_code for _ in range(20)]
        assert statuses == [422] * 5 + [429] * 15
        with client_at(app, OWNER) as owner:
            assert _login(owner, "firm@example.nl").status_code == 303
            assert owner.get("/account").status_code == 200
        told = _login(rival, "firm@example.nl")
    assert told.status_code == 429
    assert told.headers["retry-after"] == "5"
    assert "Probeer het over 5 seconden opnieuw." in told.text
    assert 'value="firm@example.nl"' in told.text  # what was typed stays (the password never does)
    assert SESSION_COOKIE not in rival.cookies


def test_each_failure_after_the_allowance_doubles_the_wait(app: FastAPI, session: Session, clock: FrozenClock) -> None:
    create_user(session, email="firm@example.nl")
    with client_at(app, RIVAL) as rival:
        for _ in range(5):
            _login(rival, "firm@example.nl", WRONG)
        waits = []
        for _ in range(5):
            refused = _login(rival, "firm@example.nl", WRONG)
            waits.append(int(refused.headers["retry-after"]))
            clock.advance(timedelta(seconds=waits[-1] - 1))
            assert _login(rival, "firm@example.nl", WRONG).status_code == 429  # one second early
            clock.advance(timedelta(seconds=1))
            assert _login(rival, "firm@example.nl", WRONG).status_code == 422  # counted, and the wait doubles
    assert waits == [5, 10, 20, 40, 80]


def test_the_wait_stops_growing_at_the_ceiling(app: FastAPI, session: Session, clock: FrozenClock) -> None:
    session.add_all(
        LoginAttempt(email="firm@example.nl", ip=RIVAL, attempted_at=clock.now(), success=False) for _ in range(30)
    )
    session.commit()
    with client_at(app, RIVAL) as rival:
        assert _login(rival, "firm@example.nl", WRONG).headers["retry-after"] == "900"


def test_failures_older_than_the_window_are_forgotten(app: FastAPI, session: Session, clock: FrozenClock) -> None:
    create_user(session, email="firm@example.nl")
    with client_at(app, RIVAL) as rival:
        for _ in range(5):
            _login(rival, "firm@example.nl", WRONG)
        clock.advance(timedelta(minutes=60, seconds=1))
        assert _login(rival, "firm@example.nl").status_code == 303


def test_one_address_spraying_many_accounts_is_slowed_but_not_others(app: FastAPI, session: Session) -> None:
    create_user(session, email="target@example.nl")
    with client_at(app, RIVAL) as rival:
        statuses = [_login(rival, f"guess{i}@example.nl", WRONG).status_code for i in range(21)]
        assert statuses == [422] * 20 + [429]
        assert _login(rival, "target@example.nl").status_code == 429
    with client_at(app, OWNER) as owner:
        assert _login(owner, "target@example.nl").status_code == 303


def test_ipv6_addresses_count_per_64(app: FastAPI, session: Session) -> None:
    create_user(session, email="firm@example.nl")
    for suffix in ("1", "2", "3", "4", "5"):
        with client_at(app, f"2001:db8:1:2::{suffix}") as rotating:
            assert _login(rotating, "firm@example.nl", WRONG).status_code == 422
    with client_at(app, "2001:db8:1:2:ffff:ffff:ffff:ffff") as same_prefix:
        assert _login(same_prefix, "firm@example.nl").status_code == 429
    with client_at(app, "2001:db8:1:3::1") as neighbour:
        assert _login(neighbour, "firm@example.nl").status_code == 303
    stored = set(session.scalars(select(LoginAttempt.ip).where(LoginAttempt.success.is_(False))))
    assert stored == {"2001:db8:1:2::/64"}


def _app_behind_proxy(settings: Settings, tdb: TransactionalDatabase, clock: FrozenClock) -> FastAPI:
    behind = settings.model_copy(update={"trusted_proxies": "10.0.0.0/8, 2001:db8:ffff::/48"})
    return create_app(behind, db=tdb, clock=clock)  # type: ignore[arg-type]


def test_forwarded_address_counts_only_from_a_trusted_proxy(
    settings: Settings, tdb: TransactionalDatabase, clock: FrozenClock, session: Session
) -> None:
    create_user(session, email="firm@example.nl")
    app = _app_behind_proxy(settings, tdb, clock)
    with client_at(app, "10.1.2.3") as proxy:
        for _ in range(5):
            _login(proxy, "firm@example.nl", WRONG, **{"X-Forwarded-For": f"192.0.2.1, {RIVAL}"})
        assert _login(proxy, "firm@example.nl", **{"X-Forwarded-For": RIVAL}).status_code == 429
        assert _login(proxy, "firm@example.nl", **{"X-Forwarded-For": f"{RIVAL}, {OWNER}"}).status_code == 303
    # Straight from the internet, the header is the client's own word and is not believed.
    with client_at(app, "192.0.2.99") as direct:
        for index in range(5):
            _login(direct, "firm@example.nl", WRONG, **{"X-Forwarded-For": f"203.0.113.{index}"})
        assert _login(direct, "firm@example.nl", **{"X-Forwarded-For": "203.0.113.200"}).status_code == 429
    sources = [row for row in session.scalars(select(LoginAttempt.ip).order_by(LoginAttempt.id))]
    assert sources == [RIVAL] * 5 + [OWNER] + ["192.0.2.99"] * 5


def test_forwarded_chain_through_several_trusted_proxies_and_ipv6(
    settings: Settings, tdb: TransactionalDatabase, clock: FrozenClock, session: Session
) -> None:
    create_user(session, email="firm@example.nl")
    app = _app_behind_proxy(settings, tdb, clock)
    with client_at(app, "2001:db8:ffff::1") as proxy:
        chain = "2001:db8:aaaa:1::9, 10.9.9.9"
        assert _login(proxy, "firm@example.nl", **{"X-Forwarded-For": chain}).status_code == 303
        assert _login(proxy, "firm@example.nl", WRONG, **{"X-Forwarded-For": "not-an-address"}).status_code == 422
    sources = list(session.scalars(select(LoginAttempt.ip).order_by(LoginAttempt.id)))
    assert sources == ["2001:db8:aaaa:1::/64", "2001:db8:ffff::/64"]  # an unreadable hop: the proxy that sent it
    login = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.login"))
    assert login is not None and login.ip == "2001:db8:aaaa:1::9"


def test_trusted_proxies_setting_must_be_networks(tmp_path: Any) -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=r"trusted proxy 'proxy\.example'"):
        Settings(data_dir=tmp_path, trusted_proxies="10.0.0.0/8, proxy.example")


def test_account_lock_does_not_touch_the_right_password_from_the_usual_place(
    client: TestClient, app: FastAPI, session: Session
) -> None:
    """The owner's usual browser ("testclient") keeps working while the rival is refused."""
    create_user(session, email="firm@example.nl")
    with client_at(app, RIVAL) as rival:
        for _ in range(8):
            _login(rival, "firm@example.nl", WRONG)
    assert post(client, "/login", {"email": "firm@example.nl", "password": DEFAULT_PASSWORD}).status_code == 303


def test_the_worker_forgets_attempts_older_than_thirty_days(
    app: FastAPI, session: Session, clock: FrozenClock, tdb: TransactionalDatabase
) -> None:
    from app.cli.jobs import run_jobs
    from app.links import Links

    user = create_user(session, email="owner@example.nl")
    with client_at(app, RIVAL) as rival:
        assert _login(rival, user.email, WRONG).status_code == 422  # a fresh attempt: kept
    kinds = {"password", "receipt_check", "register"}
    now = clock.now()
    for kind in kinds:
        session.add(
            LoginAttempt(
                kind=kind, email="old@example.nl", ip=RIVAL, attempted_at=now - timedelta(days=31), success=False
            )
        )
        session.add(
            LoginAttempt(
                kind=kind, email="kept@example.nl", ip=RIVAL, attempted_at=now - timedelta(days=29), success=False
            )
        )
    session.commit()

    counts = run_jobs(tdb, now=now, links=Links("http://portal.test", lambda *_a, **_k: "/"), secret="s" * 40)

    assert counts.removed["old login attempts forgotten"] == 3 and counts.failed == []
    assert "old login attempts forgotten: 3" in counts.summary()
    left = session.scalars(select(LoginAttempt.email)).all()
    assert sorted(left) == sorted(["kept@example.nl"] * 3 + [user.email])
    again = run_jobs(tdb, now=now, links=Links("http://portal.test", lambda *_a, **_k: "/"), secret="s" * 40)
    assert again.removed["old login attempts forgotten"] == 0


def test_forgetting_goes_in_batches(session: Session, clock: FrozenClock) -> None:
    from app.accounts.throttling import forget_old_attempts

    old = clock.now() - timedelta(days=40)
    session.add_all(
        LoginAttempt(kind="password", email=f"x{n}@example.nl", ip=RIVAL, attempted_at=old, success=False)
        for n in range(5)
    )
    session.flush()
    assert forget_old_attempts(session, now=clock.now(), batch=2) == 2
    assert forget_old_attempts(session, now=clock.now(), batch=2) == 2
    assert forget_old_attempts(session, now=clock.now(), batch=2) == 1
    assert forget_old_attempts(session, now=clock.now(), batch=2) == 0


def test_the_login_window_cannot_outlast_the_records(tmp_path: Any) -> None:
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Settings(data_dir=tmp_path, login_failure_window_minutes=30 * 24 * 60 + 1)
    assert Settings(data_dir=tmp_path, login_failure_window_minutes=30 * 24 * 60).login_failure_window_minutes
