"""The public statistics and the coordinators' portfolio dashboard in a real browser: reached by their links,
charts and tables shown, a bad date answered next to its field, Dutch and English, zero axe violations."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import LiveServer, assert_accessible, logged_in_context
from tests.conftest import DEFAULT_NOW
from tests.factories import create_user
from tests.ocds.helpers import decided

pytestmark = pytest.mark.browser

# After the decided challenge's (extended) deadline and its release, so the statistics count it.
VIEWED = datetime(2027, 3, 5, 9, 0, tzinfo=UTC)
TEXTS = {
    "nl": {
        "footer": "Statistiek",
        "statistics": "Statistieken van gesloten challenges",
        "dashboard": "Portfoliodashboard",
        "bad_date": "Vul een datum in als dag, maand en jaar, bijvoorbeeld 1-3-2027.",
        "region": "Regionaal team",
        "zuidwest": "ODIN Zuidwest (MindBase Delft)",
        "bad_choice": "Kies een van de mogelijkheden.",
    },
    "en": {
        "footer": "Statistics",
        "statistics": "Statistics of closed challenges",
        "dashboard": "Portfolio dashboard",
        "bad_date": "Enter a date as day, month and year, for example 1-3-2027.",
        "region": "Regional team",
        "zuidwest": "ODIN South-West (MindBase Delft)",
        "bad_choice": "Choose one of the options.",
    },
}


def _decided_challenge(server: LiveServer) -> None:
    prefix = f"s{secrets.token_hex(3)}"
    with server.db.unit_of_work() as session:
        decided(session, server.clock, prefix=prefix, kvk_offset=(int(prefix[1:], 16) % 60_000) * 10 + 7)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_statistics_and_portfolio_dashboard_are_accessible(
    page: Page, browser: Browser, server: LiveServer, language: str
) -> None:
    texts = TEXTS[language]
    try:
        _decided_challenge(server)
        server.clock.set(VIEWED)
        page.goto(f"/language/{language}?next=/")
        page.locator("footer").get_by_role("link", name=texts["footer"], exact=True).click()
        page.wait_for_url("**/statistics")
        expect(page.get_by_role("heading", level=1)).to_have_text(texts["statistics"])
        expect(page.locator("#table-proposals")).to_be_visible()
        expect(page.locator("#figure-time-to-decision svg[role=img]")).to_be_visible()
        expect(page.locator("#figure-new-to-defence")).to_be_visible()
        expect(page.locator("#figure-propositions-by-status")).to_have_count(0)
        assert_accessible(page)

        with server.db.unit_of_work() as session:
            user = create_user(
                session, email=f"pf-{secrets.token_hex(3)}@mindef.example", name="Pim", roles=("coordinator",)
            )
            session.commit()
        context = logged_in_context(browser, server, user, language)
        staff = context.new_page()
        try:
            staff.goto("/manage")
            staff.get_by_role("link", name=texts["dashboard"]).click()
            staff.wait_for_url("**/manage/portfolio")
            expect(staff.get_by_role("heading", level=1)).to_have_text(texts["dashboard"])
            expect(staff.locator("#table-trl")).to_be_visible()
            expect(staff.locator("#table-new-to-defence")).to_be_visible()
            expect(staff.locator("#table-propositions-by-status")).to_be_visible()
            assert_accessible(staff)
            # The region filter by keyboard: its label names it, the form sends it, the CSV links carry it.
            staff.get_by_label(texts["region"]).select_option(label=texts["zuidwest"])
            staff.locator("form.filters button[type=submit]").press("Enter")
            staff.wait_for_url("**/manage/portfolio?*region=zuidwest*")
            expect(staff.locator("#csv-propositions-by-status")).to_have_attribute(
                "href", "/manage/portfolio/propositions-by-status.csv?region=zuidwest"
            )
            assert_accessible(staff)
            staff.goto("/manage/portfolio?region=atlantis")
            expect(staff.locator("#region-error")).to_contain_text(texts["bad_choice"])
            expect(staff.locator(".error-summary a[href='#region']")).to_be_visible()
            staff.goto("/manage/portfolio?published_from=morgen")
            expect(staff.locator("#published_from-error")).to_contain_text(texts["bad_date"])
            expect(staff.locator(".error-summary a[href='#published_from']")).to_be_visible()
            assert_accessible(staff)
        finally:
            context.close()
    finally:
        server.clock.set(DEFAULT_NOW)  # the shared server's clock back for the journeys after this one
