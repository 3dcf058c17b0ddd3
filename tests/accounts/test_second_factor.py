"""The second factor: its own failure limits, a pending session that counts as logged out, and a secret that
the server makes and keeps encrypted."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession, LoginAttempt, User
from app.accounts.sessions import SESSION_COOKIE
from app.accounts.two_factor.sealing import SecretBox
from app.clock import FrozenClock
from app.settings import Settings
from tests.accounts.helpers import offered_secret, post
from tests.factories import DEFAULT_PASSWORD, create_user, csrf, log_in


def _password(client: TestClient, email: str) -> str:
    response = post(client, "/login", {"email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 303, response.text[:300]
    return str(response.headers["location"])


def _wrong_codes(client: TestClient, count: int) -> list[int]:
    return [post(client, "/login/two-factor", {"code": "000000"}).status_code for _ in range(count)]


def test_wrong_codes_count_across_logins_a_correct_password_does_not_reset_them(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email="coco@mindef.example", roles=("coordinator",))
    statuses = []
    for count in (4, 4, 2):
        _password(client, user.email)
        statuses += _wrong_codes(client, count)
        clock.advance(timedelta(minutes=1))
    assert statuses == [422] * 10
    _password(client, user.email)
    right = pyotp.TOTP(user.totp_secret).at(clock.now())
    refused = post(client, "/login/two-factor", {"code": right})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(60 * 60 - 3 * 60)
    assert "Probeer het over 3420 seconden opnieuw." in refused.text
    clock.advance(timedelta(minutes=57))
    assert post(client, "/login/two-factor", {"code": pyotp.TOTP(user.totp_secret).at(clock.now())}).status_code == 303
    kinds = session.scalars(select(LoginAttempt.kind).where(LoginAttempt.success.is_(False))).all()
    assert kinds == ["second_factor"] * 10


def test_a_login_ends_at_five_wrong_codes_and_needs_the_password_again(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email="eva@mindef.example", roles=("evaluator",))
    _password(client, user.email)
    token = client.cookies[SESSION_COOKIE]
    assert _wrong_codes(client, 4) == [422] * 4
    ended_page = post(client, "/login/two-factor", {"code": "000000"})
    assert ended_page.status_code == 429
    assert SESSION_COOKIE not in client.cookies
    page_token = ended_page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert page_token == csrf(client)  # the login form on the page works without the ended session
    session.expire_all()
    ended = session.scalar(select(AuthSession).where(AuthSession.user_id == user.id))
    assert ended is not None and ended.ended_at == clock.now() and ended.mfa_failures == 5
    client.cookies.set(SESSION_COOKIE, token)  # the old cookie is worth nothing now
    assert client.get("/login/two-factor").headers["location"] == "/login?next=%2Flogin%2Ftwo-factor"
    client.cookies.clear()
    assert _password(client, user.email) == "/login/two-factor"
    assert post(client, "/login/two-factor", {"code": pyotp.TOTP(user.totp_secret).at(clock.now())}).status_code == 303


def test_a_session_waiting_for_its_second_factor_counts_as_logged_out(client: TestClient, session: Session) -> None:
    create_user(session, email="admin@mindef.example", roles=("administrator",))
    _password(client, "admin@mindef.example")
    home = client.get("/")
    assert home.status_code == 200
    assert "Challengebeheer" not in home.text and "Mijn voorstellen" not in home.text
    assert ">Inloggen</a>" in home.text and "Uitloggen" not in home.text
    for path in ("/manage", "/admin/users", "/evaluate", "/proposals", "/organisations", "/account"):
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login/two-factor?next="), path
    verify = client.get("/login/two-factor")
    assert verify.status_code == 200 and "Annuleren en uitloggen" in verify.text


def test_a_pending_session_can_be_cancelled(client: TestClient, session: Session) -> None:
    user = create_user(session, email="admin@mindef.example", roles=("administrator",))
    _password(client, user.email)
    assert post(client, "/logout").status_code == 303
    session.expire_all()
    assert session.scalar(select(AuthSession.ended_at).where(AuthSession.user_id == user.id)) is not None


def test_enrolment_uses_the_servers_secret_and_ignores_one_from_the_browser(
    client: TestClient, session: Session, clock: FrozenClock, settings: Settings
) -> None:
    user = create_user(session, email="firm@example.nl")
    log_in(client, session, user, now=clock.now())
    secret = offered_secret(client)
    assert offered_secret(client) == secret  # the same on reload
    chosen = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    planted = post(client, "/account/two-factor", {"secret": chosen, "code": pyotp.TOTP(chosen).at(clock.now())})
    assert planted.status_code == 422
    done = post(client, "/account/two-factor", {"secret": chosen, "code": pyotp.TOTP(secret).at(clock.now())})
    assert done.status_code == 200
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored is not None and stored.totp_secret is None
    assert stored.totp_secret_sealed and secret not in stored.totp_secret_sealed
    assert SecretBox(settings.resolved_secret_key()).open(stored.totp_secret_sealed) == secret


def test_each_login_is_offered_its_own_secret(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="firm@example.nl")
    log_in(client, session, user, now=clock.now())
    first = offered_secret(client)
    log_in(client, session, user, now=clock.now())
    assert offered_secret(client) != first


def test_an_encrypted_secret_works_at_the_next_login_and_a_plain_one_is_sealed_at_use(
    client: TestClient, session: Session, clock: FrozenClock, settings: Settings
) -> None:
    user = create_user(session, email="coco@mindef.example", roles=("coordinator",))
    plain = user.totp_secret
    _password(client, user.email)
    assert post(client, "/login/two-factor", {"code": pyotp.TOTP(plain).at(clock.now())}).status_code == 303
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored is not None and stored.totp_secret is None
    assert SecretBox(settings.resolved_secret_key()).open(stored.totp_secret_sealed or "") == plain
    client.cookies.clear()
    clock.advance(timedelta(seconds=30))
    _password(client, user.email)
    assert post(client, "/login/two-factor", {"code": pyotp.TOTP(plain).at(clock.now())}).status_code == 303


def test_a_code_is_accepted_once(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="coco@mindef.example", roles=("coordinator",))
    code = pyotp.TOTP(user.totp_secret).at(clock.now())
    _password(client, user.email)
    assert post(client, "/login/two-factor", {"code": code}).status_code == 303
    client.cookies.clear()
    _password(client, user.email)
    assert post(client, "/login/two-factor", {"code": code}).status_code == 422


def test_the_verify_page_does_not_accept_a_code_of_an_unfinished_enrolment(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email="firm@example.nl")
    log_in(client, session, user, now=clock.now())
    secret = offered_secret(client)
    response = post(client, "/login/two-factor", {"code": pyotp.TOTP(secret).at(clock.now())})
    assert response.status_code == 422
    session.expire_all()
    assert session.scalar(select(AuthSession.mfa_verified_at).where(AuthSession.user_id == user.id)) is None
