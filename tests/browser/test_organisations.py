"""Register an organisation, invite a colleague who joins, in a real browser, in Dutch and English."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from app.accounts import sessions
from app.notifications.models import OutboxMessage
from tests.browser.harness import LiveServer, assert_accessible
from tests.factories import create_user

pytestmark = pytest.mark.browser


def _logged_in_context(browser: Browser, server: LiveServer, email: str, name: str) -> BrowserContext:
    """A browser context with a live session for a new user, made directly in the server's database."""
    now = server.clock.now()
    with server.db.unit_of_work() as session:
        user = create_user(session, email=email, name=name, at=now - timedelta(days=1))
        policy = sessions.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
        token, _ = sessions.start_session(session, user=user, now=now, policy=policy, ip="127.0.0.1", user_agent="pw")
        session.commit()
    context = browser.new_context(base_url=server.base_url, locale="nl-NL")
    context.add_cookies([{"name": sessions.SESSION_COOKIE, "value": token, "url": server.base_url}])
    return context


def _invitation_path(server: LiveServer, email: str) -> str:
    with server.db.session() as session:
        body = session.scalars(select(OutboxMessage.body_text).where(OutboxMessage.to_address == email)).one()
    match = re.search(r"https?://[^/\s]+(/invitations/\S+)", body)
    assert match is not None, body
    return match.group(1)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_register_invite_and_join(browser: Browser, server: LiveServer, language: str) -> None:
    unique = uuid.uuid4().hex[:8]
    kvk = str(int(unique, 16) % 100_000_000).zfill(8)
    admin_context = _logged_in_context(browser, server, f"admin-{unique}@browser.example", "Anna Admin")
    colleague_email = f"colleague-{unique}@browser.example"
    colleague_context = _logged_in_context(browser, server, colleague_email, "Cees Collega")
    try:
        page: Page = admin_context.new_page()
        page.goto(f"/language/{language}?next=/organisations")
        expect(page.locator("html")).to_have_attribute("lang", language)
        assert_accessible(page)

        page.goto("/organisations/new")
        assert_accessible(page)
        # A wrong KvK number first: the form comes back with the message and the input kept.
        page.locator("#legal_name").fill(f"Browser {unique} B.V.")
        page.locator("#kvk_number").fill("123")
        page.locator("#street").fill("Kanaalweg 1")
        page.locator("#postcode").fill("2628 EB")
        page.locator("#city").fill("Delft")
        page.locator("#is_sme-1").check()
        page.locator("#new_to_defence-2").check()
        page.locator("#ownership-2").check()
        page.locator("#parent_name").fill(f"Browser {unique} Holding N.V.")
        page.locator("#parent_country").select_option("NO")
        page.locator("#kvk_number").press("Enter")
        expect(page.locator(".error-summary")).to_be_visible()
        expect(page.locator("#legal_name")).to_have_value(f"Browser {unique} B.V.")
        assert_accessible(page)
        page.locator("#kvk_number").fill(f"{kvk[:4]} {kvk[4:]}")
        page.locator("#kvk_number").press("Enter")
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Browser {unique} B.V.")
        expect(page.get_by_text(kvk, exact=True)).to_be_visible()
        expect(page.get_by_text(f"Browser {unique} Holding N.V. (")).to_be_visible()
        assert_accessible(page)

        page.locator("#email").fill(colleague_email)
        page.locator("#email").press("Enter")
        expect(page.get_by_text(colleague_email)).to_be_visible()
        assert_accessible(page)

        other: Page = colleague_context.new_page()
        other.goto(f"/language/{language}?next=/organisations")
        other.goto(_invitation_path(server, colleague_email))
        expect(other.get_by_role("heading", level=1)).to_contain_text(f"Browser {unique} B.V.")
        assert_accessible(other)
        other.get_by_role("button").filter(has_text=re.compile("accept", re.IGNORECASE)).click()
        expect(other.get_by_role("heading", level=1)).to_have_text(f"Browser {unique} B.V.")
        expect(other.get_by_role("cell", name="Cees Collega")).to_be_visible()
        assert_accessible(other)

        # The link is used up now: opening it again says so.
        response = other.goto(_invitation_path(server, colleague_email))
        assert response is not None and response.status == 410
        assert_accessible(other)
        other.goto("/organisations")
        expect(other.get_by_role("link", name=f"Browser {unique} B.V.")).to_be_visible()
        assert_accessible(other)
    finally:
        admin_context.close()
        colleague_context.close()
