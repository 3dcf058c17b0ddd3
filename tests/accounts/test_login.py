"""Login, throttling, sessions (new token, timeouts) and logout."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession, LoginAttempt
from app.accounts.sessions import SESSION_COOKIE
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.tokens import hash_token
from tests.accounts.helpers import link_token, outbox, post
from tests.conftest import DEFAULT_NOW
from tests.factories import DEFAULT_PASSWORD, create_user, log_in


def _login(client: TestClient, email: str, password: str = DEFAULT_PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    return post(client, "/login", {"email": email, "password": password, **extra})


def test_login_form_renders(client: TestClient) -> None:
    response = client.get("/login?next=/account")
    assert response.status_code == 200
    assert 'name="next" value="/account"' in response.text
    assert 'autocomplete="current-password"' in response.text


def test_login_starts_session_with_secure_cookie_flags(client: TestClient, session: Session) -> None:
    user = create_user(session, email="in@example.nl")
    response = _login(client, "IN@example.nl ")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # base URL is http in tests
    token = client.cookies[SESSION_COOKIE]
    stored = session.scalar(select(AuthSession).where(AuthSession.user_id == user.id))
    assert stored is not None and stored.token_hash == hash_token(token)
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "user.login")) == "user.login"
    assert client.get("/account").status_code == 200


def test_login_honours_safe_next_only(client: TestClient, session: Session) -> None:
    create_user(session, email="n@example.nl")
    assert _login(client, "n@example.nl", next="/account").headers["location"] == "/account"
    assert _login(client, "n@example.nl", next="https://evil.example/").headers["location"] == "/"


def test_login_replaces_existing_session(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="again@example.nl")
    old = log_in(client, session, user, now=clock.now())
    new = _login(client, "again@example.nl").cookies[SESSION_COOKIE]
    assert new != old
    session.expire_all()
    ended = session.scalar(select(AuthSession.ended_at).where(AuthSession.token_hash == hash_token(old)))
    assert ended is not None


def test_login_same_message_for_unknown_address_and_wrong_password(client: TestClient, session: Session) -> None:
    create_user(session, email="known@example.nl")
    wrong = _login(client, "known@example.nl", "wrong password here")
    unknown = _login(client, "unknown@example.nl", "wrong password here")
    assert wrong.status_code == unknown.status_code == 422
    assert "Het e-mailadres of het wachtwoord is niet juist." in wrong.text
    assert wrong.text.replace("known@", "") == unknown.text.replace("unknown@", "")
    assert 'value="wrong password here"' not in wrong.text
    assert SESSION_COOKIE not in client.cookies


def test_login_unconfirmed_after_correct_password_offers_new_link(client: TestClient, session: Session) -> None:
    create_user(session, email="unconf@example.nl", confirmed=False)
    wrong = _login(client, "unconf@example.nl", "wrong password here")
    assert "Bevestig eerst uw e-mailadres" not in wrong.text
    right = _login(client, "unconf@example.nl")
    assert right.status_code == 422
    assert "Bevestig eerst uw e-mailadres" in right.text
    assert "Stuur een nieuwe link" in right.text
    assert SESSION_COOKIE not in client.cookies
    post(client, "/confirm", {"email": "unconf@example.nl"})
    assert len(outbox(session, "unconf@example.nl")) == 1


def test_login_from_one_address_waits_after_five_failures_even_with_right_password(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    create_user(session, email="victim@example.nl")
    for _ in range(5):
        assert _login(client, "victim@example.nl", "wrong password here").status_code == 422
    refused = _login(client, "victim@example.nl")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "5"
    assert "Te veel mislukte pogingen vanaf uw verbinding. Probeer het over 5 seconden opnieuw." in refused.text
    assert SESSION_COOKIE not in client.cookies
    clock.advance(timedelta(seconds=5))
    assert _login(client, "victim@example.nl").status_code == 303


def test_login_throttled_per_ip_across_accounts(client: TestClient, session: Session) -> None:
    create_user(session, email="target@example.nl")
    session.add_all(
        LoginAttempt(email=f"spray{i}@example.nl", ip="testclient", attempted_at=DEFAULT_NOW, success=False)
        for i in range(20)
    )
    session.commit()
    assert _login(client, "target@example.nl").status_code == 429


def test_unknown_address_is_throttled_like_a_known_one(client: TestClient) -> None:
    for _ in range(5):
        _login(client, "ghost@example.nl", "wrong password here")
    assert _login(client, "ghost@example.nl", "wrong password here").status_code == 429


def test_logout_ends_server_session_and_cookie_reuse_fails(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email="out@example.nl")
    token = log_in(client, session, user, now=clock.now())
    response = post(client, "/logout")
    assert response.status_code == 303 and response.headers["location"] == "/"
    session.expire_all()
    assert session.scalar(select(AuthSession.ended_at).where(AuthSession.token_hash == hash_token(token))) is not None
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/account").headers["location"].startswith("/login")
    assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "user.logout")) == "user.logout"


def test_logout_without_csrf_is_refused(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="keep@example.nl")
    log_in(client, session, user, now=clock.now())
    assert client.post("/logout").status_code == 403
    assert client.get("/account").status_code == 200


def test_session_idle_timeout(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="idle@example.nl")
    log_in(client, session, user, now=clock.now())
    clock.advance(timedelta(minutes=29))
    assert client.get("/account").status_code == 200
    clock.advance(timedelta(minutes=29))  # activity above moved last_seen forward
    assert client.get("/account").status_code == 200
    clock.advance(timedelta(minutes=30))
    assert client.get("/account").headers["location"] == "/login?next=%2Faccount"


def test_session_absolute_timeout(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="long@example.nl")
    log_in(client, session, user, now=clock.now())
    for _ in range(24):
        clock.advance(timedelta(minutes=29))
        assert client.get("/account").status_code == 200
    clock.advance(timedelta(minutes=29))  # 12 h 5 min after login
    assert client.get("/account").status_code == 303


def test_staff_login_goes_to_second_factor(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="staff@mindef.example", roles=("coordinator",))
    response = _login(client, "staff@mindef.example", next="/account")
    assert response.headers["location"] == "/login/two-factor?next=%2Faccount"
    assert client.get("/account").headers["location"] == "/login/two-factor?next=%2Faccount"
    code = pyotp.TOTP(user.totp_secret).at(clock.now())
    verified = post(client, "/login/two-factor", {"code": code, "next": "/account"})
    assert verified.status_code == 303 and verified.headers["location"] == "/account"
    assert client.get("/account").status_code == 200


def test_staff_without_totp_must_enrol_before_account(client: TestClient, session: Session) -> None:
    user = create_user(session, email="new-staff@mindef.example", roles=("evaluator",))
    user.totp_secret = None
    user.totp_enabled_at = None
    session.commit()
    response = _login(client, "new-staff@mindef.example")
    assert response.headers["location"] == "/account/two-factor"
    assert client.get("/account").headers["location"] == "/account/two-factor?next=%2Faccount"
    assert client.get("/login/two-factor").headers["location"] == "/account/two-factor"
    setup = client.get("/account/two-factor")
    assert setup.status_code == 200 and "data:image/svg+xml" in setup.text


def test_password_reset_link_through_forgot_page(client: TestClient, session: Session) -> None:
    create_user(session, email="forgetful@example.nl")
    post(client, "/password/forgot", {"email": "forgetful@example.nl"})
    [message] = outbox(session, "forgetful@example.nl")
    assert link_token(message, "/password/reset/")
