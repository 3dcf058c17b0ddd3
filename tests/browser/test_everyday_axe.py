"""The pages of everyday use pass axe in Dutch and English, also with their error summaries showing: the subscription
page, the account page with its e-mail address, e-mail language and reminder sections, and the due-date section of
the assignments page (a coordinator with two factors, after the deadline)."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.harness import LiveServer, assert_accessible, logged_in_context
from tests.browser.test_phone_width import _open, contexts  # noqa: F401 (a fixture)
from tests.conftest import DEFAULT_NOW
from tests.evaluations.helpers import AFTER_DEADLINE, build_scenario

pytestmark = pytest.mark.browser

WORDS = {
    "nl": {"subscribe": "Abonneren", "email": "E-mailadres wijzigen", "due": "Uiterste datum instellen"},
    "en": {"subscribe": "Subscribe", "email": "Change e-mail address", "due": "Set the due date"},
}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_subscription_account_and_due_date_pages_pass_axe(
    browser: Browser,
    server: LiveServer,
    contexts: list[BrowserContext],  # noqa: F811
    language: str,
) -> None:
    words = WORDS[language]
    with server.db.unit_of_work() as session:
        s = build_scenario(session, proposals=1, evaluators=1, prefix=f"x{secrets.token_hex(3)}")
        session.commit()
        company, coordinator, base = s.companies[0], s.coordinator, s.base
        session.expunge_all()

    visitor = _open(browser, server, contexts, None, language)
    visitor.goto("/subscriptions")
    assert_accessible(visitor)
    visitor.get_by_role("button", name=words["subscribe"]).click()
    expect(visitor.locator(".error-summary a[href='#email']")).to_have_count(1)
    expect(visitor.locator(".error-summary a[href='#areas']")).to_have_count(1)
    assert_accessible(visitor)

    member = _open(browser, server, contexts, company, language)
    member.goto("/account")
    for section in ("#new_email", "#mail_language", "#reminders-title", "#reminders"):
        expect(member.locator(section)).to_have_count(1)
    assert_accessible(member)
    member.fill("#new_email", "nieuw@elders.example")
    member.fill("#email_password", "niet-het-wachtwoord")
    member.get_by_role("button", name=words["email"]).click()
    expect(member.locator(".error-summary a[href='#email_password']")).to_have_count(1)
    assert_accessible(member)

    server.clock.set(AFTER_DEADLINE)
    try:
        staff = logged_in_context(browser, server, coordinator, language)
        contexts.append(staff)
        page = staff.new_page()
        page.goto(f"{base}/assignments#due-date")
        expect(page.locator("#due-date")).to_be_visible()
        assert_accessible(page)
        page.fill("#due_on", "2026-01-01")
        page.get_by_role("button", name=words["due"]).click()
        expect(page.locator(".error-summary a[href='#due_on']")).to_have_count(1)
        expect(page.locator("#due_on-error")).to_be_visible()
        assert_accessible(page)
    finally:
        server.clock.set(DEFAULT_NOW)
