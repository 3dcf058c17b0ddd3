"""Languages in a real browser: a first visit follows the browser's language, a ``?lang=`` address shows its own
language whatever the browser says, every page names its addresses per language, and both stay axe-clean."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.harness import LiveServer, assert_accessible, watch_responses

pytestmark = pytest.mark.browser


@pytest.fixture
def english_page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    """A browser set to British English, with no language cookie yet."""
    context = browser.new_context(base_url=server.base_url, locale="en-GB")
    watch_responses(context, server.errors)
    yield context.new_page()
    context.close()


def test_first_visit_of_an_english_browser_is_in_english(english_page: Page, server: LiveServer) -> None:
    english_page.goto("/")
    expect(english_page.locator("html")).to_have_attribute("lang", "en")
    expect(english_page.get_by_role("heading", level=1)).to_have_text("Defence industry challenges")
    assert_accessible(english_page)


def test_a_dutch_address_is_dutch_in_an_english_browser(english_page: Page, server: LiveServer) -> None:
    english_page.goto("/challenges/counter-uas?lang=nl")
    expect(english_page.locator("html")).to_have_attribute("lang", "nl")
    alternates = english_page.locator("link[rel=alternate][hreflang]:not([type])")
    expect(alternates).to_have_count(3)
    expect(english_page.locator("link[hreflang=en]:not([type])")).to_have_attribute(
        "href", f"{server.base_url}/challenges/counter-uas?lang=en"
    )
    assert_accessible(english_page)
    # The switch in the header chooses English for good and returns to the page without ?lang=nl.
    english_page.get_by_role("link", name="English").click()
    english_page.wait_for_url("**/challenges/counter-uas")
    expect(english_page.locator("html")).to_have_attribute("lang", "en")
