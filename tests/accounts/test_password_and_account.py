"""Password reset, the account page (name, password) and two-factor enrolment and verification."""

from __future__ import annotations

from datetime import timedelta

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession, RecoveryCode, User
from app.accounts.passwords import DUMMY_HASH, hash_password, needs_rehash, verify_password
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.tokens import hash_token
from tests.accounts.helpers import OTHER_STRONG, STRONG, link_token, outbox, post
from tests.factories import DEFAULT_PASSWORD, create_user, log_in


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action)))


def test_the_dummy_hash_costs_what_a_real_one_costs() -> None:
    """A login for an unknown address verifies against ``DUMMY_HASH``: made with the hasher's own parameters
    (else that login would take a different time), and no password matches it."""
    assert not needs_rehash(DUMMY_HASH)
    assert DUMMY_HASH.split("$")[:4] == hash_password("any password at all").split("$")[:4]
    assert not verify_password(DUMMY_HASH, "not-a-real-password-but-it-costs-the-same")
    assert not verify_password(DUMMY_HASH, "")


def test_forgot_answers_the_same_for_unknown_address(client: TestClient, session: Session) -> None:
    create_user(session, email="known@example.nl")
    known = post(client, "/password/forgot", {"email": "known@example.nl"})
    unknown = post(client, "/password/forgot", {"email": "unknown@example.nl"})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    [message] = outbox(session, "known@example.nl")
    assert message.subject == "Kies een nieuw wachtwoord"
    assert outbox(session, "unknown@example.nl") == []


def test_reset_sets_password_uses_link_and_ends_sessions(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email="reset@example.nl")
    other = log_in(client, session, user, now=clock.now())
    client.cookies.clear()
    post(client, "/password/forgot", {"email": "reset@example.nl"})
    token = link_token(outbox(session, "reset@example.nl")[0], "/password/reset/")
    assert client.get(f"/password/reset/{token}").status_code == 200
    short = post(client, f"/password/reset/{token}", {"password": "kort", "password_confirm": "kort"})
    assert short.status_code == 422 and "Gebruik ten minste 12 tekens." in short.text
    done = post(client, f"/password/reset/{token}", {"password": STRONG, "password_confirm": STRONG})
    assert done.status_code == 200 and "Uw wachtwoord is gewijzigd" in done.text
    session.expire_all()
    assert verify_password(session.get(User, user.id).password_hash, STRONG)
    ended = session.scalar(select(AuthSession.ended_at).where(AuthSession.token_hash == hash_token(other)))
    assert ended is not None
    again = post(client, f"/password/reset/{token}", {"password": OTHER_STRONG, "password_confirm": OTHER_STRONG})
    assert again.status_code == 410 and "Deze link is verlopen of is al gebruikt." in again.text
    assert "user.password_reset" in _actions(session)


def test_reset_link_expires_after_one_hour(client: TestClient, session: Session, clock: FrozenClock) -> None:
    create_user(session, email="slow@example.nl")
    post(client, "/password/forgot", {"email": "slow@example.nl"})
    token = link_token(outbox(session, "slow@example.nl")[0], "/password/reset/")
    clock.advance(timedelta(hours=1))
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 410 and "Stuur een nieuwe link" in response.text


def test_account_requires_login(client: TestClient) -> None:
    assert client.get("/account").headers["location"] == "/login?next=%2Faccount"


def test_account_page_shows_own_data_in_english(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="me@example.nl", name="Mij Zelf")
    log_in(client, session, user, now=clock.now())
    client.cookies.set("portal_lang", "en")
    body = client.get("/account").text
    assert "me@example.nl" in body and 'value="Mij Zelf"' in body
    assert "Two-step verification is off." in body


