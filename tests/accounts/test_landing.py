"""Where a login ends: on the user's own work (evaluator, coordinator, administrator, several roles), for a
company user where it always did, and on an explicit safe ``next`` whoever logs in."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from tests.accounts.helpers import offered_secret, post
from tests.factories import DEFAULT_PASSWORD, create_user


def _log_in_with_code(client: TestClient, user: object, clock: FrozenClock, next_path: str | None = None) -> str:
    """Password, then the authenticator code; the address the second step sends the browser to."""
    extra = {"next": next_path} if next_path is not None else {}
    first = post(client, "/login", {"email": user.email, "password": DEFAULT_PASSWORD, **extra})  # type: ignore[attr-defined]
    assert first.status_code == 303
    code = pyotp.TOTP(user.totp_secret).at(clock.now())  # type: ignore[attr-defined]
    second = post(client, "/login/two-factor", {"code": code, **extra})
    assert second.status_code == 303, second.text
    return str(second.headers["location"])


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        (("evaluator",), "/evaluate"),
        (("coordinator",), "/manage"),
        (("administrator",), "/admin/users"),
        (("evaluator", "coordinator"), "/manage"),
        (("evaluator", "administrator"), "/manage"),
    ],
)
def test_landing_after_second_factor_is_the_users_own_work(
    client: TestClient, session: Session, clock: FrozenClock, roles: tuple[str, ...], landing: str
) -> None:
    user = create_user(session, email="staff@mindef.example", roles=roles)
    first = post(client, "/login", {"email": user.email, "password": DEFAULT_PASSWORD})
    assert first.headers["location"] == "/login/two-factor"
    assert _log_in_with_code(client, user, clock) == landing
    assert client.get(landing).status_code == 200


def test_landing_company_user_keeps_the_home_page(client: TestClient, session: Session) -> None:
    create_user(session, email="firm@example.nl")
    response = post(client, "/login", {"email": "firm@example.nl", "password": DEFAULT_PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_landing_company_user_with_authenticator_keeps_the_home_page(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email="careful@example.nl", totp=True)
    assert _log_in_with_code(client, user, clock) == "/"


def test_landing_explicit_safe_next_wins(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="eva@mindef.example", roles=("evaluator",))
    assert _log_in_with_code(client, user, clock, next_path="/account") == "/account"


def test_landing_unsafe_next_is_ignored_for_the_landing(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email="coco@mindef.example", roles=("coordinator",))
    assert _log_in_with_code(client, user, clock, next_path="https://evil.example/") == "/manage"
    client.cookies.clear()
    clock.advance(timedelta(seconds=30))  # a code is accepted once
    assert _log_in_with_code(client, user, clock, next_path="//evil.example/") == "/manage"


def test_landing_after_enrolling_the_authenticator(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="new-eva@mindef.example", roles=("evaluator",))
    user.totp_secret = None
    user.totp_enabled_at = None
    session.commit()
    assert post(client, "/login", {"email": user.email, "password": DEFAULT_PASSWORD}).headers["location"] == (
        "/account/two-factor"
    )
    secret = offered_secret(client)
    code = pyotp.TOTP(secret).at(clock.now())
    codes = post(client, "/account/two-factor", {"code": code})
    assert codes.status_code == 200, codes.text
    assert '<a class="button" href="/evaluate">' in codes.text


def test_landing_after_enrolling_the_authenticator_as_company_user_is_the_account(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    create_user(session, email="firm2@example.nl")
    post(client, "/login", {"email": "firm2@example.nl", "password": DEFAULT_PASSWORD})
    secret = offered_secret(client)
    codes = post(client, "/account/two-factor", {"code": pyotp.TOTP(secret).at(clock.now())})
    assert codes.status_code == 200, codes.text
    assert '<a class="button" href="/account">' in codes.text
