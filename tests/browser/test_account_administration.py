"""Accounts and administration in a real browser, in Dutch and English, with zero axe violations: the account
page's e-mail and language forms, blocking an account, a second-factor reset awaiting a second administrator,
the audit trail and the outbox."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Browser, expect

from app.notifications.service import queue_email, record_failure
from tests.browser.harness import LiveServer, assert_accessible, logged_in_context, tab_to
from tests.factories import create_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["nl", "en"])
def test_account_page_changes_the_language_of_e_mails(browser: Browser, server: LiveServer, language: str) -> None:
    suffix = secrets.token_hex(4)
    with server.db.unit_of_work() as session:
        user = create_user(session, email=f"taal-{suffix}@company.example", name=f"Taal {suffix}")
    context = logged_in_context(browser, server, user, language)
    page = context.new_page()
    page.goto("/account")
    assert_accessible(page)
    page.locator("#new_email").fill("geen-adres")
    page.get_by_role("button", name="E-mailadres wijzigen" if language == "nl" else "Change e-mail address").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("English").check()
    page.get_by_role("button", name="Taal opslaan" if language == "nl" else "Save language").click()
    page.wait_for_url("**/account?saved=language")
    expect(page.get_by_role("status")).to_have_text(
        "De taal van uw e-mails is gewijzigd." if language == "nl" else "The language of your e-mails has been changed."
    )
    assert_accessible(page)
    context.close()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_administrator_blocks_an_account_and_reads_the_trail_and_outbox(
    browser: Browser, server: LiveServer, language: str
) -> None:
    suffix = secrets.token_hex(4)
    now = server.clock.now()
    with server.db.unit_of_work() as session:
        admin = create_user(
            session, email=f"admin-{suffix}@mindef.example", name="Browser Admin", roles=("administrator",)
        )
        staff = create_user(session, email=f"eva-{suffix}@mindef.example", name=f"Eva {suffix}", roles=("evaluator",))
        context_data = {"name": "Eva", "link": "http://127.0.0.1/x", "minutes": 60}
        message = queue_email(
            session, to=staff.email, template="reset_password", language="nl", context=context_data, now=now
        )
        record_failure(session, message_id=message.id, now=now, error="550 mailbox unavailable", final=True)
        session.commit()
        staff_id = staff.id
    context = logged_in_context(browser, server, admin, language)
    page = context.new_page()
    page.goto(f"/admin/users/{staff_id}")
    assert_accessible(page)
    page.locator("#reason").fill("Misbruik gemeld.")
    tab_to(page, "el.tagName === 'BUTTON' && el.form && el.form.action.endsWith('/block')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/users/{staff_id}?done=blocked")
    expect(page.get_by_role("status")).to_have_text(
        "Het account is geblokkeerd en de sessies ervan zijn beëindigd."
        if language == "nl"
        else "The account was blocked and its sessions ended."
    )
    assert_accessible(page)

    page.locator("#reset_reason").fill(f"Telefoon verloren {suffix}.")
    page.get_by_role(
        "button",
        name="Herstel van de tweede factor aanvragen" if language == "nl" else "Ask for a reset of the second factor",
    ).click()
    page.wait_for_url(f"**/admin/users/{staff_id}?done=reset_requested")
    assert_accessible(page)
    page.goto("/admin/two-factor-resets")
    expect(page.get_by_text(f"Telefoon verloren {suffix}.")).to_be_visible()
    assert_accessible(page)

    page.goto(f"/admin/audit?object_type=user&object_id={staff_id}")
    expect(page.locator("td code", has_text="user.block")).to_be_visible()
    assert_accessible(page)
    page.goto("/admin/audit?date_from=2026-12-02&date_to=2026-12-01")
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)

    page.goto("/admin/outbox?status=failed")
    expect(page.get_by_text("550 mailbox unavailable").first).to_be_visible()
    assert_accessible(page)
    retry = "Bericht %s opnieuw versturen" if language == "nl" else "Send message %s again"
    page.get_by_role("button", name=retry % message.id).click()
    page.wait_for_url("**/admin/outbox?status=failed&done=retried")
    assert_accessible(page)
    context.close()