def test_change_name_and_keep_input_on_error(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="name@example.nl", name="Oud")
    log_in(client, session, user, now=clock.now())
    empty = post(client, "/account/name", {"name": "  "})
    assert empty.status_code == 422 and "Dit veld is verplicht." in empty.text
    done = post(client, "/account/name", {"name": "Nieuw"})
    assert done.status_code == 303 and done.headers["location"] == "/account?saved=name"
    session.expire_all()
    assert session.get(User, user.id).name == "Nieuw"
    assert "user.name_change" in _actions(session)


def test_change_password_needs_current_and_ends_other_sessions(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email="pw@example.nl")
    other = log_in(client, session, user, now=clock.now())
    current = log_in(client, session, user, now=clock.now())
    data = {"current_password": "wrong password here", "password": STRONG, "password_confirm": STRONG}
    wrong = post(client, "/account/password", data)
    assert wrong.status_code == 422 and "Uw huidige wachtwoord is niet juist." in wrong.text
    done = post(client, "/account/password", {**data, "current_password": DEFAULT_PASSWORD})
    assert done.status_code == 303
    session.expire_all()
    ended = {
        token: session.scalar(select(AuthSession.ended_at).where(AuthSession.token_hash == hash_token(token)))
        for token in (other, current)
    }
    assert ended[other] is not None and ended[current] is None
    assert "user.password_change" in _actions(session)


def test_enrol_totp_gives_recovery_codes(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="totp@example.nl")
    log_in(client, session, user, now=clock.now())
    page = client.get("/account/two-factor")
    assert 'alt="QR-code om dit account aan uw authenticator-app toe te voegen"' in page.text
    secret = page.text.split("<code>")[1].split("</code>")[0]
    assert 'name="secret"' not in page.text
    wrong = post(client, "/account/two-factor", {"code": "000000"})
    assert wrong.status_code == 422 and secret in wrong.text
    code = pyotp.TOTP(secret).at(clock.now())
    done = post(client, "/account/two-factor", {"code": code})
    assert done.status_code == 200 and "Uw herstelcodes" in done.text
    session.expire_all()
    assert session.get(User, user.id).totp_enabled_at == clock.now()
    assert len(session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()) == 10
    assert "user.totp_enable" in _actions(session)
    assert "U heeft nog 10 ongebruikte herstelcodes." in client.get("/account").text


def test_second_factor_refuses_reused_code_and_accepts_recovery_code_once(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email="mfa@example.nl", totp=True)
    session.add(RecoveryCode(user_id=user.id, code_hash=hash_token("aaaa-bbbb-cccc"), created_at=clock.now()))
    session.commit()
    code = pyotp.TOTP(user.totp_secret).at(clock.now())
    log_in(client, session, user, now=clock.now(), second_factor=False)
    assert post(client, "/login/two-factor", {"code": code}).status_code == 303
    log_in(client, session, user, now=clock.now(), second_factor=False)
    reused = post(client, "/login/two-factor", {"code": code})
    assert reused.status_code == 422 and "Deze code is niet juist." in reused.text
    assert post(client, "/login/two-factor", {"code": "aaaa-bbbb-cccc"}).status_code == 303
    log_in(client, session, user, now=clock.now(), second_factor=False)
    assert post(client, "/login/two-factor", {"code": "aaaa-bbbb-cccc"}).status_code == 422
    assert "user.recovery_code_used" in _actions(session)


def test_wrong_second_factor_codes_end_the_login(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="guess@mindef.example", roles=("coordinator",))
    log_in(client, session, user, now=clock.now(), second_factor=False)
    for _ in range(4):
        assert post(client, "/login/two-factor", {"code": "123456"}).status_code == 422
    ended = post(client, "/login/two-factor", {"code": "123456"})
    assert ended.status_code == 429
    assert "Te veel verkeerde codes. Deze aanmelding is beëindigd" in ended.text
    right = pyotp.TOTP(user.totp_secret).at(clock.now())
    again = post(client, "/login/two-factor", {"code": right})
    assert (again.status_code, again.headers["location"]) == (303, "/login?next=%2Flogin%2Ftwo-factor")
