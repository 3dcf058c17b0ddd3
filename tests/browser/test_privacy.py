"""Privacy in a real browser: the account page's data download, and deleting the account, by keyboard, axe clean."""

from __future__ import annotations

import uuid
import zipfile

import pytest
from playwright.sync_api import Browser, expect

from app.accounts.models import User
from app.accounts.passwords import hash_password
from tests.browser.harness import LiveServer, assert_accessible, logged_in_context

pytestmark = pytest.mark.browser

PASSWORD = "violet tractor sings loudly"
TEXT = {
    "nl": {
        "download": "Mijn gegevens downloaden",
        "delete": "Uw account verwijderen",
        "deleted": "Uw account is verwijderd",
    },
    "en": {"download": "Download my data", "delete": "Delete your account", "deleted": "Your account has been deleted"},
}


def _create_user(server: LiveServer, email: str) -> User:
    now = server.clock.now()
    with server.db.unit_of_work() as session:
        user = User(
            email=email,
            name="Privacy Tester",
            password_hash=hash_password(PASSWORD),
            language="nl",
            is_active=True,
            created_at=now,
            email_confirmed_at=now,
        )
        session.add(user)
        session.commit()
        session.refresh(user)
        session.expunge(user)
    return user


@pytest.mark.parametrize("language", ["nl", "en"])
def test_download_data_then_delete_account(browser: Browser, server: LiveServer, language: str) -> None:
    text = TEXT[language]
    email = f"privacy-{language}-{uuid.uuid4().hex[:8]}@example.nl"
    context = logged_in_context(browser, server, _create_user(server, email), language)
    page = context.new_page()
    page.goto("/account")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("button", name=text["download"]).click()
    with zipfile.ZipFile(download.value.path()) as archive:
        assert "account.json" in archive.namelist()
        assert email in archive.read("account.json").decode()

    page.get_by_role("link", name=text["delete"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text["delete"])
    assert_accessible(page)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(text["deleted"])
    assert_accessible(page)
    page.goto("/account")
    expect(page).to_have_url(server.url("/login?next=%2Faccount"))
    context.close()
