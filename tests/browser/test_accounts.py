"""Accounts in a real browser: register, confirm, log in, account page, log out; staff log in with a code."""

from __future__ import annotations

import re
import uuid

import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.accounts.models import User, UserRole
from app.accounts.passwords import hash_password
from app.notifications.models import OutboxMessage
from tests.browser.harness import LiveServer, assert_accessible

pytestmark = pytest.mark.browser

PASSWORD = "violet tractor sings loudly"
TEXT = {
    "nl": {
        "check": "Kijk in uw e-mail",
        "confirmed": "E-mailadres bevestigd",
        "login": "Inloggen",
        "account": "Uw account",
        "logout": "Uitloggen",
        "verify": "Verificatie in twee stappen",
    },
    "en": {
        "check": "Check your e-mail",
        "confirmed": "E-mail address confirmed",
        "login": "Log in",
        "account": "Your account",
        "logout": "Log out",
        "verify": "Two-step verification",
    },
}


def _confirmation_path(server: LiveServer, email: str) -> str:
    with server.db.session() as session:
        body = session.scalar(
            select(OutboxMessage.body_text).where(OutboxMessage.to_address == email).order_by(OutboxMessage.id.desc())
        )
    assert body is not None
    match = re.search(r"/confirm/[A-Za-z0-9_\-]+", body)
    assert match
    return match.group(0)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_register_confirm_login_account_logout(page: Page, server: LiveServer, language: str) -> None:
    text = TEXT[language]
    email = f"journey-{language}-{uuid.uuid4().hex[:8]}@example.nl"
    page.goto(f"/language/{language}?next=/register")
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page)
    page.locator("#email").fill(email)
    page.locator("#name").fill("Journey Tester")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_confirm").fill(PASSWORD)
    page.locator("#password_confirm").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(text["check"])
    assert_accessible(page)

    page.goto(_confirmation_path(server, email))
    expect(page.get_by_role("heading", level=1)).to_have_text(text["confirmed"])
    assert_accessible(page)

    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text(text["login"])
    assert_accessible(page)
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(server.url("/"))

    page.goto("/account")
    expect(page.get_by_role("heading", level=1)).to_have_text(text["account"])
    expect(page.locator("main")).to_contain_text(email)
    assert_accessible(page)

    page.get_by_role("button", name=text["logout"]).click()
    page.wait_for_url(server.url("/"))
    page.goto("/account")
    expect(page.get_by_role("heading", level=1)).to_have_text(text["login"])


def _create_staff(server: LiveServer, email: str) -> str:
    secret = pyotp.random_base32()
    now = server.clock.now()
    with server.db.unit_of_work() as session:
        user = User(
            email=email,
            name="Staff Tester",
            password_hash=hash_password(PASSWORD),
            language="nl",
            is_active=True,
            created_at=now,
            email_confirmed_at=now,
            totp_secret=secret,
            totp_enabled_at=now,
        )
        user.roles = [UserRole(role="coordinator", granted_at=now)]
        session.add(user)
        session.commit()
    return secret


@pytest.mark.parametrize("language", ["nl", "en"])
def test_staff_logs_in_with_totp_code(page: Page, server: LiveServer, language: str) -> None:
    text = TEXT[language]
    email = f"staff-{language}-{uuid.uuid4().hex[:8]}@mindef.example"
    secret = _create_staff(server, email)
    page.goto(f"/language/{language}?next=/login?next=/account")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(text["verify"])
    assert_accessible(page)
    page.locator("#code").fill(pyotp.TOTP(secret).at(server.clock.now()))
    page.locator("#code").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(text["account"])
    assert_accessible(page)


def _create_unenrolled_staff(server: LiveServer, email: str) -> None:
    now = server.clock.now()
    with server.db.unit_of_work() as session:
        user = User(
            email=email,
            name="New Evaluator",
            password_hash=hash_password(PASSWORD),
            language="nl",
            is_active=True,
            created_at=now,
            email_confirmed_at=now,
        )
        user.roles = [UserRole(role="evaluator", granted_at=now)]
        session.add(user)
        session.commit()


def _reset_path(server: LiveServer, email: str) -> str:
    with server.db.session() as session:
        body = session.scalar(
            select(OutboxMessage.body_text)
            .where(OutboxMessage.to_address == email, OutboxMessage.template == "reset_password")
            .order_by(OutboxMessage.id.desc())
        )
    assert body is not None
    match = re.search(r"/password/reset/[A-Za-z0-9_\-]+", body)
    assert match
    return match.group(0)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_staff_enrols_in_two_factor_at_first_login(page: Page, server: LiveServer, language: str) -> None:
    email = f"enrol-{language}-{uuid.uuid4().hex[:8]}@mindef.example"
    _create_unenrolled_staff(server, email)
    page.goto(f"/language/{language}?next=/login?next=/account")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url("**/account/two-factor*")
    assert_accessible(page)
    assert page.locator("input[name=secret]").count() == 0  # the server keeps the secret; the form sends only the code
    secret = page.locator("main code").inner_text()
    assert len(secret) == 32
    page.locator("#code").fill(pyotp.TOTP(secret).at(server.clock.now()))
    page.locator("#code").press("Enter")
    codes = page.locator("main code")
    expect(codes).to_have_count(10)
    assert_accessible(page)
    page.locator("main a.button").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TEXT[language]["account"])
    with server.db.session() as session:
        enrolled = session.scalar(select(User).where(User.email == email))
        assert enrolled is not None and enrolled.totp_enabled


@pytest.mark.parametrize("language", ["nl", "en"])
def test_forgotten_password_reset_by_link(
    page: Page, server: LiveServer, language: str, console_errors: list[str]
) -> None:
    email = f"forgot-{language}-{uuid.uuid4().hex[:8]}@example.nl"
    now = server.clock.now()
    with server.db.unit_of_work() as session:
        session.add(
            User(
                email=email,
                name="Forgetful",
                password_hash=hash_password(PASSWORD),
                language=language,
                is_active=True,
                created_at=now,
                email_confirmed_at=now,
            )
        )
        session.commit()
    page.goto(f"/language/{language}?next=/password/forgot")
    assert_accessible(page)
    page.locator("#email").fill(email)
    page.locator("#email").press("Enter")
    assert_accessible(page)
    reset_path = _reset_path(server, email)
    page.goto(reset_path)
    assert_accessible(page)
    new_password = "another quiet harbour at dawn"
    page.locator("#password").fill(new_password)
    page.locator("#password_confirm").fill(new_password)
    page.locator("#password_confirm").press("Enter")
    assert_accessible(page)
    # The link works once: opened again, it says so and offers a new one.
    response = page.goto(reset_path)
    assert response is not None and response.status == 410
    assert_accessible(page)
    # The browser logs the page's own 410 status on the console; nothing else may be there.
    assert [e for e in console_errors if reset_path not in e] == []
    console_errors.clear()
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(new_password)
    page.locator("#password").press("Enter")
    page.goto("/account")
    expect(page.get_by_role("heading", level=1)).to_have_text(TEXT[language]["account"])
